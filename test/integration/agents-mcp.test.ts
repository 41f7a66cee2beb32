/**
 * `gate mcp` driven by the official MCP SDK's client over stdio (the built CLI): lists the tools
 * (no approve, reject or lock break), calls each, reports a gate's "no" as an error result and bad
 * arguments as MCP errors, and serves the agent rules as resources.
 */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PKG_ROOT, makeRepo, type TempRepo } from '../helpers/repo.js';

let r: TempRepo;
let client: Client;
beforeAll(async () => {
  r = makeRepo();
  r.write('progress.md', '# progress\n');
  r.gitOk('add', '.');
  r.gitOk('commit', '-q', '-m', 'init');
  client = new Client({ name: 'agents-mcp-test', version: '1.0.0' });
  const env = Object.fromEntries(Object.entries({ ...r.env, GATE_SESSION: 'mcp-session' }).filter((e): e is [string, string] => typeof e[1] === 'string'));
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [join(PKG_ROOT, 'bin', 'gate.js'), 'mcp'], cwd: r.dir, env, stderr: 'pipe' }));
}, 60_000);
afterAll(async () => {
  await client?.close();
  r.cleanup();
});

const call = async (name: string, args: Record<string, unknown> = {}) => {
  const res = (await client.callTool({ name, arguments: args })) as { content: Array<{ type: string; text: string }>; isError?: boolean };
  return { isError: Boolean(res.isError), json: JSON.parse(res.content[0]!.text) as Record<string, any> };
};

describe('gate mcp', () => {
  it('lists the agent-facing tools with JSON Schemas, and no approve, reject or lock break', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['lock_acquire', 'lock_release', 'lock_renew', 'lock_status', 'status', 'explain', 'review_summary', 'adr_list']);
    expect(tools.find((t) => t.name === 'lock_acquire')!.inputSchema).toMatchObject({ type: 'object', required: ['paths'] });
    expect(tools.some((t) => /approve|reject|break/.test(t.name))).toBe(false);
  });

  it('takes, shows, renews and releases a lease for the session named by GATE_SESSION', async () => {
    const a = await call('lock_acquire', { paths: ['progress.md'], reason: 'mcp test' });
    expect(a.isError).toBe(false);
    expect(a.json.ok).toBe(true);
    const s = await call('lock_status', { paths: ['progress.md'] });
    expect(JSON.stringify(s.json)).toContain('mcp-session');
    expect((await call('lock_renew', { paths: ['progress.md'], ttl: '10m' })).isError).toBe(false);
    const other = await call('lock_acquire', { paths: ['progress.md'], owner: 'someone-else' });
    expect(other.isError).toBe(true); // held by mcp-session: the gate's "no" is an error result
    expect(other.json.exitCode).toBe(1);
    expect((await call('lock_release', { paths: ['progress.md'] })).isError).toBe(false);
  });

  it('status, explain, review_summary and adr_list answer with the CLI JSON', async () => {
    r.write('rules/x.md', 'rule\n');
    r.gitOk('add', 'rules/x.md');
    const st = await call('status');
    expect(st.json.tier).toBe('CONFIRM');
    const ex = await call('explain', { intent: 'add a rule', alternatives: ['no rule'], blast_radius: 'agents reading rules/', reversibility: 'easy', rollback: 'git revert' });
    expect(ex.isError).toBe(false);
    expect((await call('status')).json.sidecar.state).toBe('ok');
    const rv = await call('review_summary', { since: '30d' });
    expect([rv.isError, rv.json.tool, rv.json.window.label]).toEqual([false, 'agent-gates', '30d']);
    const adr = await call('adr_list');
    expect([adr.isError, adr.json.records]).toEqual([false, []]);
  });

  it('bad arguments and unknown tools are MCP errors (InvalidParams)', async () => {
    await expect(client.callTool({ name: 'lock_acquire', arguments: {} })).rejects.toBeInstanceOf(McpError);
    await expect(client.callTool({ name: 'lock_acquire', arguments: { paths: ['--all'] } })).rejects.toThrow(/must not start with/);
    await expect(client.callTool({ name: 'approve', arguments: {} })).rejects.toThrow(/unknown tool "approve"/);
  });

  it('serves the agent rules as resources', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((x) => x.uri)).toContain('gate://rules/gate-locks.md');
    const doc = await client.readResource({ uri: 'gate://rules/gate-locks.md' });
    expect((doc.contents[0] as { text: string }).text).toContain('gate lock');
  });
});
