/**
 * SSHSIG (OpenSSH PROTOCOL.sshsig) parsing and verification in Node, no shelling out.
 * Pure: data in, a verdict out. Untrusted bytes go through the bounds-checked WireReader and
 * every failure is a refusal with a reason (fail closed): malformed input, an unknown or
 * unsupported key type, a signature type that does not match the key, a wrong namespace,
 * an unsupported hash algorithm, or a signature that does not verify.
 *
 * Blob (PROTOCOL.sshsig):
 *   byte[6] "SSHSIG" | uint32 version=1 | string publickey | string namespace | string reserved
 *   | string hash_algorithm | string signature
 * Signed data: byte[6] "SSHSIG" | string namespace | string reserved | string hash_algorithm
 *   | string H(message)
 * FIDO keys (PROTOCOL.u2f) sign SHA256(application) | byte flags | uint32 counter
 *   | SHA256(signed data), and carry flags and counter after the signature.
 * WebAuthn assertions (PROTOCOL.u2f "webauthn-sk-ecdsa-sha2-nistp256@openssh.com", for an
 * sk-ecdsa key whose application is the rpId) sign the authenticator data
 *   SHA256(application) | flags | counter | extensions  followed by  SHA256(clientDataJSON),
 * and the signature blob carries flags, counter, string origin, string clientDataJSON, string
 * extensions. clientDataJSON must start with exactly
 *   {"type":"webauthn.get","challenge":"<base64url(signed data), unpadded>","origin":"<origin>"
 * (OpenSSH's webauthn_check_prepare_hash: no JSON parsing; the rest of the object is ignored).
 */
import { createHash, createPublicKey, verify as cryptoVerify, constants, type KeyObject } from 'node:crypto';
import { WireError, WireReader, wireString } from './wire.js';

/** Namespace for approval signatures; a signature for git commits or files never verifies here. */
export const APPROVAL_NAMESPACE = 'agent-gates-approval@v1';
/** Namespace for ledger checkpoints signed with an SSH key. */
export const CHECKPOINT_NAMESPACE = 'agent-gates-checkpoint@v1';

export const SSHSIG_MAGIC = Buffer.from('SSHSIG', 'latin1');
const ARMOR_BEGIN = '-----BEGIN SSH SIGNATURE-----';
const ARMOR_END = '-----END SSH SIGNATURE-----';
const MAX_ARMORED = 64 * 1024;

/** FIDO authenticator flags (PROTOCOL.u2f / CTAP). */
export const SK_FLAG_USER_PRESENCE = 0x01;
export const SK_FLAG_USER_VERIFIED = 0x04;
/** WebAuthn authenticator data flags: backup eligible / backed up (a synced passkey), attested data, extensions. */
export const SK_FLAG_BACKUP_ELIGIBLE = 0x08;
export const SK_FLAG_BACKED_UP = 0x10;
export const SK_FLAG_ATTESTED_DATA = 0x40;
export const SK_FLAG_EXTENSIONS = 0x80;

/** The SSH signature type of a WebAuthn assertion by an sk-ecdsa key (PROTOCOL.u2f). */
export const WEBAUTHN_SIG_TYPE = 'webauthn-sk-ecdsa-sha2-nistp256@openssh.com';

export type HashAlgorithm = 'sha256' | 'sha512';

export const SUPPORTED_KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-rsa',
] as const;
export type SshKeyType = (typeof SUPPORTED_KEY_TYPES)[number];

/** Minimum RSA modulus we accept (OpenSSH accepts 1024; we do not). */
export const MIN_RSA_BITS = 2048;

export class SigningError extends Error {
  override readonly name = 'SigningError';
  constructor(
    readonly code: SignatureFailure,
    message: string,
  ) {
    super(message);
  }
}

export type SignatureFailure =
  | 'malformed'
  | 'unsupported_key'
  | 'unsupported_hash'
  | 'type_mismatch'
  | 'wrong_namespace'
  | 'bad_signature';

export interface SshPublicKey {
  type: SshKeyType;
  /** The canonical wire blob (what allowed_signers and SSHSIG carry). */
  blob: Buffer;
  /** Node key object for verification. */
  key: KeyObject;
  /** For sk-* keys: the FIDO application string (usually "ssh:"). */
  application?: string;
  /** `SHA256:<base64>` as ssh-keygen -l prints it. */
  fingerprint: string;
  /** True for sk-* (FIDO authenticator) keys. */
  fido: boolean;
}

export interface ParsedSignature {
  /** Signature algorithm name from the signature blob. */
  type: string;
  /** The raw signature bytes (Ed25519: 64 bytes; ECDSA: the mpint r|s blob; RSA: PKCS#1 v1.5). */
  raw: Buffer;
  /** FIDO only: authenticator flags and signature counter. */
  flags?: number;
  counter?: number;
  /** WebAuthn only: the origin, the clientDataJSON bytes and the authenticator extensions. */
  webauthn?: WebauthnFields;
}

export interface WebauthnFields {
  origin: string;
  clientData: Buffer;
  extensions: Buffer;
}

export interface Sshsig {
  version: number;
  publicKey: SshPublicKey;
  namespace: string;
  reserved: Buffer;
  hashAlgorithm: HashAlgorithm;
  signature: ParsedSignature;
}

export type VerifyOutcome =
  | {
      ok: true;
      publicKey: SshPublicKey;
      namespace: string;
      hashAlgorithm: HashAlgorithm;
      /** FIDO only. */
      flags?: number;
      counter?: number;
      userPresent: boolean;
      userVerified: boolean;
      /** WebAuthn assertions only (signature type webauthn-sk-ecdsa-sha2-nistp256@openssh.com). */
      webauthn?: { origin: string; clientData: string; extensions: number };
    }
  | { ok: false; code: SignatureFailure; reason: string };

function fail(code: SignatureFailure, msg: string): never {
  throw new SigningError(code, msg);
}

const b64url = (b: Buffer) => b.toString('base64url');

const CURVES = {
  nistp256: { jwk: 'P-256', size: 32, hash: 'sha256' },
  nistp384: { jwk: 'P-384', size: 48, hash: 'sha384' },
  nistp521: { jwk: 'P-521', size: 66, hash: 'sha512' },
} as const;
type CurveName = keyof typeof CURVES;

function ecKey(curve: CurveName, point: Buffer): KeyObject {
  const c = CURVES[curve];
  if (point.length !== 1 + 2 * c.size || point[0] !== 0x04) {
    fail('malformed', `public key: ${curve} point must be uncompressed (${1 + 2 * c.size} bytes starting 0x04), got ${point.length} bytes`);
  }
  try {
    return createPublicKey({
      key: { kty: 'EC', crv: c.jwk, x: b64url(point.subarray(1, 1 + c.size)), y: b64url(point.subarray(1 + c.size)) },
      format: 'jwk',
    });
  } catch (e) {
    fail('malformed', `public key: ${curve} point is not on the curve (${(e as Error).message})`);
  }
}

function edKey(pk: Buffer): KeyObject {
  if (pk.length !== 32) fail('malformed', `public key: Ed25519 key must be 32 bytes, got ${pk.length}`);
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(pk) }, format: 'jwk' });
  } catch (e) {
    fail('malformed', `public key: not a valid Ed25519 key (${(e as Error).message})`);
  }
}

export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Parse an SSH public key wire blob. Throws SigningError (malformed / unsupported_key). */
export function parsePublicKeyBlob(blob: Buffer): SshPublicKey {
  try {
    return parsePublicKeyBlobUnsafe(blob);
  } catch (e) {
    if (e instanceof WireError) fail('malformed', `public key: ${e.message}`);
    throw e;
  }
}

function parsePublicKeyBlobUnsafe(blob: Buffer): SshPublicKey {
  const r = new WireReader(blob, 'public key');
  const type = r.ascii('key type', 64);
  const base = { blob: Buffer.from(blob), fingerprint: fingerprint(blob) };
  switch (type) {
    case 'ssh-ed25519': {
      const key = edKey(r.string('ed25519 key', 64));
      r.end();
      return { ...base, type, key, fido: false };
    }
    case 'sk-ssh-ed25519@openssh.com': {
      const key = edKey(r.string('ed25519 key', 64));
      const application = r.ascii('application', 256);
      r.end();
      return { ...base, type, key, application, fido: true };
    }
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521': {
      const curve = r.ascii('curve', 32);
      if (`ecdsa-sha2-${curve}` !== type) fail('malformed', `public key: curve "${curve}" does not match key type ${type}`);
      const key = ecKey(curve as CurveName, r.string('ec point', 256));
      r.end();
      return { ...base, type, key, fido: false };
    }
    case 'sk-ecdsa-sha2-nistp256@openssh.com': {
      const curve = r.ascii('curve', 32);
      if (curve !== 'nistp256') fail('malformed', `public key: curve "${curve}" does not match key type ${type}`);
      const key = ecKey('nistp256', r.string('ec point', 256));
      const application = r.ascii('application', 256);
      r.end();
      return { ...base, type, key, application, fido: true };
    }
    case 'ssh-rsa': {
      const e = r.mpintPositive('rsa e', 16);
      const n = r.mpintPositive('rsa n', 2048);
      r.end();
      const bits = n.length * 8 - (n.length ? Math.clz32(n[0]!) - 24 : 0);
      if (bits < MIN_RSA_BITS) fail('unsupported_key', `public key: RSA modulus of ${bits} bits is below the ${MIN_RSA_BITS} bits required`);
      let key: KeyObject;
      try {
        key = createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' });
      } catch (err) {
        fail('malformed', `public key: not a valid RSA key (${(err as Error).message})`);
      }
      return { ...base, type, key, fido: false };
    }
    default:
      if (type.includes('-cert-v01@openssh.com')) {
        fail('unsupported_key', `public key: certificates (${type}) are not supported; list the plain key in allowed_signers`);
      }
      return fail('unsupported_key', `public key: key type "${type}" is not supported (supported: ${SUPPORTED_KEY_TYPES.join(', ')})`);
  }
}

/** Parse "type base64 [comment]" (an OpenSSH .pub line). */
export function parsePublicKeyLine(line: string): SshPublicKey {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 2) fail('malformed', 'public key line: expected "<type> <base64> [comment]"');
  const blob = strictBase64(parts[1]!, 'public key');
  const key = parsePublicKeyBlob(blob);
  if (key.type !== parts[0]) fail('malformed', `public key line: says "${parts[0]}" but the key inside is ${key.type}`);
  return key;
}

/** OpenSSH one-line form of a key blob: "type base64". */
export function publicKeyLine(key: SshPublicKey): string {
  return `${key.type} ${key.blob.toString('base64')}`;
}

/** Decode standard base64, refusing anything that does not round-trip (no junk, no lax padding). */
export function strictBase64(text: string, what: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) fail('malformed', `${what}: not valid base64`);
  const b = Buffer.from(text, 'base64');
  if (b.toString('base64') !== text) fail('malformed', `${what}: not canonical base64`);
  return b;
}

/** Extract the SSHSIG blob from its armored form. */
export function dearmor(armored: string): Buffer {
  if (armored.length > MAX_ARMORED) fail('malformed', `signature: ${armored.length} characters is more than the ${MAX_ARMORED} allowed`);
  const text = armored.replace(/\r\n/g, '\n').trim();
  if (!text.startsWith(ARMOR_BEGIN)) fail('malformed', `signature: does not start with "${ARMOR_BEGIN}"`);
  if (!text.endsWith(ARMOR_END)) fail('malformed', `signature: does not end with "${ARMOR_END}"`);
  const body = text.slice(ARMOR_BEGIN.length, text.length - ARMOR_END.length).replace(/\n/g, '');
  if (body.length === 0) fail('malformed', 'signature: empty body');
  return strictBase64(body, 'signature');
}

/** Armor an SSHSIG blob the way ssh-keygen does (70-column base64 lines). */
export function armor(blob: Buffer): string {
  const b64 = blob.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70));
  return `${ARMOR_BEGIN}\n${lines.join('\n')}\n${ARMOR_END}\n`;
}

function parseSignatureBlob(blob: Buffer): ParsedSignature {
  const r = new WireReader(blob, 'signature');
  const type = r.ascii('signature type', 64);
  const raw = r.string('signature bytes', 2048);
  if (type === 'sk-ssh-ed25519@openssh.com' || type === 'sk-ecdsa-sha2-nistp256@openssh.com') {
    const flags = r.byte('sk flags');
    const counter = r.uint32('sk counter');
    r.end();
    return { type, raw, flags, counter };
  }
  if (type === WEBAUTHN_SIG_TYPE) {
    const flags = r.byte('sk flags');
    const counter = r.uint32('sk counter');
    const origin = r.string('webauthn origin', 2048);
    // OpenSSH reads the origin as a C string: an embedded NUL is a format error there too
    if (origin.includes(0)) throw new WireError('signature: webauthn origin contains a NUL byte');
    const clientData = r.string('webauthn clientData', 16 * 1024);
    const extensions = r.string('webauthn extensions', 4096);
    r.end();
    return { type, raw, flags, counter, webauthn: { origin: origin.toString('utf8'), clientData, extensions } };
  }
  r.end();
  return { type, raw };
}

/** Parse an SSHSIG blob (binary or armored). Throws SigningError. */
export function parseSshsig(input: Buffer | string): Sshsig {
  const blob = typeof input === 'string' ? dearmor(input) : input;
  try {
    const r = new WireReader(blob, 'signature');
    const magic = r.bytes(6, 'magic');
    if (!magic.equals(SSHSIG_MAGIC)) fail('malformed', 'signature: missing the "SSHSIG" magic preamble');
    const version = r.uint32('version');
    if (version !== 1) fail('malformed', `signature: version ${version} is not supported (expected 1)`);
    const publicKey = parsePublicKeyBlob(r.string('public key', 4096));
    const namespace = r.ascii('namespace', 256);
    if (namespace.length === 0) fail('malformed', 'signature: empty namespace');
    const reserved = r.string('reserved', 1024);
    const hashAlgorithm = r.ascii('hash algorithm', 32);
    if (hashAlgorithm !== 'sha256' && hashAlgorithm !== 'sha512') {
      fail('unsupported_hash', `signature: hash algorithm "${hashAlgorithm}" is not supported (sha256, sha512)`);
    }
    const signature = parseSignatureBlob(r.string('signature', 4096));
    r.end();
    return { version, publicKey, namespace, reserved, hashAlgorithm, signature };
  } catch (e) {
    if (e instanceof WireError) fail('malformed', e.message);
    throw e;
  }
}

/** The bytes the key actually signs for an SSHSIG over `message`. */
export function sshsigSignedData(namespace: string, hashAlgorithm: HashAlgorithm, message: Buffer, reserved: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([
    SSHSIG_MAGIC,
    wireString(namespace),
    wireString(reserved),
    wireString(hashAlgorithm),
    wireString(createHash(hashAlgorithm).update(message).digest()),
  ]);
}

/** What a FIDO authenticator signs for `data` (PROTOCOL.u2f). */
export function skSignedData(application: string, flags: number, counter: number, data: Buffer): Buffer {
  const fc = Buffer.alloc(5);
  fc.writeUInt8(flags & 0xff, 0);
  fc.writeUInt32BE(counter >>> 0, 1);
  return Buffer.concat([
    createHash('sha256').update(application, 'latin1').digest(),
    fc,
    createHash('sha256').update(data).digest(),
  ]);
}

/** The clientDataJSON prefix OpenSSH requires for a WebAuthn assertion over `data` from `origin`. */
export function webauthnClientDataPrefix(data: Buffer, origin: string): Buffer {
  return Buffer.from(`{"type":"webauthn.get","challenge":"${data.toString('base64url')}","origin":"${origin}"`, 'utf8');
}

/** What a WebAuthn authenticator signs for `data` (authenticatorData | SHA256(clientDataJSON)), after OpenSSH's checks. */
function webauthnSignedData(application: string, flags: number, counter: number, w: WebauthnFields, data: Buffer): Buffer {
  if (w.origin.includes('"')) fail('malformed', 'webauthn: the origin contains a quote character');
  if (flags & SK_FLAG_ATTESTED_DATA) fail('malformed', 'webauthn: the authenticator data carries attested credential data (AT flag), which an assertion never has');
  if (((flags & SK_FLAG_EXTENSIONS) === 0) !== (w.extensions.length === 0)) fail('malformed', 'webauthn: the extensions flag (ED) does not match the extensions carried');
  const prefix = webauthnClientDataPrefix(data, w.origin);
  if (w.clientData.length < prefix.length || !w.clientData.subarray(0, prefix.length).equals(prefix)) {
    fail('bad_signature', 'webauthn: clientDataJSON does not start with {"type":"webauthn.get","challenge":<the signed data>,"origin":<the origin>} (an assertion for another payload, or edited client data)');
  }
  const fc = Buffer.alloc(5);
  fc.writeUInt8(flags & 0xff, 0);
  fc.writeUInt32BE(counter >>> 0, 1);
  return Buffer.concat([createHash('sha256').update(application, 'latin1').digest(), fc, w.extensions, createHash('sha256').update(w.clientData).digest()]);
}

/** ECDSA r,s mpints → IEEE P1363 r||s padded to the field size. */
function ecdsaP1363(raw: Buffer, size: number): Buffer {
  try {
    const r = new WireReader(raw, 'ecdsa signature');
    const rr = r.mpintPositive('r', 128);
    const ss = r.mpintPositive('s', 128);
    r.end();
    if (rr.length === 0 || ss.length === 0 || rr.length > size || ss.length > size) fail('malformed', 'ecdsa signature: r or s out of range');
    const out = Buffer.alloc(2 * size);
    rr.copy(out, size - rr.length);
    ss.copy(out, 2 * size - ss.length);
    return out;
  } catch (e) {
    if (e instanceof WireError) fail('malformed', e.message);
    throw e;
  }
}

/** Verify a raw SSH signature (already parsed) by `key` over `data`. Throws SigningError. */
export function verifyRawSignature(key: SshPublicKey, sig: ParsedSignature, data: Buffer): void {
  let ok = false;
  switch (key.type) {
    case 'ssh-ed25519':
      if (sig.type !== 'ssh-ed25519') fail('type_mismatch', `signature type ${sig.type} does not match key type ${key.type}`);
      if (sig.raw.length !== 64) fail('malformed', 'ed25519 signature must be 64 bytes');
      ok = cryptoVerify(null, data, key.key, sig.raw);
      break;
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521': {
      if (sig.type !== key.type) fail('type_mismatch', `signature type ${sig.type} does not match key type ${key.type}`);
      const c = CURVES[key.type.slice('ecdsa-sha2-'.length) as CurveName];
      ok = cryptoVerify(c.hash, data, { key: key.key, dsaEncoding: 'ieee-p1363' }, ecdsaP1363(sig.raw, c.size));
      break;
    }
    case 'sk-ssh-ed25519@openssh.com':
      if (sig.type !== key.type) fail('type_mismatch', `signature type ${sig.type} does not match key type ${key.type}`);
      if (sig.raw.length !== 64) fail('malformed', 'ed25519 signature must be 64 bytes');
      ok = cryptoVerify(null, skSignedData(key.application!, sig.flags!, sig.counter!, data), key.key, sig.raw);
      break;
    case 'sk-ecdsa-sha2-nistp256@openssh.com': {
      if (sig.type !== key.type && sig.type !== WEBAUTHN_SIG_TYPE) fail('type_mismatch', `signature type ${sig.type} does not match key type ${key.type}`);
      const signed = sig.webauthn
        ? webauthnSignedData(key.application!, sig.flags!, sig.counter!, sig.webauthn, data)
        : skSignedData(key.application!, sig.flags!, sig.counter!, data);
      ok = cryptoVerify('sha256', signed, { key: key.key, dsaEncoding: 'ieee-p1363' }, ecdsaP1363(sig.raw, 32));
      break;
    }
    case 'ssh-rsa': {
      const hash = sig.type === 'rsa-sha2-256' ? 'sha256' : sig.type === 'rsa-sha2-512' ? 'sha512' : undefined;
      if (!hash) {
        fail(sig.type === 'ssh-rsa' ? 'unsupported_hash' : 'type_mismatch',
          sig.type === 'ssh-rsa' ? 'RSA signatures with SHA-1 (ssh-rsa) are refused; sign with rsa-sha2-512' : `signature type ${sig.type} does not match an RSA key`);
      }
      const modBytes = Math.ceil((key.key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
      if (sig.raw.length === 0 || sig.raw.length > modBytes) fail('malformed', 'rsa signature: longer than the modulus');
      const padded = sig.raw.length < modBytes ? Buffer.concat([Buffer.alloc(modBytes - sig.raw.length), sig.raw]) : sig.raw;
      ok = cryptoVerify(hash, data, { key: key.key, padding: constants.RSA_PKCS1_PADDING }, padded);
      break;
    }
  }
  if (!ok) fail('bad_signature', `the ${key.type} signature does not verify (wrong key, or the signed bytes were changed)`);
}

/**
 * Verify an SSHSIG over `message` in `namespace`. Pure; never throws for bad input — returns
 * `{ok:false, code, reason}`. The caller decides whether the key is trusted (allowed_signers).
 */
export function verifySshsig(input: { signature: Buffer | string; message: Buffer | string; namespace: string }): VerifyOutcome {
  try {
    const sig = parseSshsig(input.signature);
    if (sig.namespace !== input.namespace) {
      fail('wrong_namespace', `signature was made for namespace "${sig.namespace}", not "${input.namespace}"`);
    }
    const message = typeof input.message === 'string' ? Buffer.from(input.message, 'utf8') : input.message;
    const data = sshsigSignedData(sig.namespace, sig.hashAlgorithm, message, sig.reserved);
    verifyRawSignature(sig.publicKey, sig.signature, data);
    const flags = sig.signature.flags;
    return {
      ok: true,
      publicKey: sig.publicKey,
      namespace: sig.namespace,
      hashAlgorithm: sig.hashAlgorithm,
      ...(flags !== undefined ? { flags, counter: sig.signature.counter! } : {}),
      userPresent: flags !== undefined && (flags & SK_FLAG_USER_PRESENCE) !== 0,
      userVerified: flags !== undefined && (flags & SK_FLAG_USER_VERIFIED) !== 0,
      ...(sig.signature.webauthn
        ? { webauthn: { origin: sig.signature.webauthn.origin, clientData: sig.signature.webauthn.clientData.toString('utf8'), extensions: sig.signature.webauthn.extensions.length } }
        : {}),
    };
  } catch (e) {
    if (e instanceof SigningError) return { ok: false, code: e.code, reason: e.message };
    // Anything else from parsing untrusted bytes is still a refusal, never a pass.
    return { ok: false, code: 'malformed', reason: `signature could not be processed: ${(e as Error).message}` };
  }
}
