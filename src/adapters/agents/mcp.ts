/**
 * `gate mcp`: a Model Context Protocol server over stdio (official TypeScript SDK, 1.x) exposing
 * the agent-facing commands as tools with JSON Schemas, and the agent rules (rules/gate-*.md) as
 * resources. Each tool runs the same CLI command with `--json` in the server's directory and
 * environment (GATE_SESSION names the session), so its answer is exactly what the CLI prints.
 * A gate that says no, or a command that fails, is a tool result with `isError: true` carrying the
 * CLI's JSON; bad arguments and unknown tools are MCP errors (InvalidParams).
 * There is deliberately no tool for `gate approve`, `gate reject` or `gate lock break`: those stay
 * with a person at a terminal.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ErrorCode, ListResourcesRequestSchema, ListToolsRequestSchema, McpError, ReadResourceRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { VERSION } from '../../kernel/version.js';
import { packageRoot } from '../package-files.js';

type Json = Record<string, unknown>;
interface ToolSpec {
  name: string;
  description: string;
  inputSchema: { type: 'object'; properties: Record<string, Json>; required?: string[]; additionalProperties: false };
  argv(a: Json): string[];
}

const paths = { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, description: 'handoff documents, relative to the repository directory the server runs in' };
const owner = { type: 'string', minLength: 1, description: 'lease owner (default: $GATE_SESSION of the server)' };
const opt = (flag: string, v: unknown): string[] => (typeof v === 'string' && v !== '' ? [flag, v] : []);

export const MCP_TOOLS: ToolSpec[] = [
  {
    name: 'lock_acquire',
    description: 'Take leases on handoff documents (all or nothing) before editing them: `gate lock acquire`.',
    inputSchema: {
      type: 'object',
      properties: { paths, owner, reason: { type: 'string', description: 'why you need it (shown to others)' }, ttl: { type: 'string', description: 'how long, e.g. 30m' }, wait: { type: 'string', description: 'keep retrying this long while another owner holds a path, e.g. 5m' } },
      required: ['paths'],
      additionalProperties: false,
    },
    argv: (a) => ['lock', 'acquire', ...(a.paths as string[]), ...opt('--owner', a.owner), ...opt('--reason', a.reason), ...opt('--ttl', a.ttl), ...opt('--wait', a.wait)],
  },
  {
    name: 'lock_release',
    description: 'Release your leases: `gate lock release`.',
    inputSchema: { type: 'object', properties: { paths, owner }, required: ['paths'], additionalProperties: false },
    argv: (a) => ['lock', 'release', ...(a.paths as string[]), ...opt('--owner', a.owner)],
  },
  {
    name: 'lock_renew',
    description: 'Extend your leases before they expire: `gate lock renew`.',
    inputSchema: { type: 'object', properties: { paths, owner, ttl: { type: 'string', description: 'new duration, e.g. 30m' } }, required: ['paths'], additionalProperties: false },
    argv: (a) => ['lock', 'renew', ...(a.paths as string[]), ...opt('--owner', a.owner), ...opt('--ttl', a.ttl)],
  },
  {
    name: 'lock_status',
    description: 'Who holds which lease (holder, worktree, expiry); with paths, also which are free: `gate lock status`.',
    inputSchema: { type: 'object', properties: { paths: { ...paths, minItems: 0 } }, additionalProperties: false },
    argv: (a) => ['lock', 'status', ...((a.paths as string[] | undefined) ?? [])],
  },
  {
    name: 'status',
    description: "The staged change's classification: tree, tier, gated files, carve-out, explanation and approvals, and whether a commit would pass: `gate status`.",
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
    argv: () => ['status'],
  },
  {
    name: 'explain',
    description: 'Write the explanation (sidecar) for the staged control-plane change; a person then approves it: `gate explain`.',
    inputSchema: {
      type: 'object',
      properties: {
        intent: { type: 'string', minLength: 1, description: 'why this change is needed' },
        alternatives: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, description: 'alternatives considered' },
        blast_radius: { type: 'string', minLength: 1, description: 'what the change can affect' },
        reversibility: { type: 'string', minLength: 1, description: 'how reversible it is' },
        rollback: { type: 'string', minLength: 1, description: 'how to undo it' },
      },
      required: ['intent', 'alternatives', 'blast_radius', 'reversibility', 'rollback'],
      additionalProperties: false,
    },
    argv: (a) => [
      'explain',
      '--intent',
      a.intent as string,
      ...(a.alternatives as string[]).flatMap((x) => ['--alternative', x]),
      '--blast-radius',
      a.blast_radius as string,
      '--reversibility',
      a.reversibility as string,
      '--rollback',
      a.rollback as string,
    ],
  },
  {
    name: 'review_summary',
    description: 'The periodic report over the ledger and history (integrity, leases, control-plane changes, bypasses, recommendations) as JSON: `gate review --format json`.',
    inputSchema: { type: 'object', properties: { since: { type: 'string', description: 'window: 30d, 12h or a date' } }, additionalProperties: false },
    argv: (a) => ['review', '--format', 'json', ...opt('--since', a.since)],
  },
  {
    name: 'adr_list',
    description: 'Every architecture decision record: number, title, effective status, date: `gate adr list`.',
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
    argv: () => ['adr', 'list'],
  },
];

/** Check arguments against the (small) schemas above; the message names the first problem. */
function invalid(spec: ToolSpec, a: Json): string | undefined {
  const props = spec.inputSchema.properties;
  for (const k of Object.keys(a)) if (!(k in props)) return `unknown argument "${k}" (${spec.name} takes ${Object.keys(props).join(', ') || 'none'})`;
  for (const k of spec.inputSchema.required ?? []) if (a[k] === undefined) return `missing argument "${k}"`;
  for (const [k, v] of Object.entries(a)) {
    const p = props[k]!;
    if (p.type === 'string' && (typeof v !== 'string' || ((p.minLength as number | undefined) && v.length === 0))) return `"${k}" must be a non-empty string`;
    if (p.type === 'array') {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) return `"${k}" must be a list of non-empty strings`;
      if (v.length < ((p.minItems as number | undefined) ?? 0)) return `"${k}" needs at least ${p.minItems as number} item(s)`;
      if (v.some((x: string) => x.startsWith('-'))) return `"${k}" items must not start with "-"`;
    }
  }
  return undefined;
}

function runGate(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'gate.js'), ...args, '--json'], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', (e) => resolve({ code: 70, stdout: '', stderr: e.message }));
    child.on('close', (code) => resolve({ code: code ?? 70, stdout, stderr }));
  });
}

function rules(): Array<{ name: string; path: string }> {
  const dir = join(packageRoot(), 'rules');
  return readdirSync(dir)
    .filter((n) => /^gate-.*\.md$/.test(n))
    .sort()
    .map((name) => ({ name, path: join(dir, name) }));
}

export function createMcpServer(cwd: string = process.cwd()): Server {
  const server = new Server({ name: 'agent-gates', version: VERSION }, { capabilities: { tools: {}, resources: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: MCP_TOOLS.map(({ name, description, inputSchema }) => ({ name, description, inputSchema })) }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const spec = MCP_TOOLS.find((t) => t.name === req.params.name);
    if (!spec) throw new McpError(ErrorCode.InvalidParams, `unknown tool "${req.params.name}"; agent-gates has ${MCP_TOOLS.map((t) => t.name).join(', ')} (approve, reject and lock break stay with a person)`);
    const a = (req.params.arguments ?? {}) as Json;
    const bad = invalid(spec, a);
    if (bad) throw new McpError(ErrorCode.InvalidParams, `${spec.name}: ${bad}`);
    const r = await runGate(spec.argv(a), cwd);
    const text = r.stdout.trim() || r.stderr.trim() || `gate exited ${r.code}`;
    return { content: [{ type: 'text' as const, text }], ...(r.code !== 0 ? { isError: true } : {}) };
  });
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: rules().map((r) => ({ uri: `gate://rules/${r.name}`, name: r.name, mimeType: 'text/markdown', description: `agent-gates rule: ${r.name}` })),
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (req) => {
    const r = rules().find((x) => `gate://rules/${x.name}` === req.params.uri);
    if (!r) throw new McpError(ErrorCode.InvalidParams, `unknown resource ${req.params.uri}`);
    return { contents: [{ uri: req.params.uri, mimeType: 'text/markdown', text: readFileSync(r.path, 'utf8') }] };
  });
  return server;
}

/** Serve on stdin/stdout until the client closes the connection. */
export async function serveMcp(): Promise<void> {
  const server = createMcpServer();
  const closed = new Promise<void>((resolve) => (server.onclose = resolve));
  await server.connect(new StdioServerTransport());
  await closed;
}
