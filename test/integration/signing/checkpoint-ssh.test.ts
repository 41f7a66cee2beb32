import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, makeTempDir } from '../../helpers/repo.js';
import { keygen, type TestKey } from '../../helpers/ssh.js';
import { ledgerOrigin, signCheckpoint, verifyCheckpoint } from '../../../src/signing/checkpoint.js';
import { CHECKPOINT_NAMESPACE, parsePublicKeyLine } from '../../../src/signing/sshsig.js';
import { signMessage } from '../../../src/adapters/ssh-keygen.js';

let base: string;
let env: NodeJS.ProcessEnv;
let key: TestKey;
let other: TestKey;

beforeAll(() => {
  base = makeTempDir('gate-cpssh-');
  const home = join(base, 'home');
  mkdirSync(home, { recursive: true });
  env = cleanEnv(home);
  key = keygen(join(home, '.ssh'), 'id_ecdsa', 'ecdsa', 256, env);
  other = keygen(join(home, '.ssh'), 'id_other', 'ed25519', undefined, env);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('checkpoints signed with an SSH key through ssh-keygen', () => {
  const cp = { origin: ledgerOrigin('repo-1'), size: 42, root: createHash('sha256').update('x').digest(), extensions: [] };
  it('verifies with the SSH key as verifier; refuses another key under the same name', () => {
    const pub = parsePublicKeyLine(key.pubLine);
    const note = signCheckpoint(cp, [
      { kind: 'ssh', name: 'alice@example.com', key: pub, sign: (text) => signMessage({ message: text, namespace: CHECKPOINT_NAMESPACE, key: key.path, env }).signature },
    ]);
    expect(verifyCheckpoint(note, [{ kind: 'ssh', name: 'alice@example.com', key: pub }])).toMatchObject({ ok: true, signedBy: ['alice@example.com'] });
    expect(verifyCheckpoint(note, [{ kind: 'ssh', name: 'alice@example.com', key: parsePublicKeyLine(other.pubLine) }])).toMatchObject({ ok: false, reason: 'no signature by a trusted key' });
    // an approval-namespace signature cannot stand in for a checkpoint signature
    const wrongNs = signCheckpoint(cp, [
      { kind: 'ssh', name: 'alice@example.com', key: pub, sign: (text) => signMessage({ message: text, namespace: 'agent-gates-approval@v1', key: key.path, env }).signature },
    ]);
    expect(verifyCheckpoint(wrongNs, [{ kind: 'ssh', name: 'alice@example.com', key: pub }])).toMatchObject({ ok: false });
  });
});
