/**
 * C2SP tlog-checkpoint-style signed notes for the ledger, and the rollback / equivocation
 * check against checkpoints already seen. Pure: text and keys in, verdicts out.
 *
 * Note text (signed bytes, ending in "\n"):
 *   <origin>\n<size>\n<base64 root hash>\n[extension lines\n]
 * then a blank line and one or more signature lines:
 *   — <key name> <base64(key id[4] || signature)>\n
 *
 * Signature types:
 * - 0x01 Ed25519 (C2SP signed-note): key id = SHA-256(name || 0x0A || 0x01 || 32-byte key)[:4],
 *   signature = Ed25519 over the note text.
 * - 0xff "agent-gates/sshsig" (our extension): key id = SHA-256(name || 0x0A || 0xff ||
 *   "agent-gates/sshsig" || SSH public key blob)[:4], signature = the binary SSHSIG blob over
 *   the note text in namespace CHECKPOINT_NAMESPACE (so any SSH key, including FIDO, can sign).
 *
 * For our ledger the size is the number of entries and the root is the chain's link hash after
 * the last of them (the hash the next entry's `prev` carries): a chain, not a Merkle tree, so
 * "consistency" with a later ledger means line <size> still hashes to <root>.
 */
import { createHash, createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { CHECKPOINT_NAMESPACE, parseSshsig, strictBase64, verifySshsig, type SshPublicKey } from './sshsig.js';

const EM_DASH = '\u2014';
const SSH_TYPE_LABEL = Buffer.from('agent-gates/sshsig');
const MAX_NOTE = 64 * 1024;
const MAX_SIGS = 100;

export interface Checkpoint {
  origin: string;
  size: number;
  /** 32 bytes. */
  root: Buffer;
  extensions: string[];
}

export type CheckpointVerifier =
  | { kind: 'ed25519'; name: string; publicKey: Buffer }
  | { kind: 'ssh'; name: string; key: SshPublicKey };

export type CheckpointSigner =
  | { kind: 'ed25519'; name: string; privateKey: KeyObject }
  /** Sign the note text with an SSH key; returns the armored or binary SSHSIG (see adapters/ssh-keygen.ts). */
  | { kind: 'ssh'; name: string; key: SshPublicKey; sign: (text: Buffer) => Buffer | string };

export function validKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && !/[\u0000-\u001f]/.test(name);
}

export function keyId(v: CheckpointVerifier): Buffer {
  const h = createHash('sha256').update(v.name, 'utf8').update(Buffer.from([0x0a]));
  if (v.kind === 'ed25519') h.update(Buffer.from([0x01])).update(v.publicKey);
  else h.update(Buffer.from([0xff])).update(SSH_TYPE_LABEL).update(v.key.blob);
  return h.digest().subarray(0, 4);
}

/** The text a checkpoint's signatures cover. */
export function checkpointText(cp: Checkpoint): string {
  if (!validOrigin(cp.origin)) throw new Error(`invalid origin "${cp.origin}"`);
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw new Error('size must be a non-negative integer');
  if (cp.root.length !== 32) throw new Error('root must be 32 bytes');
  for (const e of cp.extensions) if (e === '' || /[\u0000-\u001f]/.test(e)) throw new Error('invalid extension line');
  return [cp.origin, String(cp.size), cp.root.toString('base64'), ...cp.extensions].join('\n') + '\n';
}

function validOrigin(o: string): boolean {
  return o.length > 0 && o.length <= 256 && !/[\u0000-\u001f]/.test(o);
}

function ed25519Key(raw: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/** Sign a checkpoint with one or more signers; returns the whole signed note. */
export function signCheckpoint(cp: Checkpoint, signers: readonly CheckpointSigner[]): string {
  const text = checkpointText(cp);
  const body = Buffer.from(text, 'utf8');
  const lines: string[] = [];
  for (const s of signers) {
    if (!validKeyName(s.name)) throw new Error(`invalid key name "${s.name}" (no spaces or "+")`);
    let id: Buffer;
    let sig: Buffer;
    if (s.kind === 'ed25519') {
      const pub = Buffer.from(createPublicKey(s.privateKey).export({ format: 'jwk' }).x!, 'base64url');
      id = keyId({ kind: 'ed25519', name: s.name, publicKey: pub });
      sig = cryptoSign(null, body, s.privateKey);
    } else {
      id = keyId({ kind: 'ssh', name: s.name, key: s.key });
      const out = s.sign(body);
      sig = typeof out === 'string' ? dearmorLoose(out) : out;
    }
    lines.push(`${EM_DASH} ${s.name} ${Buffer.concat([id, sig]).toString('base64')}`);
  }
  return `${text}\n${lines.join('\n')}\n`;
}

function dearmorLoose(armored: string): Buffer {
  const body = armored.replace(/-----(BEGIN|END) SSH SIGNATURE-----/g, '').replace(/\s+/g, '');
  return Buffer.from(body, 'base64');
}

export type CheckpointVerdict =
  | { ok: true; checkpoint: Checkpoint; text: string; signedBy: string[] }
  | { ok: false; reason: string };

/** Parse the note body (no signature check). */
export function parseCheckpointText(text: string): Checkpoint | string {
  if (!text.endsWith('\n')) return 'the checkpoint text does not end with a newline';
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) return 'a checkpoint needs an origin, a size and a root hash line';
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (!validOrigin(origin)) return 'invalid origin line';
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) return `invalid size line "${sizeText.slice(0, 40)}"`;
  let root: Buffer;
  try {
    root = strictBase64(rootText, 'root hash');
  } catch {
    return 'the root hash line is not valid base64';
  }
  if (root.length !== 32) return `the root hash is ${root.length} bytes, not 32`;
  if (extensions.some((e) => e === '')) return 'empty extension line';
  return { origin, size: Number(sizeText), root, extensions };
}

/**
 * Verify a signed checkpoint note against trusted verifier keys. Signatures by unknown keys
 * are ignored (C2SP); a signature by a known key that does not verify rejects the whole note;
 * at least one known key must have signed.
 */
export function verifyCheckpoint(note: string, verifiers: readonly CheckpointVerifier[], opts: { origin?: string } = {}): CheckpointVerdict {
  if (note.length > MAX_NOTE) return { ok: false, reason: `the note is larger than ${MAX_NOTE} bytes` };
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) return { ok: false, reason: 'the note contains a control character other than newline' };
  const split = note.lastIndexOf('\n\n');
  if (split === -1) return { ok: false, reason: 'no blank line separates the text from its signatures' };
  const text = note.slice(0, split + 1);
  const sigBlock = note.slice(split + 2);
  if (!sigBlock.endsWith('\n')) return { ok: false, reason: 'the signature block does not end with a newline' };
  const cp = parseCheckpointText(text);
  if (typeof cp === 'string') return { ok: false, reason: cp };
  if (opts.origin !== undefined && cp.origin !== opts.origin) return { ok: false, reason: `the checkpoint is for origin "${cp.origin}", not "${opts.origin}"` };
  const sigLines = sigBlock.slice(0, -1).split('\n');
  if (sigLines.length > MAX_SIGS) return { ok: false, reason: `more than ${MAX_SIGS} signatures` };
  const body = Buffer.from(text, 'utf8');
  const signedBy: string[] = [];
  for (const line of sigLines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+=*)$/u.exec(line);
    if (!m) return { ok: false, reason: `malformed signature line "${line.slice(0, 60)}"` };
    const [, name, b64] = m as unknown as [string, string, string];
    let raw: Buffer;
    try {
      raw = strictBase64(b64, 'signature');
    } catch {
      return { ok: false, reason: `signature by ${name} is not valid base64` };
    }
    if (raw.length < 5) return { ok: false, reason: `signature by ${name} is too short` };
    const id = raw.subarray(0, 4);
    const sig = raw.subarray(4);
    const known = verifiers.filter((v) => v.name === name && keyId(v).equals(id));
    if (known.length === 0) continue; // unknown key: ignored
    for (const v of known) {
      if (v.kind === 'ed25519') {
        let good = false;
        try {
          good = sig.length === 64 && cryptoVerify(null, body, ed25519Key(v.publicKey), sig);
        } catch {
          good = false;
        }
        if (!good) return { ok: false, reason: `the Ed25519 signature by ${name} does not verify` };
      } else {
        const r = verifySshsig({ signature: sig, message: body, namespace: CHECKPOINT_NAMESPACE });
        if (!r.ok) return { ok: false, reason: `the SSH signature by ${name} does not verify: ${r.reason}` };
        if (!r.publicKey.blob.equals(v.key.blob)) return { ok: false, reason: `the SSH signature by ${name} was made with another key` };
      }
      if (!signedBy.includes(name)) signedBy.push(name);
    }
  }
  if (signedBy.length === 0) return { ok: false, reason: 'no signature by a trusted key' };
  return { ok: true, checkpoint: cp, text, signedBy };
}

/** The key inside an SSHSIG checkpoint signature (to tell the user which key signed). */
export function sshCheckpointSigner(sig: Buffer): SshPublicKey | undefined {
  try {
    return parseSshsig(sig).publicKey;
  } catch {
    return undefined;
  }
}

export interface SeenCheckpoint {
  origin: string;
  size: number;
  /** base64 root. */
  root: string;
}

export type ConsistencyVerdict =
  | { ok: true; newest: boolean }
  | { ok: false; reason: 'rollback' | 'equivocation'; message: string; against: SeenCheckpoint };

/**
 * Is `cp` consistent with the checkpoints already seen for its origin? Rejects a checkpoint
 * smaller than the largest one seen (rollback) and one of the same size with another root
 * (equivocation). Pure.
 */
export function checkAgainstSeen(seen: readonly SeenCheckpoint[], cp: Checkpoint): ConsistencyVerdict {
  const root = cp.root.toString('base64');
  const same = seen.filter((s) => s.origin === cp.origin);
  const twin = same.find((s) => s.size === cp.size && s.root !== root);
  if (twin) {
    return {
      ok: false,
      reason: 'equivocation',
      message: `two checkpoints of size ${cp.size} for ${cp.origin} carry different roots (${twin.root} seen, ${root} now): the ledger was forked or rewritten`,
      against: twin,
    };
  }
  const largest = same.reduce<SeenCheckpoint | undefined>((a, s) => (!a || s.size > a.size ? s : a), undefined);
  if (largest && cp.size < largest.size) {
    return {
      ok: false,
      reason: 'rollback',
      message: `this checkpoint has size ${cp.size} but one of size ${largest.size} was already seen for ${cp.origin}: the ledger was rolled back (truncated)`,
      against: largest,
    };
  }
  return { ok: true, newest: !largest || cp.size > largest.size };
}

/** Hex ledger head hash (64 hex chars) → 32-byte root. */
export function rootFromHex(hex: string): Buffer {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error('expected 64 hex characters');
  return Buffer.from(hex, 'hex');
}

/** The origin line for a repository's ledger. */
export function ledgerOrigin(repoIdentity: string): string {
  return `agent-gates/ledger/${repoIdentity}`;
}
