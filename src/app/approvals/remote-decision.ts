/**
 * Decisions across clones (ADR 0027, issue 18): a person on one clone approves or rejects a card
 * another clone published (remote-pending.ts), and the waiting clone fetches the decision.
 *
 *  - `remoteDecide` (the approver's clone, `gate inbox approve|reject <id> --remote`): reads the
 *    card's explanation and the staged tree and HEAD it carries (fetched objects), classifies the
 *    change itself with the config at that tree and HEAD, shows the explanation and the diff and
 *    asks the typed challenges through `personApproves` (gate approve's own steps), signs every
 *    step with the person's SSH key (always: an unsigned decision never counts) for THAT clone's
 *    repository id, parent, tree, files, digest and ledger point, and publishes all steps at once
 *    under refs/agent-gates/approvals/<repo-id>/<card id> in one push. Nothing is recorded in this
 *    clone's ledger: the approval belongs to the waiting clone.
 *  - `fetchDecision` (the waiting clone, `gate approve --fetch`): fetches the decision for the card
 *    of its current staged tree, verifies each step's signature with the same pure checker the
 *    pre-commit uses (gates/signed-approval.ts: allowed_signers committed at HEAD, the strictest
 *    policy's min_strength and max_age, every binding, the ledger point) and records the steps as
 *    signed approvals (`via: remote`), or records the signed rejection and its reason. A decision
 *    for another tree is STALE; anything that does not verify is refused and nothing is recorded.
 */
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../context.js';
import { GateError } from '../../kernel/errors.js';
import { realPath } from '../../adapters/files.js';
import { REMOTE_NS, RemoteRefs } from '../../adapters/remote-refs.js';
import { readCommitFile, writeFilesCommit } from '../../adapters/team-refs.js';
import { canonicalJson } from '../../schema/sidecar/fast.js';
import { APPROVAL_NAMESPACE, verifySshsig } from '../../signing/sshsig.js';
import { SIGNATURE_FORMAT, serializePayload, type ApprovalPayload, type StoredSignature } from '../../signing/payload.js';
import type { Person, Step } from '../../schema/sidecar/schema.js';
import type { Tier } from '../../schema/config/defaults.js';
import { EXPLAIN_FIX } from '../../gates/approval.js';
import { cardId, DECISIONS_NS, parseCard, type RemoteCard } from './remote-pending.js';
import type { Terminal } from './approve.js';
import type { SigningOptions } from './signed.js';

/** What a rejection's signature covers (canonical JSON, in the approval namespace; never parses as an approval payload). */
export const REJECTION_TYPE = 'agent-gates/rejection';
const TIMEOUT_MS = 120_000;

export interface DecisionStep {
  step: Step;
  signature: StoredSignature;
}

/** decision.json on the remote. Positive evidence only: the signatures decide. */
export interface Decision {
  v: 1;
  decision: 'approve' | 'reject';
  repoId: string;
  id: string;
  worktree: string;
  tree: string;
  tier: Tier;
  digest: string;
  approver: Person;
  at: string;
  steps?: DecisionStep[];
  reason?: string;
  /** A rejection's signature over its canonical statement. */
  signature?: StoredSignature;
}

export interface RemoteDecideResult {
  decision: 'approve' | 'reject';
  id: string;
  repoId: string;
  remote: string;
  worktree: string;
  tree: string;
  tier: string;
  ref: string;
  /** The decision's commit, when published. */
  commit?: string;
  steps: Step[];
  aborted?: string;
  next: string;
}

const decisionRef = (repoId: string, id: string): string => `${REMOTE_NS}${DECISIONS_NS}${repoId}/${id}`;

async function findRemoteCard(ctx: Ctx, id: string, remote: string | undefined): Promise<{ card: RemoteCard; remote: string }> {
  const { teamPending } = await import('../review/team.js');
  const rc = await teamPending(ctx, { ...(remote !== undefined ? { remote } : {}), includeOwn: true });
  const want = id.trim().toLowerCase();
  if (!/^[0-9a-f]{4,8}$/.test(want)) throw new GateError('USAGE', `"${id.slice(0, 40)}" is not a card id (4 to 8 hex characters, from gate inbox --remote).`, { fix: 'gate inbox --remote' });
  const hits = rc.cards.filter((c) => c.id.startsWith(want));
  if (hits.length > 1) throw new GateError('USAGE', `card id ${want} is ambiguous on ${rc.remote}: ${hits.map((c) => `${c.repoId}/${c.id}`).join(', ')}.`, { fix: 'gate inbox --remote  (and give more characters of the id)' });
  const card = hits[0];
  if (!card) {
    throw new GateError('DENIED', `no card ${want} waits on ${rc.remote}${rc.problems.length ? ` (${rc.problems.length} published card(s) could not be read)` : ''}.`, {
      details: rc.problems.map((p) => `${p.ref}: ${p.problem}`),
      fix: `gate inbox --remote ${rc.remote}   (the agent on that clone runs gate ledger publish to publish its card)`,
    });
  }
  if (card.repoId === ctx.ledger.repoId(false)) {
    throw new GateError('USAGE', `card ${card.id} is this clone's own; decide it here.`, { fix: `gate inbox approve ${card.id}   (or gate approve in ${card.worktree})` });
  }
  return { card, remote: rc.remote };
}

/**
 * The card's staged tree and HEAD, read from the objects the fetch brought; the change
 * classified here with the config at that tree and that HEAD; the explanation checked against it.
 */
async function cardChange(ctx: Ctx, card: RemoteCard) {
  const bad = (why: string) =>
    new GateError('DENIED', `card ${card.id} of clone ${card.repoId} cannot be decided here: ${why}.`, {
      fix: `the agent on that clone runs gate ledger publish again (with this version of gate), then: gate inbox --remote ${card.remote}`,
    });
  if (card.parent === undefined || card.root === undefined || !card.ledger) throw bad('it was published without its parent, root and ledger point (an older gate)');
  const rev = (spec: string) => {
    const r = ctx.git.exec(['rev-parse', '--verify', '--quiet', spec]);
    return r.code === 0 ? r.stdout.toString('utf8').trim() : undefined;
  };
  if (rev(`${card.commit}:staged`) !== card.tree) throw bad('the published commit does not carry the explained tree');
  if ((rev(`${card.commit}^1`) ?? null) !== card.parent) throw bad('the published commit does not carry the parent commit it names');
  if (card.parent && (ctx.git.firstParentRoot(card.parent) ?? null) !== card.root) throw bad('the root commit it names is not its parent\'s');
  const [{ configAt, verdictFor, refuseLinkEscapes }, { requireCurrent }, { readCommitFile: read }, { parseSidecarText }, { defaultConfig }] = await Promise.all([
    import('./facts.js'),
    import('./approve.js'),
    import('../../adapters/team-refs.js'),
    import('../../schema/sidecar/fast.js'),
    import('../../schema/config/defaults.js'),
  ]);
  const text = read(ctx.git, card.commit, 'sidecar.yaml')?.toString('utf8');
  const parsed = text === undefined ? undefined : await parseSidecarText(text);
  if (!parsed?.ok || parsed.digest !== card.digest) throw bad('its explanation does not parse or does not match its digest');
  const changes = ctx.git.diffTrees(card.parent ?? ctx.git.emptyTree(), card.tree);
  const config = (await configAt(ctx, card.tree)) ?? defaultConfig();
  const verdict = await verdictFor(ctx, changes, config, card.parent ?? undefined);
  refuseLinkEscapes(verdict);
  const path = `${card.remote}:${card.repoId}/${card.id}`;
  const { sidecar, digest } = requireCurrent({ path, abs: '', state: { state: 'ok', sidecar: parsed.sidecar, digest: parsed.digest } }, card.tree, verdict);
  const { strictestApproval } = await import('./signed.js');
  const policy = strictestApproval(config.approval, ((await configAt(ctx, card.parent ?? undefined)) ?? defaultConfig()).approval);
  return { sidecar, digest, verdict, changes, policy, path };
}

/** The approver's clone: decide a card of another clone and publish the signed decision. */
export async function remoteDecide(
  ctx: Ctx,
  id: string,
  term: Terminal,
  opts: { remote?: string; reject?: string; challenge?: () => string; signing?: SigningOptions },
): Promise<RemoteDecideResult> {
  const verb = opts.reject !== undefined ? 'reject' : 'approve';
  if (verb === 'reject' && !opts.reject!.trim()) throw new GateError('USAGE', 'a rejection needs a reason the agent can act on.', { fix: `gate inbox reject ${id} --remote --reason "<what must change>"` });
  const { sessionId } = await import('../../adapters/identity.js');
  if (verb === 'approve' && !term.interactive) {
    throw new GateError('NOT_INTERACTIVE', 'approving needs a person at an interactive terminal (stdin and stdout must both be a TTY); piped or scripted input cannot approve.', {
      fix: `run gate inbox approve ${id} --remote yourself in a terminal`,
    });
  }
  if (sessionId()) {
    throw new GateError('NOT_INTERACTIVE', 'GATE_SESSION is set: this shell belongs to an agent session, and agents do not decide on changes.', { fix: 'run it in your own terminal, where GATE_SESSION is not set' });
  }
  const { card, remote } = await findRemoteCard(ctx, id, opts.remote);
  const ch = await cardChange(ctx, card);
  const tier = ch.verdict.tier;
  const command = `gate inbox ${verb} ${card.id} --remote ${remote}`;
  const signed = await import('./signed.js');
  const ready = (await signed.preflightSigning(ctx, opts.signing ?? {}, { head: card.parent ?? undefined, policy: ch.policy, command }))!;
  const { signMessage } = await import('../../adapters/ssh-keygen.js');
  const { approverNow, personApproves, newChallenge, visible } = await import('./approve.js');
  const sign = (bytes: string, what: string): StoredSignature => {
    if (ready.pub.fido) term.write(`signing the ${what} with ${ready.pub.type} ${ready.pub.fingerprint}: touch your security key when it blinks\n`);
    const r = signMessage({ message: bytes, namespace: APPROVAL_NAMESPACE, key: ready.key, cwd: ctx.paths.root, ...(term.interactive ? { interactive: true } : {}) });
    return {
      format: SIGNATURE_FORMAT,
      namespace: APPROVAL_NAMESPACE,
      payload: bytes,
      signature: r.signature,
      principal: ready.principal,
      key: r.publicKey.fingerprint,
      ...(r.verified.flags !== undefined ? { fido: { flags: r.verified.flags, counter: r.verified.counter! } } : {}),
    };
  };
  const modes = new Map(ch.changes.map((c) => [c.path, { mode: c.newMode, old_mode: c.oldMode }]));
  const base = { decision: verb, id: card.id, repoId: card.repoId, remote, worktree: card.worktree, tree: card.tree, tier, ref: decisionRef(card.repoId, card.id) } as const;
  const approver = approverNow(ctx);
  const now = () => ctx.now().toISOString();
  let decision: Decision;
  if (verb === 'approve') {
    if (tier === 'AUTO') return { ...base, steps: [], next: 'nothing to approve: the change is AUTO on that clone' };
    const { requiredSteps } = await import('../../gates/classify.js');
    const steps: DecisionStep[] = [];
    // the worktree and branch are the other clone's words: shown with every control character escaped
    if (term.interactive) term.write(`card ${card.id} of clone ${card.repoId} (${remote}): ${visible(card.worktree).text}${card.branch ? ` (${visible(card.branch).text})` : ''}\n`);
    const run = await personApproves(ctx, term, {
      sidecar: ch.sidecar,
      tree: card.tree,
      tier,
      path: ch.path,
      head: card.parent ?? undefined,
      steps: requiredSteps(tier),
      gen: opts.challenge ?? (() => newChallenge()),
      record: async (step) => {
        const payload: ApprovalPayload = {
          v: 2,
          type: 'agent-gates/approval',
          repo: { id: card.repoId, root: card.root ?? null },
          parent: card.parent ?? null,
          tree: card.tree,
          tier,
          step,
          files: ch.sidecar.files.map((f) => ({ path: f.path, status: f.status, blob: f.blob, ...(f.old_path !== undefined ? { old_path: f.old_path } : {}), old_blob: f.old_blob, ...(modes.get(f.path) ?? { mode: '100644', old_mode: '100644' }) })),
          digest: ch.digest,
          ledger: card.ledger!,
          principal: ready.principal,
          nonce: randomBytes(16).toString('hex'),
          at: now(),
        };
        steps.push({ step, signature: sign(serializePayload(payload), `${step} approval`) });
        return undefined;
      },
    });
    if (run.aborted) return { ...base, steps: [], aborted: `${run.aborted}; nothing was published`, next: `${command}  (or gate inbox reject ${card.id} --remote ${remote} --reason "<why>")` };
    decision = { v: 1, decision: 'approve', repoId: card.repoId, id: card.id, worktree: card.worktree, tree: card.tree, tier, digest: ch.digest, approver, at: now(), steps };
  } else {
    const reason = opts.reject!;
    const statement = rejectionStatement({ repoId: card.repoId, root: card.root ?? null, parent: card.parent ?? null, tree: card.tree, digest: ch.digest, reason, principal: ready.principal, nonce: randomBytes(16).toString('hex'), at: now() });
    decision = { v: 1, decision: 'reject', repoId: card.repoId, id: card.id, worktree: card.worktree, tree: card.tree, tier, digest: ch.digest, approver, at: now(), reason, signature: sign(statement, 'rejection') };
  }
  const rr = new RemoteRefs(ctx.git, remote, { timeoutMs: TIMEOUT_MS });
  const existing = rr.fetch([`${DECISIONS_NS}${card.repoId}/`]).get(base.ref);
  const commit = writeFilesCommit(ctx.git, new Map([['decision.json', Buffer.from(`${JSON.stringify(decision, null, 2)}\n`)]]), undefined, `${verb} ${card.repoId}/${card.id}`, ctx.now());
  const r = rr.casPush([{ ref: base.ref, newOid: commit, expect: existing ?? null }]);
  if (!r.ok) throw new GateError('CANNOT_EVALUATE', `the decision on card ${card.id} moved on ${remote} while this one was published (someone else decided at the same time); nothing was published.`, { fix: `gate inbox --remote ${remote}, then decide again` });
  return { ...base, commit, steps: decision.steps?.map((s) => s.step) ?? [], next: `on that clone: gate approve --fetch ${remote}  (the agent there, or gate status, picks it up)` };
}

export interface RejectionStatementInput {
  repoId: string;
  root: string | null;
  parent: string | null;
  tree: string;
  digest: string;
  reason: string;
  principal: string;
  nonce: string;
  at: string;
}

export function rejectionStatement(i: RejectionStatementInput): string {
  return canonicalJson({ v: 1, type: REJECTION_TYPE, repo: { id: i.repoId, root: i.root }, parent: i.parent, tree: i.tree, digest: i.digest, reason: i.reason, principal: i.principal, nonce: i.nonce, at: i.at });
}

export interface FetchDecisionResult {
  status: 'approved' | 'rejected' | 'already' | 'waiting' | 'nothing';
  remote: string;
  tree: string;
  tier: string;
  id?: string;
  ref?: string;
  commit?: string;
  recorded: Array<{ step: Step; seq: number; principal: string; key: string }>;
  reason?: string;
  rejecter?: string;
  next: string;
}

/** The approver as decision.json names them: strings only, bounded (positive evidence; the signature decides). */
function personOf(v: unknown): Person {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const str = (x: unknown, fallback?: string) => (typeof x === 'string' && x.length > 0 ? x.slice(0, 200) : fallback);
  const name = str(o.name);
  const email = str(o.email);
  return { ...(name ? { name } : {}), ...(email ? { email } : {}), os_user: str(o.os_user, 'unknown')!, host: str(o.host, 'unknown')! };
}

function refused(code: string, message: string, fix: string, extra: Record<string, unknown> = {}): GateError {
  return new GateError('DENIED', message, { fix, details: [code], data: { code, ...extra } });
}

/** The waiting clone: fetch the decision on the card of the staged tree; verify it; record it. */
export async function fetchDecision(ctx: Ctx, opts: { remote?: string } = {}): Promise<FetchDecisionResult> {
  const { stagedFacts, verdictFor } = await import('./facts.js');
  const { teamRemote } = await import('../review/team.js');
  const remote = await teamRemote(ctx, opts.remote);
  const facts = await stagedFacts(ctx);
  const verdict = await verdictFor(ctx, facts.changes, facts.config, facts.head);
  const base = { remote, tree: facts.tree, tier: verdict.tier, recorded: [] as FetchDecisionResult['recorded'] };
  if (verdict.tier === 'AUTO') return { ...base, status: 'nothing', next: 'git commit  (no gated files are staged; nothing to approve)' };
  const repoId = ctx.ledger.repoId(false);
  if (!repoId) return { ...base, status: 'waiting', next: 'gate ledger publish  (this clone has published nothing yet)' };
  const worktree = realPath(ctx.paths.root);
  const id = cardId(worktree, facts.tree);
  const ref = decisionRef(repoId, id);
  const rr = new RemoteRefs(ctx.git, remote, { timeoutMs: TIMEOUT_MS });
  const decisions = rr.fetch([`${DECISIONS_NS}${repoId}/`]);
  const commit = decisions.get(ref);
  if (!commit) {
    // a decision on an earlier staged tree of this worktree: the person decided on what is no longer staged
    for (const [other, oid] of decisions) {
      const d = parseCard(readCommitFile(ctx.git, oid, 'decision.json'));
      if (d && d.worktree === worktree && typeof d.tree === 'string' && d.tree !== facts.tree) {
        throw new GateError('STALE', `the decision on ${remote} (${other.slice(REMOTE_NS.length)}) is for tree ${d.tree.slice(0, 12)}; the staged tree is now ${facts.tree.slice(0, 12)}, so it does not count and nothing was recorded.`, {
          fix: `explain the current staged tree (${EXPLAIN_FIX}), gate ledger publish, and ask for a decision on the new card ${id}`,
          data: { id, tree: facts.tree, decided: d.tree },
        });
      }
    }
    return { ...base, status: 'waiting', id, next: `no decision yet on card ${id}: gate ledger publish (if not yet), then gate approve --fetch ${remote} again later` };
  }
  const d = parseCard(readCommitFile(ctx.git, commit, 'decision.json')) as Partial<Decision> | undefined;
  const ask = `a person with a key listed in the committed allowed_signers decides again: gate inbox approve ${id} --remote ${remote}`;
  if (!d || (d.decision !== 'approve' && d.decision !== 'reject')) throw refused('DECISION_MALFORMED', `the decision ${ref} on ${remote} cannot be read; nothing was recorded.`, ask);
  if (d.repoId !== repoId || d.id !== id || d.tree !== facts.tree) throw refused('DECISION_MISMATCH', `the decision ${ref} on ${remote} names another clone, card or tree; nothing was recorded.`, ask);
  const { signingPolicy, committedAllowedSigners, repoIdentity, ledgerHashesAt, payloadLedgerSizes, toPayloadFiles } = await import('./signed.js');
  const policy = { ...(await signingPolicy(ctx, facts.config, facts.head)), require: true };
  const signersText = committedAllowedSigners(ctx, facts.head, policy.signersPath);
  if (signersText === undefined) throw refused('SIG_NO_SIGNERS', `${policy.signersPath} is not committed at HEAD, so no decision from another clone can be trusted.`, `commit ${policy.signersPath} (itself a gated change)`);
  const { parseAllowedSigners, matchSigner } = await import('../../signing/allowed-signers.js');
  const signers = parseAllowedSigners(signersText);
  if (!signers.ok) throw refused('SIG_SIGNERS_INVALID', `${policy.signersPath} at HEAD cannot be parsed.`, `fix ${policy.signersPath} and commit it`);
  const { approvalPreconditions, recordApproval, reject } = await import('./approve.js');
  const approver = personOf(d.approver);

  if (d.decision === 'reject') {
    const s = d.signature as Partial<StoredSignature> | undefined;
    const reason = typeof d.reason === 'string' ? d.reason : '';
    if (!s || typeof s.payload !== 'string' || typeof s.signature !== 'string') throw refused('SIG_UNSIGNED', `the rejection ${ref} on ${remote} is not signed, and an unsigned decision never counts; nothing was recorded.`, ask);
    const v = verifySshsig({ signature: s.signature, message: Buffer.from(s.payload, 'utf8'), namespace: APPROVAL_NAMESPACE });
    if (!v.ok) throw refused('SIG_INVALID', `the rejection's signature does not verify: ${v.reason}.`, ask);
    let st: Record<string, unknown>;
    try {
      st = JSON.parse(s.payload) as Record<string, unknown>;
    } catch {
      throw refused('SIG_PAYLOAD', 'the rejection statement is not JSON.', ask);
    }
    const repo = st.repo as { id?: unknown; root?: unknown } | undefined;
    const expectRepo = repoIdentity(ctx, facts.head, false);
    if (st.type !== REJECTION_TYPE || s.payload !== canonicalJson(st)) throw refused('SIG_PAYLOAD', 'the rejection statement is not one in canonical form.', ask);
    const { loadSidecar } = await import('./facts.js');
    const cur = (await loadSidecar(ctx, facts.tree)).state;
    if (repo?.id !== expectRepo.id || repo?.root !== expectRepo.root || st.parent !== (facts.head ?? null) || st.tree !== facts.tree || st.reason !== reason || (cur.state === 'ok' && st.digest !== cur.digest)) {
      throw refused('SIG_BINDING', 'the rejection was signed for another clone, parent, tree, explanation or reason; nothing was recorded.', ask);
    }
    const m = matchSigner(signers.signers, { principal: String(st.principal), key: v.publicKey, namespace: APPROVAL_NAMESPACE, at: new Date(String(st.at)) });
    if (!m.ok) throw refused('SIG_PRINCIPAL', `the rejection's signer "${String(st.principal)}" (${v.publicKey.fingerprint}) is not allowed: ${m.reason}.`, ask);
    if (cur.state === 'ok' && cur.sidecar.rejections.some((x) => x.reason === reason)) return { ...base, status: 'already', id, ref, commit, reason, rejecter: String(st.principal), next: 'the agent changes the staged files to address the rejection, then runs gate explain again' };
    const r = await reject(ctx, reason, { rejecter: approver, via: { via: 'remote', remote, decision: commit, key: v.publicKey.fingerprint, principal: String(st.principal) } });
    return { ...base, status: 'rejected', id, ref, commit, reason, rejecter: String(st.principal), next: r.next };
  }

  // approve: every required step, each verified as the pre-commit would, before anything is recorded
  const { requiredSteps, tierAtLeast } = await import('../../gates/classify.js');
  const { checkOneApproval } = await import('../../gates/signed-approval.js');
  const { approvalProblem } = await import('../../gates/approval.js');
  const { expiryOf } = await import('./facts.js');
  const { loaded, sidecar, digest, ledger } = await approvalPreconditions(ctx, facts.tree, verdict);
  const already = new Set<Step>();
  for (const a of sidecar.approvals) {
    if (!approvalProblem(a, facts.tree, digest, ledger.lines.get(a.ledger.offset), expiryOf(ctx, facts.config).expiry) && tierAtLeast(a.tier, verdict.tier)) already.add(a.step);
  }
  const steps = Array.isArray(d.steps) ? (d.steps as DecisionStep[]) : [];
  const ledgerHashAt = await ledgerHashesAt(ctx, payloadLedgerSizes(steps.map((s) => s.signature)));
  const expect = { repo: repoIdentity(ctx, facts.head, false), parent: facts.head ?? null, tree: facts.tree, tier: verdict.tier, files: toPayloadFiles(verdict.files), digest };
  const todo: Array<{ step: Step; signature: StoredSignature; principal: string; key: string }> = [];
  for (const step of requiredSteps(verdict.tier)) {
    if (already.has(step)) continue;
    const s = steps.find((x) => x && x.step === step);
    if (!s) {
      throw refused('SIG_MISSING', `the decision ${ref} on ${remote} has no signed "${step}" step${verdict.tier === 'DOUBLE_CONFIRM' ? ' (DOUBLE_CONFIRM needs the intent and the diff, each its own signature)' : ''}; nothing was recorded.`, ask, { step });
    }
    const c = checkOneApproval({ step, tier: verdict.tier, method: s.signature ? 'ssh-signature' : 'terminal', ...(s.signature ? { signature: s.signature } : {}) }, signers.signers, { policy, expect, now: ctx.now(), ledgerHashAt });
    if (!c.ok) {
      const why = c.code === 'SIG_UNSIGNED' ? 'it is not signed, and an unsigned decision never counts' : c.reason;
      throw refused(c.code, `the "${step}" step of the decision ${ref} on ${remote} does not count: ${why}; nothing was recorded.`, ask, { step });
    }
    todo.push({ step, signature: s.signature, principal: c.principal, key: c.key });
  }
  if (todo.length === 0) return { ...base, status: 'already', id, ref, commit, next: 'git commit  (already approved)' };
  const recorded: FetchDecisionResult['recorded'] = [];
  for (const t of todo) {
    const a = await recordApproval(ctx, loaded, digest, t.step, verdict.tier, facts.tree, approver, {}, { remote, signature: t.signature, approver, commit });
    recorded.push({ step: t.step, seq: a.ledger.seq, principal: t.principal, key: t.key });
  }
  return { ...base, status: 'approved', id, ref, commit, recorded, next: 'git commit' };
}
