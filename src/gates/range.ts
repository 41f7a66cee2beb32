/**
 * Gate C's enforcement that an agent cannot switch off: `gate check --range <base>..<head>`.
 * Pure: the range's commits (their changes, committed configs, parsed approvals) and the base's
 * trust in, verdicts and findings out. The only outside calls are the two lookups in `RangeLookups`
 * (blob contents and the base's version of a path), which the caller batches.
 *
 * The invariant (docs/security.md states it for people; this file is its direct expression):
 *
 *   `B..H` passes only if every change to a governed path that H's history adds on top of B is
 *   covered by an approval that names that exact change (path, old blob and mode → new blob and
 *   mode) at a tier at least the one required, and, where signatures are required, whose signed
 *   payload says so and verifies against a signer trusted at B or added by an allowed_signers
 *   change that was itself so approved on the way.
 *
 * How each commit C of the range (parents before children) is judged:
 *   - Policy: the strictest of the base's config, every config committed in C or in an in-range
 *     ancestor of C (a config can only add strictness here; a missing or invalid one adds nothing,
 *     so a root commit or a broken config is judged under the base's). The base's allowed_signers
 *     file is governed as self-reinforcing whatever the configs say.
 *   - Trust: the signers listed at the base, plus every allowed_signers version whose own change
 *     was covered by an approval on an in-range ancestor of C.
 *   - Changes: C against its first parent (a root commit against the empty tree), path by path
 *     (renames are a deletion and an addition). Each governed change needs an approval of exactly
 *     that transition, from any note in the range (the carrier does not matter; what the approval
 *     names does), usable under C's policy: signed, by a trusted signer, strong enough, signed no
 *     longer ago than approval.max_age before the check's clock and not in the future.
 *   - Merges: a governed path whose content differs from the first parent is also covered when
 *     another parent has exactly that content and it is either a version approved on an in-range
 *     ancestor, or the base's own version while the first parent's version was not made in the
 *     range (bringing the base in, never rolling an approved change back, never an old ancestor's).
 *   - Doc-only carve-out: a CONFIRM commit that the per-commit carve-out passes as AUTO passes
 *     only if each carved path is also within the carve-out from its base version or from a
 *     version approved on an in-range ancestor (cumulative, so slices do not add up unseen).
 */
import { classify, type ContentsByPath, type FileContents } from './classify.js';
import type { FileChange } from '../kernel/changes.js';
import { TIER_RANK, parseDuration, type ApprovalStrength, type GatesConfig, type Surface, type Tier } from '../schema/config/defaults.js';
import type { Finding } from '../kernel/findings.js';
import { matchSigner, parseAllowedSigners, type AllowedSigner } from '../signing/allowed-signers.js';
import { APPROVAL_NAMESPACE, type SshPublicKey } from '../signing/sshsig.js';
import { STRENGTH_RANK, signatureRequired, strongest } from '../signing/strength.js';
import { frontMatter } from './classify.js';
import { judgeTypoEdit } from './carve-out.js';
import { BYTES_PER_LINE, changedBytes, changedLines } from './line-count.js';
import { ZERO_BLOB } from '../kernel/ids.js';
import { compileGlobs } from '../kernel/glob.js';

export { changedLines } from './line-count.js';
export const ABSENT_MODE = '000000';
/** A signed approval time this far ahead of the check's clock is still accepted (clock skew). */
export const FUTURE_SKEW_MS = 5 * 60_000;

/** One path's change in a commit, as git's raw diff reports it (no rename detection, so no old path). */
export type PathChange = Omit<FileChange, 'oldPath' | 'similarity'>;

/** What an approval names for one path: old blob and mode → new blob and mode. */
export interface Transition {
  path: string;
  oldMode: string;
  oldBlob: string;
  newMode: string;
  newBlob: string;
}

export const transitionKey = (t: Transition): string => `${t.path}\0${t.oldMode}\0${t.oldBlob}\0${t.newMode}\0${t.newBlob}`;
const versionKey = (mode: string, blob: string): string => (mode === ABSENT_MODE || /^0+$/.test(blob) ? 'absent' : `${mode}:${blob}`);

/** One signed step of an approval, already verified (signature and canonical payload). */
export interface SignedStep {
  step: 'confirm' | 'intent' | 'diff';
  principal: string;
  key: SshPublicKey;
  /** The signed approval time (ms). */
  at: number;
  strength: ApprovalStrength;
}

/** One approval found in a note, normalised to the transitions it names. */
export interface Approval {
  /** The commit whose note carries it (any commit of the range may carry any approval). */
  source: string;
  /** 'signed': everything below comes from signed payloads; 'unsigned': from the note's sidecar. */
  kind: 'signed' | 'unsigned';
  tier: Tier;
  transitions: Transition[];
  /** Signed only: every step it took (each must be trusted), and the repository root it was signed for. */
  steps?: SignedStep[];
  root?: string | null;
}

export interface RangeCommitFacts {
  commit: string;
  tree: string;
  parents: string[];
  subject?: string;
  /** Against the first parent (the empty tree for a root commit). */
  changes: PathChange[];
  /** Merges: for parents[1..], the paths where this commit differs from that parent. */
  differsFrom?: ReadonlyArray<ReadonlySet<string>>;
  /** The config committed in this commit, when present and valid. */
  config?: GatesConfig;
  /** Approvals read from the note on this commit (already verified where signed). */
  approvals: Approval[];
  hasNote: boolean;
}

export interface RangeBase {
  commit: string;
  config: GatesConfig;
  /** allowed_signers as committed at the base (the base config's path), undefined when absent. */
  signersText: string | undefined;
  /** The base's first-parent root commit: a signed approval must name this repository. */
  root: string | null;
}

export interface RangeLookups {
  /** Raw bytes of blobs (one batch); missing ids are absent. */
  readBlobs(ids: readonly string[]): ReadonlyMap<string, Buffer>;
  /** The base's mode and blob of a path, undefined when the base has no such path. */
  baseVersion(path: string): { mode: string; blob: string } | undefined;
}

export interface RangeInput {
  base: RangeBase;
  commits: readonly RangeCommitFacts[];
  /** The check's clock (ms): approval.max_age is measured against it, never a commit date. */
  now: number;
  lookups: RangeLookups;
  /**
   * Approvals from notes on commits outside the range (the pre-squash commits of a branch, the
   * original of a rebased or cherry-picked commit, a fork's notes). Positive evidence like any
   * other: they count only where they name exactly the change a commit of the range makes.
   */
  otherApprovals?: readonly Approval[];
  /**
   * The head's tree against merge-base(base, head): every governed path it changes must hold the
   * base's (or merge-base's) version or one reached from it by covered transitions in the range
   * (so a merge whose first parent is an old commit cannot roll the base back unseen).
   */
  head?: { commit: string; changes: readonly PathChange[] };
}

export type RangeViolationCode =
  | 'C_UNAPPROVED'
  | 'C_TIER_TOO_LOW'
  | 'C_UNSIGNED'
  | 'C_UNTRUSTED_SIGNER'
  | 'C_WRONG_REPOSITORY'
  | 'C_WEAK_SIGNATURE'
  | 'C_APPROVAL_EXPIRED'
  | 'C_APPROVAL_FUTURE'
  | 'C_MERGE_UNAPPROVED'
  | 'C_HEAD_UNAPPROVED'
  | 'C_PARTIAL_APPROVAL'
  | 'C_CARVE_OUT_EXCEEDED'
  | 'C_NOTE_INVALID'
  | 'C_LINK_ESCAPE'
  | 'C_HANDOFF_LINK'
  | 'C_LEASE_MISSING'
  | 'C_LEASE_UNKNOWN'
  | 'C_LEASE_MISMATCH'
  | 'C_LEASE_TOKEN_BACKWARDS'
  | `ADR_${string}`;

export interface RangeViolation {
  code: RangeViolationCode;
  commit: string;
  path?: string;
  requiredTier?: Tier;
  /** The transition that needs an approval. */
  transition?: { old: string; new: string };
  missing: string;
  /** The exact fix, when the producer knows a better one than the default. */
  fix?: string;
}

export interface CommitVerdict {
  commit: string;
  tree: string;
  subject?: string;
  tier: Tier;
  /** Governed paths this commit changes against its first parent. */
  gated: number;
  /**
   * How its governed changes were covered ('note': approvals on this commit; 'range': some from
   * other notes; 'chain': a chain of approved changes, as after a squash; 'merge': taken from
   * another parent).
   */
  coveredBy?: 'note' | 'range' | 'chain' | 'merge' | 'carve-out';
  carveOut?: string;
  surfaces: string[];
  violations: RangeViolation[];
}

export interface RangeResult {
  commits: CommitVerdict[];
  violations: RangeViolation[];
}

const rank = (t: Tier): number => TIER_RANK[t];

/* ------------------------------------------------------------------ policy */

/** The policy a commit is judged under (the strictest of several configs). */
export interface RangePolicy {
  config: GatesConfig;
  require: boolean;
  minStrength: ApprovalStrength;
  maxAgeMs: number;
}

/**
 * The strictest of configs (the first is the base's): the union of surfaces, the carve-out only
 * if all enable it with the lowest threshold, signatures if any requires them, the strongest
 * min_strength, the shortest max_age. allowed_signers stays the base's path, governed here.
 */
export function strictestPolicy(configs: readonly GatesConfig[]): RangePolicy {
  const base = configs[0]!;
  const seen = new Set<string>();
  const surfaces: Surface[] = [];
  const signers: Surface = { name: 'allowed-signers', paths: [base.approval.allowed_signers], tier: 'DOUBLE_CONFIRM', self_reinforcing: true };
  for (const s of [...configs.flatMap((c) => c.surfaces), signers]) {
    const key = JSON.stringify([s.name, s.tier, s.self_reinforcing, s.paths]);
    if (seen.has(key)) continue;
    seen.add(key);
    surfaces.push(s);
  }
  let require = false;
  let minStrength: ApprovalStrength = 'terminal';
  let maxAgeMs = Number.POSITIVE_INFINITY;
  let enabled = true;
  let maxLines = Number.POSITIVE_INFINITY;
  for (const c of configs) {
    require ||= signatureRequired(c.approval);
    minStrength = strongest(minStrength, c.approval.min_strength);
    maxAgeMs = Math.min(maxAgeMs, parseDuration(c.approval.max_age) ?? 0);
    enabled &&= c.doc_only.enabled;
    maxLines = Math.min(maxLines, c.doc_only.max_changed_lines);
  }
  const agentInstructions = configs.every((c) => c.doc_only.agent_instructions === true);
  const config: GatesConfig = { ...base, surfaces, doc_only: { enabled, max_changed_lines: maxLines, agent_instructions: agentInstructions } };
  return { config, require, minStrength, maxAgeMs };
}

/* ------------------------------------------------------------------ evaluation */

interface Bits {
  has(i: number): boolean;
}

function bitset(n: number): Uint32Array {
  return new Uint32Array((n + 31) >>> 5);
}

/** Evaluate the range. `commits` must be parents before children (rev-list --topo-order --reverse). */
export function evaluateRange(input: RangeInput): RangeResult {
  const { base, commits, now, lookups } = input;
  const n = commits.length;
  const index = new Map<string, number>();
  commits.forEach((c, i) => index.set(c.commit, i));

  // in-range ancestors of each commit (excluding itself), as bitsets
  const anc: Uint32Array[] = [];
  for (let i = 0; i < n; i++) {
    const b = bitset(n);
    for (const p of commits[i]!.parents) {
      const j = index.get(p);
      if (j === undefined) continue;
      const pb = anc[j]!;
      for (let w = 0; w < b.length; w++) b[w]! |= pb[w]!;
      b[j >>> 5]! |= 1 << (j & 31);
    }
    anc.push(b);
  }
  const ancestorsOf = (i: number): Bits => ({ has: (j) => (anc[i]![j >>> 5]! & (1 << (j & 31))) !== 0 });

  // every approval of every note (in the range or not), by transition and by path; copies of one
  // approval (the same note on many objects, or many times in one note) count once, so the work
  // per commit stays bounded by the distinct approvals, not by how many notes an agent writes
  const byTransition = new Map<string, Approval[]>();
  const byPath = new Map<string, Approval[]>();
  const distinct = new Map<string, Approval>();
  /** The commits whose notes carry each distinct approval. */
  const sourcesOf = new Map<Approval, Set<string>>();
  for (const a of [...commits.flatMap((c) => c.approvals), ...(input.otherApprovals ?? [])]) {
    const id = approvalId(a);
    const first = distinct.get(id);
    if (first) {
      sourcesOf.get(first)!.add(a.source);
      continue;
    }
    distinct.set(id, a);
    sourcesOf.set(a, new Set([a.source]));
    for (const t of a.transitions) {
      push(byTransition, transitionKey(t), a);
      push(byPath, t.path, a);
    }
  }

  // the policy of each commit: strictest of the base and the configs on the way (memoised by set)
  const configIds = new Map<GatesConfig, number>();
  const configList: GatesConfig[] = [base.config];
  configIds.set(base.config, 0);
  const policyMemo = new Map<string, RangePolicy>();
  const configSets: number[][] = [];
  const policies: RangePolicy[] = [];
  for (let i = 0; i < n; i++) {
    const c = commits[i]!;
    const set = new Set<number>([0]);
    for (const p of c.parents) {
      const j = index.get(p);
      if (j !== undefined) for (const k of configSets[j]!) set.add(k);
    }
    if (c.config) {
      let id = configIds.get(c.config);
      if (id === undefined) {
        id = configList.length;
        configList.push(c.config);
        configIds.set(c.config, id);
      }
      set.add(id);
    }
    const ids = [...set].sort((a, b) => a - b);
    configSets.push(ids);
    const key = ids.join(',');
    let pol = policyMemo.get(key);
    if (!pol) policyMemo.set(key, (pol = strictestPolicy(ids.map((k) => configList[k]!))));
    policies.push(pol);
  }

  // trusted signers: the base's, plus approved versions of the base's allowed_signers path
  const signersPath = base.config.approval.allowed_signers;
  const parsedSigners = new Map<string, AllowedSigner[]>();
  const signersOf = (text: string | undefined): AllowedSigner[] => {
    if (text === undefined) return [];
    let s = parsedSigners.get(text);
    if (!s) {
      const r = parseAllowedSigners(text);
      parsedSigners.set(text, (s = r.ok ? r.signers : []));
    }
    return s;
  };
  const baseSigners = signersOf(base.signersText);
  /** path → versions approved at range commit i (covered by an approval of that transition). */
  const approvedAt = new Map<string, Array<{ i: number; version: string; blob: string; mode: string }>>();
  /** path → versions any range commit made (its change against its first parent). */
  const madeAt = new Map<string, Array<{ i: number; version: string }>>();
  for (let i = 0; i < n; i++) for (const ch of commits[i]!.changes) push(madeAt, ch.path, { i, version: versionKey(ch.newMode, ch.newBlob) });
  /** transition key → the commits whose own change (against the first parent) is exactly it. */
  const madeTransition = new Map<string, number[]>();
  for (let i = 0; i < n; i++) for (const ch of commits[i]!.changes) push(madeTransition, transitionKey(ch), i);
  /** path → every transition the walk accepted (approved, taken by a merge, carved out, or ungoverned then). */
  const covered = new Map<string, Array<{ i: number; from: string; to: string }>>();
  const cover = (i: number, ch: PathChange): void => push(covered, ch.path, { i, from: versionKey(ch.oldMode, ch.oldBlob), to: versionKey(ch.newMode, ch.newBlob) });

  const verdicts: CommitVerdict[] = [];
  const all: RangeViolation[] = [];
  const contentsCache = new Map<string, string | undefined>();
  const text = (ids: readonly string[]): void => {
    const want = ids.filter((id) => !contentsCache.has(id) && !/^0+$/.test(id));
    if (want.length === 0) return;
    const got = lookups.readBlobs(want);
    for (const id of want) contentsCache.set(id, got.get(id)?.toString('utf8'));
  };

  const isHandoff = compileGlobs(base.config.handoff.paths);
  for (let i = 0; i < n; i++) {
    const c = commits[i]!;
    const pol = policies[i]!;
    const ancestors = ancestorsOf(i);
    const trusted: AllowedSigner[] = [...baseSigners];
    for (const v of approvedAt.get(signersPath) ?? []) {
      if (!ancestors.has(v.i) || v.blob === ZERO_BLOB) continue;
      text([v.blob]);
      trusted.push(...signersOf(contentsCache.get(v.blob)));
    }

    // classify against the first parent under the commit's policy (contents for the carve-out)
    const changes: FileChange[] = c.changes.map((ch) => ({
      status: ch.status,
      path: ch.path,
      oldMode: ch.oldMode,
      newMode: ch.newMode,
      oldBlob: ch.oldBlob,
      newBlob: ch.newBlob,
      ...(ch.added !== undefined ? { added: ch.added } : {}),
      ...(ch.deleted !== undefined ? { deleted: ch.deleted } : {}),
    }));
    let verdict = classify(changes, pol.config);
    if (verdict.contents_needed.length) {
      const byP = new Map(changes.map((x) => [x.path, x]));
      text(verdict.contents_needed.flatMap((p) => [byP.get(p)!.oldBlob, byP.get(p)!.newBlob]));
      const contents = new Map<string, FileContents>();
      for (const p of verdict.contents_needed) {
        const x = byP.get(p)!;
        const o = contentsCache.get(x.oldBlob);
        const nw = contentsCache.get(x.newBlob);
        contents.set(p, { ...(o !== undefined ? { old: o } : {}), ...(nw !== undefined ? { new: nw } : {}) });
      }
      verdict = classify(changes, pol.config, contents as ContentsByPath);
    }
    const carved = verdict.carve_out.applied;
    const byPathChange = new Map(c.changes.map((ch) => [ch.path, ch]));
    const violations: RangeViolation[] = [];
    const how = new Set<NonNullable<CommitVerdict['coveredBy']>>();
    // Gate A: a handoff document (the base's handoff.paths) committed as a symbolic link (A_LINK at the pre-commit)
    for (const ch of c.changes) {
      if (ch.newMode !== '120000' || ch.status === 'D' || !isHandoff(ch.path)) continue;
      violations.push({
        code: 'C_HANDOFF_LINK',
        commit: c.commit,
        path: ch.path,
        transition: { old: describeVersion(ch.oldMode, ch.oldBlob), new: describeVersion(ch.newMode, ch.newBlob) },
        missing: `the handoff document ${ch.path} is committed as a symbolic link; a lease covers only the link's own path, so edits of its target would change it with no lease (A_LINK)`,
        fix: `replace the link ${ch.path} with the file itself (git rm --cached, copy the target's content in, git add) and commit again`,
      });
    }
    for (const e of verdict.link_escapes) {
      const ch = byPathChange.get(e.path)!;
      violations.push({
        ...violation('C_LINK_ESCAPE', c, e.path, e.tier, ch, e.message),
        fix: `replace the link ${e.path} with the file itself${e.resolved ? `, or govern ${e.resolved} on a ${e.tier} surface at the base` : ''}`,
      });
    }

    const governedHere = new Set(verdict.files.map((f) => f.path));
    for (const ch of c.changes) if (!governedHere.has(ch.path)) cover(i, ch);
    // 1. approvals naming exactly the change (whole approvals only)
    const direct = new Map<string, { judged: Judged[]; good: Judged[] }>();
    const uncovered = new Map<string, { ch: PathChange; tier: Tier }>();
    for (const f of verdict.files) {
      const ch = byPathChange.get(f.path)!;
      const t: Transition = { path: ch.path, oldMode: ch.oldMode, oldBlob: ch.oldBlob, newMode: ch.newMode, newBlob: ch.newBlob };
      // signatures required: only signed approvals can count; otherwise the note's own record does
      const candidates = (byTransition.get(transitionKey(t)) ?? []).filter((a) => pol.require || a.kind === 'unsigned');
      const judged = candidates.map((a) => ({ a, why: usable(a, pol, trusted, base.root, now) ?? partial(a, i, pol) })).sort((x, y) => (x.a.kind === y.a.kind ? 0 : x.a.kind === 'signed' ? -1 : 1));
      const good = judged.filter((j) => j.why === undefined && rank(j.a.tier) >= rank(f.tier));
      direct.set(f.path, { judged, good });
      if (good.length === 0) uncovered.set(f.path, { ch, tier: f.tier });
    }
    // 2. chains of approved changes of the same path (a squash of approved steps)
    const chained = chainCover(i, pol, trusted, uncovered);
    for (const f of verdict.files) {
      const ch = byPathChange.get(f.path)!;
      const { judged, good } = direct.get(f.path)!;
      const newVersion = versionKey(ch.newMode, ch.newBlob);
      if (good.length > 0) {
        how.add(good.some((g) => sourcesOf.get(g.a)?.has(c.commit)) ? 'note' : 'range');
        push(approvedAt, f.path, { i, version: newVersion, blob: ch.newBlob, mode: ch.newMode });
        cover(i, ch);
        continue;
      }
      if (chained.has(f.path)) {
        how.add('chain');
        push(approvedAt, f.path, { i, version: newVersion, blob: ch.newBlob, mode: ch.newMode });
        cover(i, ch);
        continue;
      }
      // a merge taking another parent's version that is legitimate on its own
      if (c.parents.length > 1 && mergeCovers(i, c, ch, newVersion)) {
        how.add('merge');
        cover(i, ch);
        continue;
      }
      // the doc-only carve-out, judged on the cumulative change of the path
      if (carved) {
        const cum = cumulativeCarveOut(i, ch, pol);
        if (cum === undefined) {
          how.add('carve-out');
          cover(i, ch);
          continue;
        }
        violations.push(violation('C_CARVE_OUT_EXCEEDED', c, f.path, f.tier, ch, cum));
        continue;
      }
      violations.push(explain(c, f.path, f.tier, ch, judged));
    }

    const gated = verdict.files.length;
    const tier = carved && violations.length > 0 ? verdict.classified_tier : verdict.tier;
    verdicts.push({
      commit: c.commit,
      tree: c.tree,
      ...(c.subject !== undefined ? { subject: c.subject } : {}),
      tier,
      gated: carved ? 0 : gated,
      ...(gated > 0 && violations.length === 0 && how.size > 0 ? { coveredBy: how.has('merge') ? 'merge' : how.has('chain') ? 'chain' : how.has('range') ? 'range' : how.has('note') ? 'note' : 'carve-out' } : {}),
      ...(carved ? { carveOut: 'doc-only' } : {}),
      surfaces: [...new Set(verdict.files.flatMap((f) => f.surfaces))].sort(),
      violations,
    });
    all.push(...violations);
  }
  const headViolations = checkHead();
  if (headViolations.length) {
    all.push(...headViolations);
    const v = verdicts.find((x) => x.commit === input.head!.commit);
    v?.violations.push(...headViolations);
  }
  return { commits: verdicts, violations: all };

  /* -------- helpers closed over the walk -------- */

  function mergeCovers(i: number, c: RangeCommitFacts, ch: PathChange, newVersion: string): boolean {
    const others = c.differsFrom ?? [];
    const takenFromOther = others.some((d) => !d.has(ch.path));
    if (!takenFromOther) return false;
    const ancestors = ancestorsOf(i);
    // the other parent's version must descend from the first parent's through accepted transitions
    // on in-range ancestors: never an older version (a replayed approval makes one "approved")
    if (reaches(ch.path, [versionKey(ch.oldMode, ch.oldBlob)], newVersion, (j) => ancestors.has(j))) return true;
    const b = lookups.baseVersion(ch.path);
    const baseVersion = b ? versionKey(b.mode, b.blob) : 'absent';
    if (newVersion !== baseVersion) return false;
    // the base's version, unless that rolls back a version the first parent's line made in the range
    const first = index.get(c.parents[0]!);
    if (first === undefined) return true;
    const oldVersion = versionKey(ch.oldMode, ch.oldBlob);
    const firstAnc = ancestorsOf(first);
    return !(madeAt.get(ch.path) ?? []).some((m) => (m.i === first || firstAnc.has(m.i)) && m.version === oldVersion);
  }

  /**
   * The governed paths of commit i that chains of approved changes cover: for each path p of
   * `uncovered`, a walk old(p) → … → new(p) whose every step is a transition of p named by an
   * approval usable under the commit's policy, at a tier at least p's. Approvals are whole here
   * too: an approval is a step only while each governed transition it names either lands (made by
   * commit i or an in-range ancestor) or lies on such a walk of its own path in this commit; the
   * set shrinks to a fixed point. So an approval of A→B never covers A→C, steps of different paths
   * never splice, and half of a multi-path approval never lands on its own.
   */
  function chainCover(i: number, pol: RangePolicy, trusted: readonly AllowedSigner[], uncovered: ReadonlyMap<string, { ch: PathChange; tier: Tier }>): Set<string> {
    const out = new Set<string>();
    if (uncovered.size === 0) return out;
    const ancestors = ancestorsOf(i);
    const landed = (t: Transition): boolean => (madeTransition.get(transitionKey(t)) ?? []).some((j) => j === i || ancestors.has(j));
    const cand = new Set<Approval>();
    for (const p of uncovered.keys()) {
      for (const a of byPath.get(p) ?? []) {
        if (!pol.require && a.kind !== 'unsigned') continue;
        if (usable(a, pol, trusted, base.root, now) === undefined) cand.add(a);
      }
    }
    const walk = (p: string): { fwd: Set<string>; useful: Set<string> } => {
      const { ch, tier } = uncovered.get(p)!;
      const edges: Array<{ from: string; to: string; key: string }> = [];
      for (const a of byPath.get(p) ?? []) {
        if (!cand.has(a) || rank(a.tier) < rank(tier)) continue;
        for (const t of a.transitions) if (t.path === p) edges.push({ from: versionKey(t.oldMode, t.oldBlob), to: versionKey(t.newMode, t.newBlob), key: transitionKey(t) });
      }
      const closure = (start: string, dir: 'fwd' | 'bwd'): Set<string> => {
        const seen = new Set([start]);
        let grew = true;
        while (grew) {
          grew = false;
          for (const e of edges) {
            const [u, v] = dir === 'fwd' ? [e.from, e.to] : [e.to, e.from];
            if (seen.has(u) && !seen.has(v)) {
              seen.add(v);
              grew = true;
            }
          }
        }
        return seen;
      };
      const fwd = closure(versionKey(ch.oldMode, ch.oldBlob), 'fwd');
      const bwd = closure(versionKey(ch.newMode, ch.newBlob), 'bwd');
      return { fwd, useful: new Set(edges.filter((e) => fwd.has(e.from) && bwd.has(e.to)).map((e) => e.key)) };
    };
    for (;;) {
      const useful = new Map<string, Set<string>>();
      for (const p of uncovered.keys()) useful.set(p, walk(p).useful);
      let removed = false;
      for (const a of [...cand]) {
        const whole = a.transitions.every((t) => !isGoverned(t.path, pol.config) || landed(t) || useful.get(t.path)?.has(transitionKey(t)) === true);
        if (!whole) {
          cand.delete(a);
          removed = true;
        }
      }
      if (!removed) break;
    }
    for (const [p, { ch }] of uncovered) if (walk(p).fwd.has(versionKey(ch.newMode, ch.newBlob))) out.add(p);
    return out;
  }

  /** Whether `target` is reached from one of `from` by accepted transitions of commits `inScope`. */
  function reaches(path: string, from: readonly string[], target: string, inScope: (j: number) => boolean): boolean {
    const seen = new Set(from);
    if (seen.has(target)) return true;
    const steps = (covered.get(path) ?? []).filter((s) => inScope(s.i));
    let grew = true;
    while (grew) {
      grew = false;
      for (const s of steps) {
        if (seen.has(s.from) && !seen.has(s.to)) {
          if (s.to === target) return true;
          seen.add(s.to);
          grew = true;
        }
      }
    }
    return false;
  }

  /** 'C_PARTIAL_APPROVAL' when some governed transition of the approval is not made by commit i or an in-range ancestor. */
  function partial(a: Approval, i: number, pol: RangePolicy): RangeViolationCode | undefined {
    const ancestors = ancestorsOf(i);
    for (const t of a.transitions) {
      if (!isGoverned(t.path, pol.config)) continue;
      const made = madeTransition.get(transitionKey(t)) ?? [];
      if (!made.some((j) => j === i || ancestors.has(j))) return 'C_PARTIAL_APPROVAL';
    }
    return undefined;
  }

  /** Every governed path where the head differs from merge-base(base, head) holds a version reached from the base's. */
  function checkHead(): RangeViolation[] {
    const hd = input.head;
    if (!hd) return [];
    const h = index.get(hd.commit);
    if (h === undefined) return [];
    const pol = policies[h]!;
    const ancestors = ancestorsOf(h);
    const out: RangeViolation[] = [];
    const hc = commits[h]!;
    const verdict = classify(
      hd.changes.map((ch) => ({ status: ch.status, path: ch.path, oldMode: ch.oldMode, newMode: ch.newMode, oldBlob: ch.oldBlob, newBlob: ch.newBlob })),
      pol.config,
    );
    const byP = new Map(hd.changes.map((ch) => [ch.path, ch]));
    const reported = new Set(all.flatMap((v) => (v.path !== undefined ? [v.path] : [])));
    for (const f of verdict.files) {
      if (reported.has(f.path)) continue; // a commit of the range is already refused for it
      const ch = byP.get(f.path)!;
      const b = lookups.baseVersion(ch.path);
      const seeds = [b ? versionKey(b.mode, b.blob) : 'absent', versionKey(ch.oldMode, ch.oldBlob)];
      if (reaches(ch.path, seeds, versionKey(ch.newMode, ch.newBlob), (j) => j === h || ancestors.has(j))) continue;
      out.push(
        violation(
          'C_HEAD_UNAPPROVED',
          hc,
          f.path,
          f.tier,
          ch,
          `the head's version of ${f.path} differs from the base's (merge-base ${describeVersion(ch.oldMode, ch.oldBlob)} → head ${describeVersion(ch.newMode, ch.newBlob)}) and no chain of approved changes in the range leads from the base's version to it (a merge whose first parent is an old commit, e.g. \`git merge -s ours\`, rolls the base back)`,
        ),
      );
    }
    return out;
  }

  /** undefined when the carve-out holds from some approved version; else why not. */
  function cumulativeCarveOut(i: number, ch: PathChange, pol: RangePolicy): string | undefined {
    const ancestors = ancestorsOf(i);
    const refs: Array<{ blob: string; mode: string }> = [];
    const b = lookups.baseVersion(ch.path);
    if (b) refs.push(b);
    for (const v of approvedAt.get(ch.path) ?? []) if (ancestors.has(v.i)) refs.push({ blob: v.blob, mode: v.mode });
    const max = pol.config.doc_only.max_changed_lines;
    text([ch.newBlob, ...refs.map((r) => r.blob)]);
    const now = contentsCache.get(ch.newBlob);
    let best: number | undefined;
    for (const r of refs) {
      if (r.mode !== ch.newMode || /^0+$/.test(r.blob)) continue;
      const old = contentsCache.get(r.blob);
      if (old === undefined || now === undefined) continue;
      if (frontMatter(old) !== frontMatter(now)) continue;
      const lines = changedLines(old, now);
      // the same typo-class judgement as the pre-commit (carve-out.ts), cumulative from this version
      if (lines <= max && changedBytes(old, now) <= max * BYTES_PER_LINE && judgeTypoEdit(old, now).ok) return undefined;
      best = best === undefined ? lines : Math.min(best, lines);
    }
    return best === undefined
      ? `the doc-only carve-out passed this commit on its own, but ${ch.path} has no base or approved version to measure the cumulative change from (it is new, or its mode or front matter changed since)`
      : `the doc-only carve-out passed this commit on its own, but ${ch.path} has changed ${best} lines (or more than ${max * BYTES_PER_LINE} bytes, or more than a typo fix) since its base or last approved version, more than doc_only.max_changed_lines (${max}) allows: the slices add up`;
  }
}

/** What makes two approvals the same: kind, tier, root, transitions and signed steps (not the note carrying it). */
function approvalId(a: Approval): string {
  const steps = (a.steps ?? []).map((s) => [s.step, s.principal, s.key.fingerprint, s.key.type, s.at, s.strength].join('\0')).sort();
  return JSON.stringify([a.kind, a.tier, a.root ?? null, a.transitions.map(transitionKey).sort(), steps]);
}

interface Judged {
  a: Approval;
  why: RangeViolationCode | undefined;
}

/** Why an approval does not count under a policy (undefined: it counts). Tier is checked by the caller. */
function usable(a: Approval, pol: RangePolicy, trusted: readonly AllowedSigner[], root: string | null, now: number): RangeViolationCode | undefined {
  if (!pol.require) return undefined; // unsigned mode: the note's own record (the caller passes only those)
  if (a.kind !== 'signed' || !a.steps) return 'C_UNSIGNED';
  if (a.root !== root) return 'C_WRONG_REPOSITORY';
  for (const s of a.steps) {
    if (!matchSigner(trusted, { principal: s.principal, key: s.key, namespace: APPROVAL_NAMESPACE, at: new Date(s.at) }).ok) return 'C_UNTRUSTED_SIGNER';
  }
  for (const s of a.steps) if (STRENGTH_RANK[s.strength] < STRENGTH_RANK[pol.minStrength]) return 'C_WEAK_SIGNATURE';
  for (const s of a.steps) if (s.at > now + FUTURE_SKEW_MS) return 'C_APPROVAL_FUTURE';
  for (const s of a.steps) if (now - s.at > pol.maxAgeMs) return 'C_APPROVAL_EXPIRED';
  return undefined;
}

const WHY: Record<string, string> = {
  C_UNSIGNED: 'approval.require_signature is in force, and the only approvals naming this change are not signed',
  C_UNTRUSTED_SIGNER: 'the approvals naming this change are signed by keys not trusted at the base (nor added by an approved allowed_signers change on the way)',
  C_WRONG_REPOSITORY: 'the approvals naming this change were signed for another repository (payload repo.root)',
  C_WEAK_SIGNATURE: 'the approvals naming this change are signed by keys weaker than approval.min_strength',
  C_APPROVAL_FUTURE: 'the approvals naming this change carry a signed time in the future',
  C_APPROVAL_EXPIRED: 'the approvals naming this change were signed longer ago than approval.max_age (measured to the clock of this check)',
  C_PARTIAL_APPROVAL: 'the approvals naming this change approve it together with other governed changes that this commit and its ancestors in the range do not make (an approval counts only when all of it lands)',
};

function describeVersion(mode: string, blob: string): string {
  return mode === ABSENT_MODE || /^0+$/.test(blob) ? '(absent)' : `${blob.slice(0, 12)} (${mode})`;
}

function violation(code: RangeViolationCode, c: RangeCommitFacts, path: string, tier: Tier, ch: PathChange, missing: string): RangeViolation {
  return {
    code,
    commit: c.commit,
    path,
    requiredTier: tier,
    transition: { old: describeVersion(ch.oldMode, ch.oldBlob), new: describeVersion(ch.newMode, ch.newBlob) },
    missing,
  };
}

function explain(c: RangeCommitFacts, path: string, tier: Tier, ch: PathChange, judged: ReadonlyArray<{ a: Approval; why: RangeViolationCode | undefined }>): RangeViolation {
  const change = `${describeVersion(ch.oldMode, ch.oldBlob)} → ${describeVersion(ch.newMode, ch.newBlob)}`;
  const usableLow = judged.filter((j) => j.why === undefined);
  if (usableLow.length > 0) {
    const best = usableLow.reduce((m, j) => Math.max(m, rank(j.a.tier)), 0);
    const have = (Object.keys(TIER_RANK) as Tier[]).find((t) => rank(t) === best)!;
    return violation('C_TIER_TOO_LOW', c, path, tier, ch, `this change (${change}) was approved only at ${have}; ${tier} is required`);
  }
  if (judged.length > 0) {
    const code = judged[0]!.why!;
    return violation(code, c, path, tier, ch, `${WHY[code] ?? code} (${change})`);
  }
  if (c.parents.length > 1) {
    return violation(
      'C_MERGE_UNAPPROVED',
      c,
      path,
      tier,
      ch,
      `this merge changes the path against its first parent (${change}); no approval names that change, and no other parent brings a version that is the base's (without rolling back a change made in the range) or was approved in the range`,
    );
  }
  const where = c.hasNote ? 'no approval in the notes names this exact change' : 'this commit has no approval note, and no approval in the notes names this exact change';
  return violation(
    'C_UNAPPROVED',
    c,
    path,
    tier,
    ch,
    `${where}, nor does a chain of approved changes of this path lead from its old version to its new one (${change}; committed with --no-verify, replayed onto another parent, changed after approval, or the notes ref was not fetched)`,
  );
}

const governedMemo = new WeakMap<GatesConfig, Map<string, boolean>>();
/** Whether a path is governed (matches a surface above AUTO) under a config. */
function isGoverned(path: string, config: GatesConfig): boolean {
  let m = governedMemo.get(config);
  if (!m) governedMemo.set(config, (m = new Map()));
  let g = m.get(path);
  if (g === undefined) {
    g = classify([{ status: 'M', path, oldMode: '100644', newMode: '100644', oldBlob: ZERO_BLOB, newBlob: ZERO_BLOB }], config).files.length > 0;
    m.set(path, g);
  }
  return g;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/** Findings for the CLI's shared renderer: one per violation, with the fix. */
export function rangeFindings(result: Pick<RangeResult, 'violations'>): Finding[] {
  return result.violations.map((v) => ({
    gate: 'C',
    code: v.code,
    severity: 'block' as const,
    ...(v.path !== undefined ? { path: v.path } : {}),
    message: `commit ${v.commit.slice(0, 12)}${v.requiredTier ? ` needs ${v.requiredTier}` : ''}: ${v.missing}`,
    fix:
      v.fix ??
      `rebuild the commit through the gates: \`git reset --soft ${v.commit.slice(0, 12)}^\` (on your branch), then \`gate explain\`, have a person run \`gate approve\` (signing with a key listed in the base's allowed_signers when signatures are required), and commit again; in CI, make sure \`git fetch origin refs/notes/agent-gates:refs/notes/agent-gates\` ran`,
    data: { commit: v.commit, ...(v.requiredTier ? { requiredTier: v.requiredTier } : {}), ...(v.transition ? { transition: v.transition } : {}) },
  }));
}
