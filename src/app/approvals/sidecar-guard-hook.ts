import type { HookGate } from '../hooks/types.js';
import { stagedSidecars } from '../../gates/sidecar-guard.js';

/** Sidecars describe a tree and so can never be part of it. */
export const sidecarGuard: HookGate = {
  name: 'sidecar-guard',
  preCommit: (_ctx, staged) => stagedSidecars(staged.changes),
  // no post-commit work: nothing to record, nothing to do
  deferPostCommit: () => ({ deferrable: true }),
};
