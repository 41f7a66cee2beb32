/**
 * WebAuthn (passkeys, security keys in a browser) as OpenSSH signatures. Pure.
 *
 * A browser credential's P-256 public key is an `sk-ecdsa-sha2-nistp256@openssh.com` key whose
 * FIDO application string is the WebAuthn rpId ("localhost" for a page on http://localhost:<port>),
 * so it goes into allowed_signers like any security key. An assertion over the challenge
 * `sshsigSignedData(namespace, sha256, payload)` (the bytes OpenSSH hands an authenticator) is
 * wrapped into an SSHSIG with signature type `webauthn-sk-ecdsa-sha2-nistp256@openssh.com`, which
 * both our verifier (sshsig.ts) and `ssh-keygen -Y verify` accept (PROTOCOL.u2f, "webauthn").
 *
 * Only ES256 (COSE alg -7, P-256) credentials can be expressed this way; anything else is refused.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { wireMpint, wireString, wireUint32 } from './wire.js';
import { webauthnPolicyProblem, webauthnProblem } from './webauthn-policy.js';
import {
  armor,
  parsePublicKeyBlob,
  SK_FLAG_ATTESTED_DATA,
  SK_FLAG_BACKUP_ELIGIBLE,
  SSHSIG_MAGIC,
  WEBAUTHN_SIG_TYPE,
  type SshPublicKey,
} from './sshsig.js';

export { webauthnPolicyProblem, webauthnProblem };

export const SK_ECDSA_TYPE = 'sk-ecdsa-sha2-nistp256@openssh.com';
/** The allowed_signers comment token that carries a credential id (base64url), for allowCredentials. */
export const CREDENTIAL_ID_TOKEN = 'webauthn-id=';

/** Why a WebAuthn input is refused; each is a stable code in errors and docs/signing.md. */
export type WebauthnFailure =
  | 'WEBAUTHN_NOT_ES256'
  | 'WEBAUTHN_MALFORMED'
  | 'WEBAUTHN_RPID'
  | 'WEBAUTHN_ORIGIN'
  | 'WEBAUTHN_CLIENT_DATA';

export class WebauthnError extends Error {
  override readonly name = 'WebauthnError';
  constructor(
    readonly code: WebauthnFailure,
    message: string,
  ) {
    super(message);
  }
}

function fail(code: WebauthnFailure, msg: string): never {
  throw new WebauthnError(code, msg);
}

/** The OpenSSH sk-ecdsa public key blob for a P-256 point and an application (the rpId). */
export function skEcdsaBlob(point: Buffer, application: string): Buffer {
  return Buffer.concat([wireString(SK_ECDSA_TYPE), wireString('nistp256'), wireString(point), wireString(application)]);
}

// ---- tiny CBOR reader: just enough for a COSE_Key map (ints, byte/text strings) -----------------

function cborItem(b: Buffer, pos: number): { value: unknown; next: number } {
  if (pos >= b.length) fail('WEBAUTHN_MALFORMED', 'COSE key: truncated');
  const ib = b[pos]!;
  const major = ib >> 5;
  const info = ib & 0x1f;
  let n: number;
  let p = pos + 1;
  if (info < 24) n = info;
  else if (info === 24) n = b[p++]!;
  else if (info === 25) {
    n = b.readUInt16BE(p);
    p += 2;
  } else if (info === 26) {
    n = b.readUInt32BE(p);
    p += 4;
  } else fail('WEBAUTHN_MALFORMED', 'COSE key: unsupported CBOR length');
  if (p > b.length) fail('WEBAUTHN_MALFORMED', 'COSE key: truncated');
  switch (major) {
    case 0:
      return { value: n, next: p };
    case 1:
      return { value: -1 - n, next: p };
    case 2:
    case 3: {
      if (p + n > b.length) fail('WEBAUTHN_MALFORMED', 'COSE key: truncated string');
      const s = b.subarray(p, p + n);
      return { value: major === 2 ? Buffer.from(s) : s.toString('utf8'), next: p + n };
    }
    case 5: {
      if (n > 32) fail('WEBAUTHN_MALFORMED', 'COSE key: too many entries');
      const m = new Map<unknown, unknown>();
      for (let i = 0; i < n; i++) {
        const k = cborItem(b, p);
        const v = cborItem(b, k.next);
        m.set(k.value, v.value);
        p = v.next;
      }
      return { value: m, next: p };
    }
    default:
      return fail('WEBAUTHN_MALFORMED', `COSE key: unexpected CBOR major type ${major}`);
  }
}

/** A P-256 point (0x04|x|y) from a COSE_Key (EC2, alg ES256, crv P-256). */
export function coseToPoint(cose: Buffer): Buffer {
  const { value, next } = cborItem(cose, 0);
  if (!(value instanceof Map)) fail('WEBAUTHN_MALFORMED', 'COSE key: not a CBOR map');
  if (next !== cose.length) fail('WEBAUTHN_MALFORMED', 'COSE key: trailing bytes');
  const kty = value.get(1);
  const alg = value.get(3);
  const crv = value.get(-1);
  if (kty !== 2 || alg !== -7 || crv !== 1) {
    fail('WEBAUTHN_NOT_ES256', `the credential is not ES256 (COSE kty ${String(kty)}, alg ${String(alg)}, crv ${String(crv)}); only P-256 ES256 credentials (alg -7) can sign approvals OpenSSH verifies`);
  }
  const x = value.get(-2);
  const y = value.get(-3);
  if (!Buffer.isBuffer(x) || !Buffer.isBuffer(y) || x.length !== 32 || y.length !== 32) fail('WEBAUTHN_MALFORMED', 'COSE key: x and y must be 32-byte strings');
  return Buffer.concat([Buffer.from([4]), x, y]);
}

/** A P-256 point from SubjectPublicKeyInfo DER (what the browser's getPublicKey() returns). */
export function spkiToPoint(spki: Buffer): Buffer {
  let jwk: { kty?: string; crv?: string; x?: string; y?: string };
  try {
    jwk = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'jwk' }) as typeof jwk;
  } catch (e) {
    return fail('WEBAUTHN_MALFORMED', `public key: not SubjectPublicKeyInfo DER (${(e as Error).message})`);
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') fail('WEBAUTHN_NOT_ES256', `the credential key is ${jwk.kty ?? '?'} ${jwk.crv ?? ''}; only P-256 (ES256) credentials can sign approvals OpenSSH verifies`);
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
}

/** A browser credential public key (SPKI DER or COSE_Key bytes) → the sk-ecdsa SSH key for rpId. */
export function credentialPublicKey(publicKey: Buffer, rpId: string): SshPublicKey {
  if (!/^[a-z0-9.-]{1,253}$/.test(rpId)) fail('WEBAUTHN_RPID', `"${rpId}" is not an rpId (a lower-case host name such as localhost)`);
  const point = publicKey[0] === 0x30 ? spkiToPoint(publicKey) : coseToPoint(publicKey);
  return parsePublicKeyBlob(skEcdsaBlob(point, rpId));
}

/** The allowed_signers line a person commits for a browser credential. */
export function signerLine(key: SshPublicKey, principal: string, credentialId?: Buffer): string {
  if (!/^[^\s"#]+$/.test(principal)) fail('WEBAUTHN_MALFORMED', `principal "${principal}" must be one word without quotes or #`);
  const comment = credentialId ? ` ${CREDENTIAL_ID_TOKEN}${credentialId.toString('base64url')}` : '';
  return `${principal} namespaces="agent-gates-approval@v1" ${key.type} ${key.blob.toString('base64')}${comment}`;
}

/** The credential id a signers line's comment carries, if any. */
export function credentialIdOf(comment: string | undefined): Buffer | undefined {
  if (!comment) return undefined;
  for (const t of comment.split(/\s+/)) {
    if (t.startsWith(CREDENTIAL_ID_TOKEN)) {
      const id = t.slice(CREDENTIAL_ID_TOKEN.length);
      if (/^[A-Za-z0-9_-]{1,1366}$/.test(id)) return Buffer.from(id, 'base64url');
    }
  }
  return undefined;
}

export interface AuthenticatorData {
  rpIdHash: Buffer;
  flags: number;
  counter: number;
  extensions: Buffer;
}

/** authenticatorData of an assertion: rpIdHash | flags | signCount | extensions (never attested data). */
export function parseAuthenticatorData(b: Buffer): AuthenticatorData {
  if (b.length < 37) fail('WEBAUTHN_MALFORMED', `authenticatorData is ${b.length} bytes; at least 37 expected`);
  const flags = b[32]!;
  if (flags & SK_FLAG_ATTESTED_DATA) fail('WEBAUTHN_MALFORMED', 'authenticatorData carries attested credential data: that is a registration, not an assertion');
  return { rpIdHash: b.subarray(0, 32), flags, counter: b.readUInt32BE(33), extensions: b.subarray(37) };
}

/** ECDSA-Sig-Value DER (what WebAuthn returns) → r, s magnitudes. */
export function derEcdsa(sig: Buffer): { r: Buffer; s: Buffer } {
  const bad = () => fail('WEBAUTHN_MALFORMED', 'the signature is not an ECDSA DER signature');
  if (sig.length < 8 || sig.length > 72 || sig[0] !== 0x30 || sig[1] !== sig.length - 2) bad();
  let p = 2;
  const int = (): Buffer => {
    if (sig[p] !== 0x02) bad();
    const len = sig[p + 1]!;
    if (len === 0 || len > 33 || p + 2 + len > sig.length) bad();
    const v = sig.subarray(p + 2, p + 2 + len);
    if (v[0]! & 0x80) bad();
    if (v[0] === 0 && len > 1 && !(v[1]! & 0x80)) bad();
    p += 2 + len;
    return v;
  };
  const r = int();
  const s = int();
  if (p !== sig.length) bad();
  return { r, s };
}

export interface Assertion {
  authenticatorData: Buffer;
  clientDataJSON: Buffer;
  /** DER ECDSA signature as the browser returns it. */
  signature: Buffer;
  /** The origin the page ran on (must equal clientDataJSON.origin). */
  origin: string;
}

/**
 * Wrap a WebAuthn assertion by `key` into an armored SSHSIG over a message signed in `namespace`
 * with sha256 (the challenge was sshsigSignedData(namespace, 'sha256', message)). The result is
 * checked by verifySshsig like any other signature; this only re-encodes.
 */
export function assertionToSshsig(key: SshPublicKey, namespace: string, a: Assertion): string {
  if (key.type !== SK_ECDSA_TYPE) fail('WEBAUTHN_NOT_ES256', `${key.type} keys cannot carry WebAuthn assertions (sk-ecdsa-sha2-nistp256 only)`);
  const ad = parseAuthenticatorData(a.authenticatorData);
  if (!ad.rpIdHash.equals(createHash('sha256').update(key.application!, 'latin1').digest())) {
    fail('WEBAUTHN_RPID', `the assertion was made for another rpId than "${key.application}" (authenticatorData rpIdHash differs)`);
  }
  const { r, s } = derEcdsa(a.signature);
  const inner = Buffer.concat([wireMpint(r), wireMpint(s)]);
  const sig = Buffer.concat([
    wireString(WEBAUTHN_SIG_TYPE),
    wireString(inner),
    Buffer.from([ad.flags]),
    wireUint32(ad.counter),
    wireString(a.origin),
    wireString(a.clientDataJSON),
    wireString(ad.extensions),
  ]);
  return armor(Buffer.concat([SSHSIG_MAGIC, wireUint32(1), wireString(key.blob), wireString(namespace), wireString(Buffer.alloc(0)), wireString('sha256'), wireString(sig)]));
}

/** Passkey (backup eligible: may sync between devices) or a device-bound security key. */
export function authenticatorKind(flags: number): 'passkey' | 'security-key' {
  return flags & SK_FLAG_BACKUP_ELIGIBLE ? 'passkey' : 'security-key';
}
