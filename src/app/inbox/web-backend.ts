/**
 * The web inbox's backend (issue 17): the page's data and actions, composed from the use-cases
 * that own them. The listing and a card's detail are the inbox's (list.ts), a rejection is
 * `gate inbox reject`'s (decide.ts), a passkey approval and a credential's signers line are the
 * passkey module's (approvals/webauthn.ts). This file refuses a card whose worktree moved on,
 * checks the registration ceremony it started, and shapes the results for the page.
 */
import { GateError } from '../../kernel/errors.js';
import { nodeCrypto } from '../../kernel/builtins.js';
import { openContext, type Ctx } from '../context.js';
import { CONFIG_PATH } from '../../adapters/config-file.js';
import type { AssertionJSON, CardDetail, InboxBackend, RegistrationJSON, WebCard } from './web.js';
import type { InboxCard } from './list.js';

/** The rpId and name the page registers credentials under (the page is served on http://localhost). */
const RP = { id: 'localhost', name: 'agent-gates' };
const REGISTRATION_TTL_MS = 5 * 60_000;

function shellQuote(s: string): string {
  return /^[\w./@%+=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function toWebCard(c: InboxCard): WebCard {
  return { ...c };
}

export function webBackend(ctx: Ctx): InboxBackend {
  const { randomBytes } = nodeCrypto();
  /** Registration challenges this page handed out (single use, 5 minutes). */
  const registrations = new Map<string, { principal: string; expires: number }>();
  // waiting ones and approved ones still waiting for their commit (a rejected tree is done)
  const list = async () => (await (await import('./list.js')).listInbox(ctx, { all: true })).filter((c) => c.state !== 'rejected');
  /** The card, refusing one whose worktree's staged tree is no longer the explained one. */
  const currentCard = async (id: string): Promise<{ card: InboxCard; wctx: Ctx }> => {
    const { findCard } = await import('./list.js');
    const card = await findCard(ctx, id);
    if (!card.current) {
      throw new GateError('DENIED', `card ${card.id} is stale: ${card.stale_reason ?? 'the staged tree moved on'}; it cannot be approved.`, {
        details: card.stale_details ?? [],
        fix: 'the agent explains the current staged tree again; the page updates when it does',
      });
    }
    return { card, wctx: openContext(card.worktree, { now: ctx.now, otherWorktree: true }) };
  };
  return {
    async cards() {
      return (await list()).map(toWebCard);
    },
    async detail(id): Promise<CardDetail | undefined> {
      const { inboxCard } = await import('./list.js');
      let d;
      try {
        d = await inboxCard(ctx, id);
      } catch (e) {
        if (e instanceof GateError && e.code === 'DENIED') return undefined;
        throw e;
      }
      const x = d.explanation;
      const byPath = new Map(x.files.map((f) => [f.path, f]));
      const done = new Set(d.card.steps_done);
      return {
        card: toWebCard(d.card),
        explanation: { intent: x.intent, alternatives: [...x.alternatives], risk: { ...x.risk }, created_by: x.created_by.id, created_at: x.created_at },
        tier: d.card.tier,
        tree: d.card.tree,
        steps: d.card.current && d.card.state === 'pending' ? d.card.steps_needed.filter((s) => !done.has(s)) : [],
        files: d.diff.map((f) => {
          const s = byPath.get(f.path);
          return {
            path: f.path,
            ...(f.old_path ? { old_path: f.old_path } : {}),
            status: f.status,
            tier: s?.tier ?? d.card.tier,
            surfaces: [...(s?.surfaces ?? [])],
            ...(f.binary ? { binary: true, note: f.unified.trim() } : { patch: f.unified }),
          };
        }),
        weakenings: x.files.some((f) => f.path === CONFIG_PATH || f.old_path === CONFIG_PATH) ? { messages: d.weakenings } : undefined,
      };
    },
    async approvalOptions(id, step) {
      const { card, wctx } = await currentCard(id);
      const { webauthnRequest } = await import('../approvals/webauthn.js');
      // the tree the page shows: refused (WEBAUTHN_STALE) when the worktree moved on since the listing
      const r = await webauthnRequest(wctx, { step: step as 'confirm' | 'intent' | 'diff', tree: card.tree });
      return { challenge: r.challenge, rpId: r.rpId, allowCredentials: r.allowCredentials, userVerification: r.userVerification, timeout: r.timeout, step: r.step, principal: r.principal, payloadDigest: r.payloadDigest };
    },
    async approve(id, step, assertion: AssertionJSON, origin) {
      const { card, wctx } = await currentCard(id);
      const { approveWithAssertion } = await import('../approvals/webauthn.js');
      const r = await approveWithAssertion(wctx, {
        step: step as 'confirm' | 'intent' | 'diff',
        credentialId: assertion.id,
        authenticatorData: assertion.authenticatorData,
        clientDataJSON: assertion.clientDataJSON,
        signature: assertion.signature,
        origin,
      });
      return { ...r, id: card.id, worktree: card.worktree };
    },
    async reject(id, reason) {
      const { inboxReject } = await import('./decide.js');
      return { ...(await inboxReject(ctx, id, reason)) };
    },
    async registrationOptions(principal) {
      const who = principal?.trim() || ctx.git.userEmail();
      if (!who) throw new GateError('USAGE', 'a passkey is registered for a principal (who approves), and none is known.', { fix: 'type your e-mail in the principal field, or git config user.email you@example.com' });
      const now = ctx.now().getTime();
      for (const [k, v] of registrations) if (v.expires < now) registrations.delete(k);
      const challenge = randomBytes(32).toString('base64url');
      registrations.set(challenge, { principal: who, expires: now + REGISTRATION_TTL_MS });
      return {
        challenge,
        rp: RP,
        user: { id: randomBytes(16).toString('base64url'), name: who, displayName: who },
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
        attestation: 'none',
        timeout: REGISTRATION_TTL_MS,
      };
    },
    async register(credential: RegistrationJSON, _principal, origin) {
      let client: { type?: unknown; challenge?: unknown; origin?: unknown };
      try {
        client = JSON.parse(Buffer.from(credential.clientDataJSON, 'base64url').toString('utf8')) as typeof client;
      } catch {
        throw new GateError('USAGE', 'clientDataJSON is not JSON.');
      }
      const pending = typeof client.challenge === 'string' ? registrations.get(client.challenge) : undefined;
      if (client.type !== 'webauthn.create' || !pending || pending.expires < ctx.now().getTime() || client.origin !== origin) {
        throw new GateError('DENIED', 'this credential answers no registration this page started (or it expired, or came from another origin).', { fix: 'click "Register a passkey" again' });
      }
      registrations.delete(client.challenge as string);
      if (!credential.publicKey) throw new GateError('USAGE', 'the browser did not return the public key (getPublicKey()).', { fix: 'use a browser with WebAuthn level 2 (current Chrome, Edge, Firefox or Safari)' });
      const { signerLineForCredential } = await import('../approvals/webauthn.js');
      const s = signerLineForCredential(Buffer.from(credential.publicKey, 'base64url'), pending.principal, RP.id, Buffer.from(credential.id, 'base64url'));
      const signers = (await ctx.config()).config.approval.allowed_signers;
      const commands = [
        `printf '%s\\n' ${shellQuote(s.line)} >> ${shellQuote(signers)}`,
        `git add ${shellQuote(signers)}`,
        `gate explain --intent ${shellQuote(`trust the passkey of ${pending.principal} for approvals`)} --alternative 'approve in a terminal only' --blast-radius 'who can approve gated changes' --reversibility 'remove the line' --rollback 'git revert'`,
        'gate approve',
        `git commit -m ${shellQuote(`chore(signers): add the passkey of ${pending.principal}`)}`,
      ];
      return { line: s.line, fingerprint: s.fingerprint, principal: pending.principal, signers_path: signers, commands };
    },
  };
}
