/**
 * Gemini CLI (https://geminicli.com/docs/hooks/reference). Project hooks in
 * `.gemini/settings.json` under `hooks.<Event>: [{matcher, hooks: [{type: "command", command}]}]`;
 * the project must be trusted (folder trust) for them to run. Input on stdin: {session_id, cwd,
 * hook_event_name, tool_name, tool_input}. Exit 2 blocks with stderr as the reason; on exit 0
 * stdout must be JSON only. Gemini CLI gives hooks no way to set the agent's environment, so the
 * SessionStart context tells the agent its GATE_SESSION. Recorded payloads: test/fixtures/agents/gemini.
 */
import { join, resolve } from 'node:path';
import { PREFIX, str, type AgentDecision, type AgentEvent, type ConfigCheck, type HookAdapter, type HookOutcome, type InstallReport } from './contract.js';
import { ensureHookGroup, ensureMcpServer, hasHookGroup, mcpInJson, objectAt, readJsonObject, withMcpCheck, writeJson, readSettingsForCheck } from './settings.js';

export const GEMINI_HOOK_COMMAND = '"$(git rev-parse --show-toplevel)"/node_modules/.bin/gate hook gemini || exit 2';
export const GEMINI_TOOL_MATCHER = 'write_file|replace|edit|run_shell_command';
const EDIT_TOOLS = ['write_file', 'replace', 'edit'];

function toEvent(input: Record<string, unknown>): AgentEvent {
  const event = str(input.hook_event_name);
  const session = str(input.session_id);
  const cwd = str(input.cwd) ?? process.cwd();
  if (event === 'SessionStart') return { kind: 'session-start', session, cwd, ...(str(input.source) ? { source: str(input.source)! } : {}) };
  if (event !== 'BeforeTool') return { kind: 'ignore' };
  const tool = str(input.tool_name);
  if (!tool) return { kind: 'invalid', why: 'the BeforeTool input has no tool_name.', fix: 'check the hook entry in .gemini/settings.json.' };
  const ti = (typeof input.tool_input === 'object' && input.tool_input !== null ? input.tool_input : {}) as Record<string, unknown>;
  if (tool === 'run_shell_command') {
    if (typeof ti.command !== 'string') return { kind: 'invalid', why: 'the run_shell_command call has no tool_input.command.', fix: 'check the hook entry in .gemini/settings.json.' };
    const dir = str(ti.dir_path) ?? str(ti.directory);
    return { kind: 'shell', session, cwd: dir ? resolve(cwd, dir) : cwd, command: ti.command };
  }
  if (!EDIT_TOOLS.includes(tool)) return { kind: 'ignore' };
  const file = str(ti.file_path) ?? str(ti.absolute_path) ?? str(ti.path);
  if (!file) return { kind: 'invalid', why: `the ${tool} call has no tool_input.file_path.`, fix: 'check the hook entry in .gemini/settings.json.' };
  if (!session) return { kind: 'invalid', why: 'the hook input has no session_id, so the edit cannot be matched to a lease.', fix: 'update Gemini CLI; its hook input carries session_id.' };
  return { kind: 'edit', session, cwd, tool, files: [file] };
}

function render(event: AgentEvent | undefined, d: AgentDecision): HookOutcome {
  if (event?.kind === 'session-start') {
    if (!d.session) return { exitCode: 0, decision: 'none', stdout: '{}\n' };
    const text = `${PREFIX}your lease identity is ${d.session}. Pass \`--owner ${d.session}\` to gate lock and prefix git commits with GATE_SESSION=${d.session}. ${d.message ?? ''}`.trim();
    return { exitCode: 0, decision: 'none', stdout: `${JSON.stringify({ hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: text } })}\n` };
  }
  if (d.verdict === 'deny') {
    const text = `${PREFIX}${d.message ?? 'blocked.'}`;
    return { exitCode: 2, decision: d.cannotEvaluate ? 'block' : 'deny', stderr: `${text}\n`, stdout: `${JSON.stringify({ decision: 'deny', reason: text })}\n` };
  }
  if (d.verdict === 'allow' && d.message) {
    const text = `${PREFIX}${d.message}`;
    return { exitCode: 0, decision: 'allow', stdout: `${JSON.stringify({ systemMessage: text, hookSpecificOutput: { hookEventName: 'BeforeTool', additionalContext: text } })}\n` };
  }
  return { exitCode: 0, decision: d.verdict === 'allow' ? 'allow' : 'none', stdout: '{}\n' };
}

export const geminiAdapter: HookAdapter = { runtime: 'gemini', toEvent, render };

export function installGemini(root: string, command = GEMINI_HOOK_COMMAND): InstallReport {
  const path = join(root, '.gemini', 'settings.json');
  const { value, existed } = readJsonObject(path);
  const hooks = objectAt(value, 'hooks', path);
  const entry = { name: 'agent-gates', type: 'command', command, timeout: 30000 };
  const added: string[] = [];
  if (ensureHookGroup(hooks, 'BeforeTool', GEMINI_TOOL_MATCHER, entry, 'gate hook gemini', path)) added.push('BeforeTool');
  if (ensureHookGroup(hooks, 'SessionStart', undefined, entry, 'gate hook gemini', path)) added.push('SessionStart');
  if (ensureMcpServer(value, path)) added.push('mcpServers.agent-gates');
  if (added.length) writeJson(path, value);
  return {
    runtime: 'gemini',
    path,
    status: !existed ? 'created' : added.length ? 'updated' : 'already present',
    added,
    notes: ['Gemini CLI runs project hooks only in a trusted folder: trust this repository when Gemini CLI asks (or `/permissions`).'],
  };
}

export function checkGemini(root: string): ConfigCheck | undefined {
  const path = join(root, '.gemini', 'settings.json');
  const read = readSettingsForCheck('gemini', path);
  if (!read || 'failed' in read) return read?.failed;
  const settings = read.value;
  const missing = [
    hasHookGroup(settings, 'BeforeTool', 'gate hook gemini', GEMINI_TOOL_MATCHER) ? undefined : 'BeforeTool',
    hasHookGroup(settings, 'SessionStart', 'gate hook gemini') ? undefined : 'SessionStart',
  ].filter(Boolean);
  if (settings.hooksConfig?.enabled === false) {
    return { runtime: 'gemini', status: 'warn', message: '.gemini/settings.json sets hooksConfig.enabled: false, so no hook runs (the git hooks and CI still do)', fix: 'remove hooksConfig.enabled: false from .gemini/settings.json' };
  }
  const hooks: ConfigCheck = missing.length
    ? { runtime: 'gemini', status: 'warn', message: `.gemini/settings.json does not run \`gate hook gemini\` on ${missing.join(', ')}`, fix: 'gate init --agent gemini' }
    : { runtime: 'gemini', status: 'ok', message: '.gemini/settings.json runs `gate hook gemini` (file edits, shell commands, SessionStart) and registers `gate mcp`' };
  return withMcpCheck(hooks, mcpInJson(path), '.gemini/settings.json (mcpServers)');
}
