/**
 * A software WebAuthn authenticator for tests: a real P-256 key that signs real assertions,
 * with authenticatorData and clientDataJSON formed exactly as Chromium forms them
 * ({"type":"webauthn.get","challenge":...,"origin":...,"crossOrigin":false}). No mock: the
 * product and ssh-keygen verify its signatures like a security key's.
 */
import { createHash, generateKeyPairSync, randomBytes, sign as cryptoSign, type KeyObject } from 'node:crypto';

export const UP = 0x01;
export const UV = 0x04;
export const BE = 0x08;
export const BS = 0x10;

export interface SoftAuthenticator {
  rpId: string;
  credentialId: Buffer;
  privateKey: KeyObject;
  /** SubjectPublicKeyInfo DER, as AuthenticatorAttestationResponse.getPublicKey() returns. */
  spki: Buffer;
  /** The COSE_Key bytes of the attested credential data. */
  cose: Buffer;
  counter: number;
  assert(challengeB64url: string, origin: string, opts?: AssertOptions): AssertionFields;
}

export interface AssertOptions {
  flags?: number;
  /** authenticatorData rpId (default: the authenticator's). */
  rpId?: string;
  /** clientDataJSON type (default webauthn.get). */
  type?: string;
  crossOrigin?: boolean;
  /** raw CBOR extension bytes (sets the ED flag). */
  extensions?: Buffer;
}

export interface AssertionFields {
  credentialId: string;
  authenticatorData: string;
  clientDataJSON: string;
  signature: string;
  origin: string;
}

function coseKey(x: Buffer, y: Buffer): Buffer {
  // {1: 2, 3: -7, -1: 1, -2: x, -3: y}
  return Buffer.concat([Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]), x, Buffer.from([0x22, 0x58, 0x20]), y]);
}

export function softAuthenticator(opts: { rpId?: string; backupEligible?: boolean } = {}): SoftAuthenticator {
  const rpId = opts.rpId ?? 'localhost';
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const a: SoftAuthenticator = {
    rpId,
    credentialId: randomBytes(16),
    privateKey,
    spki: publicKey.export({ format: 'der', type: 'spki' }),
    cose: coseKey(Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')),
    // passkeys report 0; security keys count up
    counter: opts.backupEligible ? 0 : 41,
    assert(challenge, origin, o = {}) {
      const be = opts.backupEligible ? BE | BS : 0;
      const ext = o.extensions ?? Buffer.alloc(0);
      const flags = (o.flags ?? UP | UV | be) | (ext.length ? 0x80 : 0);
      if (!opts.backupEligible) a.counter++;
      const fc = Buffer.alloc(5);
      fc[0] = flags;
      fc.writeUInt32BE(a.counter, 1);
      const authData = Buffer.concat([createHash('sha256').update(o.rpId ?? rpId).digest(), fc, ext]);
      const clientData = Buffer.from(JSON.stringify({ type: o.type ?? 'webauthn.get', challenge, origin, crossOrigin: o.crossOrigin ?? false }));
      const sig = cryptoSign('sha256', Buffer.concat([authData, createHash('sha256').update(clientData).digest()]), privateKey);
      return {
        credentialId: a.credentialId.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        clientDataJSON: clientData.toString('base64url'),
        signature: sig.toString('base64url'),
        origin,
      };
    },
  };
  return a;
}
