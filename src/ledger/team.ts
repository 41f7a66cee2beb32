/**
 * The team's ledger (ADR 0024), pure part: judging a ledger another clone published on the
 * shared remote. Each published version carries the whole ledger up to its head; a later version
 * must extend every earlier one byte for byte (append-only), and every version must verify as a
 * chain from that clone's genesis. No fs, no git: callers pass bytes and heads in.
 */
import { genesisHash, linkHashBytes, verifyBuffer, type ChainProblem, type LedgerHead, type VerifyResult } from './chain.js';

/** What a published version's tree says about itself (head.json). */
export interface PublishedHead extends LedgerHead {
  repoId: string;
}

export type TeamTamperReason = ChainProblem['reason'] | 'rewritten' | 'withdrawn' | 'diverged';

export interface TeamProblem {
  /** The clone whose published ledger is at fault (its repository id). */
  repoId: string;
  line: number;
  reason: TeamTamperReason;
  message: string;
}

/** Parse head.json of a published version; a string says what is wrong. */
export function parsePublishedHead(bytes: Buffer | undefined): PublishedHead | string {
  if (!bytes) return 'head.json is missing';
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'head.json is not valid JSON';
  }
  const h = v as Partial<PublishedHead>;
  if (typeof h !== 'object' || h === null || !Number.isSafeInteger(h.seq) || typeof h.hash !== 'string' || !Number.isSafeInteger(h.size) || typeof h.repoId !== 'string') {
    return 'head.json does not hold {seq, hash, size, repoId}';
  }
  return { seq: h.seq!, hash: h.hash, size: h.size!, repoId: h.repoId };
}

export function serializePublishedHead(h: PublishedHead): string {
  return `${JSON.stringify({ seq: h.seq, hash: h.hash, size: h.size, repoId: h.repoId })}\n`;
}

/** Verify a published ledger as a chain from its clone's genesis, ending at its head. */
export function verifyPublished(repoId: string, bytes: Buffer, head: LedgerHead): VerifyResult {
  if (bytes.length !== head.size) {
    return {
      ok: false,
      entries: 0,
      tip: genesisHash(repoId),
      warnings: [],
      problem: { line: head.seq, reason: 'head_mismatch', message: `the published head says ${head.size} bytes but ledger.jsonl holds ${bytes.length}` },
    };
  }
  return verifyBuffer(bytes, genesisHash(repoId), head);
}

/** Link hash after n lines of `bytes`, for each n in `sizes` (undefined: fewer lines). */
export function hashesAtBytes(bytes: Buffer, sizes: Iterable<number>): Map<number, string | undefined> {
  const want = new Set(sizes);
  const out = new Map<number, string | undefined>();
  for (const n of want) out.set(n, undefined);
  let start = 0;
  let no = 0;
  while (start < bytes.length) {
    const nl = bytes.indexOf(0x0a, start);
    if (nl === -1) break;
    no += 1;
    if (want.has(no)) out.set(no, linkHashBytes(bytes.subarray(start, nl)));
    start = nl + 1;
  }
  return out;
}

/**
 * Does `newer` extend `older` (append-only)? Undefined when it does; otherwise the first line
 * (1-based) of `older` that `newer` no longer holds byte for byte, and whether it was changed or
 * cut off.
 */
export function firstDifference(older: Buffer, newer: Buffer): { line: number; kind: 'changed' | 'cut' } | undefined {
  const n = Math.min(older.length, newer.length);
  let i = 0;
  // compare in blocks; the common case is a long identical prefix
  const block = 64 * 1024;
  while (i < n) {
    const end = Math.min(n, i + block);
    if (older.subarray(i, end).equals(newer.subarray(i, end))) {
      i = end;
      continue;
    }
    while (i < end && older[i] === newer[i]) i += 1;
    break;
  }
  if (i === older.length) return undefined; // newer starts with all of older
  // the line of `older` that holds byte i
  let line = 1;
  for (let p = older.indexOf(0x0a); p !== -1 && p < i; p = older.indexOf(0x0a, p + 1)) line += 1;
  return { line, kind: i >= newer.length ? 'cut' : 'changed' };
}

/**
 * A published chain's history: every earlier version's head (seq, hash) must still hold in the
 * newest ledger. Returns the problem for the oldest version that no longer holds.
 */
export function checkPublishedHistory(repoId: string, current: Buffer, versions: ReadonlyArray<{ commit: string; head: LedgerHead }>): TeamProblem | undefined {
  const hashes = hashesAtBytes(current, versions.map((v) => v.head.seq));
  const sorted = [...versions].sort((a, b) => a.head.seq - b.head.seq);
  for (const v of sorted) {
    if (v.head.seq === 0) continue;
    const h = hashes.get(v.head.seq);
    if (h === undefined) {
      return { repoId, line: v.head.seq, reason: 'truncated', message: `an earlier publication (${v.commit.slice(0, 12)}) had ${v.head.seq} entries; the ledger published now has fewer: it was cut and republished` };
    }
    if (h !== v.head.hash) {
      return { repoId, line: v.head.seq, reason: 'rewritten', message: `an earlier publication (${v.commit.slice(0, 12)}) ended at line ${v.head.seq} with head ${v.head.hash.slice(0, 12)}; that line now hashes to ${h.slice(0, 12)}: lines up to ${v.head.seq} were rewritten and republished on top` };
    }
  }
  return undefined;
}
