/**
 * Signed approvals, pure: (expected bindings, stored approvals, committed allowed_signers,
 * policy, time, ledger facts) → findings. Used by the pre-commit hook (signedApprovalGate in
 * app/approvals/signed-hook.ts) and available to `gate check --range` (see checkSignedApprovals'
 * `expect.repo.id` and `ledgerHashAt`, both optional for CI, where the clone differs).
 *
 * Every failure is a block finding (gate "signature") naming the approval and the reason:
 * no committed allowed_signers, an unsigned approval where one is required, a signature that
 * does not verify, a principal/key not in the committed allowed_signers, a payload bound to
 * another repository, parent, tree, file set or blob, tier, step or explanation digest, a
 * signature older than approval.max_age or from the future, a ledger that no longer contains
 * the state the approval signed, or a key weaker than approval.min_strength.
 */
import type { Finding } from '../kernel/findings.js';
import type { ApprovalStrength, Tier } from '../schema/config/defaults.js';
import { TIER_RANK } from '../schema/config/defaults.js';
import { matchSigner, parseAllowedSigners, type AllowedSigner } from '../signing/allowed-signers.js';
import { APPROVAL_NAMESPACE, verifySshsig } from '../signing/sshsig.js';
import { parsePayload, serializePayload, sortFiles, SIGNATURE_FORMAT, type ApprovalPayload, type PayloadFile, type PayloadStep } from '../signing/payload.js';
import { STRENGTH_RANK, strengthOf } from '../signing/strength.js';
import { webauthnProblem } from '../signing/webauthn-policy.js';

/** Clock skew tolerated for a signature time in the future. */
export const FUTURE_SKEW_MS = 5 * 60_000;

export interface SignedApprovalPolicy {
  require: boolean;
  minStrength: ApprovalStrength;
  maxAgeMs: number;
}

export interface ExpectedBindings {
  /** Omit `id` where the clone's ledger repo-id is not known (CI). */
  repo: { id?: string; root: string | null };
  /** Omit to skip (e.g. a rebased commit in CI whose parent changed); the tree still binds content. */
  parent?: string | null;
  tree: string;
  tier: Tier;
  files: PayloadFile[];
  digest: string;
}

export interface StoredApproval {
  step: PayloadStep;
  tier: Tier;
  method: string;
  signature?: unknown;
}

export interface SignedApprovalFacts {
  policy: SignedApprovalPolicy;
  /** allowed_signers as committed at HEAD (or the range base); undefined when not committed. */
  allowedSigners: { path: string; at: string; text: string | undefined };
  expect: ExpectedBindings;
  approvals: readonly StoredApproval[];
  requiredSteps: readonly PayloadStep[];
  now: Date;
  /**
   * The current ledger's link hash after `size` entries, for every size an approval signed
   * (undefined: the ledger has fewer entries). Omit where the ledger is not available (CI).
   */
  ledgerHashAt?: ReadonlyMap<number, string | undefined>;
  /** The sidecar path, for findings. */
  path?: string;
}

export type ApprovalCheck =
  | { ok: true; payload: ApprovalPayload; principal: string; strength: ApprovalStrength; key: string; flags?: number }
  | { ok: false; code: string; reason: string };

const SIG_FIX = 'have a person with a key listed in the committed allowed_signers run `gate approve` again (signing with --key or git config user.signingkey)';

function bad(code: string, reason: string): ApprovalCheck {
  return { ok: false, code, reason };
}

/** Check one stored approval's signature and bindings. Pure. */
export function checkOneApproval(
  a: StoredApproval,
  signers: readonly AllowedSigner[],
  f: Pick<SignedApprovalFacts, 'policy' | 'expect' | 'now' | 'ledgerHashAt'>,
): ApprovalCheck {
  if (a.method !== 'ssh-signature' || a.signature === undefined) return bad('SIG_UNSIGNED', 'it is not signed (method terminal), and approval.require_signature is in force');
  const s = a.signature as Record<string, unknown>;
  if (typeof s !== 'object' || s === null) return bad('SIG_MALFORMED', 'its signature record is not an object');
  if (s.format !== SIGNATURE_FORMAT) return bad('SIG_MALFORMED', `its signature format "${String(s.format)}" is not ${SIGNATURE_FORMAT}`);
  if (s.namespace !== APPROVAL_NAMESPACE) return bad('SIG_MALFORMED', `its signature namespace "${String(s.namespace)}" is not ${APPROVAL_NAMESPACE}`);
  if (typeof s.payload !== 'string' || typeof s.signature !== 'string') return bad('SIG_MALFORMED', 'its signature record lacks the payload or the signature text');
  const v = verifySshsig({ signature: s.signature, message: Buffer.from(s.payload, 'utf8'), namespace: APPROVAL_NAMESPACE });
  if (!v.ok) return bad('SIG_INVALID', `the signature does not verify: ${v.reason}`);
  const web = webauthnProblem(v);
  if (web) return bad('SIG_STRENGTH', web);
  const p = parsePayload(s.payload);
  if (typeof p === 'string') return bad('SIG_PAYLOAD', p);
  // who: the key inside the signature must be listed for the principal the payload names
  const m = matchSigner(signers, { principal: p.principal, key: v.publicKey, namespace: APPROVAL_NAMESPACE, at: new Date(p.at) });
  if (!m.ok) return bad('SIG_PRINCIPAL', `signer "${p.principal}" (${v.publicKey.fingerprint}) is not allowed: ${m.reason}`);
  // what: every binding
  const e = f.expect;
  if (e.repo.id !== undefined && p.repo.id !== e.repo.id) return bad('SIG_BINDING', `it was signed for repository ${p.repo.id}, not this one (${e.repo.id})`);
  if (p.repo.root !== e.repo.root) return bad('SIG_BINDING', `it was signed for a repository whose root commit is ${String(p.repo.root).slice(0, 12)}, not ${String(e.repo.root).slice(0, 12)}`);
  if (e.parent !== undefined && p.parent !== e.parent) return bad('SIG_BINDING', `it was signed on parent commit ${String(p.parent).slice(0, 12)}, not ${String(e.parent).slice(0, 12)}`);
  if (p.tree !== e.tree) return bad('SIG_BINDING', `it was signed for tree ${p.tree.slice(0, 12)}, not the staged tree ${e.tree.slice(0, 12)} (a replayed or stale approval)`);
  if (p.step !== a.step) return bad('SIG_BINDING', `it signs the "${p.step}" step but is recorded as "${a.step}"`);
  if (p.tier !== a.tier || TIER_RANK[p.tier] < TIER_RANK[e.tier]) return bad('SIG_BINDING', `it signs tier ${p.tier}; the change requires ${e.tier}${p.tier !== a.tier ? ` and the record says ${a.tier}` : ''}`);
  if (p.digest !== e.digest) return bad('SIG_BINDING', 'it signs another explanation (sidecar digest mismatch): the explanation was edited after signing');
  // modes (v2) are not compared here: the tree binding above pins them; the range check binds them
  const noModes = (fs: readonly PayloadFile[]) => sortFiles(fs.map(({ mode: _m, old_mode: _o, ...rest }) => rest));
  const want = JSON.stringify(noModes(e.files));
  const got = JSON.stringify(noModes(p.files));
  if (want !== got) {
    const wm = new Map(e.files.map((x) => [x.path, x.blob]));
    const gm = new Map(p.files.map((x) => [x.path, x.blob]));
    const diffs: string[] = [];
    for (const [path, blob] of wm) {
      if (!gm.has(path)) diffs.push(`${path} is staged but not signed`);
      else if (gm.get(path) !== blob) diffs.push(`${path}: signed blob ${gm.get(path)!.slice(0, 12)}, staged blob ${blob.slice(0, 12)}`);
    }
    for (const path of gm.keys()) if (!wm.has(path)) diffs.push(`${path} is signed but not staged`);
    return bad('SIG_BINDING', `the signed files do not match the staged gated files (${diffs.join('; ') || 'status or rename differs'})`);
  }
  // when
  const at = Date.parse(p.at);
  if (at > f.now.getTime() + FUTURE_SKEW_MS) return bad('SIG_TIME', `it is dated ${p.at}, in the future`);
  if (f.now.getTime() - at > f.policy.maxAgeMs) return bad('SIG_EXPIRED', `it was signed at ${p.at}, longer ago than approval.max_age allows`);
  // the ledger state it vouched for
  if (f.ledgerHashAt) {
    const h = f.ledgerHashAt.get(p.ledger.size);
    if (h === undefined) return bad('SIG_LEDGER', `it vouches for a ledger of ${p.ledger.size} entries, but the ledger now has fewer: it was truncated`);
    if (h !== p.ledger.head) return bad('SIG_LEDGER', `it vouches for ledger head ${p.ledger.head.slice(0, 12)} after ${p.ledger.size} entries, but the ledger now hashes to ${h.slice(0, 12)} there: entries up to ${p.ledger.size} were rewritten`);
  }
  // how strong
  const strength = strengthOf(v);
  if (STRENGTH_RANK[strength] < STRENGTH_RANK[f.policy.minStrength]) {
    const why = v.publicKey.fido ? (v.userPresent ? 'the FIDO signature has no user verification (no PIN or biometric)' : 'a FIDO key signed without user presence (no touch)') : `${v.publicKey.type} is a software key, not a FIDO security key`;
    return bad('SIG_STRENGTH', `approval.min_strength is ${f.policy.minStrength}, but ${why}`);
  }
  return { ok: true, payload: p, principal: p.principal, strength, key: v.publicKey.fingerprint, ...(v.flags !== undefined ? { flags: v.flags } : {}) };
}

/** Every reason the stored approvals do not satisfy the signing policy. Empty → they do. */
export function checkSignedApprovals(f: SignedApprovalFacts): Finding[] {
  if (!f.policy.require || f.expect.tier === 'AUTO') return [];
  const out: Finding[] = [];
  const block = (code: string, message: string, fix: string, data?: Record<string, unknown>) =>
    out.push({ gate: 'signature', code, severity: 'block', message, fix, ...(f.path ? { path: f.path } : {}), ...(data ? { data } : {}) });
  const as = f.allowedSigners;
  if (as.text === undefined) {
    block('SIG_NO_SIGNERS', `approval.require_signature is in force but ${as.path} is not committed at ${as.at}, so no approval can be trusted.`, `commit ${as.path} (principal and public key per line; \`git add ${as.path} && git commit\`, itself approved)`);
    return out;
  }
  const parsed = parseAllowedSigners(as.text);
  if (!parsed.ok) {
    block('SIG_SIGNERS_INVALID', `${as.path} at ${as.at} cannot be parsed: ${parsed.problems.join('; ')}.`, `fix ${as.path} and commit it`, { problems: parsed.problems });
    return out;
  }
  const good = new Set<PayloadStep>();
  f.approvals.forEach((a, i) => {
    const r = checkOneApproval(a, parsed.signers, f);
    if (r.ok) {
      if (TIER_RANK[a.tier] >= TIER_RANK[f.expect.tier]) good.add(a.step);
      return;
    }
    if (r.code === 'SIG_UNSIGNED') return; // reported below as a missing signed step
    block(r.code, `approval #${i + 1} (${a.step}) does not count: ${r.reason}.`, SIG_FIX, { index: i, step: a.step });
  });
  const missing = f.requiredSteps.filter((s) => !good.has(s));
  if (missing.length) {
    block(
      'SIG_MISSING',
      `approval.require_signature is in force (min_strength ${f.policy.minStrength}): ${missing.map((s) => `the "${s}" step`).join(' and ')} ${missing.length === 1 ? 'has' : 'have'} no valid signed approval${f.requiredSteps.length > 1 ? ' (each DOUBLE_CONFIRM step is its own signature)' : ''}.`,
      SIG_FIX,
      { missing },
    );
  }
  return out;
}

/** For messages: a payload re-serialised (what was signed). */
export function describePayload(p: ApprovalPayload): string {
  return serializePayload(p);
}
