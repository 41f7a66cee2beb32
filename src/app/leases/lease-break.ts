/**
 * Who breaks a lease (issue 12 item 11). `gate lock break` removes someone else's lease, so it
 * asks for what only a person can give, the same way `gate approve` does:
 *
 *   1. an interactive terminal (stdin and stdout TTYs) and GATE_SESSION unset;
 *   2. a fresh random challenge typed back (a pseudo-terminal an agent opens, e.g. script(1),
 *      does not see the code before it is printed and a guess fails: 25^6 ≈ 2.4e8 codes);
 *   3. when approval.require_signature is in force (or --key is given): an SSH signature over a
 *      "lease-break" payload (path, previous holder and token, reason, time, nonce) by a key listed
 *      for the principal in allowed_signers as committed at HEAD.
 *
 * The proof returned here is what the ledger records: with a signature, the verified principal
 * is who broke it; without one, the git identity is only claimed (anyone can set user.email),
 * and the record says so (`method: terminal-challenge`).
 */
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../context.js';
import { GateError } from '../../kernel/errors.js';
import { newChallenge, type Terminal } from '../approvals/approve.js';
import { sessionId, whoAmI } from '../../adapters/identity.js';
import type { SigningOptions } from '../approvals/signed.js';
import { humanId } from '../../kernel/actor.js';

/** Namespace of lease-break signatures: the approval namespace, so the same signers lines apply. */
export const LEASE_BREAK_TYPE = 'agent-gates/lease-break';

export interface BreakProof {
  method: 'terminal-challenge' | 'ssh-signature';
  /** GATE_SESSION at the time (always null: a set session is refused). */
  session: null;
  os_user: string;
  host: string;
  /** git user.email: claimed, not proven. */
  git_email?: string;
  /** With a signature: the principal the key is listed for, its fingerprint, and the signed bytes. */
  principal?: string;
  key?: string;
  namespace?: string;
  payload?: string;
  signature?: string;
}

export interface BreakTarget {
  path: string;
  reason: string;
  previous: { owner?: string; token?: number } | { corrupt: true } | null;
}

/** Refuse what is not a person at a terminal before anything else happens. */
export function requirePerson(term: Pick<Terminal, 'interactive'>, path: string): void {
  if (!term.interactive) {
    throw new GateError('NOT_INTERACTIVE', 'gate lock break is for a person at a terminal, and this is not an interactive terminal (agents release their own leases or wait for them to expire).', {
      fix: `ask a person to run \`gate lock break ${path} --reason "<why>"\` in a terminal, or wait for the lease to expire and take it over with \`gate lock acquire ${path}\``,
    });
  }
  if (sessionId()) {
    throw new GateError('NOT_INTERACTIVE', 'GATE_SESSION is set: this shell belongs to an agent session, and agents do not break leases.', {
      fix: `run \`gate lock break ${path} --reason "<why>"\` in your own terminal, where GATE_SESSION is not set`,
    });
  }
}

function canonical(v: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/**
 * Prove the person: the signing preflight (no challenge is asked when the key cannot sign), the
 * typed challenge, then the signature. Returns the proof, or `{ aborted }` when the challenge was
 * not typed back.
 */
export async function proveBreaker(ctx: Ctx, term: Terminal, target: BreakTarget, opts: { challenge?: () => string; signing?: SigningOptions } = {}): Promise<BreakProof | { aborted: string }> {
  requirePerson(term, target.path);
  const { preflightSigning } = await import('../approvals/signed.js');
  const ready = await preflightSigning(ctx, opts.signing ?? {});
  const code = (opts.challenge ?? (() => newChallenge()))();
  const holder = target.previous === null ? 'nobody' : 'corrupt' in target.previous ? 'a corrupt record' : `${target.previous.owner}`;
  const answer = await term.ask(`To break the lease on ${target.path} (held by ${holder}), type ${code} and press Enter (anything else aborts): `);
  if (answer === undefined) return { aborted: 'input ended before the challenge was answered' };
  if (answer.trim().toUpperCase() !== code) return { aborted: 'the challenge was not typed back correctly' };
  const who = whoAmI(ctx.git);
  const base: BreakProof = { method: 'terminal-challenge', session: null, os_user: who.osUser, host: who.host, ...(who.email ? { git_email: who.email } : {}) };
  if (!ready) return base;
  const { APPROVAL_NAMESPACE } = await import('../../signing/sshsig.js');
  const { signMessage } = await import('../../adapters/ssh-keygen.js');
  const prev = target.previous;
  const payload = canonical({
    v: 1,
    type: LEASE_BREAK_TYPE,
    repo: ctx.ledger.repoId(true) ?? '',
    head: ctx.git.head() ?? null,
    path: target.path,
    previous_owner: prev && 'owner' in prev ? prev.owner ?? null : null,
    previous_token: prev && 'token' in prev ? prev.token ?? null : null,
    reason: target.reason,
    principal: ready.principal,
    nonce: randomBytes(16).toString('hex'),
    at: ctx.now().toISOString(),
  });
  if (ready.pub.fido) term.write(`signing the lease break with ${ready.pub.type} ${ready.pub.fingerprint}: touch your security key when it blinks\n`);
  const r = signMessage({ message: payload, namespace: APPROVAL_NAMESPACE, key: ready.key, cwd: ctx.paths.root, interactive: term.interactive });
  return { ...base, method: 'ssh-signature', principal: ready.principal, key: r.publicKey.fingerprint, namespace: APPROVAL_NAMESPACE, payload, signature: r.signature };
}

/** The ledger actor id for a proof: the verified principal when signed, else the claimed git identity. */
export function breakerId(proof: BreakProof): string {
  if (proof.method === 'ssh-signature' && proof.principal) return humanId(proof.principal, 'unknown');
  return humanId(proof.git_email, proof.os_user);
}
