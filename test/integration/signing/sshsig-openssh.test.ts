/**
 * SSHSIG made by real OpenSSH (ssh-keygen -Y sign, key file and ssh-agent), verified by our
 * Node code, cross-checked with ssh-keygen -Y verify.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, cleanEnv } from '../../helpers/repo.js';
import { keygen, sshSign, sshVerify, startAgent, sh, type Agent, type TestKey } from '../../helpers/ssh.js';
import { APPROVAL_NAMESPACE, dearmor, armor, parseSshsig, verifySshsig } from '../../../src/signing/sshsig.js';
import { matchSigner, parseAllowedSigners } from '../../../src/signing/allowed-signers.js';
import { signMessage, publicKeyOf } from '../../../src/adapters/ssh-keygen.js';

const NS = APPROVAL_NAMESPACE;
const MSG = Buffer.from('{"v":1,"tree":"4b825dc642cb6eb9a060e54bf8d69288fbee4904"}');

let base: string;
let home: string;
let env: NodeJS.ProcessEnv;
let keys: Record<'ed25519' | 'ecdsa256' | 'ecdsa384' | 'ecdsa521' | 'rsa' | 'other', TestKey>;
let agent: Agent;

beforeAll(async () => {
  base = makeTempDir('gate-sshsig-');
  home = join(base, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  env = cleanEnv(home);
  delete env.SSH_AUTH_SOCK;
  const kd = join(home, '.ssh');
  keys = {
    ed25519: keygen(kd, 'id_ed25519', 'ed25519', undefined, env),
    ecdsa256: keygen(kd, 'id_ecdsa256', 'ecdsa', 256, env),
    ecdsa384: keygen(kd, 'id_ecdsa384', 'ecdsa', 384, env),
    ecdsa521: keygen(kd, 'id_ecdsa521', 'ecdsa', 521, env),
    rsa: keygen(kd, 'id_rsa', 'rsa', 3072, env),
    other: keygen(kd, 'id_other', 'ed25519', undefined, env),
  };
  agent = await startAgent(base, env);
}, 120_000);

afterAll(() => {
  agent?.stop();
  rmSync(base, { recursive: true, force: true });
});

const allowed = (principal: string, k: TestKey, opts = '') => `${principal} ${opts ? `${opts} ` : ''}${k.pubLine}\n`;

describe('SSHSIG from ssh-keygen -Y sign through a key file', () => {
  for (const name of ['ed25519', 'ecdsa256', 'ecdsa384', 'ecdsa521', 'rsa'] as const) {
    it(`${name}: verifies in Node, and ssh-keygen -Y verify agrees`, () => {
      const k = keys[name];
      const sig = sshSign(k.path, NS, MSG, env);
      const v = verifySshsig({ signature: sig, message: MSG, namespace: NS });
      expect(v.ok).toBe(true);
      if (!v.ok) return;
      expect(v.publicKey.blob.equals(publicKeyOf(k.pub, { env }).blob)).toBe(true);
      expect(v.userPresent).toBe(false);
      // the fingerprint matches ssh-keygen -l
      const fp = sh('ssh-keygen', ['-l', '-E', 'sha256', '-f', k.pub], { env }).stdout.split(' ')[1];
      expect(v.publicKey.fingerprint).toBe(fp);
      expect(sshVerify(base, allowed('alice@example.com', k), 'alice@example.com', NS, sig, MSG, env).ok).toBe(true);
    });
  }

  it('sha256 hash algorithm is accepted too', () => {
    const r = sh('ssh-keygen', ['-q', '-Y', 'sign', '-n', NS, '-f', keys.ed25519.path, '-O', 'hashalg=sha256'], { env, input: MSG });
    expect(r.code).toBe(0);
    const v = verifySshsig({ signature: r.stdout, message: MSG, namespace: NS });
    expect(v.ok && v.hashAlgorithm).toBe('sha256');
  });

  it('another message → refused by us and by ssh-keygen', () => {
    const sig = sshSign(keys.ed25519.path, NS, MSG, env);
    const other = Buffer.from(MSG.toString().replace('4b82', '4b83'));
    const v = verifySshsig({ signature: sig, message: other, namespace: NS });
    expect(v).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(sshVerify(base, allowed('a@x', keys.ed25519), 'a@x', NS, sig, other, env).ok).toBe(false);
  });

  it('wrong namespace → refused by us and by ssh-keygen', () => {
    const sig = sshSign(keys.ecdsa256.path, 'git', MSG, env);
    const v = verifySshsig({ signature: sig, message: MSG, namespace: NS });
    expect(v).toMatchObject({ ok: false, code: 'wrong_namespace' });
    expect(sshVerify(base, allowed('a@x', keys.ecdsa256), 'a@x', NS, sig, MSG, env).ok).toBe(false);
  });

  for (const name of ['ed25519', 'ecdsa256', 'rsa'] as const) {
    it(`${name}: a single bit flip anywhere in the signature's last 96 bytes → refused`, () => {
      const sig = sshSign(keys[name].path, NS, MSG, env);
      const blob = dearmor(sig);
      let refused = 0;
      const start = Math.max(0, blob.length - 96);
      for (let i = start; i < blob.length; i++) {
        const b = Buffer.from(blob);
        b[i]! ^= 0x01;
        const v = verifySshsig({ signature: armor(b), message: MSG, namespace: NS });
        if (!v.ok) refused++;
      }
      expect(refused).toBe(blob.length - start);
    });
  }

  it('a bit flip in the embedded public key → refused (and never accepted as another key)', () => {
    const sig = sshSign(keys.ed25519.path, NS, MSG, env);
    const blob = dearmor(sig);
    // the public key sits right after magic(6) + version(4) + length(4); its last byte is key material
    const parsed = parseSshsig(blob);
    const keyEnd = 6 + 4 + 4 + parsed.publicKey.blob.length;
    blob[keyEnd - 1]! ^= 0x80;
    const v = verifySshsig({ signature: armor(blob), message: MSG, namespace: NS });
    expect(v.ok).toBe(false);
  });

  it('our ssh-keygen adapter (key file) signs and verifies', () => {
    const r = signMessage({ message: MSG, namespace: NS, key: keys.ecdsa384.path, env });
    expect(r.viaAgent).toBe(false);
    expect(r.publicKey.type).toBe('ecdsa-sha2-nistp384');
    expect(verifySshsig({ signature: r.signature, message: MSG, namespace: NS }).ok).toBe(true);
  });
});

describe('SSHSIG through a real ssh-agent', () => {
  it('ed25519 and ecdsa in the agent, only the .pub given to ssh-keygen', () => {
    agent.add(keys.ed25519.path);
    agent.add(keys.ecdsa256.path);
    expect(sh('ssh-add', ['-L'], { env: agent.env }).stdout).toContain(keys.ed25519.pubLine.split(' ')[1]);
    for (const k of [keys.ed25519, keys.ecdsa256]) {
      // move the private key out of reach: only the agent can sign
      const hidden = `${k.path}.hidden`;
      sh('mv', [k.path, hidden]);
      try {
        const sig = sshSign(k.pub, NS, MSG, agent.env);
        const v = verifySshsig({ signature: sig, message: MSG, namespace: NS });
        expect(v.ok).toBe(true);
        expect(sshVerify(base, allowed('bob@example.com', k), 'bob@example.com', NS, sig, MSG, env).ok).toBe(true);
        const r = signMessage({ message: MSG, namespace: NS, key: k.pub, env: agent.env });
        expect(r.viaAgent).toBe(true);
        // and as a literal key, as git's user.signingkey allows
        const lit = signMessage({ message: MSG, namespace: NS, key: `key::${k.pubLine}`, env: agent.env });
        expect(lit.publicKey.blob.equals(r.publicKey.blob)).toBe(true);
        // without the agent the .pub cannot sign
        expect(() => signMessage({ message: MSG, namespace: NS, key: k.pub, env })).toThrow(/SSH_AUTH_SOCK/);
      } finally {
        sh('mv', [hidden, k.path]);
      }
    }
  });

  it('a key not loaded in the agent cannot sign through it', () => {
    const hidden = `${keys.other.path}.hidden`;
    sh('mv', [keys.other.path, hidden]);
    try {
      expect(() => signMessage({ message: MSG, namespace: NS, key: keys.other.pub, env: agent.env })).toThrow(/ssh-keygen -Y sign failed/);
    } finally {
      sh('mv', [hidden, keys.other.path]);
    }
  });
});

describe('allowed_signers with real keys (our matcher vs ssh-keygen -Y verify)', () => {
  const at = new Date();
  const cases: Array<{ name: string; file: () => string; principal: string; want: boolean }> = [
    { name: 'listed principal', file: () => allowed('alice@example.com', keys.ed25519), principal: 'alice@example.com', want: true },
    { name: 'principal not listed', file: () => allowed('alice@example.com', keys.ed25519), principal: 'mallory@example.com', want: false },
    { name: 'key listed for someone else', file: () => allowed('alice@example.com', keys.other), principal: 'alice@example.com', want: false },
    { name: 'wildcard principal', file: () => allowed('*@example.com', keys.ed25519), principal: 'alice@example.com', want: true },
    { name: 'negated principal', file: () => allowed('*@example.com,!alice@example.com', keys.ed25519), principal: 'alice@example.com', want: false },
    { name: 'namespace permitted', file: () => allowed('alice@example.com', keys.ed25519, `namespaces="git,${NS}"`), principal: 'alice@example.com', want: true },
    { name: 'namespace not permitted', file: () => allowed('alice@example.com', keys.ed25519, 'namespaces="git"'), principal: 'alice@example.com', want: false },
    { name: 'expired', file: () => allowed('alice@example.com', keys.ed25519, 'valid-before="20200101Z"'), principal: 'alice@example.com', want: false },
    { name: 'not yet valid', file: () => allowed('alice@example.com', keys.ed25519, 'valid-after="29990101Z"'), principal: 'alice@example.com', want: false },
    { name: 'within validity', file: () => allowed('alice@example.com', keys.ed25519, 'valid-after="20200101Z",valid-before="29990101Z"'), principal: 'alice@example.com', want: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const sig = sshSign(keys.ed25519.path, NS, MSG, env);
      const v = verifySshsig({ signature: sig, message: MSG, namespace: NS });
      expect(v.ok).toBe(true);
      if (!v.ok) return;
      const parsed = parseAllowedSigners(c.file());
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) return;
      const m = matchSigner(parsed.signers, { principal: c.principal, key: v.publicKey, namespace: NS, at });
      expect(m.ok).toBe(c.want);
      if (!m.ok) expect(m.reason.length).toBeGreaterThan(10);
      expect(sshVerify(base, c.file(), c.principal, NS, sig, MSG, env).ok).toBe(c.want);
    });
  }
});

describe('constructed FIDO signatures: OpenSSH agrees they are well-formed and valid', () => {
  it('ssh-keygen -Y verify accepts our byte-exact sk-ecdsa and sk-ed25519 signatures with user presence', async () => {
    const { fidoKey, fidoSign } = await import('../../helpers/ssh.js');
    for (const kind of ['ecdsa', 'ed25519'] as const) {
      const k = fidoKey(kind);
      const sig = fidoSign(k, NS, MSG, 0x01, 3);
      const r = sshVerify(base, `carol@example.com ${k.pubLine}\n`, 'carol@example.com', NS, sig, MSG, env);
      expect(r.ok, r.out).toBe(true);
      expect(verifySshsig({ signature: sig, message: MSG, namespace: NS }).ok).toBe(true);
      // a flipped counter is refused by OpenSSH too
      const blob = dearmor(sig);
      blob[blob.length - 1]! ^= 1;
      expect(sshVerify(base, `carol@example.com ${k.pubLine}\n`, 'carol@example.com', NS, armor(blob), MSG, env).ok).toBe(false);
    }
  });

  it('OpenSSH (9.2) accepts a FIDO signature WITHOUT user presence: the touch check has to be our policy', async () => {
    const { fidoKey, fidoSign } = await import('../../helpers/ssh.js');
    const k = fidoKey('ecdsa');
    const sig = fidoSign(k, NS, MSG, 0x00, 3);
    const r = sshVerify(base, `carol@example.com ${k.pubLine}\n`, 'carol@example.com', NS, sig, MSG, env);
    // the signature itself is valid, and says so; only the flags tell that nobody touched the key
    const v = verifySshsig({ signature: sig, message: MSG, namespace: NS });
    expect(v).toMatchObject({ ok: true, flags: 0, userPresent: false });
    expect(r.ok, r.out).toBe(true);
  });
});
