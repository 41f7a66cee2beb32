/**
 * Reading and merging the agent runtimes' settings files (JSON objects and a YAML key), and the
 * few file-system questions the agent hooks ask. Merges never clobber the user's keys: gate adds
 * its own entries next to theirs, recognises them by their command on the next run
 * (idempotent), and refuses to touch a file it cannot parse.
 */
import { appendFileSync, existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { GateError } from '../../kernel/errors.js';
import { writeFileAtomic } from '../files.js';
import type { ConfigCheck, RuntimeName } from './contract.js';

export function pathExists(p: string): boolean {
  return existsSync(p);
}

export function realPath(p: string): string {
  return realpathSync(p);
}

/** The nearest existing directory at or above dirname(p). */
export function nearestExistingDir(p: string): string {
  let d = dirname(p);
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

export function appendLine(path: string, line: string): void {
  appendFileSync(path, line.endsWith('\n') ? line : `${line}\n`);
}

export function readText(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

export function writeText(path: string, text: string): void {
  writeFileAtomic(path, text);
}

export type JsonObject = Record<string, any>;

/** The JSON object in `path` ({} when the file does not exist); throws CANNOT_EVALUATE otherwise. */
/**
 * A runtime's settings file for `gate doctor`: its JSON object, undefined when the file does not
 * exist (the runtime is not configured here), or the failed check naming the file to fix.
 */
export function readSettingsForCheck(runtime: RuntimeName, path: string): { value: JsonObject } | { failed: ConfigCheck } | undefined {
  try {
    const s = readJsonObject(path);
    return s.existed ? { value: s.value } : undefined;
  } catch (e) {
    return { failed: { runtime, status: 'fail', message: (e as Error).message, fix: `fix the JSON in ${path}` } };
  }
}

export function readJsonObject(path: string): { value: JsonObject; existed: boolean } {
  const text = readText(path);
  if (text === undefined) return { value: {}, existed: false };
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return { value: v as JsonObject, existed: true };
  } catch (e) {
    throw new GateError('CANNOT_EVALUATE', `${path} is not a JSON object (${(e as Error).message}); gate will not overwrite it.`, {
      fix: `fix the JSON in ${path}, then run the command again`,
    });
  }
}

export function writeJson(path: string, value: JsonObject): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** `obj[key]` as an object (created when absent); throws when it is something else. */
export function objectAt(obj: JsonObject, key: string, path: string, where = key): JsonObject {
  const v = obj[key];
  if (v === undefined) return (obj[key] = {});
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new GateError('CANNOT_EVALUATE', `${path}: "${where}" is not an object; gate will not overwrite it.`, { fix: `fix "${where}" in ${path}` });
  }
  return v as JsonObject;
}

/** `obj[key]` as a list (created when absent); throws when it is something else. */
export function listAt(obj: JsonObject, key: string, path: string, where = key): any[] {
  const v = obj[key];
  if (v === undefined) return (obj[key] = []);
  if (!Array.isArray(v)) throw new GateError('CANNOT_EVALUATE', `${path}: ${where} is not a list.`, { fix: `fix ${where} in ${path}` });
  return v;
}

/**
 * Claude-style hook groups (`hooks.<Event>: [{matcher?, hooks: [{type: "command", command}]}]`,
 * also Gemini CLI's and Codex's): add a group running `command` unless a group with the same
 * matcher already runs a command containing `marker`. Returns true when it added one.
 */
export function ensureHookGroup(hooks: JsonObject, event: string, matcher: string | undefined, entry: JsonObject, marker: string, path: string): boolean {
  const groups = listAt(hooks, event, path, `hooks.${event}`);
  const present = groups.some(
    (g) => (g?.matcher ?? undefined) === matcher && Array.isArray(g?.hooks) && g.hooks.some((h: any) => typeof h?.command === 'string' && h.command.includes(marker)),
  );
  if (present) return false;
  groups.push({ ...(matcher !== undefined ? { matcher } : {}), hooks: [entry] });
  return true;
}

/** Does any group of `hooks.<event>` run a command containing `marker` (with this matcher, when given)? */
export function hasHookGroup(settings: JsonObject, event: string, marker: string, matcher?: string): boolean {
  const groups = settings?.hooks?.[event];
  return (
    Array.isArray(groups) &&
    groups.some((g: any) => (matcher === undefined || g?.matcher === matcher) && Array.isArray(g?.hooks) && g.hooks.some((h: any) => typeof h?.command === 'string' && h.command.includes(marker)))
  );
}

/** How every runtime starts the MCP server (`gate mcp`): the project's own gate, never a download. */
export const MCP_SERVER = { command: 'npx', args: ['--no-install', 'gate', 'mcp'] } as const;
export const MCP_NAME = 'agent-gates';

/** Add `mcpServers["agent-gates"]` to a JSON object unless present; true when added. */
export function ensureMcpServer(value: JsonObject, path: string): boolean {
  const servers = objectAt(value, 'mcpServers', path);
  if (servers[MCP_NAME] !== undefined) return false;
  servers[MCP_NAME] = { command: MCP_SERVER.command, args: [...MCP_SERVER.args] };
  return true;
}

/** `{"mcpServers": {"agent-gates": …}}` merged into the JSON file at `path` (.mcp.json, .cursor/mcp.json). */
export function registerMcpJson(path: string): { status: 'created' | 'updated' | 'already present'; added: string[] } {
  const { value, existed } = readJsonObject(path);
  if (!ensureMcpServer(value, path)) return { status: 'already present', added: [] };
  writeJson(path, value);
  return { status: existed ? 'updated' : 'created', added: [`mcpServers.${MCP_NAME}`] };
}

/** Whether the JSON file at `path` registers gate's MCP server (`mcpServers.agent-gates`); unreadable counts as not. */
export function mcpInJson(path: string): boolean {
  try {
    const { value } = readJsonObject(path);
    const servers = value.mcpServers;
    return typeof servers === 'object' && servers !== null && !Array.isArray(servers) && (servers as JsonObject)[MCP_NAME] !== undefined;
  } catch {
    return false; // the file is not JSON: not registered (gate init says what to fix before writing)
  }
}

/**
 * A runtime's doctor row with its MCP registration folded in: the hooks row as it is when
 * `gate mcp` is registered where the runtime reads MCP servers, else a warning naming the file.
 */
export function withMcpCheck(check: ConfigCheck, registered: boolean, where: string): ConfigCheck {
  if (registered || check.status === 'fail') return check;
  const missing = `\`gate mcp\` is not registered in ${where} (the agent cannot ask the gates over MCP)`;
  return check.status === 'ok'
    ? { runtime: check.runtime, status: 'warn', message: missing, fix: `gate init --agent ${check.runtime}` }
    : { ...check, message: `${check.message}; ${missing}` };
}
