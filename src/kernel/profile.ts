/**
 * `GATE_PROFILE=1`: where a command's time went, one stderr line per phase (docs: CONTRIBUTING.md,
 * "Hot path"). bin/gate.js reads the variable once and, when it is set, registers a recorder under
 * `Symbol.for('agent-gates.profile')` before it loads anything; this module reads that once, when
 * first loaded. Unset, `PROFILE` is undefined and an instrumented call costs one check of it.
 *
 * Phases are exclusive: time spent in a phase entered inside another (git inside a ledger append)
 * counts for the inner one only. The launcher times its own phases (launch, load, evaluate: the
 * command's own work, gate evaluation included) and prints the table when the process exits.
 */
export type ProfilePhase = 'config' | 'git' | 'ledger';

export interface Profiler {
  enter(phase: ProfilePhase): void;
  exit(phase: ProfilePhase): void;
}

export const PROFILE: Profiler | undefined = (globalThis as { [k: symbol]: Profiler | undefined })[Symbol.for('agent-gates.profile')];

/** Run `fn` as `phase` (a promise counts until it settles); just `fn()` when not profiling. */
export function profiled<T>(phase: ProfilePhase, fn: () => T): T {
  const p = PROFILE;
  if (!p) return fn();
  p.enter(phase);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    p.exit(phase);
    throw e;
  }
  if (result instanceof Promise) {
    return result.finally(() => p.exit(phase)) as T;
  }
  p.exit(phase);
  return result;
}
