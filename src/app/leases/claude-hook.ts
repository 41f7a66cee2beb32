/**
 * Claude Code integration (Gate A's pre-edit hook and the shell-command guard): `gate hook claude`.
 * The Claude Code format lives in src/adapters/agents/claude.ts, the decision in
 * src/app/agents/decide.ts (one contract for every agent runtime, issue 16); this module keeps
 * the names earlier versions exported.
 */
import type { HookOutcome } from '../../adapters/agents/contract.js';
import { runAgentHook } from '../agents/run.js';

export { CLAUDE_EDIT_MATCHER, CLAUDE_HOOK_COMMAND, EDIT_TOOLS, installClaudeHook, type ClaudeInstallReport } from '../../adapters/agents/claude.js';
export type { HookOutcome } from '../../adapters/agents/contract.js';

export function claudeHook(stdin: string, env: NodeJS.ProcessEnv = process.env): Promise<HookOutcome> {
  return runAgentHook('claude', stdin, env);
}
