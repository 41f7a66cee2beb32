import { describe, expect, it } from 'vitest';
import { ChainVerifier, genesisHash, linkHash, serializeEntry, verifyBuffer, type LedgerHead } from '../../../src/ledger/chain.js';
import type { LedgerEntry } from '../../../src/schema/ledger/schema.js';

const GENESIS = genesisHash('edge-repo');

function chain(n: number, pad = 0): { lines: string[]; head: LedgerHead } {
  const lines: string[] = [];
  let prev = GENESIS;
  for (let i = 1; i <= n; i++) {
    const e: LedgerEntry = { seq: i, ts: '2026-01-01T00:00:00.000Z', event: 'commit', actor: { kind: 'system', id: 'hook' }, subject: {}, data: pad ? { pad: 'x'.repeat(pad) } : {}, prev };
    const line = serializeEntry(e);
    lines.push(line);
    prev = linkHash(line);
  }
  return { lines, head: { seq: n, hash: prev, size: 0 } };
}
const buf = (lines: string[]) => Buffer.from(`${lines.join('\n')}\n`);

describe('ledger chain: edge cases', () => {
  it('observe sees every well-formed entry in order, in the same pass as the verification', () => {
    const { lines, head } = chain(5);
    const seen: number[] = [];
    const v = new ChainVerifier(GENESIS, head.seq, (e) => seen.push((e as LedgerEntry).seq));
    for (const l of lines) v.push(Buffer.from(l));
    expect(v.finish(head)).toMatchObject({ ok: true, entries: 5 });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    // an edited line is not observed (and the result is not ok, so nothing observed counts)
    const seen2: number[] = [];
    const v2 = new ChainVerifier(GENESIS, head.seq, (e) => seen2.push((e as LedgerEntry).seq));
    const edited = [...lines];
    edited[2] = edited[2]!.replace('"seq":3', '"seq":"3"');
    for (const l of edited) v2.push(Buffer.from(l));
    expect(v2.finish(head).ok).toBe(false);
    expect(seen2).not.toContain('3');
  });
  it('verifies entries longer than the hashing scratch buffer (1 MiB lines)', () => {
    const { lines, head } = chain(3, 1 << 20);
    expect(verifyBuffer(buf(lines), GENESIS, head)).toMatchObject({ ok: true, entries: 3 });
  });
  it('names a run of deleted entries', () => {
    const { lines, head } = chain(8);
    lines.splice(2, 3); // entries 3, 4, 5
    expect(verifyBuffer(buf(lines), GENESIS, head).problem).toMatchObject({ line: 3, reason: 'deleted', message: expect.stringContaining('entries 3..5 were deleted') });
  });
  it('reports an entry moved far back as out of sequence', () => {
    const { lines, head } = chain(8);
    const [moved] = lines.splice(1, 1); // entry 2 ...
    lines.splice(5, 0, moved!); // ... reappears after entry 6
    const r = verifyBuffer(buf(lines), GENESIS, head);
    expect(r.ok).toBe(false);
    expect(r.problem!.line).toBe(2);
  });
  it('an old entry replayed in the middle is an insertion at that line', () => {
    const { lines, head } = chain(6);
    lines.splice(4, 0, lines[0]!); // entry 1 again at line 5; line 6 carries seq 5
    expect(verifyBuffer(buf(lines), GENESIS, head).problem).toMatchObject({ line: 5, reason: 'inserted' });
  });
  it('an old entry replayed at the end is out of sequence', () => {
    const { lines, head } = chain(6);
    lines.push(lines[0]!); // entry 1 again as line 7
    expect(verifyBuffer(buf(lines), GENESIS, head).problem).toMatchObject({ line: 7, reason: 'reordered' });
  });
  it('a correctly chained line that is not a valid entry (unknown event) is edited', () => {
    const { lines } = chain(2);
    const bad = JSON.stringify({ seq: 3, ts: '2026-01-01T00:00:00.000Z', event: 'not.an.event', actor: { kind: 'system', id: 'x' }, subject: {}, data: {}, prev: linkHash(lines[1]!) });
    lines.push(bad);
    const head = { seq: 3, hash: linkHash(bad), size: 0 };
    expect(verifyBuffer(buf(lines), GENESIS, head).problem).toMatchObject({ line: 3, reason: 'edited', message: expect.stringContaining('event') });
  });
  it('a JSON value that is not an object is edited, not skipped', () => {
    const { lines, head } = chain(3);
    lines[1] = '[1,2,3]';
    expect(verifyBuffer(buf(lines), GENESIS, head).problem).toMatchObject({ line: 2, reason: 'edited' });
  });
  it('ignores input after the first problem, and a torn line after complete ones is torn', () => {
    const v = new ChainVerifier(GENESIS, 2);
    const { lines, head } = chain(2);
    v.push(Buffer.from('garbage'));
    v.push(Buffer.from(lines[0]!));
    v.pushTorn(Buffer.from('{"seq":'));
    const r = v.finish(head);
    expect(r.problem).toMatchObject({ line: 1, reason: 'edited' });
    expect(v.failed).toBe(true);

    const w = new ChainVerifier(GENESIS, 2);
    w.push(Buffer.from(lines[0]!));
    w.push(Buffer.from(lines[1]!));
    w.pushTorn(Buffer.from('{"seq":3'));
    expect(w.finish(head).problem).toMatchObject({ line: 3, reason: 'torn' });
  });
});
