import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256Hex, sha256HexJs, SMALL } from '../../../src/kernel/sha256.js';
import { genesisHash, linkHash, linkHashBytes } from '../../../src/ledger/chain.js';
import { leaseFileName } from '../../../src/adapters/lease-store.js';

const node = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

describe('sha256 without node:crypto (kernel/sha256.ts)', () => {
  it('gives the FIPS 180-4 digests', () => {
    expect(sha256HexJs(Buffer.from(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256HexJs(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256HexJs(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    expect(sha256HexJs(Buffer.alloc(1_000_000, 'a'))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('agrees with node:crypto at every length around the block boundaries', () => {
    const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 255));
    for (let n = 0; n <= 300; n++) expect(sha256HexJs(bytes.subarray(0, n)), `length ${n}`).toBe(node(bytes.subarray(0, n)));
  });

  it('agrees with node:crypto on random bytes and text (parts concatenated, strings as UTF-8)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.string({ unit: 'grapheme', maxLength: 200 }), (b, s) => {
        expect(sha256HexJs(b)).toBe(node(b));
        expect(sha256Hex(s)).toBe(node(s));
        expect(sha256Hex(s, b)).toBe(node(Buffer.concat([Buffer.from(s, 'utf8'), b])));
      }),
      { numRuns: 300 },
    );
  });

  it('hands inputs longer than SMALL to node and gives the same digest', () => {
    const big = Buffer.alloc(SMALL + 1, 0x5a);
    expect(sha256Hex(big)).toBe(node(big));
    expect(sha256Hex(big.subarray(0, SMALL))).toBe(node(big.subarray(0, SMALL)));
  });

  it('leaves the ledger link hash, the genesis and the lease file names as they were', () => {
    const line = '{"seq":7,"ts":"2026-12-07T05:00:00.000Z","event":"lease.grant","actor":"agent:a","subject":{"paths":["tasks/t1/progress.md"]},"data":{"token":7},"prev":"00"}';
    expect(linkHash(line)).toBe(node(Buffer.from(`agent-gates/ledger/v1\0line\0${line}`)));
    expect(linkHash(Buffer.from(line))).toBe(linkHashBytes(Buffer.from(line)));
    expect(genesisHash('r-1')).toBe(node('agent-gates/ledger/v1\0genesis\0r-1'));
    expect(leaseFileName('tasks/t1/progress.md')).toBe(`${node('tasks/t1/progress.md').slice(0, 32)}-t1_progress.md.json`);
    expect(leaseFileName('docs/é ü/progress.md').slice(0, 32)).toBe(node('docs/é ü/progress.md').slice(0, 32));
  });
});
