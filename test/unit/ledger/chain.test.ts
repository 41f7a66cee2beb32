import { describe, expect, it } from 'vitest';
import { genesisHash, linkHash, serializeEntry, verifyBuffer, type LedgerHead } from '../../../src/ledger/chain.js';
import type { LedgerEntry } from '../../../src/schema/ledger/schema.js';

const REPO = '0f1e2d3c-4b5a-4697-8877-665544332211';
const GENESIS = genesisHash(REPO);

function build(n: number): { lines: string[]; head: LedgerHead } {
  const lines: string[] = [];
  let prev = GENESIS;
  let size = 0;
  for (let i = 1; i <= n; i++) {
    const e: LedgerEntry = {
      seq: i,
      ts: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      event: i % 2 ? 'lease.grant' : 'lease.release',
      actor: { kind: 'agent', id: `agent-${i % 3}` },
      subject: { paths: [`tasks/${i}/progress.md`] },
      data: { token: i, note: `entry ${i}` },
      prev,
    };
    const line = serializeEntry(e);
    lines.push(line);
    prev = linkHash(line);
    size += Buffer.byteLength(line) + 1;
  }
  return { lines, head: { seq: n, hash: prev, size } };
}

const toBuf = (lines: string[], trailingNewline = true) => Buffer.from(lines.join('\n') + (trailingNewline && lines.length ? '\n' : ''));

function editField(line: string, mutate: (o: Record<string, any>) => void): string {
  const o = JSON.parse(line);
  mutate(o);
  return JSON.stringify(o);
}

describe('ledger chain: intact', () => {
  it('verifies an intact chain of 10 entries', () => {
    const { lines, head } = build(10);
    const r = verifyBuffer(toBuf(lines), GENESIS, head);
    expect(r).toMatchObject({ ok: true, entries: 10, tip: head.hash });
  });
  it('verifies an empty ledger with no head', () => {
    expect(verifyBuffer(Buffer.alloc(0), GENESIS, undefined)).toMatchObject({ ok: true, entries: 0, tip: GENESIS });
  });
  it('warns (but passes) when entries follow the recorded head', () => {
    const { lines } = build(6);
    const { head } = build(5);
    const r = verifyBuffer(toBuf(lines), GENESIS, head);
    expect(r.ok).toBe(true);
    expect(r.warnings.join()).toMatch(/appended after the head/);
  });
  it('rejects a chain from another repository (genesis mismatch)', () => {
    const { lines, head } = build(3);
    const r = verifyBuffer(toBuf(lines), genesisHash('another-repo'), head);
    expect(r.problem).toMatchObject({ line: 1, reason: 'genesis_mismatch' });
  });
});

const N = 8;
const FIELDS: Array<[string, (o: Record<string, any>) => void]> = [
  ['seq', (o) => (o.seq = o.seq + 100)],
  ['ts', (o) => (o.ts = '2030-01-01T00:00:00.000Z')],
  ['event', (o) => (o.event = o.event === 'lease.grant' ? 'lease.break' : 'lease.grant')],
  ['actor', (o) => (o.actor.id = 'mallory')],
  ['subject', (o) => (o.subject.paths = ['other.md'])],
  ['data', (o) => (o.data.token = 9999)],
  ['prev', (o) => (o.prev = 'f'.repeat(64))],
];

describe('ledger tamper matrix: edit any field of any line', () => {
  for (const [field, mutate] of FIELDS) {
    for (let k = 1; k <= N; k++) {
      it(`edit ${field} of line ${k} → line ${k}`, () => {
        const { lines, head } = build(N);
        lines[k - 1] = editField(lines[k - 1]!, mutate);
        const r = verifyBuffer(toBuf(lines), GENESIS, head);
        expect(r.ok).toBe(false);
        expect(r.problem!.line).toBe(k);
        expect(['edited', 'genesis_mismatch']).toContain(r.problem!.reason);
      });
    }
  }
  it('an edit that breaks the JSON → that line, edited', () => {
    const { lines, head } = build(N);
    lines[3] = lines[3]!.slice(0, -5);
    expect(verifyBuffer(toBuf(lines), GENESIS, head).problem).toMatchObject({ line: 4, reason: 'edited' });
  });
});

describe('ledger tamper matrix: structure', () => {
  for (let k = 1; k < N; k++) {
    it(`delete line ${k} → line ${k}, deleted`, () => {
      const { lines, head } = build(N);
      lines.splice(k - 1, 1);
      expect(verifyBuffer(toBuf(lines), GENESIS, head).problem).toMatchObject({ line: k, reason: 'deleted' });
    });
  }
  it('delete the last line → truncated', () => {
    const { lines, head } = build(N);
    lines.pop();
    expect(verifyBuffer(toBuf(lines), GENESIS, head).problem).toMatchObject({ line: N, reason: 'truncated' });
  });
  for (let k = 1; k < N; k++) {
    it(`swap lines ${k} and ${k + 1} → line ${k}, reordered`, () => {
      const { lines, head } = build(N);
      [lines[k - 1], lines[k]] = [lines[k]!, lines[k - 1]!];
      expect(verifyBuffer(toBuf(lines), GENESIS, head).problem).toMatchObject({ line: k, reason: 'reordered' });
    });
  }
  for (let k = 2; k <= N; k++) {
    it(`duplicate line ${k - 1} at ${k} → line ${k}, duplicated`, () => {
      const { lines, head } = build(N);
      lines.splice(k - 1, 0, lines[k - 2]!);
      expect(verifyBuffer(toBuf(lines), GENESIS, head).problem).toMatchObject({ line: k, reason: 'duplicated' });
    });
  }
  for (let k = 1; k <= N; k++) {
    it(`insert a forged, correctly chained entry at line ${k} → line ${k}, inserted`, () => {
      const { lines, head } = build(N);
      const prev = k === 1 ? GENESIS : linkHash(lines[k - 2]!);
      const forged = JSON.stringify({ seq: k, ts: '2026-01-01T00:00:00.000Z', event: 'approve', actor: { kind: 'human', id: 'forger' }, subject: {}, data: {}, prev });
      lines.splice(k - 1, 0, forged);
      expect(verifyBuffer(toBuf(lines), GENESIS, head).problem).toMatchObject({ line: k, reason: 'inserted' });
    });
    it(`insert a careless entry at line ${k} → line ${k}, inserted`, () => {
      const { lines, head } = build(N);
      const forged = JSON.stringify({ seq: 42, ts: '2026-01-01T00:00:00.000Z', event: 'approve', actor: { kind: 'human', id: 'forger' }, subject: {}, data: {}, prev: '0'.repeat(64) });
      lines.splice(k - 1, 0, forged);
      expect(verifyBuffer(toBuf(lines), GENESIS, head).problem).toMatchObject({ line: k, reason: 'inserted' });
    });
  }
  it('truncate the tail by three lines → truncated at the first missing line', () => {
    const { lines, head } = build(N);
    const r = verifyBuffer(toBuf(lines.slice(0, N - 3)), GENESIS, head);
    expect(r.problem).toMatchObject({ line: N - 2, reason: 'truncated' });
  });
  it('torn last line (partial write, no newline) → torn at that line', () => {
    const { lines, head } = build(N);
    const buf = Buffer.concat([toBuf(lines), Buffer.from(lines[0]!.slice(0, 20))]);
    expect(verifyBuffer(buf, GENESIS, head).problem).toMatchObject({ line: N + 1, reason: 'torn' });
  });
  it('CRLF conversion → crlf at line 1', () => {
    const { lines, head } = build(N);
    const buf = Buffer.from(lines.join('\r\n') + '\r\n');
    expect(verifyBuffer(buf, GENESIS, head).problem).toMatchObject({ line: 1, reason: 'crlf' });
  });
  it('whole-file rewrite with recomputed hashes is caught by the head file', () => {
    const { head } = build(N);
    // attacker rebuilds every entry with altered data and a consistent chain
    const rebuilt: string[] = [];
    let prev = GENESIS;
    for (let i = 1; i <= N; i++) {
      const line = JSON.stringify({ seq: i, ts: '2026-01-01T00:00:00.000Z', event: 'lease.grant', actor: { kind: 'agent', id: 'rewriter' }, subject: {}, data: {}, prev });
      rebuilt.push(line);
      prev = linkHash(line);
    }
    const r = verifyBuffer(toBuf(rebuilt), GENESIS, head);
    expect(r.ok).toBe(false);
    expect(r.problem!.line).toBe(N);
  });
  it('a deleted head file is reported, not ignored', () => {
    const { lines } = build(N);
    expect(verifyBuffer(toBuf(lines), GENESIS, undefined).problem).toMatchObject({ reason: 'head_missing' });
  });
  it('an emptied ledger with a head → truncated at line 1', () => {
    const { head } = build(N);
    expect(verifyBuffer(Buffer.alloc(0), GENESIS, head).problem).toMatchObject({ line: 1, reason: 'truncated' });
  });
});
