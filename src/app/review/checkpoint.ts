/**
 * `gate audit checkpoint` (issue 7): sign the ledger's current state as a C2SP
 * tlog-checkpoint-style note (origin, size, root), remember it, and verify notes from elsewhere.
 *
 * Signers: an SSH key (ssh-keygen -Y sign in CHECKPOINT_NAMESPACE; key file, ssh-agent or FIDO)
 * or an Ed25519 PKCS#8 PEM key (node:crypto; C2SP signature type 0x01). Either way the key must
 * be listed in allowed_signers as committed at HEAD, under the name the note uses (a principal),
 * so verification needs nothing but the repository.
 */
import { createPrivateKey } from 'node:crypto';
import { readBytes } from '../../adapters/files.js';
import type { Ctx } from '../context.js';
import { GateError } from '../../kernel/errors.js';
import { parseAllowedSigners, type AllowedSigner } from '../../signing/allowed-signers.js';
import {
  ledgerOrigin,
  rootFromHex,
  signCheckpoint,
  validKeyName,
  verifyCheckpoint,
  type Checkpoint,
  type CheckpointSigner,
  type CheckpointVerifier,
} from '../../signing/checkpoint.js';
import { CheckpointStore } from '../../adapters/checkpoint-store.js';
import { CHECKPOINT_NAMESPACE } from '../../signing/sshsig.js';
import { committedAllowedSigners, ledgerHashesAt, signingPolicy } from '../approvals/signed.js';

/** Verifier keys from allowed_signers: each literal principal × its key (SSH, and raw Ed25519 for ssh-ed25519 keys). */
export function checkpointVerifiers(signers: readonly AllowedSigner[]): CheckpointVerifier[] {
  const out: CheckpointVerifier[] = [];
  for (const s of signers) {
    for (const name of s.principals.split(',')) {
      if (!name || /[*?!]/.test(name) || !validKeyName(name)) continue;
      out.push({ kind: 'ssh', name, key: s.key });
      if (s.key.type === 'ssh-ed25519') {
        out.push({ kind: 'ed25519', name, publicKey: Buffer.from(s.key.key.export({ format: 'jwk' }).x!, 'base64url') });
      }
    }
  }
  return out;
}

async function trustedSigners(ctx: Ctx): Promise<{ signers: AllowedSigner[]; path: string }> {
  const { config } = await ctx.config();
  const head = ctx.git.head();
  const policy = await signingPolicy(ctx, config, head);
  const text = committedAllowedSigners(ctx, head, policy.signersPath);
  if (text === undefined) {
    throw new GateError('CANNOT_EVALUATE', `${policy.signersPath} is not committed at HEAD, so no checkpoint signer can be trusted.`, {
      fix: `commit ${policy.signersPath} listing the checkpoint signer ("<principal> <key type> <base64 key>")`,
    });
  }
  const parsed = parseAllowedSigners(text);
  if (!parsed.ok) throw new GateError('CANNOT_EVALUATE', `${policy.signersPath} at HEAD cannot be parsed.`, { details: parsed.problems, fix: `fix ${policy.signersPath} and commit it` });
  return { signers: parsed.signers, path: policy.signersPath };
}

export interface CheckpointResult {
  note: string;
  origin: string;
  size: number;
  root: string;
  signedBy: string[];
  newest: boolean;
  stored: string;
}

/** Sign the current ledger state. Refuses when the ledger does not verify. */
export async function auditCheckpoint(ctx: Ctx, opts: { key?: string; ed25519Key?: string; name?: string }): Promise<CheckpointResult> {
  const v = await ctx.ledger.verify();
  if (!v.ok) {
    throw new GateError('LEDGER_CORRUPT', `the ledger does not verify (${v.problem?.message ?? 'unknown problem'}), so its state cannot be vouched for.`, { fix: 'gate audit verify' });
  }
  const repoId = ctx.ledger.repoId(true)!;
  const cp: Checkpoint = { origin: ledgerOrigin(repoId), size: v.entries, root: rootFromHex(v.tip), extensions: [] };
  const name = opts.name?.trim() || ctx.git.userEmail();
  if (!name || !validKeyName(name)) {
    throw new GateError('USAGE', `the checkpoint signer name "${name ?? ''}" is missing or has spaces or "+".`, { fix: 'gate audit checkpoint --name <principal as listed in allowed_signers>' });
  }
  let signer: CheckpointSigner;
  if (opts.ed25519Key) {
    let privateKey;
    try {
      privateKey = createPrivateKey(readBytes(opts.ed25519Key));
    } catch (e) {
      throw new GateError('USAGE', `cannot read ${opts.ed25519Key} as a PEM private key: ${(e as Error).message}`, { fix: 'openssl genpkey -algorithm ed25519 -out checkpoint.pem' });
    }
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new GateError('USAGE', `${opts.ed25519Key} is a ${privateKey.asymmetricKeyType} key, not Ed25519.`);
    signer = { kind: 'ed25519', name, privateKey };
  } else {
    const { resolveSigningKey, publicKeyOf, signMessage } = await import('../../adapters/ssh-keygen.js');
    const key = resolveSigningKey(opts.key, ctx.git.configGet('user.signingkey'));
    if (!key) throw new GateError('USAGE', 'no key to sign the checkpoint with.', { fix: 'gate audit checkpoint --key <ssh key> (or --ed25519-key <pem>), or git config user.signingkey' });
    const pub = publicKeyOf(key, { cwd: ctx.paths.root });
    signer = { kind: 'ssh', name, key: pub, sign: (text) => signMessage({ message: text, namespace: CHECKPOINT_NAMESPACE, key, cwd: ctx.paths.root }).signature };
  }
  const note = signCheckpoint(cp, [signer]);
  const { signers, path } = await trustedSigners(ctx);
  const verdict = verifyCheckpoint(note, checkpointVerifiers(signers), { origin: cp.origin });
  if (!verdict.ok) {
    throw new GateError('DENIED', `the checkpoint was signed, but not by a key ${path} at HEAD lists for "${name}": ${verdict.reason}.`, {
      fix: `list the key for ${name} in ${path} and commit it, or sign with a listed key (--key/--name)`,
    });
  }
  const store = new CheckpointStore(ctx.stateDir);
  const c = store.record(cp, note);
  if (!c.ok) throw new GateError('DENIED', c.message, { fix: 'gate audit verify; restore the ledger from a backup' });
  await ctx.record({
    event: 'audit.checkpoint',
    actor: ctx.actor(),
    data: { origin: cp.origin, size: cp.size, root: cp.root.toString('base64'), signed_by: verdict.signedBy, note },
  });
  return { note, origin: cp.origin, size: cp.size, root: cp.root.toString('base64'), signedBy: verdict.signedBy, newest: c.newest, stored: store.dir };
}

export interface CheckpointVerification {
  ok: boolean;
  origin?: string;
  size?: number;
  signedBy?: string[];
  /** rollback | equivocation | signature | ledger */
  problem?: { reason: string; message: string };
}

/**
 * Verify a checkpoint note (e.g. one published elsewhere): trusted signature, no rollback or
 * equivocation against the checkpoints this clone has seen, and the current ledger still passes
 * through it. A consistent note is remembered.
 */
export async function auditCheckpointVerify(ctx: Ctx, note: string): Promise<CheckpointVerification> {
  const { signers } = await trustedSigners(ctx);
  const repoId = ctx.ledger.repoId(false);
  const origin = repoId ? ledgerOrigin(repoId) : undefined;
  const v = verifyCheckpoint(note, checkpointVerifiers(signers), origin ? { origin } : {});
  if (!v.ok) return { ok: false, problem: { reason: 'signature', message: v.reason } };
  const cp = v.checkpoint;
  const base = { origin: cp.origin, size: cp.size, signedBy: v.signedBy };
  const store = new CheckpointStore(ctx.stateDir);
  const c = store.record(cp, note);
  if (!c.ok) return { ok: false, ...base, problem: { reason: c.reason, message: c.message } };
  const h = (await ledgerHashesAt(ctx, [cp.size])).get(cp.size);
  if (h === undefined) return { ok: false, ...base, problem: { reason: 'ledger', message: `the checkpoint vouches for ${cp.size} entries but the ledger has fewer: it was truncated` } };
  if (h !== cp.root.toString('hex')) return { ok: false, ...base, problem: { reason: 'ledger', message: `line ${cp.size} of the ledger no longer hashes to the checkpoint's root: lines up to ${cp.size} were rewritten` } };
  return { ok: true, ...base };
}
