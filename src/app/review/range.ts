/**
 * `gate check --range <base>..<head>`: the CI check that catches what local hooks cannot stop
 * (`--no-verify`, `HUSKY=0`, a push from a machine without the hooks, hand-written notes).
 * Gathers facts through the git adapter in a few batched git processes (one `diff-tree --stdin`
 * for every commit of the range, one `cat-file --batch` for the notes, one for configs) and hands
 * them to the pure evaluator in gates/range.ts. docs/security.md states what it guarantees.
 */
import { GateError } from '../../kernel/errors.js';
import { NOTES_REF, parseDiffTreeBatch } from '../../adapters/git.js';
import { type CommitInfo, type FileChange } from '../../kernel/changes.js';
import { CONFIG_PATH } from '../../adapters/config-file.js';
import { defaultConfig, type GatesConfig, type Tier } from '../../schema/config/defaults.js';
import { evaluateRange, rangeFindings, type Approval, type CommitVerdict, type PathChange, type RangeCommitFacts, type RangeViolation } from '../../gates/range.js';
import type { SidecarCheck } from '../../gates/range-notes.js';
import type { Finding } from '../../kernel/findings.js';
import type { Ctx } from '../context.js';
import type { RangeLeaseReport } from './range-leases.js';

export interface RangeReport {
  range: string;
  base: string;
  head: string;
  commits: (CommitVerdict & { hasNote: boolean })[];
  violations: RangeViolation[];
  findings: Finding[];
  /** Notes ignored (unreadable, invalid, contradicting their signatures) and similar: never a failure. */
  warnings: string[];
  /** Whether approvals had to be signed for some commit of the range. */
  signaturesRequired: boolean;
  /** With handoff.remote at the base (`gate check --range` only): the handoff changes checked against the remote's lease history. */
  leases?: Omit<RangeLeaseReport, 'violations'>;
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

/** Gate B's sidecar schema and digest, as the pure note reader wants them. */
async function sidecarChecker(): Promise<(doc: unknown) => SidecarCheck> {
  const { validateSidecar } = await import('../../schema/sidecar/schema.js');
  return (doc) => {
    const r = validateSidecar(doc);
    if (!r.ok) return { ok: false, problems: r.problems };
    return {
      ok: true,
      digest: r.digest,
      tree: r.sidecar.tree,
      tier: r.sidecar.tier,
      files: r.sidecar.files,
      approvals: r.sidecar.approvals.map((a) => ({ step: a.step, tier: a.tier, tree: a.tree, digest: a.digest, method: a.method, ...(a.signature !== undefined ? { signature: a.signature } : {}) })),
      rejections: r.sidecar.rejections.length,
    };
  };
}

const isZero = (b: string): boolean => /^0+$/.test(b);

function toPathChange(c: FileChange): PathChange {
  return {
    path: c.path,
    status: c.status,
    oldMode: isZero(c.oldBlob) && c.oldMode === '000000' ? '000000' : c.oldMode,
    newMode: c.newMode,
    oldBlob: c.oldBlob,
    newBlob: c.newBlob,
    ...(c.added !== undefined ? { added: c.added } : {}),
    ...(c.deleted !== undefined ? { deleted: c.deleted } : {}),
  };
}

/** Parse a committed config; undefined when it is not valid (the base's then governs). */
async function parseCommittedConfig(bytes: Buffer): Promise<GatesConfig | undefined> {
  const { parseConfigText } = await import('../../adapters/config-file.js');
  try {
    return await parseConfigText(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The base's config: defaults when it has none; an invalid one cannot be judged from (exit 3). */
async function baseConfig(ctx: Ctx, base: string): Promise<GatesConfig> {
  const bytes = ctx.git.readBlob(`${base}:${CONFIG_PATH}`);
  if (!bytes) return defaultConfig();
  const { parseConfigText } = await import('../../adapters/config-file.js');
  return parseConfigText(bytes.toString('utf8'), `${CONFIG_PATH} at the range base ${base.slice(0, 12)}`);
}

/**
 * Facts for commits (parents before children): each commit's changes against its first parent
 * (and, for merges, which paths differ from every other parent), the config committed in it, and
 * the approvals its note carries. Three batched git processes plus one per distinct config.
 */
export async function gatherRangeFacts(ctx: Ctx, commits: readonly CommitInfo[]): Promise<{ facts: RangeCommitFacts[]; warnings: string[]; otherApprovals: Approval[] }> {
  const [{ readNote }, { requiredSteps }, checkSidecar] = await Promise.all([import('../../gates/range-notes.js'), import('../../gates/classify.js'), sidecarChecker()]);
  const lines: string[] = [];
  for (const c of commits) {
    if (c.parents.length === 0) lines.push(c.commit);
    for (const p of c.parents) lines.push(`${c.commit} ${p}`);
  }
  const records = parseDiffTreeBatch(ctx.git.diffTreeBatch(lines));
  let r = 0;
  const byCommit = new Map<string, { first: FileChange[]; others: Set<string>[] }>();
  for (const c of commits) {
    const n = Math.max(1, c.parents.length);
    const recs = records.slice(r, r + n);
    r += n;
    if (recs.length !== n || recs.some((x) => x.commit !== c.commit)) {
      throw new Error(`git diff-tree answered out of order for commit ${c.commit.slice(0, 12)} (a bug: please report it with \`git --version\`)`);
    }
    byCommit.set(c.commit, { first: recs[0]!.changes, others: recs.slice(1).map((x) => new Set(x.changes.map((ch) => ch.path))) });
  }

  // the config committed in each commit: follow the first parent, read each distinct blob once
  const inRange = new Set(commits.map((c) => c.commit));
  const outside = [...new Set(commits.flatMap((c) => (c.parents[0] && !inRange.has(c.parents[0]) ? [c.parents[0]] : [])))];
  const outsideCfg = ctx.git.readObjects(outside.map((p) => `${p}:${CONFIG_PATH}`));
  const cfgBlobAt = new Map<string, string | undefined>();
  for (const p of outside) {
    const o = outsideCfg.get(`${p}:${CONFIG_PATH}`);
    cfgBlobAt.set(p, o && o.type === 'blob' ? `obj:${p}` : undefined);
  }
  const cfgBodies = new Map<string, Buffer>();
  for (const p of outside) {
    const o = outsideCfg.get(`${p}:${CONFIG_PATH}`);
    if (o && o.type === 'blob') cfgBodies.set(`obj:${p}`, o.body);
  }
  for (const c of commits) {
    const ch = byCommit.get(c.commit)!.first.find((x) => x.path === CONFIG_PATH);
    if (ch) cfgBlobAt.set(c.commit, isZero(ch.newBlob) || ch.newMode.startsWith('12') ? undefined : ch.newBlob);
    else cfgBlobAt.set(c.commit, c.parents[0] ? cfgBlobAt.get(c.parents[0]) : undefined);
  }
  const wanted = [...new Set([...cfgBlobAt.values()].filter((b): b is string => b !== undefined && !b.startsWith('obj:')))];
  for (const [id, body] of ctx.git.readBlobs(wanted)) cfgBodies.set(id, body);
  const configs = new Map<string, GatesConfig | undefined>();
  for (const [key, body] of cfgBodies) configs.set(key, await parseCommittedConfig(body));

  // notes, read in one batch: those on the commits of the range, and (as further evidence) every
  // other note under the approval refs that mentions a path the range changes
  const warnings: string[] = [];
  const noteBlobs = new Map<string, string>();
  const otherBlobs = new Map<string, string>(); // note blob → a commit carrying it
  for (const ref of approvalNoteRefs(ctx)) {
    for (const [commit, blob] of ctx.git.notesMap(ref)) {
      if (inRange.has(commit)) {
        if (!noteBlobs.has(commit)) noteBlobs.set(commit, blob);
        else if (noteBlobs.get(commit) !== blob) otherBlobs.set(blob, commit);
      } else if (!otherBlobs.has(blob)) otherBlobs.set(blob, commit);
    }
  }
  const bodies = ctx.git.readBlobs([...new Set([...noteBlobs.values(), ...otherBlobs.keys()])]);
  const changedPaths = new Set<string>();
  for (const d of byCommit.values()) for (const ch of d.first) changedPaths.add(ch.path);
  const otherApprovals: Approval[] = [];
  for (const [blob, commit] of otherBlobs) {
    const body = bodies.get(blob)?.toString('utf8');
    // a note that names none of the range's paths cannot cover any of its changes: not parsed. One
    // pass over the note's "path" fields (an approval names only paths its sidecar's files list),
    // never a scan per changed path: notes and changed paths are both the agent's to multiply
    if (body === undefined || !namesAnyPath(body, changedPaths)) continue;
    const read = readNote(body, commit, { checkSidecar, requiredSteps });
    otherApprovals.push(...read.approvals);
  }

  const facts: RangeCommitFacts[] = [];
  for (const c of commits) {
    const d = byCommit.get(c.commit)!;
    const cfgKey = cfgBlobAt.get(c.commit);
    const f: RangeCommitFacts = {
      commit: c.commit,
      tree: c.tree,
      parents: c.parents,
      subject: c.subject,
      changes: d.first.map(toPathChange),
      ...(d.others.length ? { differsFrom: d.others } : {}),
      approvals: [],
      hasNote: noteBlobs.has(c.commit),
    };
    const cfg = cfgKey ? configs.get(cfgKey) : undefined;
    if (cfg) f.config = cfg;
    const nb = noteBlobs.get(c.commit);
    if (nb) {
      const body = bodies.get(nb);
      if (body === undefined) warnings.push(`the note on ${c.commit.slice(0, 12)} is ignored: its blob cannot be read`);
      else {
        const read = readNote(body.toString('utf8'), c.commit, { checkSidecar, requiredSteps });
        f.approvals = read.approvals;
        warnings.push(...read.warnings);
      }
    }
    facts.push(f);
  }
  return { facts, warnings, otherApprovals };
}

const PATH_FIELD = /"(?:old_)?path"\s*:\s*"((?:[^"\\\n]|\\.)*)"/g;

/** Whether a note body has a `"path"` or `"old_path"` field whose value is one of `paths`. */
export function namesAnyPath(body: string, paths: ReadonlySet<string>): boolean {
  for (const m of body.matchAll(PATH_FIELD)) {
    let p: unknown;
    try {
      p = JSON.parse(`"${m[1]}"`);
    } catch {
      continue;
    }
    if (typeof p === 'string' && paths.has(p)) return true;
  }
  return false;
}

/**
 * The notes refs approvals are read from: refs/notes/agent-gates, and the remote-tracking copies
 * `git fetch` keeps under refs/notes/remotes/<remote>/agent-gates (a teammate's or a fork's notes).
 */
export function approvalNoteRefs(ctx: Ctx): string[] {
  const tracking = ctx.git.refTips(['refs/notes/remotes']).map((r) => r.ref).filter((r) => r.endsWith('/agent-gates')).sort();
  return [NOTES_REF, ...tracking];
}

/** `gate adr check`'s history rule at `head`: every accepted record equals its first accepted version. */
async function adrViolations(ctx: Ctx, base: string, head: string, inRange: ReadonlySet<string>): Promise<RangeViolation[]> {
  const [{ adrDir, adrHistory }, { historyFindings, normaliseDir }] = await Promise.all([import('../adr/records.js'), import('../../gates/adr.js')]);
  // the ADR directory the base's config names (the head's checkout is the change under review)
  const dir = base ? normaliseDir((await baseConfig(ctx, base)).adr.dir) : await adrDir(ctx);
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

/** Check every commit in base..head. Exit semantics: violations → 1; an unusable base throws (3). */
export async function checkRange(ctx: Ctx, spec: string): Promise<RangeReport> {
  const { base, head } = parseRangeSpec(spec);
  const baseId = resolveCommit(ctx, base, spec);
  const headId = resolveCommit(ctx, head, spec);
  const commits = ctx.git.commitInfos([`${baseId}..${headId}`], ['--topo-order', '--reverse']);
  return checkCommits(ctx, commits, { range: spec, base: baseId, head: headId }, { leases: true });
}

/**
 * Everything `gate check --range` checks, over given commits (parents before children): the
 * approvals (signed where required) and accepted ADRs unchanged at `head`. `gate review` runs it
 * over the window's commits; `onlyInRange` drops ADR findings whose offending commit is outside.
 */
export async function checkCommits(
  ctx: Ctx,
  commits: readonly CommitInfo[],
  meta: { range: string; base: string; head: string },
  opts: { onlyInRange?: boolean; leases?: boolean } = {},
): Promise<RangeReport> {
  const { report, facts, config } = await evaluateCommitsWithFacts(ctx, commits, meta);
  const inRange = new Set(commits.map((c) => c.commit));
  if (opts.leases) {
    // Gate A across clones (ADR 0026): the base's handoff.remote decides; no remote, no network
    const { checkRangeLeases } = await import('./range-leases.js');
    const leases = checkRangeLeases(ctx, config, facts, approvalNoteRefs(ctx));
    if (leases) {
      const { violations, ...rest } = leases;
      report.leases = rest;
      if (violations.length) {
        report.violations.push(...violations);
        report.findings.push(...rangeFindings({ violations }));
        for (const v of violations) report.commits.find((c) => c.commit === v.commit)?.violations.push(v);
        report.ok = false;
      }
    }
  }
  const adr = (await adrViolations(ctx, meta.base, meta.head, inRange)).filter((v) => !opts.onlyInRange || inRange.has(v.commit));
  if (adr.length) {
    report.violations.push(...adr);
    report.findings.push(...rangeFindings({ violations: adr }));
    for (const v of adr) report.commits.find((c) => c.commit === v.commit)?.violations.push(v);
    report.ok = false;
  }
  return report;
}

/** The approval check over given commits (parents before children); also used by `gate review`. */
export async function evaluateCommits(ctx: Ctx, commits: readonly CommitInfo[], meta: { range: string; base: string; head: string }): Promise<RangeReport> {
  return (await evaluateCommitsWithFacts(ctx, commits, meta)).report;
}

async function evaluateCommitsWithFacts(ctx: Ctx, commits: readonly CommitInfo[], meta: { range: string; base: string; head: string }): Promise<{ report: RangeReport; facts: RangeCommitFacts[]; config: GatesConfig }> {
  const { facts, warnings, otherApprovals } = await gatherRangeFacts(ctx, commits);
  const base = meta.base;
  const config = base ? await baseConfig(ctx, base) : defaultConfig();
  const signersText = base ? ctx.git.readBlob(`${base}:${config.approval.allowed_signers}`)?.toString('utf8') : undefined;
  let baseTree: Map<string, { mode: string; blob: string }> | undefined;
  const head = base && meta.head ? headAgainstMergeBase(ctx, base, meta.head) : undefined;
  const result = evaluateRange({
    ...(head ? { head } : {}),
    base: { commit: base, config, signersText, root: base ? (ctx.git.firstParentRoot(base) ?? null) : null },
    commits: facts,
    otherApprovals,
    now: ctx.now().getTime(),
    lookups: {
      readBlobs: (ids) => ctx.git.readBlobs(ids),
      baseVersion: (path) => {
        if (!base) return undefined;
        baseTree ??= ctx.git.lsTreeAll(base);
        return baseTree.get(path);
      },
    },
  });
  const noted = new Set(facts.filter((f) => f.hasNote).map((f) => f.commit));
  const { strictestPolicy } = await import('../../gates/range.js');
  const signaturesRequired = strictestPolicy([config, ...facts.flatMap((f) => (f.config ? [f.config] : []))]).require;
  const report: RangeReport = {
    ...meta,
    commits: result.commits.map((v) => ({ ...v, hasNote: noted.has(v.commit) })),
    violations: result.violations,
    findings: rangeFindings(result),
    warnings,
    signaturesRequired,
    ok: result.violations.length === 0,
  };
  return { report, facts, config };
}

/**
 * The head's changes against merge-base(base, head) (the empty tree when they share no history):
 * what landing the head does to the base, whatever its commits' first parents say.
 */
function headAgainstMergeBase(ctx: Ctx, base: string, head: string): { commit: string; changes: PathChange[] } {
  const mb = ctx.git.exec(['merge-base', base, head]);
  const from = mb.code === 0 ? mb.stdout.toString('utf8').trim().split('\n')[0]! : undefined;
  if (!from) {
    const all = [...ctx.git.lsTreeAll(head)].map(([path, v]): PathChange => ({ path, status: 'A', oldMode: '000000', oldBlob: '0'.repeat(v.blob.length), newMode: v.mode, newBlob: v.blob }));
    return { commit: head, changes: all };
  }
  const rec = parseDiffTreeBatch(ctx.git.diffTreeBatch([`${head} ${from}`]))[0];
  return { commit: head, changes: (rec?.changes ?? []).map(toPathChange) };
}

/** One line per commit for the text output. */
export function rangeSummaryLines(r: RangeReport): string[] {
  const out = [`range ${r.range}: ${r.commits.length} commit${r.commits.length === 1 ? '' : 's'} checked, ${r.violations.length} violation${r.violations.length === 1 ? '' : 's'}`];
  if (r.leases) {
    const bad = r.violations.filter((v) => v.code.startsWith('C_LEASE_')).length;
    out.push(`  leases: ${r.leases.required} handoff change${r.leases.required === 1 ? '' : 's'} checked against the lease history on "${r.leases.remote}" (${r.leases.checked.length} confirmed${bad ? `, ${bad} not` : ''})`);
  }
  for (const c of r.commits) {
    const status = c.violations.length ? 'FAIL' : 'ok  ';
    const by: Record<string, string> = { note: 'its note', range: 'approvals in the notes', chain: 'a chain of approved changes',  merge: 'taken from an approved or base version', 'carve-out': 'doc-only carve-out' };
    const why = c.violations.length
      ? `${c.violations.length} violation${c.violations.length === 1 ? '' : 's'}`
      : c.gated === 0
        ? c.carveOut
          ? `AUTO (carve-out: ${c.carveOut})`
          : 'AUTO'
        : `${c.tier}, approved (${by[c.coveredBy ?? 'note'] ?? c.coveredBy})`;
    out.push(`  ${status} ${c.commit.slice(0, 12)} ${why}${c.subject ? `  ${c.subject.slice(0, 60)}` : ''}`);
  }
  return out;
}

export type { Tier };
