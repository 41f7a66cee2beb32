/**
 * Claude Code (https://code.claude.com/docs/en/hooks). Hook input on stdin: {session_id, cwd,
 * hook_event_name, tool_name, tool_input}. Only exit 2 blocks (stderr goes to the model); a
 * PreToolUse may also answer `hookSpecificOutput.permissionDecision: "deny"`. We never answer
 * "allow": that would skip the user's own permission prompt. SessionStart appends
 * `export GATE_SESSION=…` to $CLAUDE_ENV_FILE, which Claude Code sources before every Bash call.
 * Recorded payloads: test/fixtures/claude, test/fixtures/agents/claude.
 */
import { join } from 'node:path';
import { shellQuote } from '../../gates/leases.js';
import { PREFIX, str, type AgentDecision, type AgentEvent, type ConfigCheck, type HookAdapter, type HookOutcome, type InstallReport } from './contract.js';
import { appendLine, ensureHookGroup, hasHookGroup, mcpInJson, objectAt, readJsonObject, registerMcpJson, withMcpCheck, writeJson, readSettingsForCheck } from './settings.js';

export const EDIT_TOOLS = ['Edit', 'Write', 'MultiEdit', 'NotebookEdit'] as const;

/** The command Claude Code runs; any failure to start gate (e.g. exit 127) becomes a block. */
export const CLAUDE_HOOK_COMMAND = '"$CLAUDE_PROJECT_DIR"/node_modules/.bin/gate hook claude || exit 2';
export const CLAUDE_EDIT_MATCHER = 'Edit|Write|MultiEdit|NotebookEdit';
export const CLAUDE_SHELL_MATCHER = 'Bash';

function toEvent(input: Record<string, unknown>): AgentEvent {
  const event = str(input.hook_event_name) ?? 'PreToolUse';
  const session = str(input.session_id);
  const cwd = str(input.cwd) ?? process.cwd();
  if (event === 'SessionStart') return { kind: 'session-start', session, cwd, ...(str(input.source) ? { source: str(input.source)! } : {}) };
  if (event !== 'PreToolUse') return { kind: 'ignore' };
  const tool = input.tool_name;
  if (typeof tool !== 'string') return { kind: 'invalid', why: 'the hook input has no tool_name.', fix: 'check the hook entry in .claude/settings.json (event PreToolUse).' };
  const ti = (typeof input.tool_input === 'object' && input.tool_input !== null ? input.tool_input : {}) as Record<string, unknown>;
  if ((EDIT_TOOLS as readonly string[]).includes(tool)) {
    if (!session) return { kind: 'invalid', why: 'the hook input has no session_id, so the edit cannot be matched to a lease.', fix: 'update Claude Code; its hook input carries session_id.' };
    const file = typeof ti.file_path === 'string' ? ti.file_path : typeof ti.notebook_path === 'string' ? ti.notebook_path : undefined;
    if (!file) return { kind: 'invalid', why: `the ${tool} call has no tool_input.file_path.`, fix: 'check the hook entry in .claude/settings.json.' };
    return { kind: 'edit', session, cwd, tool, files: [file] };
  }
  if (tool === 'Bash') {
    if (typeof ti.command !== 'string') return { kind: 'invalid', why: 'the Bash call has no tool_input.command.', fix: 'check the hook entry in .claude/settings.json.' };
    return { kind: 'shell', session, cwd, command: ti.command };
  }
  return { kind: 'ignore' };
}

function render(event: AgentEvent | undefined, d: AgentDecision, env: NodeJS.ProcessEnv): HookOutcome {
  if (event?.kind === 'session-start') {
    if (!d.session) return { exitCode: 0, decision: 'none' };
    const q = shellQuote(d.session);
    let note: string;
    if (env.CLAUDE_ENV_FILE) {
      try {
        appendLine(env.CLAUDE_ENV_FILE, `export GATE_SESSION=${q}`);
        note = 'GATE_SESSION is exported in your shell commands.';
      } catch {
        note = `Run \`export GATE_SESSION=${q}\` in your shell commands.`;
      }
    } else note = `Prefix git commits with \`GATE_SESSION=${q}\` and pass \`--owner ${q}\` to gate lock.`;
    const text = `${PREFIX}your lease identity is ${d.session}. ${note} ${d.message ?? ''}`.trim();
    return { exitCode: 0, decision: 'none', stdout: `${JSON.stringify({ hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: text } })}\n` };
  }
  if (d.verdict === 'deny') {
    const text = `${PREFIX}${d.message ?? 'blocked.'}`;
    return {
      exitCode: 2,
      decision: d.cannotEvaluate ? 'block' : 'deny',
      stderr: `${text}\n`,
      stdout: `${JSON.stringify({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: text } })}\n`,
    };
  }
  if (d.verdict === 'allow' && d.message) {
    return { exitCode: 0, decision: 'allow', stdout: `${JSON.stringify({ hookSpecificOutput: { hookEventName: 'PreToolUse', additionalContext: `${PREFIX}${d.message}` } })}\n` };
  }
  return { exitCode: 0, decision: d.verdict === 'allow' ? 'allow' : 'none' };
}

export const claudeAdapter: HookAdapter = { runtime: 'claude', toEvent, render };

export interface ClaudeInstallReport {
  path: string;
  status: 'created' | 'updated' | 'already present';
  added: string[];
}

/**
 * Merge the gate hook entries into `<root>/.claude/settings.json`, keeping everything else.
 * `shellGuard` also runs the hook on the Bash tool (the shell-command guard).
 */
export function installClaudeHook(root: string, command: string = CLAUDE_HOOK_COMMAND, opts: { shellGuard?: boolean } = {}): ClaudeInstallReport {
  const path = join(root, '.claude', 'settings.json');
  const { value: settings, existed } = readJsonObject(path);
  const hooks = objectAt(settings, 'hooks', path);
  const added: string[] = [];
  const entry = { type: 'command', command, timeout: 30 };
  // one edit group: an earlier install (any matcher) counts, so no duplicate is added
  if (!hasHookGroup(settings, 'PreToolUse', 'gate hook claude', CLAUDE_EDIT_MATCHER) && ensureHookGroup(hooks, 'PreToolUse', CLAUDE_EDIT_MATCHER, entry, 'gate hook claude', path)) added.push('PreToolUse');
  if (opts.shellGuard && ensureHookGroup(hooks, 'PreToolUse', CLAUDE_SHELL_MATCHER, entry, 'gate hook claude', path)) added.push('PreToolUse(Bash)');
  if (ensureHookGroup(hooks, 'SessionStart', undefined, entry, 'gate hook claude', path)) added.push('SessionStart');
  if (added.length) writeJson(path, settings);
  return { path, status: !existed ? 'created' : added.length ? 'updated' : 'already present', added };
}

export function installClaude(root: string): InstallReport[] {
  const r = installClaudeHook(root, CLAUDE_HOOK_COMMAND, { shellGuard: true });
  const mcpPath = join(root, '.mcp.json'); // Claude Code's project MCP servers
  return [{ runtime: 'claude', ...r, notes: [] }, { runtime: 'claude', path: mcpPath, ...registerMcpJson(mcpPath), notes: [] }];
}

export function checkClaude(root: string): ConfigCheck | undefined {
  const path = join(root, '.claude', 'settings.json');
  const read = readSettingsForCheck('claude', path);
  if (!read || 'failed' in read) return read?.failed;
  const settings = read.value;
  const missing = [
    ['PreToolUse', CLAUDE_EDIT_MATCHER],
    ['PreToolUse', CLAUDE_SHELL_MATCHER],
    ['SessionStart', undefined],
  ].filter(([ev, m]) => !hasHookGroup(settings, ev!, 'gate hook claude', m)).map(([ev, m]) => (m ? `${ev}(${m})` : ev!));
  const hooks: ConfigCheck = missing.length
    ? { runtime: 'claude', status: 'warn', message: `.claude/settings.json does not run \`gate hook claude\` on ${missing.join(', ')}`, fix: 'gate init --agent claude' }
    : { runtime: 'claude', status: 'ok', message: '.claude/settings.json runs `gate hook claude` (edits, Bash, SessionStart); .mcp.json registers `gate mcp`' };
  return withMcpCheck(hooks, mcpInJson(join(root, '.mcp.json')), '.mcp.json');
}
