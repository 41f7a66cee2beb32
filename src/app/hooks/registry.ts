/**
 * The gates each hook runs, loaded lazily so `gate lock` never pays for them.
 * Add a gate by appending a loader here.
 */
import type { HookGate } from './types.js';

/**
 * The git hooks gate installs, each running templates/hooks/<name> (`gate init` puts them in the
 * project's hook manager; `gate doctor` checks them; `gate uninstall` removes them). A clean
 * `git merge` runs pre-merge-commit instead of pre-commit. post-rewrite and pre-push carry approval
 * notes (TRAVEL_HOOK_RUNNERS, ADR 0018). Add a hook here and ship its template.
 */
export const GIT_HOOKS: readonly string[] = ['pre-commit', 'post-commit', 'pre-merge-commit', 'post-rewrite', 'pre-push'];

export const HOOK_GATES: ReadonlyArray<() => Promise<HookGate>> = [
  () => import('../approvals/sidecar-guard-hook.js').then((m) => m.sidecarGuard),
  () => import('../approvals/hook.js').then((m) => m.gateB),
  () => import('../approvals/signed-hook.js').then((m) => m.signedApprovalGate),
  () => import('../leases/hook.js').then((m) => m.gateA),
  () => import('../adr/hook.js').then((m) => m.adrGate),
];

/**
 * Git hooks that are not gates: they carry approvals with the commits (ADR 0018) and never block
 * git. Their scripts (templates/hooks/post-rewrite, pre-push) call `gate check --hook <name> "$@"`.
 */
export const TRAVEL_HOOK_RUNNERS = {
  'post-rewrite': () => import('./travel.js').then((m) => m.runPostRewrite),
  'pre-push': () => import('./travel.js').then((m) => m.runPrePush),
} as const;
