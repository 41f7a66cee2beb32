/**
 * The pure WebAuthn helpers (signing/webauthn.ts) on hostile input, the fido-verified strength and
 * its config twins. The cryptographic agreement with OpenSSH is in
 * test/integration/signing/webauthn-openssh.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { coseToPoint, credentialIdOf, credentialPublicKey, derEcdsa, parseAuthenticatorData, signerLine, authenticatorKind, CREDENTIAL_ID_TOKEN } from '../../../src/signing/webauthn.js';
import { approvalStrength, STRENGTH_RANK, strengthOf } from '../../../src/signing/strength.js';
import { weakenings } from '../../../src/gates/config-diff.js';
import { defaultConfig, type GatesConfig } from '../../../src/schema/config/defaults.js';
import { parseConfigText } from '../../../src/adapters/config-file.js';
import { softAuthenticator } from '../../helpers/webauthn.js';

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
};

describe('DER ECDSA signatures', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  it('a real one parses into r and s', () => {
    for (let i = 0; i < 20; i++) {
      const der = cryptoSign('sha256', Buffer.from(`m${i}`), privateKey);
      const { r, s } = derEcdsa(der);
      expect(r.length).toBeLessThanOrEqual(33);
      expect(s.length).toBeLessThanOrEqual(33);
    }
  });
  const good = cryptoSign('sha256', Buffer.from('m'), privateKey);
  const rows: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['not a sequence', Buffer.concat([Buffer.from([0x31]), good.subarray(1)])],
    ['wrong outer length', Buffer.concat([good.subarray(0, 1), Buffer.from([good[1]! + 1]), good.subarray(2)])],
    ['trailing byte', Buffer.concat([good.subarray(0, 1), Buffer.from([good[1]! + 1]), good.subarray(2), Buffer.from([0])])],
    ['truncated', good.subarray(0, good.length - 3)],
    ['negative integer', Buffer.from([0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x01])],
    ['non-minimal integer', Buffer.from([0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01])],
  ];
  for (const [name, der] of rows) it(`refuses ${name}`, () => expect(code(() => derEcdsa(der))).toBe('WEBAUTHN_MALFORMED'));
});

describe('COSE keys and authenticator data', () => {
  const a = softAuthenticator();
  it('COSE and SPKI give the same point', () => {
    const point = coseToPoint(a.cose);
    expect(point.length === 65 && point[0] === 4).toBe(true);
    expect(credentialPublicKey(a.cose, 'localhost').blob.equals(credentialPublicKey(a.spki, 'localhost').blob)).toBe(true);
    expect(credentialPublicKey(a.spki, 'localhost').blob.includes(point)).toBe(true);
  });
  it('refuses a COSE key with trailing bytes, a non-map, short coordinates, an unknown rpId', () => {
    expect(code(() => coseToPoint(Buffer.concat([a.cose, Buffer.from([0])])))).toBe('WEBAUTHN_MALFORMED');
    expect(code(() => coseToPoint(Buffer.from([0x01])))).toBe('WEBAUTHN_MALFORMED');
    expect(code(() => coseToPoint(a.cose.subarray(0, 40)))).toBe('WEBAUTHN_MALFORMED');
    expect(code(() => credentialPublicKey(a.spki, 'Local Host'))).toBe('WEBAUTHN_RPID');
  });
  it('authenticatorData: too short, or attested credential data (a registration), is refused', () => {
    expect(code(() => parseAuthenticatorData(Buffer.alloc(36)))).toBe('WEBAUTHN_MALFORMED');
    const ad = Buffer.alloc(37);
    ad[32] = 0x41;
    expect(code(() => parseAuthenticatorData(ad))).toBe('WEBAUTHN_MALFORMED');
    ad[32] = 0x1d;
    expect(parseAuthenticatorData(ad)).toMatchObject({ flags: 0x1d, counter: 0 });
    expect(authenticatorKind(0x1d)).toBe('passkey');
    expect(authenticatorKind(0x05)).toBe('security-key');
  });
  it('signer lines: a principal is one word; the credential id round-trips through the comment', () => {
    const k = credentialPublicKey(a.spki, 'localhost');
    expect(code(() => signerLine(k, 'two words'))).toBe('WEBAUTHN_MALFORMED');
    const line = signerLine(k, 'me@example.com', a.credentialId);
    expect(line).toContain(`${CREDENTIAL_ID_TOKEN}${a.credentialId.toString('base64url')}`);
    expect(credentialIdOf(`note ${CREDENTIAL_ID_TOKEN}${a.credentialId.toString('base64url')}`)?.equals(a.credentialId)).toBe(true);
    expect(credentialIdOf(`${CREDENTIAL_ID_TOKEN}not/base64url`)).toBeUndefined();
    expect(credentialIdOf(undefined)).toBeUndefined();
  });
});

describe('fido-verified: user verification above a touch', () => {
  const pk = { fido: true } as never;
  it('ranks above fido-touch; UP+UV is fido-verified, UP alone fido-touch, no UP software-key', () => {
    expect(STRENGTH_RANK['fido-verified']).toBeGreaterThan(STRENGTH_RANK['fido-touch']);
    const v = (up: boolean, uv: boolean) => ({ ok: true as const, publicKey: pk, namespace: 'n', hashAlgorithm: 'sha256' as const, userPresent: up, userVerified: uv });
    expect(strengthOf(v(true, true))).toBe('fido-verified');
    expect(strengthOf(v(true, false))).toBe('fido-touch');
    expect(strengthOf(v(false, true))).toBe('software-key');
  });
  it('the config accepts it; lowering it to fido-touch is a weakening; doctor explains it', async () => {
    const cfg = await parseConfigText('version: 1\napproval:\n  min_strength: fido-verified\n', 'test');
    expect(cfg.approval.min_strength).toBe('fido-verified');
    const lower: GatesConfig = { ...cfg, approval: { ...cfg.approval, min_strength: 'fido-touch' } };
    expect(weakenings(cfg, lower).map((w) => w.kind)).toContain('approval_strength_lowered');
    const rep = approvalStrength(cfg, undefined);
    expect(rep.level).toBe('fido-verified');
    expect(rep.explanation).toMatch(/user verification/);
    expect(defaultConfig().approval.min_strength).toBe('terminal');
  });
});
