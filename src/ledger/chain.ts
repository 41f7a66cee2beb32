/**
 * Pure hash-chain logic for the ledger: canonical bytes, linking, and a streaming verifier
 * that names the first bad line and why. No fs here: callers feed lines in.
 *
 * Each line is the exact JSON bytes of one entry (no trailing newline). Entry n carries
 * `prev = H("agent-gates/ledger/v1\0line\0" || bytes of line n-1)`; entry 1 carries the genesis
 * value `H("agent-gates/ledger/v1\0genesis\0" || repository id)`.
 */
import { nodeCrypto } from '../kernel/builtins.js';
import { sha256Hex } from '../kernel/sha256.js';
import type { LedgerEntry } from '../schema/ledger/schema.js';
import { entryProblem } from '../schema/ledger/schema.js';

export const LEDGER_DOMAIN = 'agent-gates/ledger/v1';
const LINE_PREFIX = Buffer.from(`${LEDGER_DOMAIN}\0line\0`);

export function genesisHash(repoId: string): string {
  return sha256Hex(`${LEDGER_DOMAIN}\0genesis\0${repoId}`);
}

/**
 * The value the next entry's `prev` must carry after this line. One line at a time (an append, a
 * head check): short lines are hashed without loading node:crypto (kernel/sha256.ts).
 */
export function linkHash(line: Buffer | string): string {
  return sha256Hex(LINE_PREFIX, line);
}

// The verifier hashes every line of the ledger: a one-shot hash of prefix+line copied into a
// reused buffer costs about half of a Hash object per line (same bytes, same digest).
let scratch = Buffer.allocUnsafe(64 * 1024);
LINE_PREFIX.copy(scratch, 0);

/** linkHash for a Buffer, faster on the verifier's hot loop. */
export function linkHashBytes(line: Buffer): string {
  const n = LINE_PREFIX.length + line.length;
  if (n > scratch.length) {
    scratch = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
    LINE_PREFIX.copy(scratch, 0);
  }
  line.copy(scratch, LINE_PREFIX.length);
  return nodeCrypto().hash('sha256', scratch.subarray(0, n), 'hex');
}

/** Canonical serialisation: fixed top-level key order, no whitespace, no newline. */
export function serializeEntry(e: LedgerEntry): string {
  return JSON.stringify({
    seq: e.seq,
    ts: e.ts,
    event: e.event,
    actor: e.actor,
    subject: e.subject,
    data: e.data,
    prev: e.prev,
  });
}

export type TamperReason =
  | 'edited'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'duplicated'
  | 'truncated'
  | 'torn'
  | 'crlf'
  | 'head_mismatch'
  | 'head_missing'
  | 'genesis_mismatch';

export interface ChainProblem {
  line: number;
  reason: TamperReason;
  message: string;
}

export interface LedgerHead {
  seq: number;
  hash: string;
  size: number;
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  /** Link hash after the last verified line (what the next entry must chain to). */
  tip: string;
  problem?: ChainProblem;
  warnings: string[];
}

interface Line {
  no: number;
  raw: Buffer;
  seq: number;
  prev: string;
  hash: string;
  crlf: boolean;
  parseError?: string;
  torn: boolean;
}

function parseLine(no: number, raw: Buffer, torn: boolean, observe?: (value: unknown) => void): Line {
  const crlf = raw.length > 0 && raw[raw.length - 1] === 0x0d;
  const line: Line = { no, raw, seq: -1, prev: '', hash: linkHashBytes(raw), crlf, torn };
  let v: unknown;
  try {
    v = JSON.parse(raw.toString('utf8'));
  } catch {
    line.parseError = 'not valid JSON';
    return line;
  }
  // prev's format is implied by the chain check in evaluate(): a prev that is not the previous
  // line's hash (or the genesis value) fails there whatever it looks like
  const problem = entryProblem(v, { prevChainChecked: true });
  const o = v as Record<string, unknown>;
  if (typeof o === 'object' && o !== null) {
    if (Number.isSafeInteger(o.seq)) line.seq = o.seq as number;
    if (typeof o.prev === 'string') line.prev = o.prev;
  }
  if (problem) line.parseError = problem;
  else observe?.(v);
  return line;
}

/**
 * Streaming verifier. Feed complete lines with `push`, then call `finish` with the recorded head.
 * Decisions about line i wait for line i+1 (one line of look-ahead) so the report can say
 * which line was tampered with, not merely where the chain first broke.
 */
export class ChainVerifier {
  private readonly genesis: string;
  private prevAccepted: Line | undefined;
  private pending: Line | undefined;
  private count = 0;
  private problem: ChainProblem | undefined;
  private headLine: { hash: string } | undefined;
  private watchSeq: number;
  readonly warnings: string[] = [];

  /**
   * `observe` sees every line's parsed value that is a well-formed entry, as it is read (one pass
   * for callers that also need the entries); what it saw counts only when `finish` reports ok.
   */
  private readonly observe: ((value: unknown) => void) | undefined;

  /**
   * `from`: continue a chain already verified up to entry `from.seq` whose link hash is
   * `from.hash` (the first line fed must be entry `from.seq + 1` chaining to it). A failure
   * reported in this mode names lines by their entry number but may describe the cause less
   * precisely than a verification from the start; callers re-verify from the start for the report.
   */
  constructor(genesis: string, watchSeq = -1, observe?: (value: unknown) => void, from?: { seq: number; hash: string }) {
    this.genesis = from ? from.hash : genesis;
    this.watchSeq = watchSeq;
    this.observe = observe;
    if (from) {
      this.count = from.seq;
      if (from.seq === watchSeq) this.headLine = { hash: from.hash };
    }
  }

  get failed(): boolean {
    return this.problem !== undefined;
  }

  /** Feed the next line's bytes (without its "\n"). */
  push(raw: Buffer): void {
    if (this.problem) return;
    this.count += 1;
    const line = parseLine(this.count, raw, false, this.observe);
    if (this.pending) this.evaluate(this.pending, line);
    this.pending = line;
  }

  /** Feed a final segment that had no terminating newline. */
  pushTorn(raw: Buffer): void {
    if (this.problem) return;
    this.count += 1;
    const line = parseLine(this.count, raw, true, this.observe);
    if (this.pending) this.evaluate(this.pending, line);
    this.pending = line;
  }

  finish(head: LedgerHead | undefined): VerifyResult {
    if (!this.problem && this.pending) this.evaluate(this.pending, undefined, head);
    this.pending = undefined;
    if (!this.problem) this.checkHead(head);
    const accepted = this.prevAccepted;
    return {
      ok: this.problem === undefined,
      entries: this.count,
      tip: accepted ? accepted.hash : this.genesis,
      ...(this.problem ? { problem: this.problem } : {}),
      warnings: this.warnings,
    };
  }

  private fail(line: number, reason: TamperReason, message: string): void {
    if (!this.problem) this.problem = { line, reason, message };
  }

  private evaluate(b: Line, c: Line | undefined, head?: LedgerHead): void {
    if (this.problem) return;
    const a = this.prevAccepted;
    const i = b.no;
    if (b.torn) {
      this.fail(i, 'torn', `line ${i} is a partial write (no terminating newline); \`gate audit repair\` can cut it`);
      return;
    }
    if (b.crlf) {
      this.fail(i, 'crlf', `line ${i} ends with a carriage return: the file's line endings were converted (CRLF), which changes every hash`);
      return;
    }
    if (b.parseError && b.seq === -1) {
      this.fail(i, 'edited', `line ${i} is not a valid ledger entry (${b.parseError}): it was edited`);
      return;
    }
    if (b.seq !== i) {
      const chainsOk = !a ? b.prev === this.genesis : b.prev === a.hash;
      const nextAgrees = c ? c.seq === i + 1 : head !== undefined && head.seq === i;
      if (nextAgrees && chainsOk) {
        this.fail(i, 'edited', `line ${i} carries seq ${b.seq} where ${i} belongs: it was edited`);
      } else if (c && c.seq === i && b.seq === i + 1) {
        this.fail(i, 'reordered', `line ${i} carries seq ${b.seq} and line ${i + 1} carries seq ${i}: entries were reordered`);
      } else if (a && a.raw.equals(b.raw)) {
        this.fail(i, 'duplicated', `line ${i} repeats line ${i - 1} byte for byte: an entry was duplicated`);
      } else if (a && b.seq === a.seq && b.prev === a.prev) {
        this.fail(i - 1, 'inserted', `line ${i - 1} is not part of the chain (line ${i} continues from line ${i - 2}): an entry was inserted`);
      } else if (c && c.seq === i) {
        this.fail(i, 'inserted', `line ${i} is not part of the chain (line ${i + 1} carries seq ${i}): an entry was inserted`);
      } else if (b.seq > i) {
        const missing = b.seq - i;
        this.fail(i, 'deleted', `line ${i} carries seq ${b.seq}: ${missing === 1 ? `entry ${i} was` : `entries ${i}..${b.seq - 1} were`} deleted`);
      } else {
        this.fail(i, 'reordered', `line ${i} carries seq ${b.seq}, out of sequence: entries were reordered or inserted`);
      }
      return;
    }
    const expected = a ? a.hash : this.genesis;
    if (b.prev !== expected) {
      if (!a) {
        this.fail(1, 'genesis_mismatch', 'line 1 does not chain to this repository\'s genesis value: its prev was edited, or the ledger belongs to another repository');
        return;
      }
      if (c && c.seq === b.seq && c.prev === expected) {
        this.fail(i, 'inserted', `line ${i} is not part of the chain (line ${i + 1} continues from line ${i - 1}): an entry was inserted`);
        return;
      }
      const bIntact = c ? c.prev === b.hash : head !== undefined && head.seq === b.seq && head.hash === b.hash;
      if (bIntact) this.fail(i - 1, 'edited', `line ${i - 1} does not hash to the prev recorded in line ${i}: it was edited`);
      else this.fail(i, 'edited', `line ${i}'s prev does not match line ${i - 1}: it was edited`);
      return;
    }
    if (b.parseError) {
      this.fail(i, 'edited', `line ${i} is not a valid ledger entry (${b.parseError}): it was edited`);
      return;
    }
    this.prevAccepted = b;
    if (b.seq === this.watchSeq) this.headLine = b;
  }

  private checkHead(head: LedgerHead | undefined): void {
    const n = this.count;
    if (!head) {
      if (n > 0) this.fail(n, 'head_missing', 'the head file is missing although the ledger has entries: it was deleted, so truncation cannot be ruled out');
      return;
    }
    if (n < head.seq) {
      this.fail(n + 1, 'truncated', `the head records ${head.seq} entries but the file ends after ${n}: the tail was truncated`);
      return;
    }
    const hl = this.headLine;
    if (head.seq > 0 && (!hl || hl.hash !== head.hash)) {
      this.fail(head.seq, head.seq === n ? 'edited' : 'head_mismatch',
        `line ${head.seq} does not match the recorded head hash: it was edited, or the file was rewritten from there`);
      return;
    }
    if (n > head.seq) this.warnings.push(`${n - head.seq} entr${n - head.seq === 1 ? 'y was' : 'ies were'} appended after the head was last written (an interrupted append); the next append updates it`);
  }
}

/** Verify a whole ledger held in memory (tests, small files). */
export function verifyBuffer(buf: Buffer, genesis: string, head: LedgerHead | undefined): VerifyResult {
  const v = new ChainVerifier(genesis, head?.seq ?? -1);
  feedBuffer(v, buf, true);
  return v.finish(head);
}

/** Split a chunk into lines and feed them; returns the unterminated remainder. */
export function feedBuffer(v: ChainVerifier, buf: Buffer, final: boolean): Buffer {
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl === -1) break;
    v.push(buf.subarray(start, nl));
    start = nl + 1;
  }
  const rest = buf.subarray(start);
  if (final && rest.length > 0) {
    v.pushTorn(rest);
    return Buffer.alloc(0);
  }
  return rest;
}
