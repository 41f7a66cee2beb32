import type { HookGate } from '../hooks/types.js';
import { compileGlobs } from '../../kernel/glob.js';
import { leaseFindings, stagedHandoffPaths } from '../../gates/leases.js';
import { LeaseStore } from '../../adapters/lease-store.js';
import type { LeaseRecord } from '../../schema/lease/schema.js';

/**
 * Gate A at pre-commit: every staged handoff document (added, modified, deleted, both sides of a
 * rename) needs a live lease held by the committing identity. A corrupt lease record throws
 * LEASE_CORRUPT, so the commit cannot be evaluated and is refused (fail closed). With
 * handoff.remote set, the leases are read from that remote (one fetch of just these paths' refs,
 * a short timeout; unreachable is REMOTE_UNREACHABLE, exit 3) and only when the commit touches a
 * handoff document: other commits pay nothing for it.
 */
export const gateA: HookGate = {
  name: 'gate-a',
  preCommit(ctx, staged) {
    const isHandoff = compileGlobs(staged.config.handoff.paths);
    const paths = stagedHandoffPaths(staged.changes, isHandoff);
    if (paths.length === 0) return [];
    const remote = staged.config.handoff.remote;
    if (remote !== undefined) {
      return import('./remote.js').then(({ remoteStore, HOOK_REMOTE_TIMEOUT_MS }) => {
        const states = remoteStore(ctx, remote, HOOK_REMOTE_TIMEOUT_MS).read(paths, true, ctx.now().getTime());
        const leases = new Map(paths.map((p) => [p, states.get(p)?.lease?.rec]));
        return leaseFindings({ changes: staged.changes, isHandoff, leases, actor: ctx.actor().id, nowMs: ctx.now().getTime() });
      });
    }
    const store = new LeaseStore(ctx.stateDir);
    const leases = new Map<string, LeaseRecord | undefined>(paths.map((p) => [p, store.read(p)]));
    return leaseFindings({ changes: staged.changes, isHandoff, leases, actor: ctx.actor().id, nowMs: ctx.now().getTime() });
  },
  // no post-commit work: leases are checked before the commit only
  deferPostCommit: () => ({ deferrable: true }),
};
