/**
 * Codex CLI (https://developers.openai.com/codex/hooks; schemas in openai/codex
 * codex-rs/hooks/schema/generated). Project hooks in `.codex/hooks.json`
 * (`hooks.<Event>: [{matcher, hooks: [{type: "command", command, timeout}]}]`), loaded only when
 * the project is trusted. PreToolUse input: {session_id, cwd, hook_event_name, tool_name: "Bash" |
 * "apply_patch", tool_input: {command}} (for apply_patch the command is the patch text). Exit 2
 * blocks with stderr as the reason. Codex rejects unknown keys in hook output, so we print only
 * schema fields. SessionStart answers `hookSpecificOutput.env.GATE_SESSION` (environment for
 * later shell commands); Codex also exports CODEX_THREAD_ID to them. Recorded payloads:
 * test/fixtures/agents/codex.
 */
import { join, resolve } from 'node:path';
import { PREFIX, str, type AgentDecision, type AgentEvent, type ConfigCheck, type HookAdapter, type HookOutcome, type InstallReport } from './contract.js';
import { MCP_NAME, MCP_SERVER, ensureHookGroup, hasHookGroup, objectAt, readJsonObject, readText, withMcpCheck, writeJson, writeText, readSettingsForCheck } from './settings.js';

export const CODEX_HOOK_COMMAND = '"$(git rev-parse --show-toplevel)"/node_modules/.bin/gate hook codex || exit 2';
export const CODEX_TOOL_MATCHER = 'Bash|apply_patch|Edit|Write';

/** The files an apply_patch envelope adds, updates, deletes or moves to. */
export function patchFiles(patch: string): string[] {
  const out: string[] = [];
  for (const m of patch.matchAll(/^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+)$/gm)) out.push(m[1]!.trim());
  return out;
}

function toEvent(input: Record<string, unknown>): AgentEvent {
  const event = str(input.hook_event_name);
  const session = str(input.session_id);
  const cwd = str(input.cwd) ?? process.cwd();
  if (event === 'SessionStart') return { kind: 'session-start', session, cwd, ...(str(input.source) ? { source: str(input.source)! } : {}) };
  if (event !== 'PreToolUse') return { kind: 'ignore' };
  const tool = str(input.tool_name);
  if (!tool) return { kind: 'invalid', why: 'the PreToolUse input has no tool_name.', fix: 'check the hook entry in .codex/hooks.json.' };
  const ti = (typeof input.tool_input === 'object' && input.tool_input !== null ? input.tool_input : {}) as Record<string, unknown>;
  const command = typeof ti.command === 'string' ? ti.command : Array.isArray(ti.command) ? ti.command.join(' ') : undefined;
  if (tool === 'Bash' || tool === 'shell' || tool === 'local_shell') {
    if (command === undefined) return { kind: 'invalid', why: `the ${tool} call has no tool_input.command.`, fix: 'check the hook entry in .codex/hooks.json.' };
    const wd = str(ti.workdir);
    return { kind: 'shell', session, cwd: wd ? resolve(cwd, wd) : cwd, command };
  }
  if (tool === 'apply_patch' || tool === 'Edit' || tool === 'Write') {
    const patch = command ?? (typeof ti.patch === 'string' ? ti.patch : typeof ti.input === 'string' ? ti.input : undefined);
    const files = patch !== undefined ? patchFiles(patch) : str(ti.file_path) ? [str(ti.file_path)!] : [];
    if (!files.length) return { kind: 'invalid', why: `the ${tool} call names no file (no "*** Update File:" line).`, fix: 'check the hook entry in .codex/hooks.json.' };
    if (!session) return { kind: 'invalid', why: 'the hook input has no session_id, so the edit cannot be matched to a lease.', fix: 'update Codex; its hook input carries session_id.' };
    return { kind: 'edit', session, cwd, tool, files };
  }
  return { kind: 'ignore' };
}

function render(event: AgentEvent | undefined, d: AgentDecision): HookOutcome {
  if (event?.kind === 'session-start') {
    if (!d.session) return { exitCode: 0, decision: 'none' };
    const text = `${PREFIX}your lease identity is ${d.session}; GATE_SESSION is set for your shell commands. ${d.message ?? ''}`.trim();
    return { exitCode: 0, decision: 'none', stdout: `${JSON.stringify({ hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: text, env: { GATE_SESSION: d.session } } })}\n` };
  }
  if (d.verdict === 'deny') return { exitCode: 2, decision: d.cannotEvaluate ? 'block' : 'deny', stderr: `${PREFIX}${d.message ?? 'blocked.'}\n` };
  if (d.verdict === 'allow' && d.message) {
    return { exitCode: 0, decision: 'allow', stdout: `${JSON.stringify({ hookSpecificOutput: { hookEventName: 'PreToolUse', additionalContext: `${PREFIX}${d.message}` } })}\n` };
  }
  return { exitCode: 0, decision: d.verdict === 'allow' ? 'allow' : 'none' };
}

export const codexAdapter: HookAdapter = { runtime: 'codex', toEvent, render };

/** The header of gate's MCP table in .codex/config.toml (bare or quoted name). */
const CODEX_MCP_HEADER = new RegExp(`^\\s*\\[\\s*mcp_servers\\s*\\.\\s*(?:"${MCP_NAME}"|${MCP_NAME})\\s*\\]`, 'm');

/** `[mcp_servers.agent-gates]` appended to .codex/config.toml unless a table of that name exists. */
function registerCodexMcp(root: string): InstallReport {
  const path = join(root, '.codex', 'config.toml');
  const text = readText(path);
  const base = { runtime: 'codex' as const, path, notes: [] };
  if (text !== undefined && CODEX_MCP_HEADER.test(text)) return { ...base, status: 'already present', added: [] };
  const table = `[mcp_servers.${MCP_NAME}]\ncommand = ${JSON.stringify(MCP_SERVER.command)}\nargs = [${MCP_SERVER.args.map((a) => JSON.stringify(a)).join(', ')}]\n`;
  writeText(path, text === undefined ? table : `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}\n${table}`);
  return { ...base, status: text === undefined ? 'created' : 'updated', added: [`mcp_servers.${MCP_NAME}`] };
}

export function installCodex(root: string, command = CODEX_HOOK_COMMAND): InstallReport[] {
  const path = join(root, '.codex', 'hooks.json');
  const { value, existed } = readJsonObject(path);
  const hooks = objectAt(value, 'hooks', path);
  const entry = { type: 'command', command, timeout: 30 };
  const added: string[] = [];
  if (ensureHookGroup(hooks, 'PreToolUse', CODEX_TOOL_MATCHER, entry, 'gate hook codex', path)) added.push('PreToolUse');
  if (ensureHookGroup(hooks, 'SessionStart', undefined, entry, 'gate hook codex', path)) added.push('SessionStart');
  if (added.length) writeJson(path, value);
  return [{
    runtime: 'codex',
    path,
    status: !existed ? 'created' : added.length ? 'updated' : 'already present',
    added,
    notes: ['Codex loads a project\'s .codex/ only when the project is trusted: trust this repository when Codex asks.'],
  }, registerCodexMcp(root)];
}

export function checkCodex(root: string): ConfigCheck | undefined {
  const path = join(root, '.codex', 'hooks.json');
  const read = readSettingsForCheck('codex', path);
  if (!read || 'failed' in read) return read?.failed;
  const settings = read.value;
  const missing = [
    hasHookGroup(settings, 'PreToolUse', 'gate hook codex', CODEX_TOOL_MATCHER) ? undefined : 'PreToolUse',
    hasHookGroup(settings, 'SessionStart', 'gate hook codex') ? undefined : 'SessionStart',
  ].filter(Boolean);
  const hooks: ConfigCheck = missing.length
    ? { runtime: 'codex', status: 'warn', message: `.codex/hooks.json does not run \`gate hook codex\` on ${missing.join(', ')}`, fix: 'gate init --agent codex' }
    : { runtime: 'codex', status: 'ok', message: '.codex/hooks.json runs `gate hook codex` (shell commands, apply_patch, SessionStart); .codex/config.toml registers `gate mcp`' };
  return withMcpCheck(hooks, CODEX_MCP_HEADER.test(readText(join(root, '.codex', 'config.toml')) ?? ''), '.codex/config.toml');
}
