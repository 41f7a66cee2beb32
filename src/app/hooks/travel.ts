/**
 * The git hooks that make approvals travel (ADR 0018): `gate check --hook post-rewrite <amend|rebase>`
 * and `gate check --hook pre-push <remote> [<url>]`. Neither is a gate: they never block git (a
 * failure is a warning with the fix), since the verdict that counts is `gate check --range` in CI,
 * which finds an approval by the change it names in any note it fetched. Both first make sure the
 * clone's config carries approvals (git config is not cloned; see adapters/notes-sync.ts).
 */
import { GateError } from '../../kernel/errors.js';
import { copyNotesForRewrite, ensureCloneConfig, pushNotes, type PushNotesResult } from '../../adapters/notes-sync.js';
import type { Ctx } from '../context.js';

export const TRAVEL_HOOKS = ['post-rewrite', 'pre-push'] as const;
export type TravelHook = (typeof TRAVEL_HOOKS)[number];

export interface TravelReport {
  hook: TravelHook;
  /** Config added to this clone so that approvals travel (first run). */
  configured: string[];
  notes?: { copied?: boolean; push?: PushNotesResult['status']; merged?: boolean };
  warnings: string[];
}

/** post-rewrite: git passes "amend" or "rebase" and "<old> <new>" lines on stdin. */
export function runPostRewrite(ctx: Ctx, args: readonly string[], stdin: string): TravelReport {
  const command = args[0];
  if (command !== 'amend' && command !== 'rebase') {
    throw new GateError('USAGE', `post-rewrite expects "amend" or "rebase" as its argument (git passes one), got ${JSON.stringify(command ?? '')}.`, {
      fix: 'gate check --hook post-rewrite rebase < pairs   (git runs this from .husky/post-rewrite)',
    });
  }
  const { added } = ensureCloneConfig(ctx.git);
  const warnings: string[] = [];
  const r = stdin.trim() === '' ? { ok: true, message: '' } : copyNotesForRewrite(ctx.git, command, stdin);
  if (!r.ok) warnings.push(`the approval notes were not copied to the rewritten commits (${r.message || 'git notes copy failed'}); CI still finds them by the change they approve while the old commits' notes are pushed`);
  return { hook: 'post-rewrite', configured: added, notes: { copied: r.ok }, warnings };
}

/** pre-push: git passes the remote's name (or URL) and URL; ref lines on stdin. */
export function runPrePush(ctx: Ctx, args: readonly string[], stdin: string, env: NodeJS.ProcessEnv = process.env): TravelReport {
  const remote = args[0];
  if (!remote) {
    throw new GateError('USAGE', 'pre-push expects the remote as its first argument (git passes it).', { fix: 'gate check --hook pre-push origin   (git runs this from .husky/pre-push)' });
  }
  // the notes push below runs `git push --no-verify`; this guards any other way back in
  if (env.AGENT_GATES_PRE_PUSH) return { hook: 'pre-push', configured: [], warnings: [] };
  const { added } = ensureCloneConfig(ctx.git, remote);
  const lines = stdin.split('\n').filter((l) => l.trim() !== '');
  // nothing but notes or deletions pushed: nothing to carry approvals for
  const pushesCommits = lines.length === 0 || lines.some((l) => {
    const [, localSha, remoteRef] = l.split(' ');
    return !/^0+$/.test(localSha ?? '') && !(remoteRef ?? '').startsWith('refs/notes/');
  });
  if (!pushesCommits) return { hook: 'pre-push', configured: added, warnings: [] };
  const r = pushNotes(ctx.git, remote);
  const warnings = r.status === 'failed' ? [`the approval notes were not pushed to ${remote} (${r.message ?? 'git push failed'}), so CI may not find the approvals of these commits; fix: git push ${remote} refs/notes/agent-gates`] : [];
  return { hook: 'pre-push', configured: added, notes: { push: r.status, merged: r.merged }, warnings };
}

export function runTravelHook(ctx: Ctx, hook: TravelHook, args: readonly string[], stdin: string): TravelReport {
  return hook === 'post-rewrite' ? runPostRewrite(ctx, args, stdin) : runPrePush(ctx, args, stdin);
}
