/**
 * The lease record format (Gate A). One JSON file per leased path under
 * `<git common dir>/agent-gates/leases/`, plus a fencing counter. Kept free of zod because the
 * pre-commit hook reads these records on every commit; a hand-written validator names the
 * first problem so a corrupt record is reported precisely (and is never treated as "free").
 */

export const LEASE_FORMAT = 1 as const;

export interface LeaseRecord {
  /** Format version of this record. */
  v: typeof LEASE_FORMAT;
  /** Repository-relative, "/"-separated path of the leased handoff document. */
  path: string;
  /** Who holds it: a GATE_SESSION id, an --owner value, or `human:<git email>`. */
  owner: string;
  /** Host and process that took the lease (informational; the lease outlives the process). */
  host: string;
  pid: number;
  /** Absolute path of the worktree the holder works in, and its branch (if any). */
  worktree: string;
  branch: string | null;
  /** ISO timestamps. */
  acquired: string;
  renewed: string;
  expires: string;
  reason: string | null;
  /** Fencing token: strictly increases with every new grant (or takeover) in this clone. */
  token: number;
}

/** The fencing counter file: the last token handed out. */
export interface FenceCounter {
  v: typeof LEASE_FORMAT;
  last: number;
}

const ISO = (s: unknown): boolean => typeof s === 'string' && !Number.isNaN(Date.parse(s));

/** First structural problem of a parsed record, or undefined when it is a valid LeaseRecord. */
export function leaseProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const r = v as Record<string, unknown>;
  if (r.v !== LEASE_FORMAT) return `v: expected ${LEASE_FORMAT}`;
  if (typeof r.path !== 'string' || r.path.length === 0) return 'path: expected a non-empty string';
  if (typeof r.owner !== 'string' || r.owner.length === 0) return 'owner: expected a non-empty string';
  if (typeof r.host !== 'string') return 'host: expected a string';
  if (!Number.isSafeInteger(r.pid)) return 'pid: expected an integer';
  if (typeof r.worktree !== 'string') return 'worktree: expected a string';
  if (r.branch !== null && typeof r.branch !== 'string') return 'branch: expected a string or null';
  for (const k of ['acquired', 'renewed', 'expires'] as const) if (!ISO(r[k])) return `${k}: expected an ISO timestamp`;
  if (r.reason !== null && typeof r.reason !== 'string') return 'reason: expected a string or null';
  if (!Number.isSafeInteger(r.token) || (r.token as number) < 1) return 'token: expected a positive integer';
  return undefined;
}

export function fenceProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const r = v as Record<string, unknown>;
  if (r.v !== LEASE_FORMAT) return `v: expected ${LEASE_FORMAT}`;
  if (!Number.isSafeInteger(r.last) || (r.last as number) < 0) return 'last: expected a non-negative integer';
  return undefined;
}

/**
 * A remote lease (handoff.remote): a commit on the remote under refs/agent-gates/leases/<path-id>
 * whose message is one summary line, a blank line, and the LeaseRecord as JSON. Its parent is the
 * version it replaced (or the last grant on the fencing ref), so a path's leases form one history.
 */
export type RemoteLeaseOp = 'grant' | 'takeover' | 'renew';

export function formatLeaseCommitMessage(op: RemoteLeaseOp, rec: LeaseRecord): string {
  const summary = `agent-gates lease ${op}: ${rec.path.replace(/[\r\n]/g, ' ').slice(0, 120)} by ${rec.owner.slice(0, 80)} (token ${rec.token})`;
  return `${summary}\n\n${JSON.stringify(rec)}\n`;
}

/** The record in a commit object's body (headers, blank line, message): the record or the problem. */
export function parseLeaseCommit(body: string): { rec: LeaseRecord } | { problem: string } {
  const at = body.indexOf('\n\n');
  if (at < 0) return { problem: 'not a commit with a message' };
  const msg = body.slice(at + 2);
  const blank = msg.indexOf('\n\n');
  if (!msg.startsWith('agent-gates lease ') || blank < 0) return { problem: 'not an agent-gates lease commit' };
  let v: unknown;
  try {
    v = JSON.parse(msg.slice(blank + 2));
  } catch {
    return { problem: 'its record is not valid JSON' };
  }
  const p = leaseProblem(v);
  return p ? { problem: p } : { rec: v as LeaseRecord };
}
