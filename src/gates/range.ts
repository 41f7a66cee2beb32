/**
 * Gate C's enforcement that cannot be bypassed locally: `gate check --range <base>..<head>`.
 * Pure: commits (already classified) and their parsed approval notes in, findings out.
 *
 * For every commit, oldest first, every gated path it changes against its first parent must be
 * covered by an approval:
 *   - directly: a valid note on this commit whose `commit_tree` is the commit's tree and whose
 *     tier is at least the commit's tier; or
 *   - by content: the same blob of that path (or its deletion) was approved, at a tier at least
 *     as high as the path's tier, in a valid note on this commit or an earlier commit of the range
 *     (a rebase that leaves gated content alone keeps its approvals; a merge of approved work passes).
 * A note is valid when its embedded sidecar carries the approvals its tier requires, each bound to
 * the digest of the sidecar's explanation, and no rejection.
 */
import { TIER_RANK, type Tier } from '../schema/defaults.js';
import type { Finding } from './types.js';
import type { FileChange } from '../adapters/git.js';
import type { GatesConfig } from '../schema/defaults.js';
import { compileGlobs } from './glob.js';
import { frontMatter } from './adr-status.js';

export const ZERO_BLOB = '0000000000000000000000000000000000000000';

/** One gated (or not) path a commit changes, as classified against the first parent. */
export interface RangePath {
  path: string;
  tier: Tier;
  /** New content: the blob id, or ZERO_BLOB when the commit deletes the path (or renames it away). */
  blob: string;
}

export interface RangeCommitFacts {
  commit: string;
  tree: string;
  parents: string[];
  subject?: string;
  /** The commit's tier after the doc-only carve-out (AUTO when it applied). */
  tier: Tier;
  /** Every path the commit changes (old and new side of renames), with its tier. */
  paths: RangePath[];
  /** Carve-out reason when the commit passed as AUTO under the doc-only rule. */
  carveOut?: string;
  note?: NoteCheck;
  /** Accepted ADRs this commit modifies, deletes or renames (computed by the caller). */
  adrEdits?: { path: string; adr?: number; change: string }[];
}

/** A parsed approval note plus whether its sidecar proves the approvals its tier requires. */
export interface NoteCheck {
  commitTree: string;
  tier: Tier;
  files: { path: string; blob: string; tier: Tier }[];
  /** Empty when the note proves its approvals; otherwise what is missing or wrong. */
  problems: string[];
}

export type RangeViolationCode =
  | 'C_UNAPPROVED'
  | 'C_TIER_TOO_LOW'
  | 'C_NOTE_INVALID'
  | 'C_ADR_EDITED';

export interface RangeViolation {
  code: RangeViolationCode;
  commit: string;
  path?: string;
  requiredTier?: Tier;
  missing: string;
}

export interface CommitVerdict {
  commit: string;
  tree: string;
  subject?: string;
  tier: Tier;
  gated: number;
  /** 'tree' when a note on this commit matches its tree, 'content' when every path was covered by blob. */
  coveredBy?: 'tree' | 'content';
  violations: RangeViolation[];
}

export interface RangeResult {
  commits: CommitVerdict[];
  violations: RangeViolation[];
}

const rank = (t: Tier): number => TIER_RANK[t];

/** Evaluate the range. `commits` must be parents-before-children (rev-list --topo-order --reverse). */
export function evaluateRange(commits: readonly RangeCommitFacts[]): RangeResult {
  // path → blob → highest tier at which that exact content was approved so far in the range.
  const approved = new Map<string, Map<string, number>>();
  const verdicts: CommitVerdict[] = [];
  const all: RangeViolation[] = [];

  for (const c of commits) {
    const violations: RangeViolation[] = [];
    const note = c.note;
    const noteValid = note !== undefined && note.problems.length === 0;
    if (noteValid) {
      for (const f of note.files) {
        let byBlob = approved.get(f.path);
        if (!byBlob) approved.set(f.path, (byBlob = new Map()));
        const blob = f.blob || ZERO_BLOB;
        byBlob.set(blob, Math.max(byBlob.get(blob) ?? -1, rank(note.tier)));
      }
    }
    const gated = c.tier === 'AUTO' ? [] : c.paths.filter((p) => p.tier !== 'AUTO');
    let coveredBy: CommitVerdict['coveredBy'];
    if (gated.length > 0) {
      const treeMatch = note !== undefined && note.commitTree === c.tree;
      if (treeMatch && noteValid && rank(note.tier) >= rank(c.tier)) {
        coveredBy = 'tree';
      } else {
        for (const p of gated) {
          const have = approved.get(p.path)?.get(p.blob);
          if (have !== undefined && have >= rank(p.tier)) continue;
          if (have !== undefined) {
            violations.push({
              code: 'C_TIER_TOO_LOW',
              commit: c.commit,
              path: p.path,
              requiredTier: p.tier,
              missing: `this content was approved only at ${tierName(have)}; ${p.tier} is required`,
            });
          } else if (treeMatch && !noteValid) {
            violations.push({
              code: 'C_NOTE_INVALID',
              commit: c.commit,
              path: p.path,
              requiredTier: p.tier,
              missing: `the approval note for this tree does not prove its approvals: ${note!.problems.join('; ')}`,
            });
          } else if (treeMatch && noteValid) {
            violations.push({
              code: 'C_TIER_TOO_LOW',
              commit: c.commit,
              path: p.path,
              requiredTier: p.tier,
              missing: `the note approves this tree at ${note!.tier}; the commit needs ${c.tier}`,
            });
          } else {
            violations.push({
              code: 'C_UNAPPROVED',
              commit: c.commit,
              path: p.path,
              requiredTier: p.tier,
              missing: describeMissing(c, p, note),
            });
          }
        }
        if (violations.length === 0) coveredBy = 'content';
      }
    }
    for (const a of c.adrEdits ?? []) {
      violations.push({
        code: 'C_ADR_EDITED',
        commit: c.commit,
        path: a.path,
        requiredTier: 'DOUBLE_CONFIRM',
        missing: `accepted ADR${a.adr !== undefined ? ` ${a.adr}` : ''} was ${a.change}; accepted ADRs are immutable (supersede them with \`gate adr new --supersedes ${a.adr ?? 'N'}\`)`,
      });
    }
    verdicts.push({
      commit: c.commit,
      tree: c.tree,
      ...(c.subject !== undefined ? { subject: c.subject } : {}),
      tier: c.tier,
      gated: gated.length,
      ...(coveredBy ? { coveredBy } : {}),
      violations,
    });
    all.push(...violations);
  }
  return { commits: verdicts, violations: all };
}

function tierName(r: number): Tier {
  return (Object.entries(TIER_RANK).find(([, v]) => v === r)?.[0] ?? 'AUTO') as Tier;
}

function describeMissing(c: RangeCommitFacts, p: RangePath, note: NoteCheck | undefined): string {
  const what = p.blob === ZERO_BLOB ? 'its deletion' : `blob ${p.blob.slice(0, 12)}`;
  if (!note) return `no approval note on this commit, and ${what} was not approved earlier in the range (committed with --no-verify, or the notes ref was not fetched)`;
  const inNote = note.files.find((f) => f.path === p.path);
  if (note.problems.length) return `the note on this commit does not prove its approvals (${note.problems.join('; ')}), and ${what} was not approved earlier in the range`;
  if (inNote) return `the note approves blob ${(inNote.blob || ZERO_BLOB).slice(0, 12)} for tree ${note.commitTree.slice(0, 12)}, but this commit has ${what} (content changed after approval, e.g. an amend)`;
  return `the note on this commit (tree ${note.commitTree.slice(0, 12)}) does not cover this path, and ${what} was not approved earlier in the range`;
}

/** Findings for the CLI's shared renderer: one per violation, with the fix. */
export function rangeFindings(result: RangeResult): Finding[] {
  return result.violations.map((v) => ({
    gate: 'C',
    code: v.code,
    severity: 'block' as const,
    ...(v.path !== undefined ? { path: v.path } : {}),
    message: `commit ${v.commit.slice(0, 12)}${v.requiredTier ? ` needs ${v.requiredTier}` : ''}: ${v.missing}`,
    fix:
      v.code === 'C_ADR_EDITED'
        ? `revert the edit in a new commit (\`git revert ${v.commit.slice(0, 12)}\`) and supersede the ADR with \`gate adr new --supersedes N\``
        : `rebuild the commit through the gates: \`git reset --soft ${v.commit.slice(0, 12)}^\` (on your branch), then \`gate explain\`, have a person run \`gate approve\`, and commit again; in CI, make sure \`git fetch origin refs/notes/agent-gates:refs/notes/agent-gates\` ran`,
    data: { commit: v.commit, ...(v.requiredTier ? { requiredTier: v.requiredTier } : {}) },
  }));
}

/* ------------------------------------------------------------------ notes */

export interface SidecarApproval {
  step?: string;
  digest?: string;
  tree?: string;
}

/** What a tier's approvals must contain: CONFIRM one approval; DOUBLE_CONFIRM the intent and the diff step. */
export function requiredSteps(tier: Tier): string[][] {
  if (tier === 'DOUBLE_CONFIRM') return [['intent'], ['diff']];
  if (tier === 'CONFIRM') return [['confirm', 'intent', 'single', 'approve']];
  return [];
}

const HEX40 = /^[0-9a-f]{40}$/;
const TIER_SET = new Set<string>(['AUTO', 'CONFIRM', 'DOUBLE_CONFIRM']);

export type NoteParse = { ok: true; note: NoteCheck } | { ok: false; problem: string };

/**
 * Parse a note body and check its sidecar. A body that is not an agent-gates note at all
 * (not JSON, wrong shape) is `ok: false`: the caller cannot evaluate. A well-formed note whose
 * approvals do not prove its tier is `ok: true` with `problems`.
 *
 * `digestOf(sidecar)` is Gate B's digest of the sidecar's explanation.
 */
export function parseNote(body: string, digestOf: (sidecar: Record<string, unknown>) => string): NoteParse {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return { ok: false, problem: 'the note is not valid JSON' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, problem: 'the note is not a JSON object' };
  const n = v as Record<string, unknown>;
  if (n.agent_gates !== 1) return { ok: false, problem: `agent_gates: expected 1 (got ${JSON.stringify(n.agent_gates)})` };
  if (typeof n.commit_tree !== 'string' || !HEX40.test(n.commit_tree)) return { ok: false, problem: 'commit_tree: expected a 40-hex tree id' };
  if (typeof n.tier !== 'string' || !TIER_SET.has(n.tier)) return { ok: false, problem: 'tier: expected AUTO, CONFIRM or DOUBLE_CONFIRM' };
  if (!Array.isArray(n.files)) return { ok: false, problem: 'files: expected a list' };
  const files: NoteCheck['files'] = [];
  for (const [i, f] of (n.files as unknown[]).entries()) {
    const o = f as Record<string, unknown> | null;
    if (typeof o !== 'object' || o === null || typeof o.path !== 'string') return { ok: false, problem: `files[${i}]: expected {path, blob, tier}` };
    const blob = o.blob === null || o.blob === undefined || o.blob === '' ? ZERO_BLOB : o.blob;
    if (typeof blob !== 'string' || !HEX40.test(blob)) return { ok: false, problem: `files[${i}].blob: expected a 40-hex blob id or null` };
    const tier = typeof o.tier === 'string' && TIER_SET.has(o.tier) ? (o.tier as Tier) : (n.tier as Tier);
    files.push({ path: o.path, blob, tier });
  }
  const note: NoteCheck = { commitTree: n.commit_tree, tier: n.tier as Tier, files, problems: [] };
  if (note.tier === 'AUTO') return { ok: true, note };
  const sidecar = n.sidecar;
  if (typeof sidecar !== 'object' || sidecar === null || Array.isArray(sidecar)) {
    note.problems.push('the note carries no sidecar, so its approvals cannot be checked');
    return { ok: true, note };
  }
  note.problems.push(...sidecarProblems(sidecar as Record<string, unknown>, note, n.sidecar_digest, digestOf));
  return { ok: true, note };
}

function sidecarProblems(
  sc: Record<string, unknown>,
  note: NoteCheck,
  noteDigest: unknown,
  digestOf: (sidecar: Record<string, unknown>) => string,
): string[] {
  const problems: string[] = [];
  let digest: string;
  try {
    digest = digestOf(sc);
  } catch (e) {
    return [`the sidecar's explanation cannot be digested (${(e as Error).message})`];
  }
  if (typeof noteDigest === 'string' && noteDigest !== digest) problems.push('sidecar_digest does not match the sidecar\'s explanation (edited after approval)');
  if (typeof sc.tree === 'string' && sc.tree !== note.commitTree) problems.push(`the sidecar explains tree ${sc.tree.slice(0, 12)}, not the note's tree ${note.commitTree.slice(0, 12)}`);
  const rejections = Array.isArray(sc.rejections) ? sc.rejections : [];
  if (rejections.length > 0 || sc.rejected === true) problems.push('the sidecar was rejected');
  const approvals = (Array.isArray(sc.approvals) ? sc.approvals : []) as SidecarApproval[];
  const good = approvals.filter((a) => typeof a === 'object' && a !== null && a.digest === digest);
  const stale = approvals.length - good.length;
  if (stale > 0) problems.push(`${stale} approval${stale === 1 ? '' : 's'} carry a digest that does not match the explanation (edited after approval)`);
  const need = requiredSteps(note.tier);
  if (note.tier === 'CONFIRM') {
    if (good.length === 0) problems.push('CONFIRM needs one approval; the sidecar has none that matches');
  } else {
    const steps = new Set(good.map((a) => String(a.step ?? '')));
    for (const alts of need) if (!alts.some((s) => steps.has(s))) problems.push(`DOUBLE_CONFIRM needs the "${alts[0]}" approval step; it is missing`);
  }
  return problems;
}

/* ------------------------------------------------------------ classification */


export interface ClassifiedCommit {
  tier: Tier;
  paths: RangePath[];
  /** Names of the surfaces the commit's paths match (under any of the configs). */
  surfaces: string[];
  carveOut?: string;
  /** Why the doc-only carve-out did not apply to a CONFIRM commit. */
  escalated?: string;
}

const matcherCache = new WeakMap<GatesConfig, { name: string; tier: Tier; self: boolean; match: (p: string) => boolean }[]>();
function surfaceMatchers(cfg: GatesConfig) {
  let m = matcherCache.get(cfg);
  if (!m) {
    m = cfg.surfaces.map((s) => ({ name: s.name, tier: s.tier, self: s.self_reinforcing, match: compileGlobs(s.paths) }));
    matcherCache.set(cfg, m);
  }
  return m;
}

/** Surfaces (by name) a path matches under a config. */
export function surfacesOf(path: string, cfg: GatesConfig): string[] {
  return surfaceMatchers(cfg).filter((s) => s.match(path)).map((s) => s.name);
}

const MD = /\.(md|markdown|mdx)$/i;

/**
 * Classify a committed change against its first parent with the pre-commit rules: a path's tier is
 * the highest tier of the surfaces it matches under every config given (the strictest reading of
 * the config before and after the commit); the commit's tier is the highest over its paths; the
 * doc-only carve-out turns a CONFIRM commit into AUTO when every gated file is a modified Markdown
 * file with unchanged front matter and the changed lines stay within the limit.
 * `content(blob)` returns a blob's text (for the front-matter comparison).
 */
export function classifyCommit(
  changes: readonly FileChange[],
  configs: readonly GatesConfig[],
  content: (blob: string) => string | undefined,
): ClassifiedCommit {
  const paths: RangePath[] = [];
  const surfaces = new Set<string>();
  let tier: Tier = 'AUTO';
  let selfReinforcing = false;
  const gatedChanges: FileChange[] = [];
  const tierOf = (p: string): Tier => {
    let t: Tier = 'AUTO';
    for (const cfg of configs) {
      for (const s of surfaceMatchers(cfg)) {
        if (!s.match(p)) continue;
        surfaces.add(s.name);
        if (s.self) selfReinforcing = true;
        if (rank(s.tier) > rank(t)) t = s.tier;
      }
    }
    return t;
  };
  for (const c of changes) {
    const t = tierOf(c.path);
    paths.push({ path: c.path, tier: t, blob: c.status === 'D' ? ZERO_BLOB : c.newBlob });
    let ct = t;
    if ((c.status === 'R') && c.oldPath !== undefined && c.oldPath !== c.path) {
      const ot = tierOf(c.oldPath);
      paths.push({ path: c.oldPath, tier: ot, blob: ZERO_BLOB });
      if (rank(ot) > rank(ct)) ct = ot;
    }
    if (ct !== 'AUTO') gatedChanges.push(c);
    if (rank(ct) > rank(tier)) tier = ct;
  }
  const out: ClassifiedCommit = { tier, paths, surfaces: [...surfaces].sort() };
  if (tier !== 'CONFIRM') return out;
  const cfg = configs[0];
  const why = carveOutProblem(gatedChanges, cfg, selfReinforcing, content);
  if (why) out.escalated = why;
  else {
    out.tier = 'AUTO';
    out.carveOut = 'doc-only';
  }
  return out;
}

function carveOutProblem(
  gated: readonly FileChange[],
  cfg: GatesConfig | undefined,
  selfReinforcing: boolean,
  content: (blob: string) => string | undefined,
): string | undefined {
  if (!cfg || !cfg.doc_only.enabled) return 'disabled';
  if (selfReinforcing) return 'self_reinforcing';
  let lines = 0;
  for (const c of gated) {
    if (!MD.test(c.path)) return 'non_markdown';
    if (c.status !== 'M') return c.status === 'A' ? 'added' : c.status === 'D' ? 'deleted' : c.status === 'R' ? 'renamed' : 'mode_or_type';
    if (c.oldMode !== c.newMode) return 'mode_or_type';
    if (c.added === undefined || c.deleted === undefined) return 'binary';
    lines += c.added + c.deleted;
    const before = content(c.oldBlob);
    const after = content(c.newBlob);
    if (before === undefined || after === undefined) return 'unreadable';
    if ((frontMatter(before) ?? null) !== (frontMatter(after) ?? null)) return 'front_matter';
  }
  if (lines > cfg.doc_only.max_changed_lines) return 'too_many_lines';
  return undefined;
}
