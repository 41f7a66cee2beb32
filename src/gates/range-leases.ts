/**
 * Gate A in `gate check --range` (ADR 0026), pure: every handoff change in the range was made
 * under a lease recorded on the remote. The post-commit hook appends the lease evidence the
 * pre-commit checked to the commit's note (refs/notes/agent-gates), one JSON document
 * `{"agent_gates_leases": 1, "leases": [{path, remote, version, token, owner}]}`; the range check
 * looks each version up in the path's fence history fetched from the remote (the ancestry of
 * refs/agent-gates/fence/<path-id>) and requires that its record names the path, the token and
 * the owner, that a person's lease belongs to the commit's committer, and that the tokens of
 * successive commits on one path never go backwards along the range's topology.
 *
 * Evidence is positive only: it can satisfy this check and nothing else, and anything missing,
 * unknown or mismatched is a violation (never a skip).
 */
import { humanId, isHumanId } from '../kernel/actor.js';
import { isObjectId } from '../kernel/ids.js';
import type { LeaseRecord } from '../schema/lease/schema.js';
import type { RangeViolation } from './range.js';

/** The key (and version) of the lease-evidence document in a commit's note. */
export const LEASE_NOTE_KEY = 'agent_gates_leases';
export const LEASE_NOTE_VERSION = 1;
/** At most this many evidence entries are read from one note (a note is the agent's to write). */
const MAX_ENTRIES = 256;

export interface LeaseEvidence {
  path: string;
  /** The remote (its name in handoff.remote) the lease was taken on. */
  remote: string;
  /** The grant on the fence ref: the commit id of the lease version the change was made under. */
  version: string;
  token: number;
  /** The committing identity the pre-commit checked (GATE_SESSION or human:<git email>). */
  owner: string;
}

/** The note document the post-commit hook appends. */
export function formatLeaseNote(evidence: readonly LeaseEvidence[]): string {
  return `${JSON.stringify({ [LEASE_NOTE_KEY]: LEASE_NOTE_VERSION, leases: evidence }, null, 2)}\n`;
}

/** Whether a parsed note document is a lease-evidence document (the approval reader skips these). */
export function isLeaseNoteDocument(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && LEASE_NOTE_KEY in v && !('agent_gates' in v);
}

/** The lease evidence in a note's documents, and why any of it was not read. */
export function readLeaseEvidence(docs: readonly unknown[]): { evidence: LeaseEvidence[]; problems: string[] } {
  const evidence: LeaseEvidence[] = [];
  const problems: string[] = [];
  for (const d of docs) {
    if (!isLeaseNoteDocument(d)) continue;
    const n = d as Record<string, unknown>;
    if (n[LEASE_NOTE_KEY] !== LEASE_NOTE_VERSION) {
      problems.push(`${LEASE_NOTE_KEY}: expected ${LEASE_NOTE_VERSION} (got ${JSON.stringify(n[LEASE_NOTE_KEY])?.slice(0, 20)})`);
      continue;
    }
    if (!Array.isArray(n.leases)) {
      problems.push('leases: expected a list');
      continue;
    }
    for (const e of n.leases.slice(0, MAX_ENTRIES) as unknown[]) {
      const o = e as Record<string, unknown> | null;
      if (
        typeof o !== 'object' || o === null ||
        typeof o.path !== 'string' || typeof o.remote !== 'string' || typeof o.owner !== 'string' ||
        typeof o.version !== 'string' || !isObjectId(o.version) ||
        typeof o.token !== 'number' || !Number.isSafeInteger(o.token) || o.token < 1
      ) {
        problems.push('leases: an entry is not {path, remote, version, token, owner}');
        continue;
      }
      evidence.push({ path: o.path, remote: o.remote, version: o.version, token: o.token, owner: o.owner });
    }
  }
  return { evidence, problems };
}

/** A version in a path's fence history: its record, or why it cannot be read. */
export type FenceVersion = { rec: LeaseRecord } | { problem: string };

export interface LeaseRangeCommit {
  commit: string;
  parents: readonly string[];
  /** The committer's email in the commit (what `human:<email>` owners must match). */
  committerEmail: string;
  /** The handoff documents this commit changes that need a lease (both paths of a rename, …). */
  paths: readonly string[];
  evidence: readonly LeaseEvidence[];
  /** Lease documents in its note that could not be read. */
  problems: readonly string[];
}

export interface LeaseRangeFacts {
  /** handoff.remote at the range's base. */
  remote: string;
  /** Parents before children. */
  commits: readonly LeaseRangeCommit[];
  /** The versions in the ancestry of the path's fence ref on the remote (undefined: no fence ref). */
  history: (path: string) => ReadonlyMap<string, FenceVersion> | undefined;
}

export type LeaseViolationCode = 'C_LEASE_MISSING' | 'C_LEASE_UNKNOWN' | 'C_LEASE_MISMATCH' | 'C_LEASE_TOKEN_BACKWARDS';

export interface LeaseChecked {
  commit: string;
  path: string;
  version: string;
  token: number;
  owner: string;
}

const short = (s: string): string => s.slice(0, 12);
const q = (s: string): string => (/^[\w./@:+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** Why one evidence entry does not show that `c` changed `path` under a lease on `remote`, or the record it names. */
function judge(f: LeaseRangeFacts, c: LeaseRangeCommit, path: string, e: LeaseEvidence): { code: LeaseViolationCode; why: string } | { rec: LeaseRecord } {
  if (e.remote !== f.remote) return { code: 'C_LEASE_MISMATCH', why: `its lease evidence names the remote "${e.remote}", but the base's handoff.remote is "${f.remote}"` };
  const v = f.history(path)?.get(e.version);
  if (!v) {
    return { code: 'C_LEASE_UNKNOWN', why: `its lease evidence names the version ${short(e.version)}, which is not in the grant history of ${path} on "${f.remote}" (the ancestry of its fence ref)` };
  }
  if ('problem' in v) return { code: 'C_LEASE_UNKNOWN', why: `the version ${short(e.version)} in the grant history of ${path} cannot be read (${v.problem})` };
  const rec = v.rec;
  if (rec.path !== path) return { code: 'C_LEASE_MISMATCH', why: `the version ${short(e.version)} is a lease on ${rec.path}, not on ${path}` };
  if (rec.token !== e.token) return { code: 'C_LEASE_MISMATCH', why: `the version ${short(e.version)} carries token ${rec.token}, the evidence says ${e.token}` };
  if (rec.owner !== e.owner) return { code: 'C_LEASE_MISMATCH', why: `the version ${short(e.version)} was granted to ${rec.owner}, the evidence says ${e.owner}` };
  if (isHumanId(rec.owner) && rec.owner !== humanId(c.committerEmail, '')) {
    return { code: 'C_LEASE_MISMATCH', why: `the lease ${short(e.version)} was granted to ${rec.owner}, but the commit was made by ${humanId(c.committerEmail, '(no email)')}` };
  }
  return { rec };
}

/**
 * The violations of a range: per commit and handoff path, one entry of its own note that holds
 * (the first problem otherwise), and per path tokens that never decrease from a commit's
 * ancestors in the range to the commit.
 */
export function evaluateLeaseRange(f: LeaseRangeFacts): { violations: RangeViolation[]; checked: LeaseChecked[] } {
  const violations: RangeViolation[] = [];
  const checked: LeaseChecked[] = [];
  /** Per commit, the highest token on each path among it and its ancestors in the range. */
  const highest = new Map<string, ReadonlyMap<string, { token: number; commit: string }>>();
  const fix = (c: LeaseRangeCommit, path: string): string =>
    `in CI, fetch the notes and the lease history first (git fetch ${f.remote} refs/notes/agent-gates:refs/notes/agent-gates '+refs/agent-gates/fence/*:refs/agent-gates/remotes/${f.remote}/fence/*'); otherwise remake the commit under a lease: git reset --soft ${short(c.commit)}^ && gate lock acquire ${q(path)} && git commit (the post-commit hook records the lease in the commit's note; git push carries it)`;
  for (const c of f.commits) {
    let mine: Map<string, { token: number; commit: string }> | undefined;
    const inherited = new Map<string, { token: number; commit: string }>();
    for (const p of c.parents) for (const [path, t] of highest.get(p) ?? []) if ((inherited.get(path)?.token ?? 0) < t.token) inherited.set(path, t);
    for (const path of c.paths) {
      const entries = c.evidence.filter((e) => e.path === path);
      let best: { e: LeaseEvidence; rec: LeaseRecord } | undefined;
      let first: { code: LeaseViolationCode; why: string } | undefined;
      for (const e of entries) {
        const j = judge(f, c, path, e);
        if ('rec' in j) {
          if (!best || j.rec.token > best.rec.token) best = { e, rec: j.rec };
        } else first ??= j;
      }
      if (!best) {
        const why =
          first?.why ??
          (c.problems.length
            ? `its note's lease evidence cannot be read (${c.problems[0]})`
            : `its note carries no lease evidence for ${path} (committed without gate's hooks, by a gate older than this check, or the note was not pushed)`);
        violations.push({ code: first?.code ?? 'C_LEASE_MISSING', commit: c.commit, path, missing: `changes the handoff document ${path}, but ${why}`, fix: fix(c, path) });
        continue;
      }
      const before = inherited.get(path);
      if (before && before.token > best.rec.token) {
        violations.push({
          code: 'C_LEASE_TOKEN_BACKWARDS',
          commit: c.commit,
          path,
          missing: `changes ${path} under token ${best.rec.token}, but its ancestor ${short(before.commit)} in the range already changed it under token ${before.token}: a lease taken over earlier was used again (a fenced-off writer)`,
          fix: fix(c, path),
        });
      }
      checked.push({ commit: c.commit, path, version: best.e.version, token: best.rec.token, owner: best.rec.owner });
      if (!before || before.token < best.rec.token) {
        mine ??= new Map(inherited);
        mine.set(path, { token: best.rec.token, commit: c.commit });
      }
    }
    highest.set(c.commit, mine ?? inherited);
  }
  return { violations, checked };
}
