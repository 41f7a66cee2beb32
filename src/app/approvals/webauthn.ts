/**
 * Approval by passkey or security key in a browser (issue 17), verified offline like any SSH
 * signature (ADR 0020, docs/signing.md "Browser approvals").
 *
 *   webauthnRequest(ctx, opts)        → the options for navigator.credentials.get(): the challenge is
 *                                       the SSHSIG signed data of the approval payload for one step
 *   approveWithAssertion(ctx, input)  → verifies the assertion as an SSHSIG against allowed_signers
 *                                       committed at HEAD, then records the step like `gate approve`
 *   signerLineForCredential(...)      → the allowed_signers line a person commits for a credential
 *
 * The invariant (docs/security.md): a browser approval is valid ONLY with an assertion from a
 * credential listed in the committed signers file, whatever the policy, because an agent running
 * as the same user can open the page and drive it. There is no web path that records an
 * approval without one. Each challenge is issued once, for one step of one staged tree and
 * explanation, kept in the clone's state directory, consumed by the first assertion that names it
 * and dead after CHALLENGE_TTL_MS: a replay finds nothing to consume.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Ctx } from '../context.js';
import { GateError } from '../../kernel/errors.js';
import { listDir, makeDir, readTextIfAny, removeFile, writeFileAtomic } from '../../adapters/files.js';
import { APPROVAL_NAMESPACE, sshsigSignedData, verifySshsig, type SshPublicKey } from '../../signing/sshsig.js';
import { matchPatternList, parseAllowedSigners, type AllowedSigner } from '../../signing/allowed-signers.js';
import { parsePayload, serializePayload, SIGNATURE_FORMAT, type PayloadStep, type StoredSignature } from '../../signing/payload.js';
import {
  assertionToSshsig,
  authenticatorKind,
  credentialIdOf,
  credentialPublicKey,
  signerLine,
  SK_ECDSA_TYPE,
  webauthnPolicyProblem,
  WebauthnError,
} from '../../signing/webauthn.js';
import { checkOneApproval } from '../../gates/signed-approval.js';
import { STRENGTH_RANK } from '../../signing/strength.js';
import type { ApproveResult } from './approve.js';
import type { Step } from '../../schema/sidecar/schema.js';

/** The rpId of the local page (http://localhost:<port>). */
export const DEFAULT_RP_ID = 'localhost';
/** How long an issued challenge can be answered (also the WebAuthn timeout the page should use). */
export const CHALLENGE_TTL_MS = 5 * 60_000;

/** Stable reasons a browser approval is refused (GateError data.reason; docs/signing.md). */
export type WebauthnRefusal =
  | 'WEBAUTHN_NOTHING_TO_APPROVE'
  | 'WEBAUTHN_STEP'
  | 'WEBAUTHN_NO_SIGNERS'
  | 'WEBAUTHN_NO_CREDENTIAL'
  | 'WEBAUTHN_UNKNOWN_CHALLENGE'
  | 'WEBAUTHN_EXPIRED'
  | 'WEBAUTHN_STALE'
  | 'WEBAUTHN_NOT_SIGNER'
  | 'WEBAUTHN_INVALID'
  | 'WEBAUTHN_NO_PRESENCE'
  | 'WEBAUTHN_STRENGTH'
  | 'WEBAUTHN_BINDING'
  | WebauthnError['code'];

function refuse(reason: WebauthnRefusal, message: string, fix: string, code: 'DENIED' | 'USAGE' = 'DENIED'): never {
  throw new GateError(code, message, { fix, data: { reason } });
}

export interface WebauthnRequestOptions {
  /** The step to sign; default: the next step the staged change still needs. */
  step?: PayloadStep;
  /** The allowed_signers principal to sign as (default: git user.email). */
  principal?: string;
  rpId?: string;
  /** The staged tree the page shows (the card's): refused (WEBAUTHN_STALE) when the worktree moved on. */
  tree?: string;
}

export interface WebauthnRequest {
  /** base64url of the SSHSIG signed data of the payload: pass as publicKey.challenge. */
  challenge: string;
  rpId: string;
  /** Credentials from the committed signers file that carry a credential id (empty: discoverable credentials). */
  allowCredentials: Array<{ type: 'public-key'; id: string }>;
  userVerification: 'required' | 'preferred';
  timeout: number;
  step: PayloadStep;
  tier: string;
  tree: string;
  principal: string;
  /** sha256 hex of the payload bytes the challenge covers (show it; it names what is signed). */
  payloadDigest: string;
  /** The payload itself (canonical JSON), for a page that wants to show it. */
  payload: string;
  expiresAt: string;
}

interface Pending {
  v: 1;
  payload: string;
  step: PayloadStep;
  tree: string;
  digest: string;
  rpId: string;
  principal: string;
  expires: number;
}

function pendingDir(ctx: Ctx): string {
  return join(ctx.stateDir, 'webauthn');
}

function pendingPath(ctx: Ctx, challenge: Buffer): string {
  return join(pendingDir(ctx), `${createHash('sha256').update(challenge).digest('hex')}.json`);
}

/** The staged change, its current explanation and the steps it still needs (the same checks as `gate approve`). */
async function stagedState(ctx: Ctx) {
  const [{ stagedFacts, verdictFor, expiryOf }, { approvalPreconditions }, { approvalProblem }, { requiredSteps, tierAtLeast }] = await Promise.all([
    import('./facts.js'),
    import('./approve.js'),
    import('../../gates/approval.js'),
    import('../../gates/classify.js'),
  ]);
  const facts = await stagedFacts(ctx);
  const verdict = await verdictFor(ctx, facts.changes, facts.config, facts.head);
  if (verdict.tier === 'AUTO') refuse('WEBAUTHN_NOTHING_TO_APPROVE', `the staged tree ${facts.tree.slice(0, 12)} needs no approval (tier AUTO).`, 'git commit');
  const { loaded, sidecar, digest, ledger } = await approvalPreconditions(ctx, facts.tree, verdict);
  const tier = verdict.tier;
  const already = new Set<Step>();
  for (const a of sidecar.approvals) {
    if (!approvalProblem(a, facts.tree, digest, ledger.lines.get(a.ledger.offset), expiryOf(ctx, facts.config).expiry) && tierAtLeast(a.tier, tier)) already.add(a.step);
  }
  const needed = requiredSteps(tier).filter((s) => !already.has(s));
  return { facts, tier, loaded, sidecar, digest, already, needed };
}

/** The signing policy and the committed signers that may approve in a browser for rpId. */
async function browserSigners(ctx: Ctx, head: string | undefined, rpId: string) {
  const { signingPolicy, committedAllowedSigners } = await import('./signed.js');
  const { config } = await ctx.config();
  const policy = await signingPolicy(ctx, config, head);
  const text = committedAllowedSigners(ctx, head, policy.signersPath);
  if (text === undefined) {
    refuse('WEBAUTHN_NO_SIGNERS', `${policy.signersPath} is not committed at HEAD: a browser approval needs a passkey or security key listed there, whatever the policy.`,
      `register a credential (gate inbox --web shows the line to commit), commit it to ${policy.signersPath}, or approve in a terminal with gate approve`);
  }
  const parsed = parseAllowedSigners(text);
  if (!parsed.ok) refuse('WEBAUTHN_NO_SIGNERS', `${policy.signersPath} at HEAD cannot be parsed (${parsed.problems.join('; ')}).`, `fix ${policy.signersPath} and commit it`);
  const web = parsed.signers.filter((s) => s.key.type === SK_ECDSA_TYPE && s.key.application === rpId);
  return { policy, signers: parsed.signers, web };
}

function forPrincipal(web: readonly AllowedSigner[], principal: string): AllowedSigner[] {
  return web.filter((s) => matchPatternList(principal, s.principals) && (s.namespaces === undefined || matchPatternList(APPROVAL_NAMESPACE, s.namespaces)));
}

/**
 * Options for navigator.credentials.get() to approve one step of the staged change in this
 * worktree. Refuses (coded GateError) when there is nothing current to approve, the step is not
 * the one needed, or no credential for rpId is committed for the principal.
 */
export async function webauthnRequest(ctx: Ctx, opts: WebauthnRequestOptions = {}): Promise<WebauthnRequest> {
  const rpId = opts.rpId ?? DEFAULT_RP_ID;
  const st = await stagedState(ctx);
  if (opts.tree !== undefined && opts.tree !== st.facts.tree) {
    refuse('WEBAUTHN_STALE', `the staged tree is now ${st.facts.tree.slice(0, 12)}, not the ${opts.tree.slice(0, 12)} shown; nothing was asked.`, 'reload the card and review the current change');
  }
  if (st.needed.length === 0) refuse('WEBAUTHN_NOTHING_TO_APPROVE', `the staged tree ${st.facts.tree.slice(0, 12)} is already approved.`, 'git commit');
  const step = opts.step ?? st.needed[0]!;
  if (step !== st.needed[0]) {
    refuse('WEBAUTHN_STEP', `the next step to approve is "${st.needed[0]}", not "${step}"${st.tier === 'DOUBLE_CONFIRM' ? ' (DOUBLE_CONFIRM: the intent first, then the diff, each its own assertion)' : ''}.`, `request the "${st.needed[0]}" step`, 'USAGE');
  }
  const principal = opts.principal?.trim() || ctx.git.userEmail();
  if (!principal) refuse('WEBAUTHN_NO_CREDENTIAL', 'a browser approval names the principal it signs as, and none is known.', 'git config user.email you@example.com', 'USAGE');
  const { policy, web } = await browserSigners(ctx, st.facts.head, rpId);
  const mine = forPrincipal(web, principal);
  if (mine.length === 0) {
    refuse('WEBAUTHN_NO_CREDENTIAL', `${policy.signersPath} at HEAD lists no passkey or security key for "${principal}" with rpId "${rpId}": a browser approval needs one, whatever the policy.`,
      `register a credential in the page, commit the line it shows to ${policy.signersPath} (that commit is itself approved), or approve in a terminal with gate approve`);
  }
  const { buildApprovalPayload } = await import('./signed.js');
  const payload = serializePayload(buildApprovalPayload(ctx, { tree: st.facts.tree, tier: st.tier, step, digest: st.digest, files: st.sidecar.files }, principal));
  const challenge = sshsigSignedData(APPROVAL_NAMESPACE, 'sha256', Buffer.from(payload, 'utf8'));
  const expires = ctx.now().getTime() + CHALLENGE_TTL_MS;
  const dir = pendingDir(ctx);
  makeDir(dir);
  // expired requests are dead anyway; drop their files
  for (const name of listDir(dir, { filesOnly: true })) {
    const old = readTextIfAny(join(dir, name));
    try {
      if (old === undefined || (JSON.parse(old) as Pending).expires < ctx.now().getTime()) removeFile(join(dir, name));
    } catch {
      removeFile(join(dir, name));
    }
  }
  const pending: Pending = { v: 1, payload, step, tree: st.facts.tree, digest: st.digest, rpId, principal, expires };
  writeFileAtomic(pendingPath(ctx, challenge), `${JSON.stringify(pending)}\n`);
  const allowCredentials = mine.flatMap((s) => {
    const id = credentialIdOf(s.comment);
    return id ? [{ type: 'public-key' as const, id: id.toString('base64url') }] : [];
  });
  return {
    challenge: challenge.toString('base64url'),
    rpId,
    // a line without an id can only be found as a discoverable credential: then ask for any
    allowCredentials: allowCredentials.length === mine.length ? allowCredentials : [],
    userVerification: STRENGTH_RANK[policy.minStrength] >= STRENGTH_RANK['fido-verified'] ? 'required' : 'preferred',
    timeout: CHALLENGE_TTL_MS,
    step,
    tier: st.tier,
    tree: st.facts.tree,
    principal,
    payloadDigest: createHash('sha256').update(payload).digest('hex'),
    payload,
    expiresAt: new Date(expires).toISOString(),
  };
}

export interface AssertionInput {
  /** The step the page asked for (must match the challenge's). */
  step: PayloadStep;
  /** base64url, from PublicKeyCredential.rawId. */
  credentialId: string;
  /** base64url fields of the AuthenticatorAssertionResponse. */
  authenticatorData: string;
  clientDataJSON: string;
  signature: string;
  /** The page's origin (the server checks it against the request's Origin header). */
  origin: string;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * A stored challenge record, trusting only what the signature will cover: step, tree, digest and
 * principal come from the payload itself (an edited record can then only make verification fail).
 */
function readPending(text: string): Pending | undefined {
  let raw: Partial<Pending>;
  try {
    raw = JSON.parse(text) as Partial<Pending>;
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || typeof raw.payload !== 'string' || typeof raw.expires !== 'number' || typeof raw.rpId !== 'string') return undefined;
  const p = parsePayload(raw.payload);
  if (typeof p === 'string') return undefined;
  return { v: 1, payload: raw.payload, step: p.step, tree: p.tree, digest: p.digest, rpId: raw.rpId, principal: p.principal, expires: raw.expires };
}

function b64url(v: unknown, what: string): Buffer {
  if (typeof v !== 'string' || !B64URL.test(v) || v.length > 64 * 1024) refuse('WEBAUTHN_MALFORMED', `${what} is not base64url.`, 'send the assertion fields base64url-encoded', 'USAGE');
  return Buffer.from(v, 'base64url');
}

/**
 * Verify a WebAuthn assertion for a challenge from webauthnRequest and record the step it
 * approves, with the same rules as `gate approve`. The assertion becomes an SSHSIG (signature
 * type webauthn-sk-ecdsa-sha2-nistp256@openssh.com) stored in the sidecar and the ledger, which
 * pre-commit, `gate check --range` and `ssh-keygen -Y verify` check offline.
 */
export async function approveWithAssertion(ctx: Ctx, input: AssertionInput): Promise<ApproveResult> {
  const clientData = b64url(input.clientDataJSON, 'clientDataJSON');
  const authData = b64url(input.authenticatorData, 'authenticatorData');
  const sigDer = b64url(input.signature, 'signature');
  const credId = b64url(input.credentialId, 'credentialId');
  if (typeof input.origin !== 'string' || input.origin.length > 2048) refuse('WEBAUTHN_ORIGIN', 'the origin is missing.', 'send the page origin', 'USAGE');
  let challenge: Buffer;
  try {
    const cd = JSON.parse(clientData.toString('utf8')) as { challenge?: unknown };
    challenge = b64url(cd.challenge, 'clientDataJSON.challenge');
  } catch (e) {
    if (e instanceof GateError) throw e;
    return refuse('WEBAUTHN_CLIENT_DATA', 'clientDataJSON is not JSON.', 'send the assertion as the browser returned it', 'USAGE');
  }
  // the challenge is single use: consume it first, so a replay (or a second try) finds nothing
  const path = pendingPath(ctx, challenge);
  const text = readTextIfAny(path);
  if (text === undefined || !removeFile(path)) {
    refuse('WEBAUTHN_UNKNOWN_CHALLENGE', 'this assertion answers no open challenge: it was already used (a replay), it was never issued here, or it was for another clone.', 'request a new challenge (reload the card) and approve again');
  }
  const pending = readPending(text);
  if (!pending) refuse('WEBAUTHN_UNKNOWN_CHALLENGE', 'the stored challenge record is unreadable.', 'request a new challenge and approve again');
  if (pending.expires < ctx.now().getTime()) refuse('WEBAUTHN_EXPIRED', `the challenge expired at ${new Date(pending.expires).toISOString()}.`, 'request a new challenge and approve again');
  if (pending.step !== input.step) refuse('WEBAUTHN_STEP', `the assertion signs the "${pending.step}" step, not "${input.step}".`, `request the "${input.step}" step`);
  // the change must still be exactly the one the challenge was issued for
  const st = await stagedState(ctx);
  if (st.facts.tree !== pending.tree || st.digest !== pending.digest) {
    refuse('WEBAUTHN_STALE', `the staged tree or its explanation changed since the challenge was issued (tree ${pending.tree.slice(0, 12)} → ${st.facts.tree.slice(0, 12)}); nothing was approved.`, 'review the current change and approve again');
  }
  if (st.needed[0] !== pending.step) refuse('WEBAUTHN_STEP', `the "${pending.step}" step is not the one this change needs now (${st.needed[0] ?? 'none: it is approved'}).`, 'reload the card');
  // which committed credential signed: the credential id when a line carries it, else each key for rpId in turn
  const { policy, signers, web } = await browserSigners(ctx, st.facts.head, pending.rpId);
  const mine = forPrincipal(web, pending.principal);
  const byId = mine.filter((s) => credentialIdOf(s.comment)?.equals(credId));
  const candidates: SshPublicKey[] = [...new Map([...byId, ...mine].map((s) => [s.key.fingerprint, s.key])).values()];
  if (candidates.length === 0) {
    refuse('WEBAUTHN_NOT_SIGNER', `no credential for "${pending.principal}" and rpId "${pending.rpId}" is listed in ${policy.signersPath} at HEAD.`, `commit the credential's line to ${policy.signersPath} first`);
  }
  let signature: string | undefined;
  let outcome: ReturnType<typeof verifySshsig> | undefined;
  let lastProblem = '';
  for (const key of candidates) {
    let armored: string;
    try {
      armored = assertionToSshsig(key, APPROVAL_NAMESPACE, { authenticatorData: authData, clientDataJSON: clientData, signature: sigDer, origin: input.origin });
    } catch (e) {
      if (e instanceof WebauthnError) refuse(e.code, `the assertion cannot be used: ${e.message}.`, 'approve again from the page served by gate inbox --web');
      throw e;
    }
    const v = verifySshsig({ signature: armored, message: Buffer.from(pending.payload, 'utf8'), namespace: APPROVAL_NAMESPACE });
    if (v.ok) {
      signature = armored;
      outcome = v;
      break;
    }
    lastProblem = v.reason;
  }
  if (!signature || !outcome?.ok) {
    const listed = byId.length > 0;
    refuse(listed ? 'WEBAUTHN_INVALID' : 'WEBAUTHN_NOT_SIGNER',
      listed ? `the assertion does not verify with the committed credential (${lastProblem}).` : `the assertion was not made by a credential listed for "${pending.principal}" in ${policy.signersPath} at HEAD (${lastProblem}).`,
      listed ? 'approve again from the page' : `use a registered passkey or security key, or commit this credential's line to ${policy.signersPath} first`);
  }
  const w = outcome.webauthn;
  if (!w) refuse('WEBAUTHN_INVALID', 'the signature is not a WebAuthn assertion.', 'approve again from the page');
  const pol = webauthnPolicyProblem({ origin: w.origin, clientData: w.clientData }, pending.rpId);
  if (pol) refuse(pol.code, `the assertion is refused: ${pol.reason}.`, 'approve from the page gate inbox --web serves on http://localhost');
  if (!outcome.userPresent) refuse('WEBAUTHN_NO_PRESENCE', 'the authenticator did not assert user presence (UP flag clear): nobody touched or unlocked it.', 'approve again and touch the key / confirm the passkey prompt');
  // the stored record must pass the very check pre-commit and the range check make
  const stored: StoredSignature = {
    format: SIGNATURE_FORMAT,
    namespace: APPROVAL_NAMESPACE,
    payload: pending.payload,
    signature,
    principal: pending.principal,
    key: outcome.publicKey.fingerprint,
    fido: { flags: outcome.flags!, counter: outcome.counter! },
    webauthn: { origin: w.origin, authenticator: authenticatorKind(outcome.flags!), user_verified: outcome.userVerified, credential: input.credentialId },
  };
  const { repoIdentity, toPayloadFiles } = await import('./signed.js');
  const check = checkOneApproval(
    { step: pending.step, tier: st.tier, method: 'ssh-signature', signature: stored },
    signers,
    {
      policy: { require: true, minStrength: policy.minStrength === 'terminal' || policy.minStrength === 'software-key' ? 'fido-touch' : policy.minStrength, maxAgeMs: policy.maxAgeMs },
      expect: { repo: repoIdentity(ctx, st.facts.head, false), parent: st.facts.head ?? null, tree: st.facts.tree, tier: st.tier, files: toPayloadFiles(st.sidecar.files), digest: st.digest },
      now: ctx.now(),
    },
  );
  if (!check.ok) {
    refuse(check.code === 'SIG_STRENGTH' ? 'WEBAUTHN_STRENGTH' : check.code === 'SIG_PRINCIPAL' ? 'WEBAUTHN_NOT_SIGNER' : 'WEBAUTHN_BINDING', `the assertion does not count: ${check.reason}.`, 'approve again from the page');
  }
  const { recordApproval, approverNow } = await import('./approve.js');
  const a = await recordApproval(ctx, st.loaded, st.digest, pending.step, st.tier, st.facts.tree, approverNow(ctx), {}, {
    signature: stored,
    authenticator: authenticatorKind(outcome.flags!),
    userVerified: outcome.userVerified,
  });
  const rest = st.needed.filter((s) => s !== pending.step);
  return {
    tree: st.facts.tree,
    tier: st.tier,
    path: st.loaded.path,
    recorded: [{ step: pending.step, seq: a.ledger.seq }],
    already: [...st.already],
    complete: rest.length === 0,
    next: rest.length === 0 ? 'git commit' : `approve the "${rest[0]}" step (a new challenge)`,
  };
}

/**
 * The allowed_signers line for a browser credential (registration never writes the committed
 * file: the person commits the line, and that commit is itself approved). `publicKey` is the
 * SPKI DER from AuthenticatorAttestationResponse.getPublicKey() or the COSE_Key from the
 * attested credential data; only ES256 (P-256) credentials are accepted.
 */
export function signerLineForCredential(publicKey: Buffer, principal: string, rpId: string = DEFAULT_RP_ID, credentialId?: Buffer): { line: string; key: string; fingerprint: string } {
  try {
    const key = credentialPublicKey(publicKey, rpId);
    return { line: signerLine(key, principal, credentialId), key: `${key.type} ${key.blob.toString('base64')}`, fingerprint: key.fingerprint };
  } catch (e) {
    if (e instanceof WebauthnError) refuse(e.code, `this credential cannot be used for approvals: ${e.message}.`, 'register a passkey or security key that supports ES256 (P-256)', 'USAGE');
    throw e;
  }
}
