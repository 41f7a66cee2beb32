/**
 * Signed approvals, app layer (issue 7): the policy in force, the committed allowed_signers,
 * the repository identity, the ledger state an approval vouches for, signing at `gate approve`
 * time, and the facts the pure checker (gates/signed-approval.ts) needs at pre-commit.
 *
 * Trust comes from git, not from the working tree: allowed_signers is read as committed at
 * HEAD (the range base in CI), and the policy is the strictest of the working-tree config and
 * the config committed at HEAD, so an unstaged edit cannot switch signing off.
 */
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../context.js';
import { GateError } from '../../kernel/errors.js';
import { parseDuration, type ApprovalStrength, type GatesConfig, type Tier } from '../../schema/config/defaults.js';
import { genesisHash } from '../../ledger/chain.js';
import { matchSigner, parseAllowedSigners } from '../../signing/allowed-signers.js';
import { APPROVAL_NAMESPACE } from '../../signing/sshsig.js';
import { parsePayload, serializePayload, SIGNATURE_FORMAT, type ApprovalPayload, type PayloadFile, type PayloadStep, type StoredSignature } from '../../signing/payload.js';
import { signatureRequired, strongest } from '../../signing/strength.js';
import type { SignedApprovalPolicy } from '../../gates/signed-approval.js';

export interface SigningPolicy extends SignedApprovalPolicy {
  /** Where allowed_signers lives (from the config committed at HEAD when there is one). */
  signersPath: string;
}

/** The strictest of the working-tree approval section and the one committed at `head`. */
export function strictestApproval(work: GatesConfig['approval'], committed: GatesConfig['approval'] | undefined): SigningPolicy {
  const c = committed ?? work;
  const maxAge = Math.min(parseDuration(work.max_age) ?? 0, parseDuration(c.max_age) ?? 0);
  const minStrength: ApprovalStrength = strongest(work.min_strength, c.min_strength);
  return {
    require: signatureRequired(work) || signatureRequired(c),
    minStrength,
    maxAgeMs: maxAge,
    signersPath: c.allowed_signers,
  };
}

export async function signingPolicy(ctx: Ctx, config: GatesConfig, head: string | undefined): Promise<SigningPolicy> {
  let committed: GatesConfig | undefined;
  if (head) {
    const { configAt } = await import('./facts.js');
    committed = await configAt(ctx, head);
  }
  return strictestApproval(config.approval, committed?.approval);
}

/** allowed_signers as committed at `rev` (never the working tree); undefined when absent. */
export function committedAllowedSigners(ctx: Ctx, rev: string | undefined, path: string): string | undefined {
  if (!rev) return undefined;
  return ctx.git.readBlob(`${rev}:${path}`)?.toString('utf8');
}

/** Repository identity an approval binds: the clone's ledger repo-id and the first-parent root. */
export function repoIdentity(ctx: Ctx, parent: string | undefined, create: boolean): { id: string; root: string | null } {
  const id = ctx.ledger.repoId(create) ?? '';
  return { id, root: parent ? ctx.git.firstParentRoot(parent) ?? null : null };
}

/** The ledger's size (entries) and head link hash now; genesis for an empty ledger. */
export function ledgerPoint(ctx: Ctx): { size: number; head: string } {
  const h = ctx.ledger.readHead();
  if (!h || h.seq === 0) return { size: 0, head: genesisHash(ctx.ledger.repoId(true)!) };
  return { size: h.seq, head: h.hash };
}

/**
 * The link hash after `n` entries of the current ledger file, for every n in `sizes`
 * (undefined: the file has fewer complete lines). One streaming pass.
 */
export async function ledgerHashesAt(ctx: Ctx, sizes: Iterable<number>): Promise<Map<number, string | undefined>> {
  return ctx.ledger.hashesAt(sizes);
}

export interface SignApprovalInput {
  tree: string;
  tier: Tier;
  step: PayloadStep;
  digest: string;
  files: ReadonlyArray<{ path: string; status: string; blob: string; old_path?: string; old_blob: string }>;
}

export interface SigningOptions {
  /** --key: a private key file, a .pub whose private half is in ssh-agent, or "key::<public key>". */
  key?: string;
  /** --principal: the allowed_signers principal to sign as (default: git user.email). */
  principal?: string;
  /** Where to tell the person what is happening ("touch your security key"). */
  notice?: (text: string) => void;
  /** The person is at a terminal: let ssh-keygen prompt for a passphrase or a touch. */
  interactive?: boolean;
}

/**
 * Sign an approval step when the policy requires it (or a key was given explicitly).
 * Returns undefined when no signature is required and none was asked for. Refuses early, before
 * asking for a touch, when the key is not listed for the principal in the committed allowed_signers.
 */
export async function signApprovalIfRequired(ctx: Ctx, input: SignApprovalInput, opts: SigningOptions = {}): Promise<StoredSignature | undefined> {
  const ready = await preflightSigning(ctx, opts);
  if (!ready) return undefined;
  const { key, principal, pub } = ready;
  const { signMessage } = await import('../../adapters/ssh-keygen.js');
  const bytes = serializePayload(buildApprovalPayload(ctx, input, principal));
  if (pub.fido) opts.notice?.(`signing the ${input.step} approval with ${pub.type} ${pub.fingerprint}: touch your security key when it blinks\n`);
  const r = signMessage({ message: bytes, namespace: APPROVAL_NAMESPACE, key, cwd: ctx.paths.root, ...(opts.interactive ? { interactive: true } : {}) });
  return {
    format: SIGNATURE_FORMAT,
    namespace: APPROVAL_NAMESPACE,
    payload: bytes,
    signature: r.signature,
    principal,
    key: r.publicKey.fingerprint,
    ...(r.verified.flags !== undefined ? { fido: { flags: r.verified.flags, counter: r.verified.counter! } } : {}),
  };
}

/** The approval payload for a step of the staged change, signed as `principal` (terminal key or browser). */
export function buildApprovalPayload(ctx: Ctx, input: SignApprovalInput, principal: string): ApprovalPayload {
  const parent = ctx.git.head();
  // v2: each file's old and new mode, from the staged change the person is approving (the tree
  // binding pins them at pre-commit; the range check binds the approval to the whole transition)
  const modes = new Map<string, { mode: string; old_mode: string }>();
  for (const c of ctx.git.stagedChanges(parent)) modes.set(c.path, { mode: c.newMode, old_mode: c.oldMode });
  const payload: ApprovalPayload = {
    v: 2,
    type: 'agent-gates/approval',
    repo: repoIdentity(ctx, parent, true),
    parent: parent ?? null,
    tree: input.tree,
    tier: input.tier,
    step: input.step,
    files: input.files.map((f) => ({
      path: f.path,
      status: f.status,
      blob: f.blob,
      ...(f.old_path !== undefined ? { old_path: f.old_path } : {}),
      old_blob: f.old_blob,
      ...payloadModes(f, modes.get(f.path)),
    })),
    digest: input.digest,
    ledger: ledgerPoint(ctx),
    principal,
    nonce: randomBytes(16).toString('hex'),
    at: ctx.now().toISOString(),
  };
  return payload;
}

/**
 * Everything that can refuse a signed approval before anyone types a challenge or touches a key:
 * a key and a principal are known, allowed_signers is committed at HEAD and lists the key for the
 * principal, and the key is a FIDO key when min_strength is fido-touch. Undefined when no
 * signature is required and none was asked for.
 */
export async function preflightSigning(
  ctx: Ctx,
  opts: SigningOptions = {},
  /**
   * Another clone's change (ADR 0027): check against allowed_signers committed at `head` (that
   * clone's HEAD, fetched) under `policy`, and require a signature whatever the policy says.
   */
  other?: { head: string | undefined; policy: SigningPolicy; command: string },
): Promise<{ key: string; principal: string; pub: import('../../signing/sshsig.js').SshPublicKey } | undefined> {
  const head = other ? other.head : ctx.git.head();
  const policy = other ? { ...other.policy, require: true } : await signingPolicy(ctx, (await ctx.config()).config, head);
  if (!policy.require && !opts.key) return undefined;
  const { resolveSigningKey, publicKeyOf } = await import('../../adapters/ssh-keygen.js');
  const key = resolveSigningKey(opts.key, ctx.git.configGet('user.signingkey'));
  if (!key) {
    if (other) {
      throw new GateError('USAGE', 'a decision on another clone\'s change must be signed (only a signature by a key that clone\'s committed allowed_signers lists can count there), but no signing key was given.', {
        fix: `${other.command} --key ~/.ssh/id_ed25519   (or: git config user.signingkey <key file>; the key must be listed for you in ${policy.signersPath})`,
        data: { code: 'SIGNING_KEY_MISSING' },
      });
    }
    throw new GateError('USAGE', 'approval.require_signature is in force, so this approval must be signed, but no signing key was given.', {
      fix: 'gate approve --key ~/.ssh/id_ed25519_sk   (or: git config user.signingkey <key file>)',
    });
  }
  const principal = opts.principal?.trim() || ctx.git.userEmail();
  if (!principal) {
    throw new GateError('USAGE', 'a signed approval names the principal it signs as, and none is known.', {
      fix: 'gate approve --principal you@example.com   (or: git config user.email you@example.com)',
    });
  }
  const pub = publicKeyOf(key, { cwd: ctx.paths.root });
  const text = committedAllowedSigners(ctx, head, policy.signersPath);
  if (policy.require) {
    if (text === undefined) {
      throw new GateError('DENIED', `${policy.signersPath} is not committed at ${other ? `that clone's HEAD ${String(head).slice(0, 12)}` : 'HEAD'}, so no signature can be trusted yet.`, {
        fix: `commit ${policy.signersPath} with a line "${principal} ${pub.type} ${pub.blob.toString('base64')}" (that commit is itself gated)`,
      });
    }
    const parsed = parseAllowedSigners(text);
    if (!parsed.ok) throw new GateError('DENIED', `${policy.signersPath} at HEAD cannot be parsed.`, { details: parsed.problems, fix: `fix ${policy.signersPath} and commit it` });
    const m = matchSigner(parsed.signers, { principal, key: pub, namespace: APPROVAL_NAMESPACE, at: ctx.now() });
    if (!m.ok) {
      throw new GateError('DENIED', `your key ${pub.fingerprint} cannot sign as "${principal}": ${m.reason}.`, {
        fix: `use a key listed for ${principal} in ${policy.signersPath} at HEAD (--key, --principal), or get this line committed: ${principal} ${pub.type} ${pub.blob.toString('base64')}`,
      });
    }
    if ((policy.minStrength === 'fido-touch' || policy.minStrength === 'fido-verified') && !pub.fido) {
      throw new GateError('DENIED', `approval.min_strength is ${policy.minStrength}, but ${pub.type} is not a FIDO security key.`, {
        fix: 'sign with an sk-ssh-ed25519 or sk-ecdsa key (ssh-keygen -t ed25519-sk) listed in allowed_signers',
      });
    }
  }
  return { key, principal, pub };
}

/** A v2 file entry's modes: from the staged change, or derived from the status when git did not list the path. */
function payloadModes(f: { status: string; blob: string; old_blob: string }, m: { mode: string; old_mode: string } | undefined): { mode: string; old_mode: string } {
  if (m) return m;
  const absent = '000000';
  return { mode: /^0+$/.test(f.blob) ? absent : '100644', old_mode: /^0+$/.test(f.old_blob) ? absent : '100644' };
}

/** Ledger sizes the stored approvals vouch for (for ledgerHashesAt). */
export function payloadLedgerSizes(signatures: readonly unknown[]): number[] {
  const out: number[] = [];
  for (const s of signatures) {
    const p = typeof s === 'object' && s !== null ? (s as { payload?: unknown }).payload : undefined;
    if (typeof p !== 'string') continue;
    const parsed = parsePayload(p);
    if (typeof parsed !== 'string') out.push(parsed.ledger.size);
  }
  return out;
}

export function toPayloadFiles(files: ReadonlyArray<{ path: string; status: string; blob: string; old_path?: string; old_blob: string }>): PayloadFile[] {
  return files.map((f) => ({ path: f.path, status: f.status, blob: f.blob, ...(f.old_path !== undefined ? { old_path: f.old_path } : {}), old_blob: f.old_blob }));
}

/**
 * The approval strength line for `gate doctor`: the policy in force (strictest of working tree
 * and HEAD) against allowed_signers as committed at HEAD. One call for the doctor to make.
 */
export async function approvalStrengthFor(ctx: Ctx): Promise<import('../../signing/strength.js').StrengthReport> {
  const { approvalStrength } = await import('../../signing/strength.js');
  const { config } = await ctx.config();
  const head = ctx.git.head();
  const policy = await signingPolicy(ctx, config, head);
  const effective: GatesConfig = {
    ...config,
    approval: { ...config.approval, require_signature: policy.require, min_strength: policy.minStrength, allowed_signers: policy.signersPath },
  };
  return approvalStrength(effective, committedAllowedSigners(ctx, head, policy.signersPath));
}
