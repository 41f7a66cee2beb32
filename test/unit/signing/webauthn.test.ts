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
import { softAuthenticator, UP, UV } from '../../helpers/webauthn.js';
import { assertionToSshsig, webauthnProblem } from '../../../src/signing/webauthn.js';
import { APPROVAL_NAMESPACE, sshsigSignedData, verifySshsig } from '../../../src/signing/sshsig.js';
import { serializePayload, type ApprovalPayload } from '../../../src/signing/payload.js';
import { checkSignedApprovals } from '../../../src/gates/signed-approval.js';

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

describe('browser assertions in stored approvals (pre-commit and range use checkSignedApprovals / range-notes)', () => {
  const a = softAuthenticator();
  const key = credentialPublicKey(a.spki, 'localhost');
  const T = 'a'.repeat(40);
  const p: ApprovalPayload = {
    v: 1, type: 'agent-gates/approval', repo: { id: 'r', root: 'b'.repeat(40) }, parent: 'c'.repeat(40), tree: T, tier: 'CONFIRM', step: 'confirm',
    files: [{ path: 'rules/a.md', status: 'M', blob: 'd'.repeat(40), old_blob: '0'.repeat(40) }], digest: 'e'.repeat(64), ledger: { size: 1, head: 'f'.repeat(64) },
    principal: 'me@example.com', nonce: '1'.repeat(32), at: new Date().toISOString(),
  };
  const bytes = serializePayload(p);
  const signed = (flags: number, origin = 'http://localhost:8080') => {
    const f = a.assert(sshsigSignedData(APPROVAL_NAMESPACE, 'sha256', Buffer.from(bytes)).toString('base64url'), origin, { flags });
    return assertionToSshsig(key, APPROVAL_NAMESPACE, { authenticatorData: Buffer.from(f.authenticatorData, 'base64url'), clientDataJSON: Buffer.from(f.clientDataJSON, 'base64url'), signature: Buffer.from(f.signature, 'base64url'), origin });
  };
  const facts = (sig: string, minStrength: 'software-key' | 'fido-touch' | 'fido-verified' = 'software-key') => ({
    policy: { require: true, minStrength, maxAgeMs: 86_400_000 },
    allowedSigners: { path: '.agents/allowed_signers', at: 'HEAD', text: `${signerLine(key, 'me@example.com')}\n` },
    expect: { repo: p.repo, parent: p.parent, tree: T, tier: 'CONFIRM' as const, files: p.files, digest: p.digest },
    approvals: [{ step: 'confirm' as const, tier: 'CONFIRM' as const, method: 'ssh-signature', signature: { format: 'sshsig', namespace: APPROVAL_NAMESPACE, payload: bytes, signature: sig, principal: 'me@example.com', key: 'x' } }],
    requiredSteps: ['confirm' as const],
    now: new Date(),
  });
  const codes = (f: ReturnType<typeof facts>) => checkSignedApprovals(f).map((x) => x.code);
  it('UP+UV counts up to fido-verified; UP alone up to fido-touch', () => {
    expect(codes(facts(signed(UP | UV), 'fido-verified'))).toEqual([]);
    expect(codes(facts(signed(UP), 'fido-touch'))).toEqual([]);
    expect(codes(facts(signed(UP), 'fido-verified'))).toContain('SIG_STRENGTH');
  });
  it('without user presence or from a foreign origin it never counts, even where a software key would', () => {
    expect(codes(facts(signed(UV)))).toContain('SIG_STRENGTH');
    expect(checkSignedApprovals(facts(signed(UP, 'https://evil.example'))).map((x) => x.message).join('\n')).toMatch(/origin/);
    expect(webauthnProblem({ ...verified(signed(UP)) })).toBeUndefined();
    expect(webauthnProblem({ ...verified(signed(0)) })).toMatch(/user presence/);
  });
  const verified = (sig: string) => {
    const v = verifySshsig({ signature: sig, message: bytes, namespace: APPROVAL_NAMESPACE });
    if (!v.ok) throw new Error(v.reason);
    return v;
  };
});
