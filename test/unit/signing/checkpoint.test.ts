import { describe, expect, it } from 'vitest';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkAgainstSeen,
  checkpointText,
  keyId,
  ledgerOrigin,
  signCheckpoint,
  verifyCheckpoint,
  type Checkpoint,
  type CheckpointVerifier,
} from '../../../src/signing/checkpoint.js';
import { CheckpointStore } from '../../../src/adapters/checkpoint-store.js';

const root = (s: string) => createHash('sha256').update(s).digest();
const ORIGIN = ledgerOrigin('0f1e2d3c-4b5a-4697-8877-665544332211');

function edPair(name: string): { priv: KeyObject; verifier: CheckpointVerifier } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { priv: privateKey, verifier: { kind: 'ed25519', name, publicKey: Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url') } };
}

const cp = (size: number, r = `root-${size}`): Checkpoint => ({ origin: ORIGIN, size, root: root(r), extensions: [] });

describe('signed checkpoint notes (C2SP tlog-checkpoint shape)', () => {
  const alice = edPair('alice.example/gate');
  it('text has origin, size, base64 root, each on its own line', () => {
    const t = checkpointText({ ...cp(12), extensions: ['ext one'] });
    expect(t).toBe(`${ORIGIN}\n12\n${root('root-12').toString('base64')}\next one\n`);
  });

  it('signs and verifies; the signature line is "— name base64(keyid||sig)" with the C2SP Ed25519 key id', () => {
    const note = signCheckpoint(cp(5), [{ kind: 'ed25519', name: 'alice.example/gate', privateKey: alice.priv }]);
    const sigLine = note.split('\n\n')[1]!.trim();
    expect(sigLine.startsWith('\u2014 alice.example/gate ')).toBe(true);
    const raw = Buffer.from(sigLine.split(' ')[2]!, 'base64');
    expect(raw.length).toBe(68);
    const expectedId = createHash('sha256').update('alice.example/gate\n').update(Buffer.from([1])).update((alice.verifier as { publicKey: Buffer }).publicKey).digest().subarray(0, 4);
    expect(raw.subarray(0, 4).equals(expectedId)).toBe(true);
    expect(keyId(alice.verifier).equals(expectedId)).toBe(true);
    const v = verifyCheckpoint(note, [alice.verifier], { origin: ORIGIN });
    expect(v).toMatchObject({ ok: true, signedBy: ['alice.example/gate'] });
    if (v.ok) expect(v.checkpoint.size).toBe(5);
  });

  const signed = () => signCheckpoint(cp(5), [{ kind: 'ed25519', name: 'alice.example/gate', privateKey: alice.priv }]);
  const refusals: Array<[string, (n: string) => string, RegExp, CheckpointVerifier[]?]> = [
    ['size edited', (n) => n.replace('\n5\n', '\n6\n'), /does not verify/],
    ['root edited', (n) => n.replace(root('root-5').toString('base64'), root('x').toString('base64')), /does not verify/],
    ['origin edited', (n) => n.replace(ORIGIN, ORIGIN + 'x'), /not "agent-gates|does not verify/],
    ['no trusted key', (n) => n, /no signature by a trusted key/, [edPair('alice.example/gate').verifier]],
    ['signature line mangled', (n) => n.replace('\u2014 ', '-- '), /malformed signature line/],
    ['no blank line', (n) => n.replace('\n\n', '\n'), /blank line|malformed/],
    ['control character', (n) => n.replace('\n5\n', '\n5\r\n'), /control character/],
    ['size with leading zero', (n) => n.replace('\n5\n', '\n05\n'), /invalid size/],
    ['truncated signature', (n) => n.replace(/ ([A-Za-z0-9+/]{20})[A-Za-z0-9+/=]+\n$/, ' $1\n'), /does not verify|base64/],
  ];
  for (const [name, mutate, re, vs] of refusals) {
    it(`refuses: ${name}`, () => {
      const v = verifyCheckpoint(mutate(signed()), vs ?? [alice.verifier], { origin: ORIGIN });
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.reason).toMatch(re);
    });
  }

  it('unknown signers are ignored; a known signer whose signature fails rejects the note', () => {
    const bob = edPair('bob.example/witness');
    const note = signCheckpoint(cp(5), [
      { kind: 'ed25519', name: 'alice.example/gate', privateKey: alice.priv },
      { kind: 'ed25519', name: 'bob.example/witness', privateKey: bob.priv },
    ]);
    expect(verifyCheckpoint(note, [alice.verifier])).toMatchObject({ ok: true, signedBy: ['alice.example/gate'] });
    expect(verifyCheckpoint(note, [alice.verifier, bob.verifier])).toMatchObject({ ok: true, signedBy: ['alice.example/gate', 'bob.example/witness'] });
    // corrupt bob's signature: with bob trusted the note is rejected
    const lines = note.split('\n');
    const i = lines.findIndex((l) => l.includes('bob.example'));
    const raw = Buffer.from(lines[i]!.split(' ')[2]!, 'base64');
    raw[10]! ^= 1;
    lines[i] = `\u2014 bob.example/witness ${raw.toString('base64')}`;
    const bad = lines.join('\n');
    expect(verifyCheckpoint(bad, [alice.verifier, bob.verifier])).toMatchObject({ ok: false });
    expect(verifyCheckpoint(bad, [alice.verifier]).ok).toBe(true);
  });

  it('key names with spaces or "+" are refused when signing', () => {
    expect(() => signCheckpoint(cp(1), [{ kind: 'ed25519', name: 'a+b', privateKey: alice.priv }])).toThrow(/invalid key name/);
  });
});

describe('rollback and equivocation', () => {
  const seen = [
    { origin: ORIGIN, size: 3, root: root('r3').toString('base64') },
    { origin: ORIGIN, size: 7, root: root('r7').toString('base64') },
    { origin: 'other', size: 100, root: root('o').toString('base64') },
  ];
  it('a larger checkpoint is newest', () => expect(checkAgainstSeen(seen, cp(8))).toEqual({ ok: true, newest: true }));
  it('the same checkpoint again is consistent, not newest', () => expect(checkAgainstSeen(seen, cp(7, 'r7'))).toEqual({ ok: true, newest: false }));
  it('smaller than one seen → rollback', () => expect(checkAgainstSeen(seen, cp(5))).toMatchObject({ ok: false, reason: 'rollback', against: { size: 7 } }));
  it('an old checkpoint replayed (size 3, same root) → rollback', () => expect(checkAgainstSeen(seen, cp(3, 'r3'))).toMatchObject({ ok: false, reason: 'rollback' }));
  it('same size, other root → equivocation', () => expect(checkAgainstSeen(seen, cp(7, 'forked'))).toMatchObject({ ok: false, reason: 'equivocation', against: { size: 7 } }));
  it('an older size with another root → equivocation (reported before rollback)', () => expect(checkAgainstSeen(seen, cp(3, 'x'))).toMatchObject({ ok: false, reason: 'equivocation' }));
  it('other origins do not count', () => expect(checkAgainstSeen(seen, { ...cp(50), origin: 'third' })).toEqual({ ok: true, newest: true }));

  it('the store keeps what it saw and refuses rollback and equivocation, keeping the evidence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gate-cp-'));
    try {
      const store = new CheckpointStore(dir);
      expect(store.record(cp(4), 'note4')).toMatchObject({ ok: true });
      // a stored note must parse: use real texts
      const a = edPair('a');
      const n = (c: Checkpoint) => signCheckpoint(c, [{ kind: 'ed25519', name: 'a', privateKey: a.priv }]);
      const store2 = new CheckpointStore(join(dir, 's2'));
      expect(store2.record(cp(4), n(cp(4)))).toEqual({ ok: true, newest: true });
      expect(store2.record(cp(9), n(cp(9)))).toEqual({ ok: true, newest: true });
      expect(store2.seen(ORIGIN).map((s) => s.size)).toEqual([4, 9]);
      expect(store2.record(cp(6), n(cp(6)))).toMatchObject({ ok: false, reason: 'rollback' });
      expect(store2.record(cp(9, 'fork'), n(cp(9, 'fork')))).toMatchObject({ ok: false, reason: 'equivocation' });
      // rejected notes did not become "seen"
      expect(store2.seen(ORIGIN).map((s) => s.size)).toEqual([4, 9]);
      expect(readdirSync(join(dir, 's2', 'checkpoints', 'rejected')).length).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
