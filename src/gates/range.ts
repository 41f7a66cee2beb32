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
 * A merge is only asked about content that none of its parents had (a conflict resolution or an
 * "evil merge"): what it takes unchanged from another parent was checked with that parent.
 * A note is valid when its embedded sidecar carries the approvals its tier requires, each bound to
 * the digest of the sidecar's explanation, and no rejection.
 */
import { TIER_RANK, type Tier } from '../schema/defaults.js';
import type { Finding } from './types.js';

export const ZERO_BLOB = '0000000000000000000000000000000000000000';

/** One gated (or not) path a commit changes, as classified against the first parent. */
export interface RangePath {
  path: string;
  tier: Tier;
  /** New content: the blob id, or ZERO_BLOB when the commit deletes the path (or renames it away). */
  blob: string;
  /**
   * For a merge: another parent already has exactly this content at this path, so the merge brings
   * nothing new here (that parent is either in the range and checked itself, or in the base's history).
   */
  inherited?: boolean;
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
}

/** A parsed approval note plus whether its sidecar proves the approvals its tier requires. */
export interface NoteCheck {
  commitTree: string;
  tier: Tier;
  files: { path: string; blob: string; tier: Tier }[];
  /** Empty when the note proves its approvals; otherwise what is missing or wrong. */
  problems: string[];
}

/** C_* from the approval check; ADR_* codes come from `gate adr check` (accepted ADRs unchanged). */
export type RangeViolationCode = 'C_UNAPPROVED' | 'C_TIER_TOO_LOW' | 'C_NOTE_INVALID' | `ADR_${string}`;

export interface RangeViolation {
  code: RangeViolationCode;
  commit: string;
  path?: string;
  requiredTier?: Tier;
  missing: string;
  /** The exact fix, when the producer knows a better one than the default. */
  fix?: string;
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
    const gated = c.tier === 'AUTO' ? [] : c.paths.filter((p) => p.tier !== 'AUTO' && !p.inherited);
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
      v.fix ?? `rebuild the commit through the gates: \`git reset --soft ${v.commit.slice(0, 12)}^\` (on your branch), then \`gate explain\`, have a person run \`gate approve\`, and commit again; in CI, make sure \`git fetch origin refs/notes/agent-gates:refs/notes/agent-gates\` ran`,
    data: { commit: v.commit, ...(v.requiredTier ? { requiredTier: v.requiredTier } : {}) },
  }));
}

/* ------------------------------------------------------------------ notes */

/** What Gate B's sidecar schema says about the sidecar embedded in a note. */
export type SidecarCheck =
  | {
      ok: true;
      /** Gate B's explanation digest (schema/sidecar.ts explanationDigest). */
      digest: string;
      tree: string;
      approvals: ReadonlyArray<{ step: string; tier: string; tree: string; digest: string }>;
      rejections: number;
    }
  | { ok: false; problems: string[] };

const HEX40 = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;
const TIER_SET = new Set<string>(['AUTO', 'CONFIRM', 'DOUBLE_CONFIRM']);

export type NoteParse = { ok: true; note: NoteCheck } | { ok: false; problem: string };

/**
 * Parse a note body and check its sidecar. A body that is not an agent-gates note at all
 * (not JSON, wrong shape) is `ok: false`: the caller cannot evaluate. A well-formed note whose
 * approvals do not prove its tier is `ok: true` with `problems`.
 *
 * `checkSidecar` validates the embedded sidecar with Gate B's schema and computes its digest;
 * `requiredSteps(tier)` is Gate B's list of approval steps a tier needs.
 */
export function parseNote(body: string, checkSidecar: (doc: unknown) => SidecarCheck, requiredSteps: (tier: Tier) => readonly string[]): NoteParse {
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
  if (typeof n.sidecar !== 'object' || n.sidecar === null || Array.isArray(n.sidecar)) {
    note.problems.push('the note carries no sidecar, so its approvals cannot be checked');
    return { ok: true, note };
  }
  const sc = checkSidecar(n.sidecar);
  if (!sc.ok) {
    note.problems.push(`the sidecar in the note is invalid (${sc.problems.slice(0, 3).join('; ')})`);
    return { ok: true, note };
  }
  note.problems.push(...sidecarProblems(sc, note, n.sidecar_digest, requiredSteps));
  return { ok: true, note };
}

function sidecarProblems(sc: Extract<SidecarCheck, { ok: true }>, note: NoteCheck, noteDigest: unknown, requiredSteps: (tier: Tier) => readonly string[]): string[] {
  const problems: string[] = [];
  if (noteDigest !== sc.digest) problems.push('sidecar_digest does not match the sidecar\'s explanation (edited after approval)');
  if (sc.tree !== note.commitTree) problems.push(`the sidecar explains tree ${sc.tree.slice(0, 12)}, not the note's tree ${note.commitTree.slice(0, 12)}`);
  if (sc.rejections > 0) problems.push('the sidecar was rejected');
  const good = sc.approvals.filter((a) => a.digest === sc.digest && a.tree === sc.tree && rank(a.tier as Tier) >= rank(note.tier));
  const stale = sc.approvals.filter((a) => a.digest !== sc.digest).length;
  if (stale > 0) problems.push(`${stale} approval${stale === 1 ? '' : 's'} carry a digest that does not match the explanation (edited after approval)`);
  const steps = new Set(good.map((a) => a.step));
  for (const step of requiredSteps(note.tier)) if (!steps.has(step)) problems.push(`${note.tier} needs the "${step}" approval step; it is missing`);
  return problems;
}
