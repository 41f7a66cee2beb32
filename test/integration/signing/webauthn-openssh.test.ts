/**
 * WebAuthn assertions as SSHSIG (webauthn-sk-ecdsa-sha2-nistp256@openssh.com): made by a software
 * P-256 authenticator exactly as a browser forms them, wrapped by signing/webauthn.ts, verified by
 * our pure verifier AND by real `ssh-keygen -Y verify`, which must agree on the accept and on every
 * reject case. Our origin policy (webauthnPolicyProblem) is checked apart: OpenSSH has none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { makeTempDir, cleanEnv } from '../../helpers/repo.js';
import { sshVerify } from '../../helpers/ssh.js';
import { softAuthenticator, UP, UV, type AssertOptions, type SoftAuthenticator } from '../../helpers/webauthn.js';
import { wireString } from '../../../src/signing/wire.js';
import { APPROVAL_NAMESPACE, armor, dearmor, sshsigSignedData, verifySshsig, WEBAUTHN_SIG_TYPE } from '../../../src/signing/sshsig.js';
import {
  assertionToSshsig,
  authenticatorKind,
  credentialIdOf,
  credentialPublicKey,
  signerLine,
  webauthnPolicyProblem,
  WebauthnError,
} from '../../../src/signing/webauthn.js';
import { parseAllowedSigners } from '../../../src/signing/allowed-signers.js';
import { strengthOf } from '../../../src/signing/strength.js';

const NS = APPROVAL_NAMESPACE;
const MSG = Buffer.from('{"v":2,"type":"agent-gates/approval","tree":"4b825dc642cb6eb9a060e54bf8d69288fbee4904"}');
const ORIGIN = 'http://localhost:43117';

let base: string;
let env: NodeJS.ProcessEnv;
let auth: SoftAuthenticator;
let passkey: SoftAuthenticator;

beforeAll(() => {
  base = makeTempDir('gate-webauthn-');
  env = cleanEnv(base);
  auth = softAuthenticator();
  passkey = softAuthenticator({ backupEligible: true });
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const challengeFor = (msg: Buffer) => sshsigSignedData(NS, 'sha256', msg).toString('base64url');

function sign(a: SoftAuthenticator, msg: Buffer, o: AssertOptions & { origin?: string; sigOrigin?: string } = {}): string {
  const f = a.assert(challengeFor(msg), o.origin ?? ORIGIN, o);
  const key = credentialPublicKey(a.spki, 'localhost');
  return assertionToSshsig(key, NS, {
    authenticatorData: Buffer.from(f.authenticatorData, 'base64url'),
    clientDataJSON: Buffer.from(f.clientDataJSON, 'base64url'),
    signature: Buffer.from(f.signature, 'base64url'),
    origin: o.sigOrigin ?? f.origin,
  });
}

function both(a: SoftAuthenticator, sig: string, msg: Buffer = MSG) {
  const line = signerLine(credentialPublicKey(a.spki, 'localhost'), 'alice@example.com');
  const ours = verifySshsig({ signature: sig, message: msg, namespace: NS });
  const theirs = sshVerify(base, `${line}\n`, 'alice@example.com', NS, sig, msg, env);
  return { ours, theirs };
}

/** Re-encode the signature blob inside an SSHSIG with one field changed. */
function editSig(armored: string, edit: (f: { flags: number; counter: number; origin: Buffer; clientData: Buffer; ext: Buffer; inner: Buffer }) => void): string {
  const blob = dearmor(armored);
  // layout: magic(6) ver(4) string pk, string ns, string reserved, string hash, string sig
  let p = 10;
  const str = () => {
    const n = blob.readUInt32BE(p);
    const s = blob.subarray(p + 4, p + 4 + n);
    p += 4 + n;
    return s;
  };
  const pk = str();
  const ns = str();
  const res = str();
  const hash = str();
  const sig = str();
  let q = 0;
  const s2 = () => {
    const n = sig.readUInt32BE(q);
    const s = sig.subarray(q + 4, q + 4 + n);
    q += 4 + n;
    return s;
  };
  const type = s2();
  const inner = s2();
  const flags = sig[q]!;
  const counter = sig.readUInt32BE(q + 1);
  q += 5;
  const f = { flags, counter, origin: s2(), clientData: s2(), ext: s2(), inner };
  edit(f);
  const fc = Buffer.alloc(5);
  fc[0] = f.flags;
  fc.writeUInt32BE(f.counter, 1);
  const newSig = Buffer.concat([wireString(type), wireString(f.inner), fc, wireString(f.origin), wireString(f.clientData), wireString(f.ext)]);
  return armor(Buffer.concat([blob.subarray(0, 10), wireString(pk), wireString(ns), wireString(res), wireString(hash), wireString(newSig)]));
}

describe('WebAuthn assertion as an OpenSSH signature', () => {
  it('a security-key assertion verifies in Node and with ssh-keygen -Y verify; UP and UV recorded', () => {
    const sig = sign(auth, MSG);
    const { ours, theirs } = both(auth, sig);
    expect(theirs.ok, theirs.out).toBe(true);
    expect(ours).toMatchObject({ ok: true, userPresent: true, userVerified: true, webauthn: { origin: ORIGIN } });
    if (!ours.ok) return;
    expect(strengthOf(ours)).toBe('fido-verified');
    expect(authenticatorKind(ours.flags!)).toBe('security-key');
    expect(webauthnPolicyProblem(ours.webauthn!, 'localhost')).toBeUndefined();
    expect(parseSshsigType(sig)).toBe(WEBAUTHN_SIG_TYPE);
  });

  it('a passkey (backup eligible, counter 0) verifies the same way and is told apart by the BE flag', () => {
    const sig = sign(passkey, MSG);
    const { ours, theirs } = both(passkey, sig);
    expect(theirs.ok, theirs.out).toBe(true);
    expect(ours.ok && authenticatorKind(ours.flags!)).toBe('passkey');
  });

  it('the COSE key and the SPKI key give the same allowed_signers key; the credential id rides in the comment', () => {
    const a = credentialPublicKey(auth.spki, 'localhost');
    const b = credentialPublicKey(auth.cose, 'localhost');
    expect(a.blob.equals(b.blob)).toBe(true);
    expect(a.application).toBe('localhost');
    const line = signerLine(a, 'alice@example.com', auth.credentialId);
    const p = parseAllowedSigners(`${line}\n`);
    expect(p.ok && credentialIdOf(p.signers[0]!.comment)?.equals(auth.credentialId)).toBe(true);
  });

  it('UP=0: the signature itself verifies for both (OpenSSH 9.2 has no touch policy); our strength says software-key, so approvals refuse it', () => {
    const sig = sign(auth, MSG, { flags: UV });
    const { ours, theirs } = both(auth, sig);
    expect(theirs.ok).toBe(ours.ok);
    expect(ours).toMatchObject({ ok: true, userPresent: false });
    if (ours.ok) expect(strengthOf(ours)).toBe('software-key');
  });

  it('UP without UV is fido-touch', () => {
    const { ours } = both(auth, sign(auth, MSG, { flags: UP }));
    expect(ours.ok && strengthOf(ours)).toBe('fido-touch');
  });

  const rejects: Array<[string, () => { sig: string; msg?: Buffer }, string]> = [
    ['an assertion for another payload', () => ({ sig: sign(auth, MSG), msg: Buffer.from(`${MSG.toString()} `) }), 'bad_signature'],
    ['a tampered signature', () => ({ sig: editSig(sign(auth, MSG), (f) => { f.inner = Buffer.from(f.inner); f.inner[f.inner.length - 1]! ^= 1; }) }), 'bad_signature'],
    ['flipped flags (UV added after signing)', () => ({ sig: editSig(sign(auth, MSG, { flags: UP }), (f) => { f.flags |= UV; }) }), 'bad_signature'],
    ['a changed counter', () => ({ sig: editSig(sign(auth, MSG), (f) => { f.counter += 1; }) }), 'bad_signature'],
    ['edited clientData (origin inside changed)', () => ({ sig: editSig(sign(auth, MSG), (f) => { f.clientData = Buffer.from(f.clientData.toString().replace('43117', '43118')); }) }), 'bad_signature'],
    ['origin field not the one in clientData', () => ({ sig: sign(auth, MSG, { sigOrigin: 'http://localhost:9' }) }), 'bad_signature'],
    ['clientData type webauthn.create', () => ({ sig: sign(auth, MSG, { type: 'webauthn.create' }) }), 'bad_signature'],
    ['extensions dropped (ED flag set, none carried)', () => ({ sig: editSig(sign(auth, MSG, { extensions: Buffer.from([0xa0]) }), (f) => { f.ext = Buffer.alloc(0); }) }), 'malformed'],
    ['an origin with a quote', () => ({ sig: sign(auth, MSG, { origin: 'http://localhost"' }) }), 'malformed'],
  ];
  for (const [name, make, code] of rejects) {
    it(`refused by us and by ssh-keygen: ${name}`, () => {
      const { sig, msg } = make();
      const { ours, theirs } = both(auth, sig, msg ?? MSG);
      expect(ours).toMatchObject({ ok: false, code });
      expect(theirs.ok, theirs.out).toBe(false);
    });
  }

  it('extensions present and flagged: both accept', () => {
    const { ours, theirs } = both(auth, sign(auth, MSG, { extensions: Buffer.from([0xa0]) }));
    expect(theirs.ok, theirs.out).toBe(true);
    expect(ours.ok).toBe(true);
  });

  it('another rpId: refused before wrapping (WEBAUTHN_RPID); forced through, both refuse', () => {
    const f = auth.assert(challengeFor(MSG), ORIGIN, { rpId: 'example.com' });
    const key = credentialPublicKey(auth.spki, 'localhost');
    const input = { authenticatorData: Buffer.from(f.authenticatorData, 'base64url'), clientDataJSON: Buffer.from(f.clientDataJSON, 'base64url'), signature: Buffer.from(f.signature, 'base64url'), origin: ORIGIN };
    expect(() => assertionToSshsig(key, NS, input)).toThrow(WebauthnError);
    // the same assertion under a key whose application is example.com verifies for that key only
    const other = credentialPublicKey(auth.spki, 'example.com');
    const sig = assertionToSshsig(other, NS, input);
    const line = signerLine(key, 'alice@example.com');
    expect(sshVerify(base, `${line}\n`, 'alice@example.com', NS, sig, MSG, env).ok).toBe(false);
  });

  it('origin policy (ours; OpenSSH has none): the rpId origin only, same-origin only', () => {
    const cd = (origin: string, extra = '') => `{"type":"webauthn.get","challenge":"x","origin":"${origin}","crossOrigin":false${extra}}`;
    expect(webauthnPolicyProblem({ origin: 'http://localhost:1', clientData: cd('http://localhost:1') }, 'localhost')).toBeUndefined();
    expect(webauthnPolicyProblem({ origin: 'https://evil.example', clientData: cd('https://evil.example') }, 'localhost')?.code).toBe('WEBAUTHN_ORIGIN');
    expect(webauthnPolicyProblem({ origin: 'http://127.0.0.1:1', clientData: cd('http://127.0.0.1:1') }, 'localhost')?.code).toBe('WEBAUTHN_ORIGIN');
    expect(webauthnPolicyProblem({ origin: 'http://example.com', clientData: cd('http://example.com') }, 'example.com')?.code).toBe('WEBAUTHN_ORIGIN');
    expect(webauthnPolicyProblem({ origin: 'http://localhost:1', clientData: cd('http://localhost:1').replace('false', 'true') }, 'localhost')?.code).toBe('WEBAUTHN_CLIENT_DATA');
    expect(webauthnPolicyProblem({ origin: 'http://localhost:1', clientData: cd('http://localhost:1', ',"topOrigin":"https://evil.example"') }, 'localhost')?.code).toBe('WEBAUTHN_CLIENT_DATA');
  });

  it('non-ES256 credentials are refused with WEBAUTHN_NOT_ES256 (Ed25519 COSE key, RSA SPKI)', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const ed = Buffer.concat([Buffer.from([0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20]), Buffer.alloc(32, 1)]);
    expect(() => credentialPublicKey(ed, 'localhost')).toThrow(expect.objectContaining({ code: 'WEBAUTHN_NOT_ES256' }));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'der', type: 'spki' });
    expect(() => credentialPublicKey(rsa, 'localhost')).toThrow(expect.objectContaining({ code: 'WEBAUTHN_NOT_ES256' }));
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'der', type: 'spki' });
    expect(() => credentialPublicKey(p384, 'localhost')).toThrow(expect.objectContaining({ code: 'WEBAUTHN_NOT_ES256' }));
  });
});

function parseSshsigType(armored: string): string {
  const blob = dearmor(armored);
  let p = 10;
  for (let i = 0; i < 4; i++) p += 4 + blob.readUInt32BE(p);
  const sig = blob.subarray(p + 4);
  return sig.subarray(4, 4 + sig.readUInt32BE(0)).toString();
}
