/**
 * `gate audit verify`, signed part (issue 7): gather every signed point (approval payloads in the
 * ledger, approval payloads in the git notes that travel with the repository, and checkpoints
 * this clone has seen), keep those signed by a key the committed allowed_signers trusts, and
 * check that the current ledger still passes through each of them.
 *
 * The notes and published checkpoints matter: an attacker who rewrites the ledger can also drop
 * the approve entries from it, but not the notes already pushed or the checkpoints published.
 */
import type { Ctx } from '../context.js';
import { NOTES_REF } from '../../adapters/git.js';
import { matchSigner, parseAllowedSigners, type AllowedSigner } from '../../signing/allowed-signers.js';
import { APPROVAL_NAMESPACE, verifySshsig } from '../../signing/sshsig.js';
import { parsePayload } from '../../signing/payload.js';
import { evaluateSignedPoints, type SignedPoint, type SignedPointsVerdict } from '../../signing/signed-points.js';
import { committedAllowedSigners, ledgerHashesAt, signingPolicy } from '../approvals/signed.js';

export interface SignedPointsReport extends SignedPointsVerdict {
  /** Points dropped because their signature or signer is not trusted. */
  untrusted: string[];
  /** Why no point could be checked (no allowed_signers committed, …). */
  note?: string;
  /** Whose keys were trusted: the allowed_signers path and the revision it was read at ("HEAD", or --trust's). */
  trusted_by?: string;
}

/** Which commit's allowed_signers decides trust: HEAD, or the revision CI names with `--trust` (its base). */
export interface TrustOptions {
  trust?: string;
}

/**
 * The keys a signed point must be signed by: allowed_signers as committed at `--trust <rev>` (CI
 * passes the base it trusts) or at HEAD, which is the agent's to move (so locally it is a
 * convenience, not an anchor). An unknown `--trust` is a usage error, never a fallback to HEAD.
 */
export async function trustedSigners(ctx: Ctx, opts: TrustOptions = {}): Promise<{ ok: true; signers: AllowedSigner[]; by: string } | { ok: false; note: string }> {
  const at = opts.trust ?? 'HEAD';
  let rev: string | undefined;
  if (opts.trust !== undefined) {
    rev = opts.trust.startsWith('-') ? undefined : ctx.git.revParse(`${opts.trust}^{commit}`);
    if (!rev) {
      const { GateError } = await import('../../kernel/errors.js');
      throw new GateError('USAGE', `--trust ${opts.trust} names no commit in this repository.`, { fix: 'fetch the commit you trust (CI: the base of the range), then: gate audit verify --trust <its commit id>' });
    }
  } else rev = ctx.git.head();
  let cfg;
  try {
    cfg = (await ctx.config()).config;
  } catch {
    const { defaultConfig } = await import('../../schema/config/defaults.js');
    cfg = defaultConfig();
  }
  const policy = await signingPolicy(ctx, cfg, rev);
  const text = committedAllowedSigners(ctx, rev, policy.signersPath);
  if (text === undefined) return { ok: false, note: `${policy.signersPath} is not committed at ${at}: no signature can be trusted, so no signed point is checked` };
  const parsed = parseAllowedSigners(text);
  if (!parsed.ok) return { ok: false, note: `${policy.signersPath} at ${at} cannot be parsed (${parsed.problems.join('; ')})` };
  return { ok: true, signers: parsed.signers, by: `${policy.signersPath} at ${at}` };
}

export function pointFromSignature(sig: unknown, signers: readonly AllowedSigner[], repoId: string | undefined, source: string): SignedPoint | string {
  const s = sig as { format?: unknown; payload?: unknown; signature?: unknown };
  if (typeof s !== 'object' || s === null || typeof s.payload !== 'string' || typeof s.signature !== 'string') return `${source}: malformed signature record`;
  const v = verifySshsig({ signature: s.signature, message: Buffer.from(s.payload, 'utf8'), namespace: APPROVAL_NAMESPACE });
  if (!v.ok) return `${source}: ${v.reason}`;
  const p = parsePayload(s.payload);
  if (typeof p === 'string') return `${source}: ${p}`;
  const m = matchSigner(signers, { principal: p.principal, key: v.publicKey, namespace: APPROVAL_NAMESPACE, at: new Date(p.at) });
  if (!m.ok) return `${source}: ${m.reason}`;
  if (repoId !== undefined && p.repo.id !== repoId) return `${source}: signed for another clone's ledger (repo id ${p.repo.id})`;
  return { size: p.ledger.size, head: p.ledger.head, source, principal: p.principal, at: p.at };
}

export async function collectSignedPoints(ctx: Ctx, opts: TrustOptions = {}): Promise<{ points: SignedPoint[]; untrusted: string[]; note?: string; by?: string }> {
  const untrusted: string[] = [];
  const parsed = await trustedSigners(ctx, opts);
  if (!parsed.ok) return { points: [], untrusted, note: parsed.note };
  const repoId = ctx.ledger.repoId(false);
  const points: SignedPoint[] = [];
  const add = (sig: unknown, source: string) => {
    const p = pointFromSignature(sig, parsed.signers, repoId, source);
    if (typeof p === 'string') untrusted.push(p);
    else points.push(p);
  };
  // 1. approve entries in the ledger (parsed leniently: the chain verifier judges the lines)
  for await (const { entry } of ctx.ledger.entries()) {
    if (entry.event === 'approve' && entry.data && typeof entry.data === 'object' && 'signature' in entry.data) add(entry.data.signature, `ledger #${entry.seq} (approve)`);
  }
  // 2. approval notes on commits (they travel with push and fetch)
  for (const { sig, source } of noteSignatures(ctx)) add(sig, source);
  // 3. checkpoints seen by this clone (verified against the SSH keys in allowed_signers)
  const { CheckpointStore } = await import('../../adapters/checkpoint-store.js');
  const { verifyCheckpoint, ledgerOrigin } = await import('../../signing/checkpoint.js');
  const { checkpointVerifiers } = await import('./checkpoint.js');
  if (repoId) {
    const origin = ledgerOrigin(repoId);
    const verifiers = checkpointVerifiers(parsed.signers);
    for (const seen of new CheckpointStore(ctx.stateDir).seen(origin)) {
      const v = verifyCheckpoint(seen.note, verifiers, { origin });
      if (!v.ok) {
        untrusted.push(`checkpoint ${seen.size}: ${v.reason}`);
        continue;
      }
      points.push({ size: v.checkpoint.size, head: v.checkpoint.root.toString('hex'), source: `checkpoint of ${v.checkpoint.size}`, principal: v.signedBy.join(', ') });
    }
  }
  // one entry per (size, head, source kind) is enough
  const seen = new Set<string>();
  const unique = points.filter((p) => {
    const k = `${p.size}:${p.head}:${p.source}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return { points: unique, untrusted, by: parsed.by };
}

export async function signedPointsReport(ctx: Ctx, opts: TrustOptions = {}): Promise<SignedPointsReport> {
  const { points, untrusted, note, by } = await collectSignedPoints(ctx, opts);
  const hashes = await ledgerHashesAt(ctx, points.map((p) => p.size));
  return { ...evaluateSignedPoints(points, hashes), untrusted, ...(note ? { note } : {}), ...(by ? { trusted_by: by } : {}) };
}

/** Every signature in the approval notes on commits (they travel with push and fetch), with where it was found. */
export function* noteSignatures(ctx: Ctx): Generator<{ sig: unknown; source: string }> {
  let notes = new Map<string, string>();
  try {
    notes = ctx.git.notesMap(NOTES_REF);
  } catch {
    return; // no notes ref: no signatures from notes (positive evidence only)
  }
  for (const [commit, blob] of notes) {
    const raw = ctx.git.readBlob(blob);
    if (!raw) continue;
    let doc: { sidecar?: { approvals?: Array<{ signature?: unknown }> } };
    try {
      doc = JSON.parse(raw.toString('utf8'));
    } catch {
      continue;
    }
    for (const a of doc.sidecar?.approvals ?? []) if (a && a.signature !== undefined) yield { sig: a.signature, source: `note on ${commit.slice(0, 12)}` };
  }
}
