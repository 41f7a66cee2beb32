/**
 * Adapter: reading the ledger file (`<state dir>/ledger.jsonl`). `ledgerLines` is THE one line
 * reader: every sequential read of the file (full verification, the commit path's incremental
 * verification from a verified point, entries for review/audit/explain, link hashes for signed
 * points, the lag an interrupted append left after the head) goes through it. The random-access
 * reads (the last line, the line at an offset) are here too. Nothing here writes; the appends,
 * the pending records and their folding live in ledger-store.ts, which composes this reader.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { GateError } from '../kernel/errors.js';
import { ChainVerifier, linkHash, type LedgerHead, type VerifyResult } from '../ledger/chain.js';
import type { LedgerEntry } from '../schema/ledger/schema.js';

/** One line of the ledger file. */
export interface LedgerLine {
  /** The line's bytes without its "\n" (a view of a buffer no later line reuses). */
  bytes: Buffer;
  /** 1-based line number (the entry's seq in a sound ledger), counted from `start.no`. */
  no: number;
  /** Byte offset of the line's first byte in the file. */
  offset: number;
  /** The file ended without "\n" after this line: a partial write, never acknowledged. */
  torn: boolean;
}

export interface LinesOptions {
  /** Start at this byte offset (which must begin a line), counting lines from `no` (default 1). */
  start?: { offset: number; no: number };
  /** Read up to this byte offset (default: the file's size when it was opened). */
  end?: number;
  /** Progress: bytes read so far, bytes to read. */
  onProgress?: (bytes: number, total: number) => void;
  /** Bytes per read (default 1 MiB). */
  chunk?: number;
}

/**
 * The ledger's lines in order, read synchronously in chunks (one `openSync`, `readSync` per
 * chunk: the commit path does not load the stream machinery for a few KB). A missing file has
 * no lines. The last line is `torn` when the file does not end with "\n".
 */
export function* ledgerLines(path: string, opts: LinesOptions = {}): Generator<LedgerLine> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    const end = opts.end ?? fstatSync(fd).size;
    const size = opts.chunk ?? 1 << 20;
    let pos = opts.start?.offset ?? 0;
    let no = opts.start?.no ?? 1;
    const total = end;
    let rest: Buffer | undefined; // a partial line carried into the next chunk
    let restAt = pos;
    while (pos < end) {
      const buf = Buffer.allocUnsafe(Math.min(size, end - pos));
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      const chunk = n === buf.length ? buf : buf.subarray(0, n);
      const chunkAt = pos;
      pos += n;
      let start = 0;
      if (rest) {
        const nl = chunk.indexOf(0x0a);
        if (nl === -1) {
          rest = Buffer.concat([rest, chunk]);
          opts.onProgress?.(pos, total);
          continue;
        }
        yield { bytes: Buffer.concat([rest, chunk.subarray(0, nl)]), no: no++, offset: restAt, torn: false };
        rest = undefined;
        start = nl + 1;
      }
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl === -1) break;
        yield { bytes: chunk.subarray(start, nl), no: no++, offset: chunkAt + start, torn: false };
        start = nl + 1;
      }
      if (start < chunk.length) {
        rest = Buffer.from(chunk.subarray(start));
        restAt = chunkAt + start;
      }
      opts.onProgress?.(pos, total);
    }
    if (rest?.length) yield { bytes: rest, no, offset: restAt, torn: true };
  } finally {
    closeSync(fd);
  }
}

/** The last line before `size` (without "\n"), and whether it lacked a terminating newline. */
export function readLastLine(fd: number, size: number): { line: Buffer; torn: boolean } {
  const one = Buffer.alloc(1);
  readSync(fd, one, 0, 1, size - 1);
  const torn = one[0] !== 0x0a;
  const end = torn ? size : size - 1;
  let chunk = 4096;
  for (;;) {
    const start = Math.max(0, end - chunk);
    const buf = Buffer.alloc(end - start);
    readSync(fd, buf, 0, buf.length, start);
    const nl = buf.lastIndexOf(0x0a);
    if (nl !== -1) return { line: buf.subarray(nl + 1), torn };
    if (start === 0) return { line: buf, torn };
    chunk *= 4;
  }
}

/** What a chain verification reports, with the file's size and head. */
export type LedgerVerification = VerifyResult & { size: number; head?: LedgerHead };

/** The verified point a previous verification reached (see ledger-verified-point.ts). */
export interface VerifiedPoint {
  seq: number;
  offset: number;
  hash: string;
}

const REJECT = Buffer.from('reject');
const ESCAPE = Buffer.from('\\u');

/**
 * Reads of one ledger file. `head` and `genesis` come from the store (they read the head and the
 * repository id files); everything else is read here, through `ledgerLines`.
 */
export class LedgerReader {
  constructor(
    readonly path: string,
    private readonly head: () => LedgerHead | undefined,
    private readonly genesis: () => string,
  ) {}

  lines(opts: LinesOptions = {}): Generator<LedgerLine> {
    return ledgerLines(this.path, opts);
  }

  /**
   * Verify the whole chain from the genesis. Never modifies anything. `observe` sees each
   * well-formed entry as it is read (so a caller needing entries reads the file once); it only
   * counts when the result is ok.
   */
  verify(onProgress?: (bytes: number, total: number) => void, observe?: (value: unknown) => void): LedgerVerification {
    const head = this.head();
    const v = new ChainVerifier(this.genesis(), head?.seq ?? -1, observe);
    let size = 0;
    try {
      size = statSync(this.path).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    for (const l of ledgerLines(this.path, { ...(onProgress ? { onProgress } : {}) })) {
      if (l.torn) v.pushTorn(l.bytes);
      else v.push(l.bytes);
      if (v.failed) break;
    }
    const r = v.finish(head);
    return { ...r, size, ...(head ? { head } : {}) };
  }

  /**
   * Verify from a verified point: the line ending at `point.offset` must still be entry
   * `point.seq` hashing to `point.hash`; the lines after it are verified (chain, structure,
   * head) in the same pass as the earlier lines are searched for `reject` entries (every line
   * that could decode to one: containing `reject` or a `\u` escape; none of it trusts the point).
   * Undefined when the point does not match or anything fails: the caller verifies in full.
   */
  verifyFrom(point: VerifiedPoint, observe: (value: unknown) => void): LedgerVerification | undefined {
    const { seq, offset, hash } = point;
    if (seq < 1 || offset < 2) return undefined;
    const head = this.head();
    if (!head) return undefined;
    const fd = openSync(this.path, 'r');
    let line: Buffer;
    let total: number;
    try {
      total = fstatSync(fd).size;
      if (offset > total) return undefined;
      const last = readLastLine(fd, offset);
      if (last.torn) return undefined;
      line = last.line;
    } finally {
      closeSync(fd);
    }
    if (linkHash(line) !== hash) return undefined;
    const at = JSON.parse(line.toString('utf8')) as { seq?: unknown };
    if (at.seq !== seq) return undefined;

    const v = new ChainVerifier(this.genesis(), head.seq, observe, { seq, hash });
    let size = 0;
    for (const l of ledgerLines(this.path)) {
      size = l.offset + l.bytes.length + (l.torn ? 0 : 1);
      if (l.offset < offset) {
        // before the point: only look for rejections
        if (l.torn || !mayReject(l.bytes, observe)) return undefined;
        continue;
      }
      if (l.torn) v.pushTorn(l.bytes);
      else v.push(l.bytes);
      if (v.failed) return undefined;
    }
    const r = v.finish(head);
    if (!r.ok) return undefined;
    return { ...r, size, head };
  }

  /** Entries (parsed) in order, with their byte offsets. Stops at the first unparsable or torn line. */
  *entries(): Generator<{ entry: LedgerEntry; offset: number }> {
    for (const l of ledgerLines(this.path)) {
      if (l.torn) return;
      let entry: LedgerEntry;
      try {
        entry = JSON.parse(l.bytes.toString('utf8')) as LedgerEntry;
      } catch {
        return;
      }
      yield { entry, offset: l.offset };
    }
  }

  /**
   * The link hash after `n` lines, for every n in `sizes` (undefined: the file has fewer
   * complete lines; n = 0 is the genesis). Reads no further than the largest n.
   */
  hashesAt(sizes: Iterable<number>): Map<number, string | undefined> {
    const want = new Set(sizes);
    const out = new Map<number, string | undefined>();
    for (const n of want) out.set(n, undefined);
    if (want.has(0)) out.set(0, this.genesis());
    const max = Math.max(0, ...want);
    if (max === 0) return out;
    for (const l of ledgerLines(this.path)) {
      if (l.torn) break;
      if (want.has(l.no)) out.set(l.no, linkHash(l.bytes));
      if (l.no >= max) break;
    }
    return out;
  }

  /** The complete line starting at a byte offset (for approvals that cite their ledger entry). */
  lineAt(offset: number): Buffer | undefined {
    if (offset < 0) return undefined;
    for (const l of ledgerLines(this.path, { start: { offset, no: 1 }, chunk: 16 * 1024 })) return l.torn ? undefined : Buffer.from(l.bytes);
    return undefined;
  }

  /**
   * The seq of the last complete entry in the file (0 when empty or absent), read without the
   * mutex: a fencing token derived from it is never reused, since every grant is appended after.
   */
  lastSeq(): number {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
    try {
      let size = fstatSync(fd).size;
      if (size === 0) return 0;
      let last = readLastLine(fd, size);
      if (last.torn) {
        size -= last.line.length;
        if (size === 0) return 0;
        last = readLastLine(fd, size);
      }
      let seq: unknown;
      try {
        seq = (JSON.parse(last.line.toString('utf8')) as { seq?: unknown }).seq;
      } catch {
        seq = undefined;
      }
      if (!Number.isSafeInteger(seq)) {
        throw new GateError('LEDGER_CORRUPT', 'the last line of the ledger is not a valid entry.', { fix: 'run `gate audit verify` to see where the ledger was damaged' });
      }
      return seq as number;
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * A line that could hold a `reject` entry (its event decodes to "reject": it contains the bytes
 * `reject`, unless it spells them with a `\u` escape, so both are searched) goes to `observe`.
 * False when such a line does not parse to an object (the caller then verifies in full).
 */
function mayReject(line: Buffer, observe: (value: unknown) => void): boolean {
  if (line.indexOf(REJECT) === -1 && line.indexOf(ESCAPE) === -1) return true;
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch {
    return false;
  }
  if (typeof value !== 'object' || value === null) return false;
  observe(value);
  return true;
}
