/**
 * `gate check --range <base>..<head>`: the CI check that catches what local hooks cannot stop
 * (`--no-verify`, `HUSKY=0`, a push from a machine without the hooks). Gathers facts through the
 * git adapter and hands them to the pure evaluator in gates/range.ts.
 */
import { createHash } from 'node:crypto';
import { GateError } from '../errors.js';
import { EMPTY_TREE, NOTES_REF, type CommitInfo } from '../adapters/git.js';
import { CONFIG_PATH, parseConfigText } from '../adapters/config-file.js';
import { defaultConfig, type GatesConfig, type Tier } from '../schema/defaults.js';
import {
  classifyCommit,
  evaluateRange,
  parseNote,
  rangeFindings,
  type ClassifiedCommit,
  type CommitVerdict,
  type RangeCommitFacts,
  type RangeViolation,
} from '../gates/range.js';
import { isAcceptedAdr, readAdrHead } from '../gates/adr-status.js';
import type { Finding } from '../gates/types.js';
import type { Ctx } from './context.js';

export interface RangeReport {
  range: string;
  base: string;
  head: string;
  commits: (CommitVerdict & { surfaces: string[]; carveOut?: string; hasNote: boolean })[];
  violations: RangeViolation[];
  findings: Finding[];
  warnings: string[];
  ok: boolean;
}

/**
 * Gate B's digest of a sidecar's explanation. Until Gate B exports its own, this is
 * SHA-256 over the canonical JSON of the explanation fields (everything but approvals/rejections).
 */
export function explanationDigest(sidecar: Record<string, unknown>): string {
  const { approvals: _a, rejections: _r, rejected: _x, ...explanation } = sidecar;
  return createHash('sha256').update(canonicalJson(explanation)).digest('hex');
}

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function parseRangeSpec(spec: string): { base: string; head: string } {
  const m = /^([^.\s][^\s]*?)\.\.([^.\s][^\s]*)$/.exec(spec.trim());
  if (!m || spec.includes('...')) {
    throw new GateError('USAGE', `"${spec}" is not a range of the form <base>..<head>.`, {
      fix: 'gate check --range origin/main..HEAD',
    });
  }
  return { base: m[1]!, head: m[2]! };
}

export interface RangeFactsOptions {
  /** Config read from the working tree (the CI checkout). */
  config: GatesConfig;
  warnings: string[];
}

/**
 * Facts for a list of commits (parents before children): classification against the first
 * parent under the strictest of the current config and the config at that parent, the approval
 * note, and edits of accepted ADRs.
 */
export async function gatherRangeFacts(
  ctx: Ctx,
  commits: readonly CommitInfo[],
  opts: RangeFactsOptions,
): Promise<{ facts: RangeCommitFacts[]; classified: Map<string, ClassifiedCommit> }> {
  const notes = ctx.git.notesMap(NOTES_REF);
  const cfgByBlob = new Map<string, GatesConfig>();
  const content = (blob: string): string | undefined => ctx.git.readBlob(blob)?.toString('utf8');
  const adrDir = `${opts.config.adr.dir.replace(/\/+$/, '')}/`;
  const facts: RangeCommitFacts[] = [];
  const classified = new Map<string, ClassifiedCommit>();
  for (const c of commits) {
    const parent = c.parents[0];
    const changes = ctx.git.diffTrees(parent ?? EMPTY_TREE, c.commit);
    const configs = [opts.config];
    if (parent) configs.push(await configAt(ctx, parent, cfgByBlob, opts.warnings));
    const cls = classifyCommit(changes, configs, content);
    classified.set(c.commit, cls);
    const f: RangeCommitFacts = {
      commit: c.commit,
      tree: c.tree,
      parents: c.parents,
      subject: c.subject,
      tier: cls.tier,
      paths: cls.paths,
      ...(cls.carveOut ? { carveOut: cls.carveOut } : {}),
    };
    const noteBlob = notes.get(c.commit);
    if (noteBlob) {
      const body = ctx.git.readBlob(noteBlob);
      if (body === undefined) throw unreadableNote(c.commit, 'its blob cannot be read');
      const parsed = parseNote(body.toString('utf8'), explanationDigest);
      if (!parsed.ok) throw unreadableNote(c.commit, parsed.problem);
      f.note = parsed.note;
    }
    const adrEdits: NonNullable<RangeCommitFacts['adrEdits']> = [];
    for (const ch of changes) {
      const oldPath = ch.oldPath ?? ch.path;
      if (!oldPath.startsWith(adrDir) || !/\.md$/i.test(oldPath) || ch.status === 'A') continue;
      const before = content(ch.oldBlob);
      if (before === undefined || !isAcceptedAdr(before)) continue;
      const change = ch.status === 'D' ? 'deleted' : ch.status === 'R' ? `renamed to ${ch.path}` : ch.oldMode !== ch.newMode && ch.oldBlob === ch.newBlob ? 'given a new mode' : 'modified';
      const n = readAdrHead(before).adr;
      adrEdits.push({ path: oldPath, change, ...(n !== undefined ? { adr: n } : {}) });
    }
    if (adrEdits.length) f.adrEdits = adrEdits;
    facts.push(f);
  }
  return { facts, classified };
}

async function configAt(ctx: Ctx, commit: string, cache: Map<string, GatesConfig>, warnings: string[]): Promise<GatesConfig> {
  const blob = ctx.git.blobAt(commit, CONFIG_PATH);
  if (!blob) return defaultConfig();
  let cfg = cache.get(blob);
  if (cfg) return cfg;
  try {
    cfg = await parseConfigText(ctx.git.readBlob(blob)?.toString('utf8') ?? '', `${CONFIG_PATH} at ${commit.slice(0, 12)}`);
  } catch {
    warnings.push(`${CONFIG_PATH} at ${commit.slice(0, 12)} is invalid; its commits were classified with the built-in defaults and the current config`);
    cfg = defaultConfig();
  }
  cache.set(blob, cfg);
  return cfg;
}

function unreadableNote(commit: string, why: string): GateError {
  return new GateError('CANNOT_EVALUATE', `the approval note on commit ${commit.slice(0, 12)} cannot be read: ${why}.`, {
    fix: `inspect it with \`git notes --ref ${NOTES_REF} show ${commit.slice(0, 12)}\`; a note that is not an agent-gates approval must be removed (\`git notes --ref ${NOTES_REF} remove ${commit.slice(0, 12)}\`) and the commit approved again`,
    data: { commit },
  });
}

function resolveCommit(ctx: Ctx, rev: string, spec: string): string {
  const id = ctx.git.revParse(`${rev}^{commit}`);
  if (!id) {
    throw new GateError('CANNOT_EVALUATE', `"${rev}" in the range ${spec} does not name a commit here.`, {
      fix: `fetch it first (e.g. \`git fetch origin ${rev.replace(/^origin\//, '')}\`; in CI use a full clone: actions/checkout with fetch-depth: 0)`,
    });
  }
  return id;
}

/** Check every commit in base..head. Exit semantics: violations → 1; unreadable inputs throw (3). */
export async function checkRange(ctx: Ctx, spec: string): Promise<RangeReport> {
  const { base, head } = parseRangeSpec(spec);
  const baseId = resolveCommit(ctx, base, spec);
  const headId = resolveCommit(ctx, head, spec);
  const { config } = await ctx.config();
  const commits = ctx.git.commitInfos([`${baseId}..${headId}`], ['--topo-order', '--reverse']);
  return evaluateCommits(ctx, commits, config, { range: spec, base: baseId, head: headId });
}

export async function evaluateCommits(
  ctx: Ctx,
  commits: readonly CommitInfo[],
  config: GatesConfig,
  meta: { range: string; base: string; head: string },
): Promise<RangeReport> {
  const warnings: string[] = [];
  const { facts, classified } = await gatherRangeFacts(ctx, commits, { config, warnings });
  const result = evaluateRange(facts);
  const noted = new Set(facts.filter((f) => f.note).map((f) => f.commit));
  return {
    ...meta,
    commits: result.commits.map((v) => {
      const cls = classified.get(v.commit);
      return { ...v, surfaces: cls?.surfaces ?? [], ...(cls?.carveOut ? { carveOut: cls.carveOut } : {}), hasNote: noted.has(v.commit) };
    }),
    violations: result.violations,
    findings: rangeFindings(result),
    warnings,
    ok: result.violations.length === 0,
  };
}

/** One line per commit for the text output. */
export function rangeSummaryLines(r: RangeReport): string[] {
  const out = [`range ${r.range}: ${r.commits.length} commit${r.commits.length === 1 ? '' : 's'} checked, ${r.violations.length} violation${r.violations.length === 1 ? '' : 's'}`];
  for (const c of r.commits) {
    const status = c.violations.length ? 'FAIL' : c.gated === 0 ? 'ok  ' : 'ok  ';
    const why = c.violations.length ? `${c.violations.length} violation${c.violations.length === 1 ? '' : 's'}` : c.gated === 0 ? (c.carveOut ? `AUTO (carve-out: ${c.carveOut})` : 'AUTO') : `${c.tier}, approved (${c.coveredBy === 'tree' ? 'note matches tree' : 'approved content'})`;
    out.push(`  ${status} ${c.commit.slice(0, 12)} ${why}${c.subject ? `  ${c.subject.slice(0, 60)}` : ''}`);
  }
  return out;
}

export type { Tier };
