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
