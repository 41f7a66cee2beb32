/**
 * The web inbox's backend (issue 17): the page's data and actions, composed from the use-cases
 * that own them. The listing is the inbox's (list.ts), a passkey approval is the passkey module's
 * (approvals/webauthn.ts), a rejection is `gate reject`'s; this file only finds the card's
 * worktree, refuses a card whose worktree moved on, and shapes the change for the page.
 */
import { createHash } from 'node:crypto';
import { GateError } from '../../kernel/errors.js';
import { openContext, type Ctx } from '../context.js';
import { ZERO_BLOB } from '../../kernel/ids.js';
import { CONFIG_PATH } from '../../adapters/config-file.js';
import { loadSidecar, stagedFacts, expiryOf, gatherLedgerFacts } from '../approvals/facts.js';
import { approvalProblem } from '../../gates/approval.js';
import { requiredSteps, tierAtLeast } from '../../gates/classify.js';
import type { Sidecar } from '../../schema/sidecar/schema.js';
import type { AssertionJSON, CardDetail, InboxBackend, RegistrationJSON, WebCard } from './web.js';

/** One waiting change: the card the page shows, and where it lives. */
export interface InboxItem {
  card: Record<string, unknown>;
  /** Absolute path of the worktree whose staged tree the explanation describes. */
  worktree: string;
  tree: string;
}

/** The passkey side (approvals/webauthn.ts), in the page's terms. */
export interface PasskeyPort {
  requestOptions(ctx: Ctx, step: string, origin: string): Promise<{ challenge: string } & Record<string, unknown>>;
  approve(ctx: Ctx, step: string, assertion: AssertionJSON, origin: string): Promise<Record<string, unknown>>;
  registrationOptions(ctx: Ctx, principal: string | undefined, origin: string): Promise<{ challenge: string } & Record<string, unknown>>;
  signerLine(ctx: Ctx, credential: RegistrationJSON, principal: string | undefined, origin: string): Promise<{ line: string; commands: string[]; signers_path: string } & Record<string, unknown>>;
}

export interface BackendPorts {
  list(ctx: Ctx): Promise<InboxItem[]>;
  passkeys: PasskeyPort;
  reject(ctx: Ctx, reason: string): Promise<Record<string, unknown>>;
}

/** A card's id: stable for one explanation in one worktree, opaque to the page. */
export function cardId(worktree: string, tree: string): string {
  return createHash('sha256').update(`${worktree}\0${tree}`).digest('base64url').slice(0, 22);
}

function isBinary(b: Buffer): boolean {
  return b.subarray(0, 8000).includes(0);
}

async function filesOf(ctx: Ctx, s: Sidecar): Promise<CardDetail['files']> {
  const { createTwoFilesPatch } = await import('diff');
  const ids = s.files.flatMap((f) => [f.old_blob, f.blob]).filter((b) => b !== ZERO_BLOB);
  const blobs = ctx.git.readBlobs(ids);
  return s.files.map((f) => {
    const base = { path: f.path, ...(f.old_path ? { old_path: f.old_path } : {}), status: f.status, tier: f.tier, surfaces: [...f.surfaces] };
    const oldB = f.old_blob === ZERO_BLOB ? Buffer.alloc(0) : blobs.get(f.old_blob);
    const newB = f.blob === ZERO_BLOB ? Buffer.alloc(0) : blobs.get(f.blob);
    if (oldB === undefined || newB === undefined) return { ...base, missing: true };
    if (isBinary(oldB) || isBinary(newB)) return { ...base, binary: { old: oldB.length, new: newB.length } };
    const oldName = f.status === 'A' ? '/dev/null' : `a/${f.old_path ?? f.path}`;
    const newName = f.status === 'D' ? '/dev/null' : `b/${f.path}`;
    return { ...base, patch: createTwoFilesPatch(oldName, newName, oldB.toString('utf8'), newB.toString('utf8'), undefined, undefined, { context: 3 }) };
  });
}

export function webBackend(ctx: Ctx, ports: BackendPorts, origin: () => string): InboxBackend {
  const contexts = new Map<string, Ctx>();
  const ctxFor = (worktree: string): Ctx => {
    let c = contexts.get(worktree);
    if (!c) contexts.set(worktree, (c = openContext(worktree)));
    return c;
  };
  const items = async (): Promise<Map<string, InboxItem>> => new Map((await ports.list(ctx)).map((i) => [cardId(i.worktree, i.tree), i]));
  /** The card's worktree, refusing when its staged tree is no longer the one explained. */
  const current = async (id: string): Promise<{ item: InboxItem; c: Ctx }> => {
    const item = (await items()).get(id);
    if (!item) throw new GateError('DENIED', 'this change is no longer waiting (withdrawn, committed or re-explained).', { fix: 'reload the page' });
    const c = ctxFor(item.worktree);
    const facts = await stagedFacts(c);
    if (facts.tree !== item.tree) {
      throw new GateError('DENIED', `the staged tree in ${item.worktree} changed since this explanation (now ${facts.tree.slice(0, 12)}, explained ${item.tree.slice(0, 12)}).`, {
        fix: 'the agent explains the current staged tree again; the page updates when it does',
      });
    }
    return { item, c };
  };
  return {
    async cards(): Promise<WebCard[]> {
      return [...(await items())].map(([id, i]) => ({ ...i.card, id }));
    },
    async detail(id) {
      const item = (await items()).get(id);
      if (!item) return undefined;
      const c = ctxFor(item.worktree);
      const loaded = await loadSidecar(c, item.tree);
      if (loaded.state.state !== 'ok') {
        throw new GateError('SIDECAR_INVALID', `${loaded.path} in ${item.worktree} cannot be read as an explanation.`, {
          details: loaded.state.state === 'invalid' ? loaded.state.problems : ['the file is gone'],
          fix: 'the agent explains the staged tree again',
        });
      }
      const { sidecar, digest } = loaded.state;
      const facts = await stagedFacts(c);
      const stale = facts.tree !== item.tree;
      // the steps still to approve: the tier's steps minus those with a valid approval already
      const ledger = await gatherLedgerFacts(c, item.tree, loaded.state);
      const done = new Set<string>();
      if (ledger.ok) {
        for (const a of sidecar.approvals) {
          if (!approvalProblem(a, item.tree, digest, ledger.lines.get(a.ledger.offset), expiryOf(c, facts.config).expiry) && tierAtLeast(a.tier, sidecar.tier)) done.add(a.step);
        }
      }
      const steps = stale ? [] : requiredSteps(sidecar.tier).filter((s) => !done.has(s));
      const touchesConfig = sidecar.files.some((f) => f.path === CONFIG_PATH || f.old_path === CONFIG_PATH);
      let weakenings: CardDetail['weakenings'];
      if (touchesConfig) {
        const { configWeakenings } = await import('../approvals/approve.js');
        const cfg = sidecar.files.find((f) => f.path === CONFIG_PATH);
        const w = await configWeakenings(c, facts.head, cfg?.blob);
        weakenings = { messages: w.weakenings.map((x) => x.message), ...(w.note ? { note: w.note } : {}) };
      }
      return {
        card: { ...item.card, id },
        explanation: {
          intent: sidecar.intent,
          alternatives: [...sidecar.alternatives],
          risk: { ...sidecar.risk },
          created_by: sidecar.created_by.id,
          created_at: sidecar.created_at,
        },
        tier: sidecar.tier,
        tree: item.tree,
        steps,
        files: await filesOf(c, sidecar),
        weakenings,
        ...(stale ? { stale: true } : {}),
      };
    },
    async approvalOptions(id, step) {
      const { c } = await current(id);
      return ports.passkeys.requestOptions(c, step, origin());
    },
    async approve(id, step, assertion) {
      const { c } = await current(id);
      return ports.passkeys.approve(c, step, assertion, origin());
    },
    async reject(id, reason) {
      const { c } = await current(id);
      return ports.reject(c, reason);
    },
    registrationOptions: (principal) => ports.passkeys.registrationOptions(ctx, principal, origin()),
    register: (credential, principal) => ports.passkeys.signerLine(ctx, credential, principal, origin()),
  };
}
