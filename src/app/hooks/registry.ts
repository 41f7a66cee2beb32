/**
 * The gates each hook runs, loaded lazily so `gate lock` never pays for them.
 * Add a gate by appending a loader here.
 */
import type { HookGate } from './types.js';

export const HOOK_GATES: ReadonlyArray<() => Promise<HookGate>> = [
  () => import('./sidecar-guard.js').then((m) => m.sidecarGuard),
  () => import('./gate-b.js').then((m) => m.gateB),
  () => import('./signed-approval.js').then((m) => m.signedApprovalGate),
  () => import('./gate-a.js').then((m) => m.gateA),
  () => import('./adr.js').then((m) => m.adrGate),
];
