/**
 * The team's ledger, pure part (src/ledger/team.ts): published heads, a published ledger verified
 * from its clone's genesis, append-only comparison naming the first line that changed, and a
 * published chain's earlier versions checked against the newest. Table-driven.
 */
import { describe, expect, it } from 'vitest';
import { genesisHash, linkHash, serializeEntry } from '../../../src/ledger/chain.js';
import { checkPublishedHistory, firstDifference, hashesAtBytes, parsePublishedHead, serializePublishedHead, verifyPublished } from '../../../src/ledger/team.js';
import type { LedgerEntry } from '../../../src/schema/ledger/schema.js';

const ID = '0f0e0d0c-0b0a-4908-8706-050403020100';

/** A sound ledger of n entries (bytes, head), optionally with entry `edit` given other data and hashes recomputed. */
function ledger(n: number, edit?: number): { bytes: Buffer; head: { seq: number; hash: string; size: number }; hashes: string[] } {
  let prev = genesisHash(ID);
  const lines: string[] = [];
  const hashes: string[] = [];
  for (let i = 1; i <= n; i++) {
    const e: LedgerEntry = { seq: i, ts: `2026-12-07T00:00:${String(i % 60).padStart(2, '0')}.000Z`, event: 'explain', actor: { kind: 'human', id: 'human:a@b' }, subject: {}, data: { n: i === edit ? -1 : i }, prev } as LedgerEntry;
    const s = serializeEntry(e);
    lines.push(s);
    prev = linkHash(s);
    hashes.push(prev);
  }
  const text = lines.length ? `${lines.join('\n')}\n` : '';
  return { bytes: Buffer.from(text), head: { seq: n, hash: n ? prev : genesisHash(ID), size: Buffer.byteLength(text) }, hashes };
}

describe('published heads', () => {
  it.each([
    [undefined, 'head.json is missing'],
    [Buffer.from('{'), 'head.json is not valid JSON'],
    [Buffer.from('null'), 'head.json does not hold {seq, hash, size, repoId}'],
    [Buffer.from('{"seq":1,"hash":"x","size":1}'), 'head.json does not hold {seq, hash, size, repoId}'],
    [Buffer.from('{"seq":1.5,"hash":"x","size":1,"repoId":"r"}'), 'head.json does not hold {seq, hash, size, repoId}'],
  ])('rejects %s', (bytes, why) => {
    expect(parsePublishedHead(bytes)).toBe(why);
  });
  it('round-trips', () => {
    const h = { seq: 3, hash: 'ab', size: 10, repoId: ID };
    expect(parsePublishedHead(Buffer.from(serializePublishedHead(h)))).toEqual(h);
  });
});

describe('verifyPublished', () => {
  it('accepts a sound ledger and an empty one', () => {
    const l = ledger(5);
    expect(verifyPublished(ID, l.bytes, l.head)).toMatchObject({ ok: true, entries: 5 });
    const e = ledger(0);
    expect(verifyPublished(ID, e.bytes, { seq: 0, hash: genesisHash(ID), size: 0 }).ok).toBe(true);
  });
  it('names a size that disagrees with the head', () => {
    const l = ledger(3);
    expect(verifyPublished(ID, l.bytes, { ...l.head, size: l.head.size + 1 }).problem).toMatchObject({ line: 3, reason: 'head_mismatch' });
  });
  it("refuses another clone's ledger published under this id (genesis)", () => {
    const l = ledger(3);
    expect(verifyPublished('ffffffff-0b0a-4908-8706-050403020100', l.bytes, l.head).problem).toMatchObject({ line: 1, reason: 'genesis_mismatch' });
  });
  it('names an edited line', () => {
    const l = ledger(4);
    const text = l.bytes.toString('utf8').replace('"n":2', '"n":7');
    expect(verifyPublished(ID, Buffer.from(text), l.head).problem).toMatchObject({ line: 2, reason: 'edited' });
  });
});

describe('firstDifference (append-only)', () => {
  const a = ledger(6);
  const b = ledger(9);
  const forged = ledger(9, 4);
  it.each([
    ['an extension', a.bytes, b.bytes, undefined],
    ['the same bytes', a.bytes, a.bytes, undefined],
    ['from nothing', Buffer.alloc(0), a.bytes, undefined],
    ['a rewrite of line 4', a.bytes, forged.bytes, { line: 4, kind: 'changed' }],
    ['a cut after line 6', b.bytes, a.bytes, { line: 7, kind: 'cut' }],
    ['a cut to nothing', a.bytes, Buffer.alloc(0), { line: 1, kind: 'cut' }],
  ])('%s', (_label, older, newer, want) => {
    expect(firstDifference(older, newer)).toEqual(want);
  });
  it('finds a change past the first block of a long ledger', () => {
    const big = ledger(2000);
    const bigForged = ledger(2000, 1999);
    expect(firstDifference(big.bytes, bigForged.bytes)).toEqual({ line: 1999, kind: 'changed' });
  });
});

describe('hashesAtBytes and checkPublishedHistory', () => {
  const l = ledger(6);
  it('gives the link hash after n lines, undefined past the end', () => {
    const h = hashesAtBytes(l.bytes, [1, 6, 7]);
    expect(h.get(1)).toBe(l.hashes[0]);
    expect(h.get(6)).toBe(l.hashes[5]);
    expect(h.get(7)).toBeUndefined();
  });
  it('accepts earlier versions that the newest extends', () => {
    const versions = [2, 4].map((n) => ({ commit: `c${n}`.padEnd(40, '0'), head: ledger(n).head }));
    expect(checkPublishedHistory(ID, l.bytes, [...versions, { commit: '0'.repeat(40), head: { seq: 0, hash: genesisHash(ID), size: 0 } }])).toBeUndefined();
  });
  it('names the oldest version that no longer holds: rewritten, or cut', () => {
    const forged = ledger(6, 3);
    const versions = [2, 4, 5].map((n) => ({ commit: `c${n}`.padEnd(40, '0'), head: ledger(n).head }));
    expect(checkPublishedHistory(ID, forged.bytes, versions)).toMatchObject({ repoId: ID, line: 4, reason: 'rewritten' });
    expect(checkPublishedHistory(ID, ledger(3).bytes, versions)).toMatchObject({ line: 4, reason: 'truncated' });
  });
});
