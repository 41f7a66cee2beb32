/**
 * The web inbox's default ports: the inbox listing (list.ts), passkey approvals
 * (approvals/webauthn.ts) and `gate reject`. Kept apart from web-backend.ts so a test can name
 * exactly what it drives, and so the page never grows its own copy of either.
 */
import { GateError } from '../../kernel/errors.js';
import type { Ctx } from '../context.js';
import type { BackendPorts, InboxItem } from './web-backend.js';

const NOT_YET = (): never => {
  throw new GateError('CANNOT_EVALUATE', 'passkey approvals are not available in this build.', { fix: 'approve in a terminal: gate approve' });
};

/** Interim listing until list.ts lands: the staged explanation of each worktree of the clone. */
async function listStaged(ctx: Ctx): Promise<InboxItem[]> {
  const { openContext } = await import('../context.js');
  const { stagedFacts, loadSidecar } = await import('../approvals/facts.js');
  const out: InboxItem[] = [];
  for (const wt of ctx.git.worktrees()) {
    if (wt.bare || wt.prunable) continue;
    let c: Ctx;
    try {
      c = openContext(wt.path);
    } catch {
      continue;
    }
    const facts = await stagedFacts(c);
    const loaded = await loadSidecar(c, facts.tree);
    if (loaded.state.state !== 'ok') continue;
    const s = loaded.state.sidecar;
    out.push({
      worktree: wt.path,
      tree: facts.tree,
      card: { tier: s.tier, intent: s.intent, created_by: s.created_by.id, created_at: s.created_at, worktree: wt.path, ...(wt.branch ? { branch: wt.branch.replace(/^refs\/heads\//, '') } : {}), files: s.files.length, current: true, rejections: s.rejections.map((r) => r.reason) },
    });
  }
  return out;
}

export async function defaultPorts(): Promise<BackendPorts> {
  const { reject } = await import('../approvals/approve.js');
  return {
    list: listStaged,
    passkeys: { requestOptions: NOT_YET, approve: NOT_YET, registrationOptions: NOT_YET, signerLine: NOT_YET },
    reject: async (c, reason) => ({ ...(await reject(c, reason)) }),
  };
}
