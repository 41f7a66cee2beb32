/**
 * Cursor (https://cursor.com/docs/hooks). Project hooks in `.cursor/hooks.json`
 * ({version: 1, hooks: {<event>: [{command, matcher?}]}}). Input on stdin carries
 * `hook_event_name`, `conversation_id` (our session id), `workspace_roots`, and per event:
 * beforeShellExecution {command, cwd}; preToolUse {tool_name, tool_input}. Permission events
 * answer `{"permission": "allow"|"deny"|"ask", "user_message", "agent_message"}`; exit 2 blocks
 * too, and Cursor wants JSON on stdout on every path, so "nothing to say" is `{}`.
 * Cursor gives a hook no way to set the agent's environment: the session id is named in every
 * message instead (`GATE_SESSION=<conversation_id>`). Recorded payloads: test/fixtures/agents/cursor.
 */
import { join } from 'node:path';
import { PREFIX, str, type AgentDecision, type AgentEvent, type ConfigCheck, type HookAdapter, type HookOutcome, type InstallReport } from './contract.js';
import { listAt, mcpInJson, objectAt, readJsonObject, registerMcpJson, withMcpCheck, writeJson, readSettingsForCheck } from './settings.js';

export const CURSOR_HOOK_COMMAND = '"$(git rev-parse --show-toplevel)"/node_modules/.bin/gate hook cursor || exit 2';
/** Cursor's file-writing tools (preToolUse matcher). */
export const CURSOR_EDIT_MATCHER = 'Write|Edit|StrReplace|MultiEdit|Delete|EditNotebook';

function toEvent(input: Record<string, unknown>): AgentEvent {
  const event = str(input.hook_event_name);
  const session = str(input.conversation_id) ?? str(input.session_id);
  const roots = Array.isArray(input.workspace_roots) ? input.workspace_roots.filter((x): x is string => typeof x === 'string') : [];
  const cwd = str(input.cwd) ?? roots[0] ?? process.cwd();
  if (event === 'beforeShellExecution') {
    const command = input.command;
    if (typeof command !== 'string') return { kind: 'invalid', why: 'the beforeShellExecution input has no command.', fix: 'check the hook entry in .cursor/hooks.json.' };
    return { kind: 'shell', session, cwd, command };
  }
  if (event === 'preToolUse') {
    const tool = str(input.tool_name);
    if (!tool) return { kind: 'invalid', why: 'the preToolUse input has no tool_name.', fix: 'check the hook entry in .cursor/hooks.json.' };
    const ti = (typeof input.tool_input === 'object' && input.tool_input !== null ? input.tool_input : {}) as Record<string, unknown>;
    if (tool === 'Shell' || tool === 'Terminal') {
      return typeof ti.command === 'string' ? { kind: 'shell', session, cwd, command: ti.command } : { kind: 'invalid', why: `the ${tool} call has no tool_input.command.`, fix: 'check the hook entry in .cursor/hooks.json.' };
    }
    if (!CURSOR_EDIT_MATCHER.split('|').includes(tool)) return { kind: 'ignore' };
    const file = str(ti.file_path) ?? str(ti.path) ?? str(ti.target_file) ?? str(ti.target_notebook);
    if (!file) return { kind: 'invalid', why: `the ${tool} call names no file (tool_input.file_path).`, fix: 'check the hook entry in .cursor/hooks.json.' };
    if (!session) return { kind: 'invalid', why: 'the hook input has no conversation_id, so the edit cannot be matched to a lease.', fix: 'update Cursor; its hook input carries conversation_id.' };
    return { kind: 'edit', session, cwd, tool, files: [file] };
  }
  if (event === 'sessionStart') return { kind: 'session-start', session, cwd };
  return { kind: 'ignore' };
}

function render(event: AgentEvent | undefined, d: AgentDecision): HookOutcome {
  if (event?.kind === 'session-start') {
    if (!d.session) return { exitCode: 0, decision: 'none', stdout: '{}\n' };
    const text = `${PREFIX}your lease identity is ${d.session}: pass \`--owner ${d.session}\` to gate lock and prefix git commits with GATE_SESSION=${d.session}. ${d.message ?? ''}`.trim();
    return { exitCode: 0, decision: 'none', stdout: `${JSON.stringify({ env: { GATE_SESSION: d.session }, additional_context: text })}\n` };
  }
  if (d.verdict === 'deny') {
    const text = `${PREFIX}${d.message ?? 'blocked.'}`;
    return {
      exitCode: 2,
      decision: d.cannotEvaluate ? 'block' : 'deny',
      stderr: `${text}\n`,
      stdout: `${JSON.stringify({ permission: 'deny', user_message: text, agent_message: text })}\n`,
    };
  }
  // never "allow": that could skip the user's own approval of the action
  if (d.verdict === 'allow' && d.message) return { exitCode: 0, decision: 'allow', stdout: `${JSON.stringify({ agent_message: `${PREFIX}${d.message}` })}\n` };
  return { exitCode: 0, decision: d.verdict === 'allow' ? 'allow' : 'none', stdout: '{}\n' };
}

export const cursorAdapter: HookAdapter = { runtime: 'cursor', toEvent, render };

function has(list: unknown, marker: string, matcher?: string): boolean {
  return Array.isArray(list) && list.some((h: any) => typeof h?.command === 'string' && h.command.includes(marker) && (matcher === undefined || h.matcher === matcher));
}

export function installCursor(root: string, command = CURSOR_HOOK_COMMAND): InstallReport[] {
  const path = join(root, '.cursor', 'hooks.json');
  const { value, existed } = readJsonObject(path);
  if (value.version === undefined) value.version = 1;
  const hooks = objectAt(value, 'hooks', path);
  const added: string[] = [];
  const shell = listAt(hooks, 'beforeShellExecution', path, 'hooks.beforeShellExecution');
  if (!has(shell, 'gate hook cursor')) {
    shell.push({ command });
    added.push('beforeShellExecution');
  }
  const pre = listAt(hooks, 'preToolUse', path, 'hooks.preToolUse');
  if (!has(pre, 'gate hook cursor', CURSOR_EDIT_MATCHER)) {
    pre.push({ command, matcher: CURSOR_EDIT_MATCHER });
    added.push('preToolUse');
  }
  if (added.length) writeJson(path, value);
  const mcpPath = join(root, '.cursor', 'mcp.json');
  const mcp: InstallReport = { runtime: 'cursor', path: mcpPath, ...registerMcpJson(mcpPath), notes: [] };
  return [{
    runtime: 'cursor',
    path,
    status: !existed ? 'created' : added.length ? 'updated' : 'already present',
    added,
    notes: ['Cursor cannot set GATE_SESSION for the agent: its messages name the conversation id to use as --owner and GATE_SESSION.'],
  }, mcp];
}

export function checkCursor(root: string): ConfigCheck | undefined {
  const path = join(root, '.cursor', 'hooks.json');
  const read = readSettingsForCheck('cursor', path);
  if (!read || 'failed' in read) return read?.failed;
  const settings = read.value;
  const h = settings.hooks ?? {};
  const missing = [
    has(h.beforeShellExecution, 'gate hook cursor') ? undefined : 'beforeShellExecution',
    has(h.preToolUse, 'gate hook cursor', CURSOR_EDIT_MATCHER) ? undefined : 'preToolUse',
  ].filter(Boolean);
  const hooks: ConfigCheck = missing.length
    ? { runtime: 'cursor', status: 'warn', message: `.cursor/hooks.json does not run \`gate hook cursor\` on ${missing.join(', ')}`, fix: 'gate init --agent cursor' }
    : { runtime: 'cursor', status: 'ok', message: '.cursor/hooks.json runs `gate hook cursor` (shell commands, file edits); .cursor/mcp.json registers `gate mcp`' };
  return withMcpCheck(hooks, mcpInJson(join(root, '.cursor', 'mcp.json')), '.cursor/mcp.json');
}
