import type { HookGate } from '../hooks/types.js';
import { compileGlobs } from '../../kernel/glob.js';
import { leaseFindings, stagedHandoffPaths } from '../../gates/leases.js';
import { LeaseStore } from '../../adapters/lease-store.js';
import type { LeaseRecord } from '../../schema/lease/schema.js';

/**
 * Gate A at pre-commit: every staged handoff document (added, modified, deleted, both sides of a
 * rename) needs a live lease held by the committing identity. A corrupt lease record throws
 * LEASE_CORRUPT, so the commit cannot be evaluated and is refused (fail closed).
 */
export const gateA: HookGate = {
  name: 'gate-a',
  preCommit(ctx, staged) {
    const isHandoff = compileGlobs(staged.config.handoff.paths);
    const paths = stagedHandoffPaths(staged.changes, isHandoff);
    if (paths.length === 0) return [];
    const store = new LeaseStore(ctx.stateDir);
    const leases = new Map<string, LeaseRecord | undefined>(paths.map((p) => [p, store.read(p)]));
    return leaseFindings({ changes: staged.changes, isHandoff, leases, actor: ctx.actor().id, nowMs: ctx.now().getTime() });
  },
  // no post-commit work: leases are checked before the commit only
  deferPostCommit: () => ({ deferrable: true }),
};
