/**
 * The gates each hook runs, loaded lazily so `gate lock` never pays for them.
 * Add a gate by appending a loader here.
 */
import type { HookGate } from './types.js';

export const HOOK_GATES: ReadonlyArray<() => Promise<HookGate>> = [
  () => import('../approvals/sidecar-guard-hook.js').then((m) => m.sidecarGuard),
  () => import('../approvals/hook.js').then((m) => m.gateB),
  () => import('../approvals/signed-hook.js').then((m) => m.signedApprovalGate),
  () => import('../leases/hook.js').then((m) => m.gateA),
  () => import('../adr/hook.js').then((m) => m.adrGate),
];

/**
 * Git hooks that are not gates: they carry approvals with the commits (ADR 0015) and never block
 * git. Installers write a script for each that calls `gate check --hook <name> "$@"`.
 */
export const TRAVEL_HOOK_RUNNERS = {
  'post-rewrite': () => import('./travel.js').then((m) => m.runPostRewrite),
  'pre-push': () => import('./travel.js').then((m) => m.runPrePush),
} as const;
