import { describe, expect, it } from 'vitest';
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { fidoKey, fidoSign } from '../../helpers/ssh.js';
import {
  APPROVAL_NAMESPACE,
  SK_FLAG_USER_PRESENCE,
  SK_FLAG_USER_VERIFIED,
  SSHSIG_MAGIC,
  armor,
  dearmor,
  parsePublicKeyBlob,
  parsePublicKeyLine,
  sshsigSignedData,
  verifySshsig,
} from '../../../src/signing/sshsig.js';
import { WireReader, wireString, wireUint32 } from '../../../src/signing/wire.js';

const NS = APPROVAL_NAMESPACE;
const MSG = 'approve tree 0123';

function edKeyBlob() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return { blob: Buffer.concat([wireString('ssh-ed25519'), wireString(x)]), privateKey };
}

function sshsigBlob(parts: { magic?: Buffer; version?: number; key: Buffer; ns?: string; reserved?: Buffer; hash?: string; sig: Buffer }): Buffer {
  return Buffer.concat([
    parts.magic ?? SSHSIG_MAGIC,
    wireUint32(parts.version ?? 1),
    wireString(parts.key),
    wireString(parts.ns ?? NS),
    wireString(parts.reserved ?? Buffer.alloc(0)),
    wireString(parts.hash ?? 'sha512'),
    wireString(parts.sig),
  ]);
}

function edSshsig(msg = MSG, over: Partial<Parameters<typeof sshsigBlob>[0]> = {}) {
  const { blob, privateKey } = edKeyBlob();
  const data = sshsigSignedData(over.ns ?? NS, (over.hash ?? 'sha512') as 'sha512', Buffer.from(msg));
  const raw = cryptoSign(null, data, privateKey);
  return sshsigBlob({ key: blob, sig: Buffer.concat([wireString('ssh-ed25519'), wireString(raw)]), ...over });
}

describe('FIDO (sk-*) signatures, constructed byte-exactly per PROTOCOL.u2f', () => {
  for (const kind of ['ecdsa', 'ed25519'] as const) {
    it(`${kind}-sk with user presence → verifies, flags exposed`, () => {
      const k = fidoKey(kind);
      const v = verifySshsig({ signature: fidoSign(k, NS, MSG, SK_FLAG_USER_PRESENCE, 42), message: MSG, namespace: NS });
      expect(v).toMatchObject({ ok: true, flags: 1, counter: 42, userPresent: true, userVerified: false });
      if (v.ok) expect(v.publicKey.fido).toBe(true);
    });
    it(`${kind}-sk without user presence → verifies but userPresent=false`, () => {
      const k = fidoKey(kind);
      const v = verifySshsig({ signature: fidoSign(k, NS, MSG, 0x00), message: MSG, namespace: NS });
      expect(v).toMatchObject({ ok: true, flags: 0, userPresent: false });
    });
    it(`${kind}-sk with UP|UV → userVerified`, () => {
      const k = fidoKey(kind);
      const v = verifySshsig({ signature: fidoSign(k, NS, MSG, SK_FLAG_USER_PRESENCE | SK_FLAG_USER_VERIFIED), message: MSG, namespace: NS });
      expect(v).toMatchObject({ ok: true, userPresent: true, userVerified: true });
    });
    it(`${kind}-sk: flipping the flags byte after signing (0 → UP) → refused`, () => {
      const k = fidoKey(kind);
      const blob = dearmor(fidoSign(k, NS, MSG, 0x00, 9));
      // flags byte is 5 bytes before the end (flags | uint32 counter)
      blob[blob.length - 5] = SK_FLAG_USER_PRESENCE;
      expect(verifySshsig({ signature: armor(blob), message: MSG, namespace: NS })).toMatchObject({ ok: false, code: 'bad_signature' });
    });
    it(`${kind}-sk: changing the counter → refused`, () => {
      const k = fidoKey(kind);
      const blob = dearmor(fidoSign(k, NS, MSG, 1, 9));
      blob[blob.length - 1] = 10;
      expect(verifySshsig({ signature: armor(blob), message: MSG, namespace: NS }).ok).toBe(false);
    });
    it(`${kind}-sk: another application string in the key → refused`, () => {
      const k = fidoKey(kind, 'ssh:');
      const sig = fidoSign(k, NS, MSG, 1);
      const forged = fidoKey(kind, 'ssh:other');
      // swap the key blob for one with the same point but another application
      const blob = dearmor(sig);
      const keyLen = blob.readUInt32BE(10);
      const keyBlob = blob.subarray(14, 14 + keyLen);
      const r = new WireReader(keyBlob);
      const parts = kind === 'ecdsa' ? [r.string(), r.string(), r.string()] : [r.string(), r.string()];
      const newKey = Buffer.concat([...parts.map((p) => wireString(p)), wireString('ssh:other')]);
      const rebuilt = Buffer.concat([blob.subarray(0, 10), wireString(newKey), blob.subarray(14 + keyLen)]);
      expect(forged.application).toBe('ssh:other');
      expect(verifySshsig({ signature: armor(rebuilt), message: MSG, namespace: NS })).toMatchObject({ ok: false, code: 'bad_signature' });
    });
  }

  it('the sk public key line parses and reports the application', () => {
    const k = fidoKey('ecdsa', 'ssh:gate');
    const p = parsePublicKeyLine(k.pubLine + ' comment');
    expect(p).toMatchObject({ type: 'sk-ecdsa-sha2-nistp256@openssh.com', application: 'ssh:gate', fido: true });
  });
});

describe('SSHSIG parsing refuses malformed and unsupported input with a reason', () => {
  const { blob: key } = edKeyBlob();
  const goodSig = Buffer.concat([wireString('ssh-ed25519'), wireString(Buffer.alloc(64))]);
  const table: Array<[string, Buffer | string, RegExp, string]> = [
    ['bad magic', sshsigBlob({ magic: Buffer.from('SSHSIH'), key, sig: goodSig }), /magic/, 'malformed'],
    ['version 2', sshsigBlob({ version: 2, key, sig: goodSig }), /version 2/, 'malformed'],
    ['sha1 hash', sshsigBlob({ hash: 'sha1', key, sig: goodSig }), /sha1/, 'unsupported_hash'],
    ['empty namespace', sshsigBlob({ ns: '', key, sig: goodSig }), /empty namespace/, 'malformed'],
    ['unknown key type', sshsigBlob({ key: Buffer.concat([wireString('ssh-dss'), wireString('x')]), sig: goodSig }), /ssh-dss.*not supported/, 'unsupported_key'],
    ['certificate key', sshsigBlob({ key: Buffer.concat([wireString('ssh-ed25519-cert-v01@openssh.com'), wireString('x')]), sig: goodSig }), /certificates/, 'unsupported_key'],
    ['short ed25519 key', sshsigBlob({ key: Buffer.concat([wireString('ssh-ed25519'), wireString(Buffer.alloc(31))]), sig: goodSig }), /32 bytes/, 'malformed'],
    ['trailing bytes in key', sshsigBlob({ key: Buffer.concat([key, Buffer.from([0])]), sig: goodSig }), /trailing/, 'malformed'],
    ['trailing bytes after blob', Buffer.concat([sshsigBlob({ key, sig: goodSig }), Buffer.from([1])]), /trailing/, 'malformed'],
    ['length larger than data', Buffer.concat([SSHSIG_MAGIC, wireUint32(1), wireUint32(0xfffffff0)]), /more than|truncated/, 'malformed'],
    ['truncated', sshsigBlob({ key, sig: goodSig }).subarray(0, 40), /truncated/, 'malformed'],
    ['signature type mismatch', sshsigBlob({ key, sig: Buffer.concat([wireString('ecdsa-sha2-nistp256'), wireString(Buffer.alloc(8))]) }), /does not match/, 'type_mismatch'],
    ['webauthn signature by a non-sk-ecdsa key', sshsigBlob({ key, sig: Buffer.concat([wireString('webauthn-sk-ecdsa-sha2-nistp256@openssh.com'), wireString(Buffer.alloc(8)), Buffer.from([1]), wireUint32(1), wireString('http://localhost'), wireString('{}'), wireString('')]) }), /does not match/, 'type_mismatch'],
    ['webauthn signature without its origin, clientData and extensions', sshsigBlob({ key, sig: Buffer.concat([wireString('webauthn-sk-ecdsa-sha2-nistp256@openssh.com'), wireString(Buffer.alloc(8))]) }), /truncated/, 'malformed'],
    ['short ed25519 sig', sshsigBlob({ key, sig: Buffer.concat([wireString('ssh-ed25519'), wireString(Buffer.alloc(63))]) }), /64 bytes/, 'malformed'],
    ['zero signature', sshsigBlob({ key, sig: goodSig }), /does not verify/, 'bad_signature'],
    ['armor without header', 'AAAA', /does not start/, 'malformed'],
    ['armor with junk', '-----BEGIN SSH SIGNATURE-----\nU1NI!0lH\n-----END SSH SIGNATURE-----', /base64/, 'malformed'],
    ['empty armor', '-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----', /empty/, 'malformed'],
  ];
  for (const [name, input, re, code] of table) {
    it(name, () => {
      const v = verifySshsig({ signature: input, message: MSG, namespace: NS });
      expect(v.ok).toBe(false);
      if (v.ok) return;
      expect(v.reason).toMatch(re);
      expect(v.code).toBe(code);
    });
  }

  it('a constructed Ed25519 SSHSIG verifies (control for the table above)', () => {
    expect(verifySshsig({ signature: edSshsig(), message: MSG, namespace: NS }).ok).toBe(true);
    expect(verifySshsig({ signature: edSshsig(), message: MSG + 'x', namespace: NS }).ok).toBe(false);
  });

  it('non-uncompressed EC point → refused', () => {
    const k = fidoKey('ecdsa');
    const r = new WireReader(k.blob);
    r.string();
    r.string();
    const point = r.string();
    const compressed = Buffer.concat([Buffer.from([2 + (point[64]! & 1)]), point.subarray(1, 33)]);
    const blob = Buffer.concat([wireString('ecdsa-sha2-nistp256'), wireString('nistp256'), wireString(compressed)]);
    expect(() => parsePublicKeyBlob(blob)).toThrow(/uncompressed/);
  });

  it('point not on the curve → refused', () => {
    const bad = Buffer.concat([Buffer.from([4]), Buffer.alloc(31), Buffer.from([1]), Buffer.alloc(31), Buffer.from([5])]);
    const blob = Buffer.concat([wireString('ecdsa-sha2-nistp256'), wireString('nistp256'), wireString(bad)]);
    expect(() => parsePublicKeyBlob(blob)).toThrow(/curve|point/);
  });

  it('curve name must match the key type', () => {
    const k = fidoKey('ecdsa');
    const r = new WireReader(k.blob);
    r.string();
    r.string();
    const point = r.string();
    const blob = Buffer.concat([wireString('ecdsa-sha2-nistp384'), wireString('nistp256'), wireString(point)]);
    expect(() => parsePublicKeyBlob(blob)).toThrow(/does not match/);
  });

  it('random garbage never verifies and never throws', () => {
    for (let i = 0; i < 300; i++) {
      const len = Math.floor(Math.random() * 200);
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = Math.floor(Math.random() * 256);
      if (len > 10 && i % 2) SSHSIG_MAGIC.copy(b, 0);
      expect(verifySshsig({ signature: b, message: MSG, namespace: NS }).ok).toBe(false);
    }
  });

  it('every truncation of a valid signature is refused', () => {
    const full = edSshsig();
    for (let n = 0; n < full.length; n++) expect(verifySshsig({ signature: full.subarray(0, n), message: MSG, namespace: NS }).ok).toBe(false);
  });
});
