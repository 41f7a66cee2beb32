/**
 * The gates each hook runs, loaded lazily so `gate lock` never pays for them.
 * Add a gate by appending a loader here.
 */
import type { HookGate } from './types.js';

/**
 * The git hooks gate installs, each running templates/hooks/<name> (`gate init` puts them in the
 * project's hook manager; `gate doctor` checks them; `gate uninstall` removes them). A clean
 * `git merge` runs pre-merge-commit instead of pre-commit. Add a hook here and ship its template.
 */
export const GIT_HOOKS: readonly string[] = ['pre-commit', 'post-commit', 'pre-merge-commit'];

export const HOOK_GATES: ReadonlyArray<() => Promise<HookGate>> = [
  () => import('../approvals/sidecar-guard-hook.js').then((m) => m.sidecarGuard),
  () => import('../approvals/hook.js').then((m) => m.gateB),
  () => import('../approvals/signed-hook.js').then((m) => m.signedApprovalGate),
  () => import('../leases/hook.js').then((m) => m.gateA),
  () => import('../adr/hook.js').then((m) => m.adrGate),
];
