/**
 * The shape every gate fits: (facts, config) → findings. Findings are data; a gate that says
 * "no" returns block findings so one run reports every problem at once. Exceptions mean
 * "could not evaluate" (fail closed) or a bug.
 */
export type Severity = 'block' | 'warn' | 'info';

export interface Finding {
  /** Which gate produced it: 'A' (leases), 'B' (mutation), 'adr', 'sidecar', 'config', 'ledger'. */
  gate: string;
  /** Stable machine code, e.g. "B_NO_SIDECAR", "A_LEASE_NOT_HELD", "ADR_IMMUTABLE". */
  code: string;
  severity: Severity;
  message: string;
  path?: string;
  /** The exact command (or action) that resolves it. */
  fix?: string;
  data?: Record<string, unknown>;
}

export function blocks(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'block');
}
