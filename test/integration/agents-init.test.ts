/**
 * `gate init --agent all` on a repository that already has settings for every runtime keeps the
 * user's entries, adds gate's once (idempotent), and `gate doctor` checks them; the commands it
 * writes block (exit 2) when gate is missing and run gate when it is installed.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PKG_ROOT, makeRepo, run, type TempRepo } from '../helpers/repo.js';

let r: TempRepo;
beforeAll(() => {
  r = makeRepo();
  r.write('progress.md', '# progress\n');
  r.write('.claude/settings.json', JSON.stringify({ permissions: { allow: ['Bash(npm test)'] }, hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'my-linter' }] }] } }));
  r.write('.cursor/hooks.json', JSON.stringify({ version: 1, hooks: { afterFileEdit: [{ command: 'prettier --write' }], beforeShellExecution: [{ command: 'my-audit' }] } }));
  r.write('.gemini/settings.json', JSON.stringify({ theme: 'GitHub', hooks: { BeforeTool: [{ matcher: 'read_file', hooks: [{ type: 'command', command: 'my-reader' }] }] } }));
  r.write('.codex/hooks.json', JSON.stringify({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'notify-send done' }] }] } }));
  r.write('.aider.conf.yml', '# my aider settings\nmodel: sonnet\ngit-commit-verify: false\nauto-commits: true\n');
  r.gitOk('add', '.');
  r.gitOk('commit', '-q', '-m', 'init');
});
afterAll(() => r.cleanup());

describe('gate init --agent all', () => {
  it("merges every runtime's configuration into the user's, once", () => {
    const x = r.gate(['init', '--agent', 'all', '--json']);
    expect(x.code, x.stderr).toBe(0);
    const files = Object.fromEntries((JSON.parse(x.stdout).files as Array<{ path: string; status: string }>).map((f) => [f.path, f.status]));
    for (const p of ['.claude/settings.json', '.cursor/hooks.json', '.gemini/settings.json', '.codex/hooks.json', '.aider.conf.yml']) expect(files[p], p).toBe('updated');
    expect(JSON.parse(x.stdout).next.join('\n')).toContain('git-commit-verify: true');

    const claude = JSON.parse(r.read('.claude/settings.json'));
    expect(claude.permissions).toEqual({ allow: ['Bash(npm test)'] });
    expect(claude.hooks.PreToolUse.map((g: any) => [g.matcher, g.hooks[0].command.includes('gate hook claude')])).toEqual([
      ['Bash', false],
      ['Edit|Write|MultiEdit|NotebookEdit', true],
      ['Bash', true],
    ]);
    const cursor = JSON.parse(r.read('.cursor/hooks.json'));
    expect(cursor.version).toBe(1);
    expect(cursor.hooks.afterFileEdit).toEqual([{ command: 'prettier --write' }]);
    expect(cursor.hooks.beforeShellExecution[0]).toEqual({ command: 'my-audit' });
    expect(cursor.hooks.beforeShellExecution[1].command).toContain('gate hook cursor');
    expect(cursor.hooks.preToolUse[0].matcher).toContain('Write');
    const gemini = JSON.parse(r.read('.gemini/settings.json'));
    expect(gemini.theme).toBe('GitHub');
    expect(gemini.hooks.BeforeTool).toHaveLength(2);
    expect(gemini.hooks.SessionStart[0].hooks[0].command).toContain('gate hook gemini');
    const codex = JSON.parse(r.read('.codex/hooks.json'));
    expect(codex.hooks.Stop[0].hooks[0].command).toBe('notify-send done');
    expect(codex.hooks.PreToolUse[0].matcher).toBe('Bash|apply_patch|Edit|Write');
    expect(r.read('.aider.conf.yml')).toMatch(/^# my aider settings\nmodel: sonnet\ngit-commit-verify: true {2}# agent-gates.*\nauto-commits: true\n$/);

    // the MCP server (`gate mcp`) is registered where each runtime reads MCP servers
    const mcp = { command: 'npx', args: ['--no-install', 'gate', 'mcp'] };
    expect(files['.mcp.json']).toBe('created');
    expect(JSON.parse(r.read('.mcp.json')).mcpServers['agent-gates']).toEqual(mcp);
    expect(JSON.parse(r.read('.cursor/mcp.json')).mcpServers['agent-gates']).toEqual(mcp);
    expect(gemini.mcpServers['agent-gates']).toEqual(mcp);
    expect(r.read('.codex/config.toml')).toBe('[mcp_servers.agent-gates]\ncommand = "npx"\nargs = ["--no-install", "gate", "mcp"]\n');

    const again = r.gate(['init', '--agent', 'all', '--json']);
    const AGENT_FILES = ['.claude/settings.json', '.mcp.json', '.cursor/hooks.json', '.cursor/mcp.json', '.gemini/settings.json', '.codex/hooks.json', '.codex/config.toml', '.aider.conf.yml'];
    const st = (JSON.parse(again.stdout).files as Array<{ path: string; status: string }>).filter((f) => AGENT_FILES.includes(f.path));
    expect(st.map((f) => [f.path, f.status])).toEqual(AGENT_FILES.map((p) => [p, 'already present']));
  });

  it('gate doctor checks each configured runtime, and names the fix when one is missing', () => {
    const ok = JSON.parse(r.gate(['doctor', '--json']).stdout).checks.filter((c: any) => c.id.startsWith('agent-'));
    expect(ok.map((c: any) => [c.id, c.status])).toEqual([
      ['agent-claude', 'ok'],
      ['agent-cursor', 'ok'],
      ['agent-gemini', 'ok'],
      ['agent-codex', 'ok'],
      ['agent-aider', 'ok'],
    ]);
    r.write('.aider.conf.yml', 'model: sonnet\n');
    r.write('.codex/hooks.json', '{}');
    // the MCP registration is part of each runtime's row: gone from .mcp.json, another server only in .cursor/mcp.json
    r.write('.mcp.json', '{"mcpServers": {}}');
    r.write('.cursor/mcp.json', '{"mcpServers": {"other": {"command": "x"}}}');
    const bad = JSON.parse(r.gate(['doctor', '--json']).stdout).checks.filter((c: any) => c.status !== 'ok' && c.id.startsWith('agent-'));
    expect(bad.map((c: any) => [c.id, c.status, c.fix])).toEqual([
      ['agent-claude', 'warn', 'gate init --agent claude'],
      ['agent-cursor', 'warn', 'gate init --agent cursor'],
      ['agent-codex', 'warn', 'gate init --agent codex'],
      ['agent-aider', 'problem', 'gate init --agent aider'],
    ]);
    expect(bad[0].message).toBe('`gate mcp` is not registered in .mcp.json (the agent cannot ask the gates over MCP)');
    expect(bad[2].message).toContain('does not run `gate hook codex`');
    r.gate(['init', '--agent', 'claude,cursor,codex,aider']);
    expect(JSON.parse(r.read('.cursor/mcp.json')).mcpServers).toEqual({ other: { command: 'x' }, 'agent-gates': { command: 'npx', args: ['--no-install', 'gate', 'mcp'] } });
    const fixed = JSON.parse(r.gate(['doctor', '--json']).stdout).checks.filter((c: any) => c.id.startsWith('agent-'));
    expect(fixed.every((c: any) => c.status === 'ok'), JSON.stringify(fixed)).toBe(true);
  });

  it('refuses to rewrite a settings file it cannot parse, and an unknown runtime is a usage error', () => {
    r.write('.gemini/settings.json', '{ "theme": ');
    const x = r.gate(['init', '--agent', 'gemini']);
    expect(x.code).toBe(3);
    expect(x.stderr).toContain('not a JSON object');
    expect(r.read('.gemini/settings.json')).toBe('{ "theme": ');
    const u = r.gate(['init', '--agent', 'vim']);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('--agent takes claude, cursor, gemini, codex, aider, all');
  });

  it('the written hook commands block when gate is not installed and run gate when it is', () => {
    const cursor = JSON.parse(r.read('.cursor/hooks.json'));
    const cmd = cursor.hooks.beforeShellExecution[1].command as string;
    const input = JSON.stringify({ conversation_id: 'c1', hook_event_name: 'beforeShellExecution', command: 'git commit -n -m x', cwd: r.dir, workspace_roots: [r.dir] });
    expect(run('sh', ['-c', cmd], { cwd: r.dir, env: r.env, input }).code).toBe(2);
    mkdirSync(join(r.dir, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(join(PKG_ROOT, 'bin', 'gate.js'), join(r.dir, 'node_modules', '.bin', 'gate'));
    const denied = run('sh', ['-c', cmd], { cwd: r.dir, env: r.env, input });
    expect(denied.code).toBe(2);
    expect(JSON.parse(denied.stdout).permission).toBe('deny');
    const ok = run('sh', ['-c', cmd], { cwd: r.dir, env: r.env, input: JSON.stringify({ conversation_id: 'c1', hook_event_name: 'beforeShellExecution', command: 'npm test', cwd: r.dir }) });
    expect([ok.code, ok.stdout.trim()]).toEqual([0, '{}']);
  });
});
