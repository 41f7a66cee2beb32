/**
 * `gate inbox approve <id>` and `gate inbox reject <id>`: the person decides on a card from any
 * directory of the clone. Nothing here approves: it finds the card, refuses a stale one, and runs
 * `gate approve`'s / `gate reject`'s own use-case with a context rooted at the card's worktree
 * (same terminal, same typed challenge, same DOUBLE_CONFIRM steps, same signing rules), told which
 * tree the person chose so a staged tree that moves on in between is refused too.
 */
import { openContext, type Ctx } from '../context.js';
import { realPath } from '../../adapters/files.js';
import { GateError } from '../../kernel/errors.js';
import { EXPLAIN_FIX } from '../../gates/approval.js';
import { findCard, type InboxCard } from './list.js';
import type { ApproveResult, ExpectedTree, RejectResult, Terminal } from '../approvals/approve.js';
import type { SigningOptions } from '../approvals/signed.js';

function staleError(card: InboxCard, details: readonly string[], staged?: string): GateError {
  const where = `${card.worktree}${card.branch ? ` (${card.branch})` : ''}`;
  return new GateError('STALE', `inbox card ${card.id} is stale: the staged tree in ${where} ${staged ? `is now ${staged.slice(0, 12)}` : 'changed'}, and the explanation is for ${card.tree.slice(0, 12)}; nothing was recorded.`, {
    details,
    fix: `the agent in ${card.worktree} explains the current staged tree again (${EXPLAIN_FIX}), then run gate inbox and decide on the new card`,
    data: { id: card.id, worktree: card.worktree, tree: card.tree, ...(staged ? { staged } : {}) },
  });
}

async function usableCard(ctx: Ctx, id: string, verb: 'approve' | 'reject'): Promise<{ card: InboxCard; wctx: Ctx; expect: ExpectedTree }> {
  const card = await findCard(ctx, id);
  if (!card.current) throw staleError(card, card.stale_details ?? [card.stale_reason ?? 'the staged tree changed']);
  if (card.state === 'rejected' && verb === 'approve') {
    throw new GateError('DENIED', `inbox card ${card.id} (tree ${card.tree.slice(0, 12)}) was rejected, and a rejected tree can never be approved.`, {
      fix: 'the agent changes the staged files to address the rejection and explains again',
    });
  }
  const wctx = realPath(ctx.paths.root) === card.worktree ? ctx : openContext(card.worktree, { now: ctx.now, otherWorktree: true });
  return { card, wctx, expect: { tree: card.tree, stale: (staged) => staleError(card, ['the staged tree changed after the card was listed'], staged) } };
}

export async function inboxApprove(
  ctx: Ctx,
  id: string,
  term: Terminal,
  opts: { challenge?: () => string; signing?: SigningOptions } = {},
): Promise<ApproveResult & { id: string; worktree: string; branch?: string }> {
  const { card, wctx, expect } = await usableCard(ctx, id, 'approve');
  const { approve } = await import('../approvals/approve.js');
  // what gate approve shows next is about this worktree: say which one first
  if (term.interactive) term.write(`inbox card ${card.id}: ${card.worktree}${card.branch ? ` (${card.branch})` : ''}\n`);
  const r = await approve(wctx, term, { ...opts, expect });
  return { ...r, id: card.id, worktree: card.worktree, ...(card.branch ? { branch: card.branch } : {}) };
}

export async function inboxReject(ctx: Ctx, id: string, reason: string): Promise<RejectResult & { id: string; worktree: string; branch?: string }> {
  if (!reason.trim()) throw new GateError('USAGE', 'a rejection needs a reason the agent can act on.', { fix: `gate inbox reject ${id} --reason "<what must change>"` });
  const { card, wctx, expect } = await usableCard(ctx, id, 'reject');
  const { reject } = await import('../approvals/approve.js');
  const r = await reject(wctx, reason, { expect });
  return { ...r, id: card.id, worktree: card.worktree, ...(card.branch ? { branch: card.branch } : {}) };
}
