/**
 * `gate check --range <base>..<head>`: the CI check that catches what local hooks cannot stop
 * (`--no-verify`, `HUSKY=0`, a push from a machine without the hooks). Gathers facts through the
 * git adapter and hands them to the pure evaluator in gates/range.ts.
 */
import { GateError } from '../errors.js';
import { EMPTY_TREE, NOTES_REF, type CommitInfo } from '../adapters/git.js';
import { CONFIG_PATH } from '../adapters/config-file.js';
import type { GatesConfig, Tier } from '../schema/defaults.js';
import { evaluateRange, parseNote, rangeFindings, type CommitVerdict, type RangeCommitFacts, type RangeViolation, type SidecarCheck } from '../gates/range.js';
import type { Finding } from '../gates/types.js';
import type { MutationVerdict } from '../gates/mutation.js';
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

export function parseRangeSpec(spec: string): { base: string; head: string } {
  const m = /^([^.\s][^\s]*?)\.\.([^.\s][^\s]*)$/.exec(spec.trim());
  if (!m || spec.includes('...')) {
    throw new GateError('USAGE', `"${spec}" is not a range of the form <base>..<head>.`, {
      fix: 'gate check --range origin/main..HEAD',
    });
  }
  return { base: m[1]!, head: m[2]! };
}

/** Gate B's sidecar schema and digest, as the pure note parser wants them. */
async function sidecarChecker(): Promise<(doc: unknown) => SidecarCheck> {
  const { validateSidecar } = await import('../schema/sidecar.js');
  return (doc) => {
    const r = validateSidecar(doc);
    if (!r.ok) return { ok: false, problems: r.problems };
    return {
      ok: true,
      digest: r.digest,
      tree: r.sidecar.tree,
      approvals: r.sidecar.approvals.map((a) => ({ step: a.step, tier: a.tier, tree: a.tree, digest: a.digest })),
      rejections: r.sidecar.rejections.length,
    };
  };
}

/**
 * Facts for a list of commits (parents before children): Gate B's classification of each commit
 * against its first parent, with the pre-commit rules and the config committed in that commit
 * (merged, strictest wins, with the parent's when the commit changes the config), plus its note.
 */
export async function gatherRangeFacts(ctx: Ctx, commits: readonly CommitInfo[]): Promise<{ facts: RangeCommitFacts[]; verdicts: Map<string, MutationVerdict> }> {
  const [{ verdictFor, configAt }, { requiredSteps }, checkSidecar] = await Promise.all([
    import('./mutation.js'),
    import('../gates/mutation.js'),
    sidecarChecker(),
  ]);
  const notes = ctx.git.notesMap(NOTES_REF);
  const configs = new Map<string, GatesConfig>();
  const facts: RangeCommitFacts[] = [];
  const verdicts = new Map<string, MutationVerdict>();
  for (const c of commits) {
    const parent = c.parents[0];
    const changes = ctx.git.diffTrees(parent ?? EMPTY_TREE, c.commit);
    // the config committed in this commit, parsed once per distinct blob
    const cfgBlob = ctx.git.blobAt(c.commit, CONFIG_PATH) ?? 'none';
    let config = configs.get(cfgBlob);
    if (!config) configs.set(cfgBlob, (config = (await configAt(ctx, c.commit, { cache: false })) as GatesConfig));
    const v = await verdictFor(ctx, changes, config, parent);
    verdicts.set(c.commit, v);
    const f: RangeCommitFacts = {
      commit: c.commit,
      tree: c.tree,
      parents: c.parents,
      subject: c.subject,
      tier: v.tier,
      paths: v.files.map((x) => ({ path: x.path, tier: x.tier, blob: x.blob, ...(c.parents.length > 1 && inherited(ctx, c.parents.slice(1), x.path, x.blob) ? { inherited: true } : {}) })),
      ...(v.carve_out.applied ? { carveOut: 'doc-only' } : {}),
    };
    const noteBlob = notes.get(c.commit);
    if (noteBlob) {
      const body = ctx.git.readBlob(noteBlob);
      if (body === undefined) throw unreadableNote(c.commit, 'its blob cannot be read');
      const parsed = parseNote(body.toString('utf8'), checkSidecar, requiredSteps);
      if (!parsed.ok) throw unreadableNote(c.commit, parsed.problem);
      f.note = parsed.note;
    }
    facts.push(f);
  }
  return { facts, verdicts };
}

/** Whether one of `parents` has exactly `blob` at `path` (ZERO_BLOB: the path is absent there). */
function inherited(ctx: Ctx, parents: readonly string[], path: string, blob: string): boolean {
  const deleted = /^0+$/.test(blob);
  return parents.some((p) => {
    const b = ctx.git.blobAt(p, path);
    return deleted ? b === undefined : b === blob;
  });
}

function unreadableNote(commit: string, why: string): GateError {
  return new GateError('CANNOT_EVALUATE', `the approval note on commit ${commit.slice(0, 12)} cannot be read: ${why}.`, {
    fix: `inspect it with \`git notes --ref ${NOTES_REF} show ${commit.slice(0, 12)}\`; a note that is not an agent-gates approval must be removed (\`git notes --ref ${NOTES_REF} remove ${commit.slice(0, 12)}\`) and the commit approved again`,
    data: { commit },
  });
}

/** `gate adr check`'s history rule at `head`: every accepted record equals its first accepted version. */
async function adrViolations(ctx: Ctx, head: string, inRange: ReadonlySet<string>): Promise<RangeViolation[]> {
  const [{ adrDir, adrHistory }, { historyFindings }] = await Promise.all([import('./adr.js'), import('../gates/adr.js')]);
  const dir = await adrDir(ctx);
  const out: RangeViolation[] = [];
  for (const [path, versions] of adrHistory(ctx, dir, undefined, head)) {
    for (const f of historyFindings(path, versions)) {
      if (f.severity !== 'block') continue;
      const commit = typeof f.data?.commit === 'string' ? f.data.commit : head;
      out.push({
        code: f.code as RangeViolation['code'],
        commit,
        path,
        missing: `${f.message}${inRange.has(commit) ? '' : ' (the offending commit is before the range)'}`,
        ...(f.fix ? { fix: f.fix } : {}),
      });
    }
  }
  return out;
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
  const commits = ctx.git.commitInfos([`${baseId}..${headId}`], ['--topo-order', '--reverse']);
  return checkCommits(ctx, commits, { range: spec, base: baseId, head: headId });
}

/**
 * Everything `gate check --range` checks, over given commits (parents before children): the
 * approval notes, accepted ADRs unchanged at `head`, and note signatures when required.
 * `gate review` runs it over the window's commits; `onlyInRange` drops ADR findings whose
 * offending commit is outside the commits given.
 */
export async function checkCommits(
  ctx: Ctx,
  commits: readonly CommitInfo[],
  meta: { range: string; base: string; head: string },
  opts: { onlyInRange?: boolean } = {},
): Promise<RangeReport> {
  const { base: baseId, head: headId } = meta;
  const report = await evaluateCommits(ctx, commits, meta);
  const inRange = new Set(commits.map((c) => c.commit));
  const adr = (await adrViolations(ctx, headId, inRange)).filter((v) => !opts.onlyInRange || inRange.has(v.commit));
  if (adr.length) {
    report.violations.push(...adr);
    report.findings.push(...rangeFindings({ commits: [], violations: adr }));
    for (const v of adr) report.commits.find((c) => c.commit === v.commit)?.violations.push(v);
    report.ok = false;
  }
  // signed approvals (issue 7): with approval.require_signature, each note's signatures must verify
  if (baseId) {
    const { rangeSignatureFindings } = await import('./signed-range.js');
    const sig = await rangeSignatureFindings(ctx, commits, baseId);
    for (const f of sig.findings) {
      const v: RangeViolation = { code: 'C_NOTE_INVALID', commit: String(f.data?.commit ?? headId), missing: f.message, ...(f.fix ? { fix: f.fix } : {}) };
      report.violations.push(v);
      report.commits.find((c) => c.commit === v.commit)?.violations.push(v);
      report.findings.push(f);
      report.ok = false;
    }
  }
  return report;
}

/** The approval check over given commits (parents before children); also used by `gate review`. */
export async function evaluateCommits(ctx: Ctx, commits: readonly CommitInfo[], meta: { range: string; base: string; head: string }): Promise<RangeReport> {
  const warnings: string[] = [];
  const { facts, verdicts } = await gatherRangeFacts(ctx, commits);
  const result = evaluateRange(facts);
  const noted = new Set(facts.filter((f) => f.note).map((f) => f.commit));
  return {
    ...meta,
    commits: result.commits.map((v) => {
      const verdict = verdicts.get(v.commit);
      const surfaces = [...new Set(verdict?.files.flatMap((f) => f.surfaces) ?? [])].sort();
      return { ...v, surfaces, ...(verdict?.carve_out.applied ? { carveOut: 'doc-only' } : {}), hasNote: noted.has(v.commit) };
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
