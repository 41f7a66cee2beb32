/**
 * The adapter contract every agent runtime implements (issue 16). A runtime module translates
 * that runtime's hook input into one runtime-neutral AgentEvent, and the runtime-neutral
 * AgentDecision (src/app/agents/decide.ts) back into that runtime's output and exit code.
 * Installation (`gate init --agent <name>`) and its check (`gate doctor`) live in the same module.
 *
 * The types live here, below app/, because the runtime modules are adapters (they read and
 * write the runtimes' settings files) and may only import downwards (ADR 0014).
 */

export const RUNTIMES = ['claude', 'cursor', 'gemini', 'codex', 'aider'] as const;
export type RuntimeName = (typeof RUNTIMES)[number];

/** What the agent is about to do, whatever runtime it runs in. */
export type AgentEvent =
  | { kind: 'session-start'; session: string | undefined; cwd: string; source?: string }
  | { kind: 'edit'; session: string | undefined; cwd: string; tool: string; files: string[] }
  | { kind: 'shell'; session: string | undefined; cwd: string; command: string }
  /** An event or tool the gates have nothing to say about. */
  | { kind: 'ignore' }
  /** The input could not be read: blocked (fail closed). */
  | { kind: 'invalid'; why: string; fix: string };

/** The runtime-neutral answer. */
export interface AgentDecision {
  /** deny: blocked; allow: goes ahead with `message` as a reminder; none: say nothing. */
  verdict: 'deny' | 'allow' | 'none';
  /** deny: what, why and the exact fix command; allow: the reminder; session-start: what to do next. */
  message?: string;
  /** A deny because the event could not be evaluated (fail closed), not because a gate said no. */
  cannotEvaluate?: boolean;
  /** session-start: the identity (`GATE_SESSION`) the session's commands must carry. */
  session?: string;
}

/** What the hook process does: its exit code and output. */
export interface HookOutcome {
  exitCode: 0 | 2;
  decision: 'deny' | 'block' | 'allow' | 'none';
  stdout?: string;
  stderr?: string;
}

export interface HookAdapter {
  runtime: RuntimeName;
  /** The runtime's hook input (a parsed JSON object) → the event. Never throws. */
  toEvent(input: Record<string, unknown>, env: NodeJS.ProcessEnv): AgentEvent;
  /** The decision → the runtime's output. `event` is undefined when the input was unreadable. */
  render(event: AgentEvent | undefined, decision: AgentDecision, env: NodeJS.ProcessEnv): HookOutcome;
}

export interface InstallReport {
  runtime: RuntimeName;
  /** The file written (absolute). */
  path: string;
  status: 'created' | 'updated' | 'already present';
  /** What was added (hook events, options). */
  added: string[];
  /** What the user must still know or do (trust prompts, restarts). */
  notes: string[];
}

export interface ConfigCheck {
  runtime: RuntimeName;
  status: 'ok' | 'warn' | 'fail';
  message: string;
  fix?: string;
}

export const PREFIX = 'agent-gates: ';

/** A string field of a hook input, trimmed; undefined when absent or empty. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}
