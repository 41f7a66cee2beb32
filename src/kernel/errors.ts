/** Exit codes, documented in the README and asserted by tests. */
export const ExitCode = {
  OK: 0,
  DENIED: 1,
  USAGE: 2,
  CANNOT_EVALUATE: 3,
  INTERNAL: 70,
} as const;
export type ExitCodeName = keyof typeof ExitCode;

/**
 * The closed set of error codes. Every failure the tool reports on purpose is one of these;
 * anything else reaching the CLI is a bug (exit 70).
 */
export const ERROR_CODES = {
  USAGE: 'USAGE',
  NOT_A_REPO: 'CANNOT_EVALUATE',
  CONFIG_INVALID: 'CANNOT_EVALUATE',
  CONFIG_MISSING: 'CANNOT_EVALUATE',
  GIT_FAILED: 'CANNOT_EVALUATE',
  LEDGER_CORRUPT: 'CANNOT_EVALUATE',
  LEDGER_BUSY: 'CANNOT_EVALUATE',
  LEASE_CORRUPT: 'CANNOT_EVALUATE',
  SIDECAR_INVALID: 'CANNOT_EVALUATE',
  NOT_INTERACTIVE: 'DENIED',
  IDENTITY_MISSING: 'USAGE',
  DENIED: 'DENIED',
  /** An inbox card no longer matches its worktree's staged tree (approve or reject it after the agent explains again). */
  STALE: 'DENIED',
  LEASE_HELD: 'DENIED',
  TOOL_MISSING: 'CANNOT_EVALUATE',
  CANNOT_EVALUATE: 'CANNOT_EVALUATE',
  /** A filesystem operation on gate's state (or a file it reads) failed: read-only, full, wrong type, ... */
  FS_FAILED: 'CANNOT_EVALUATE',
  /** The state directory of a clone that had one is gone (reported, never silently recreated). */
  STATE_MISSING: 'CANNOT_EVALUATE',
} as const satisfies Record<string, ExitCodeName>;
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The one error type the tool throws on purpose. `message` says what happened and why;
 * `fix` is the exact command (or action) that resolves it; `details` lists every problem when
 * there are several (e.g. each invalid config field).
 */
export class GateError extends Error {
  readonly code: ErrorCode;
  readonly fix: string | undefined;
  readonly details: readonly string[];
  readonly data: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { fix?: string; details?: readonly string[]; cause?: unknown; data?: Record<string, unknown> } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GateError';
    this.code = code;
    this.fix = opts.fix;
    this.details = opts.details ?? [];
    this.data = opts.data;
  }

  get exitCode(): number {
    return ExitCode[ERROR_CODES[this.code]];
  }
}

export function isGateError(e: unknown): e is GateError {
  return e instanceof GateError;
}
