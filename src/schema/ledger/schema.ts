/**
 * The ledger entry format. Kept free of zod: entries are checked with a small hand-written
 * validator because `gate audit verify` and `gate review` run it over millions of lines.
 */
export const LEDGER_EVENTS = [
  'ledger.repair',
  'init',
  /** `gate uninstall`: the hooks were removed (the ledger itself stays unless --purge). */
  'uninstall',
  'check.block',
  'commit',
  /** A pending commit record (ADR 0009) that did not validate: kept as evidence, never dropped. */
  'commit.pending-invalid',
  'lease.grant',
  'lease.renew',
  'lease.release',
  'lease.deny',
  'lease.takeover',
  'lease.break',
  'explain',
  'approve',
  'reject',
  'adr.new',
  'adr.accept',
  'audit.checkpoint',
  'task.start',
  'task.finish',
] as const;
export type LedgerEvent = (typeof LEDGER_EVENTS)[number];
const EVENT_SET: ReadonlySet<string> = new Set(LEDGER_EVENTS);

export type ActorKind = 'human' | 'agent' | 'system';
export interface Actor {
  kind: ActorKind;
  id: string;
  session?: string;
}

export interface Subject {
  tree?: string;
  commit?: string;
  paths?: string[];
}

/** What a caller hands to `append`; seq, ts and prev are filled in under the mutex. */
export interface LedgerEventInput {
  event: LedgerEvent;
  actor: Actor;
  subject?: Subject;
  data?: Record<string, unknown>;
}

export interface LedgerEntry {
  seq: number;
  ts: string;
  event: LedgerEvent;
  actor: Actor;
  subject: Subject;
  data: Record<string, unknown>;
  prev: string;
}

export function isLedgerEvent(s: unknown): s is LedgerEvent {
  return typeof s === 'string' && EVENT_SET.has(s);
}

/**
 * Structural check of a parsed line; returns the first problem or undefined. The chain verifier
 * passes `{ prevChainChecked: true }`: it compares `prev` with the previous line's hash (64 hex
 * characters by construction) and rejects any mismatch itself, so the format check of `prev` can
 * never change its verdict, and it costs ~0.3 s per million lines.
 */
export function entryProblem(v: unknown, opts: { prevChainChecked?: boolean } = {}): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const e = v as Record<string, unknown>;
  if (!Number.isSafeInteger(e.seq) || (e.seq as number) < 1) return 'seq: expected a positive integer';
  if (typeof e.ts !== 'string' || Number.isNaN(Date.parse(e.ts))) return 'ts: expected an ISO timestamp';
  if (!isLedgerEvent(e.event)) return `event: expected one of ${LEDGER_EVENTS.join(', ')}`;
  const a = e.actor as Record<string, unknown> | null;
  if (typeof a !== 'object' || a === null || !['human', 'agent', 'system'].includes(a.kind as string) || typeof a.id !== 'string') {
    return 'actor: expected {kind: human|agent|system, id}';
  }
  if (typeof e.subject !== 'object' || e.subject === null) return 'subject: expected an object';
  if (typeof e.data !== 'object' || e.data === null) return 'data: expected an object';
  if (typeof e.prev !== 'string' || (!opts.prevChainChecked && !/^[0-9a-f]{64}$/.test(e.prev))) return 'prev: expected 64 hex characters';
  return undefined;
}
