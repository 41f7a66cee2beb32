/**
 * `gate hook claude` on recorded Claude Code hook inputs (test/fixtures/claude), in real
 * repositories (copies of one built once). The built CLI runs for each exit code and output the
 * hook gives (a denial with its JSON, a silent allow, an allow with context, SessionStart, a block
 * on input it cannot read) and through the settings' own command; the other inputs, and set-up
 * steps (`gate lock acquire`), run in process (repo.gateIn: the same argv, stdin, output and exit code).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PKG_ROOT, copyRepo, makeRepo, makeTempDir, run, type TempRepo } from '../helpers/repo.js';
import { CLAUDE_HOOK_COMMAND, installClaudeHook } from '../../src/app/leases/claude-hook.js';

const SID = '9f2c6a1e-4b7d-4f0a-9a53-2d7e1c0b8e41';
let repos: TempRepo[] = [];
afterEach(() => {
  for (const r of repos) r.cleanup();
  repos = [];
});

let template: TempRepo | undefined;
/** The handoff documents, CLAUDE.md and a source file committed: a copy of one repository built once. */
function repo(): TempRepo {
  template ??= makeRepo({ files: { 'progress.md': '# progress\n', 'docs/todos.md': '- [ ] x\n', 'CLAUDE.md': 'Always run the tests.\n', 'src/app.ts': 'a\n' } });
  const r = copyRepo(template);
  repos.push(r);
  return r;
}

/** `gate lock acquire <path> --owner <owner>` (a set-up step), in process. */
async function acquire(r: TempRepo, path: string, owner: string) {
  return r.gateIn(['lock', 'acquire', path, '--owner', owner]);
}

function fixture(name: string, r: TempRepo): string {
  return readFileSync(join(PKG_ROOT, 'test', 'fixtures', 'claude', name), 'utf8').replaceAll('{{REPO}}', r.dir);
}

/** `gate hook claude` with `input` on stdin: in process, or (`real`) the binary. */
async function hook(r: TempRepo, input: string, env: NodeJS.ProcessEnv = {}, how: 'in' | 'real' = 'in') {
  return r.gateIn(['hook', 'claude'], { input, env, binary: how === 'real' });
}

describe('gate hook claude (PreToolUse)', () => {
  it('denies an Edit of progress.md the session does not lease, with the exact acquire command; allows once leased', async () => {
    const r = repo();
    const d = await hook(r, fixture('edit-progress.json', r), {}, 'real');
    expect(d.code).toBe(2);
    expect(d.stderr).toContain(`gate lock acquire progress.md --owner ${SID}`);
    expect(d.stderr).toContain('free');
    const out = JSON.parse(d.stdout);
    expect(out.hookSpecificOutput).toMatchObject({ hookEventName: 'PreToolUse', permissionDecision: 'deny' });
    expect(out.hookSpecificOutput.permissionDecisionReason).toContain('gate lock acquire');

    expect((await acquire(r, 'progress.md', SID)).code).toBe(0);
    const ok = await hook(r, fixture('edit-progress.json', r), {}, 'real');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('');
  });

  it('denies while another session holds the lease and names the holder', async () => {
    const r = repo();
    await acquire(r, 'progress.md', 'other-session');
    const d = await hook(r, fixture('edit-progress.json', r));
    expect(d.code).toBe(2);
    expect(d.stderr).toContain('held by other-session');
    expect(d.stderr).toContain('--wait 10m');
  });

  it('resolves paths from a subdirectory cwd and covers NotebookEdit', async () => {
    const r = repo();
    const w = await hook(r, fixture('write-todos-subdir.json', r));
    expect(w.code).toBe(2);
    expect(w.stderr).toContain('gate lock acquire docs/todos.md');
    const n = await hook(r, fixture('notebook-status.json', r));
    expect(n.code).toBe(2);
    expect(n.stderr).toContain('.agents/status/board.ipynb');
  });

  it('allows a control-plane edit with a `gate explain` reminder; stays silent for ordinary files and other tools', async () => {
    const r = repo();
    const m = await hook(r, fixture('multiedit-claude-md.json', r), {}, 'real');
    expect(m.code).toBe(0);
    const ctx = JSON.parse(m.stdout).hookSpecificOutput;
    expect(ctx.permissionDecision).toBeUndefined();
    expect(ctx.additionalContext).toContain('gate explain');
    expect(ctx.additionalContext).toContain('CLAUDE.md');
    for (const f of ['edit-source.json', 'bash-command.json']) {
      const x = await hook(r, fixture(f, r));
      expect(x.code, f).toBe(0);
      expect(x.stdout, f).toBe('');
    }
  });

  it('a symlink outside the repository that points at a handoff document is still a handoff edit', async () => {
    const r = repo();
    const link = join(r.home, 'p.md');
    symlinkSync(join(r.dir, 'progress.md'), link);
    const input = JSON.parse(fixture('edit-progress.json', r));
    input.tool_input.file_path = link;
    expect((await hook(r, JSON.stringify(input))).code).toBe(2);
  });

  it('blocks whatever it cannot evaluate: bad JSON, missing fields, not a repository, corrupt lease, invalid config', async () => {
    const r = repo();
    expect((await hook(r, 'not json', {}, 'real')).code).toBe(2);
    expect((await hook(r, '')).code).toBe(2);
    expect((await hook(r, '[]')).code).toBe(2);
    const noSession = JSON.parse(fixture('edit-progress.json', r));
    delete noSession.session_id;
    expect((await hook(r, JSON.stringify(noSession))).code).toBe(2);
    const noPath = JSON.parse(fixture('edit-progress.json', r));
    delete noPath.tool_input.file_path;
    expect((await hook(r, JSON.stringify(noPath))).code).toBe(2);
    const notRepo = makeTempDir();
    const elsewhere = JSON.parse(fixture('edit-progress.json', r));
    elsewhere.cwd = notRepo;
    const x = await hook(r, JSON.stringify(elsewhere), {});
    expect(x.code).toBe(2);
    expect(x.stderr).toContain('not inside a git work tree');

    await acquire(r, 'progress.md', SID);
    const dir = join(r.commonDir(), 'agent-gates', 'leases');
    const file = readdirSync(dir).find((n) => n.endsWith('progress.md.json'))!;
    writeFileSync(join(dir, file), '{');
    const c = await hook(r, fixture('edit-progress.json', r));
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('fail closed');

    const r2 = repo();
    r2.write('.agents/gates.yaml', 'handoff: [unclosed\n');
    const y = await hook(r2, fixture('edit-source.json', r2));
    expect(y.code).toBe(2);
    expect(y.stderr).toContain('gates.yaml');
  });
});

describe('gate hook claude (SessionStart) and settings', () => {
  it('exports GATE_SESSION through CLAUDE_ENV_FILE and tells the session its identity', async () => {
    const r = repo();
    const envFile = join(r.home, 'claude-env.sh');
    const x = await hook(r, fixture('session-start.json', r), { CLAUDE_ENV_FILE: envFile }, 'real');
    expect(x.code).toBe(0);
    expect(readFileSync(envFile, 'utf8')).toBe(`export GATE_SESSION=${SID}\n`);
    expect(JSON.parse(x.stdout).hookSpecificOutput.additionalContext).toContain(SID);
    // The exported identity is the one the pre-commit hook checks.
    await acquire(r, 'progress.md', SID);
    r.write('progress.md', '# progress\nmore\n');
    writeFileSync(join(r.commonDir(), 'hooks', 'pre-commit'), `#!/bin/sh\nexec "${process.execPath}" "${join(PKG_ROOT, 'bin', 'gate.js')}" check --hook pre-commit\n`, { mode: 0o755 });
    const c = run('sh', ['-c', `. '${envFile}' && git commit -qam progress`], { cwd: r.dir, env: r.env });
    expect(c.code, c.stderr).toBe(0);
  });

  it('installClaudeHook writes and merges .claude/settings.json, idempotently, and refuses invalid JSON', () => {
    const r = repo();
    const first = installClaudeHook(r.dir);
    expect(first.status).toBe('created');
    const s = JSON.parse(r.read('.claude/settings.json'));
    expect(s.hooks.PreToolUse[0]).toMatchObject({ matcher: 'Edit|Write|MultiEdit|NotebookEdit' });
    expect(s.hooks.PreToolUse[0].hooks[0]).toMatchObject({ type: 'command', command: CLAUDE_HOOK_COMMAND });
    expect(s.hooks.SessionStart[0].hooks[0].command).toBe(CLAUDE_HOOK_COMMAND);
    expect(installClaudeHook(r.dir).status).toBe('already present');

    r.write('.claude/settings.json', JSON.stringify({ permissions: { allow: ['Bash(npm test)'] }, hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'x' }] }] } }));
    expect(installClaudeHook(r.dir).status).toBe('updated');
    const m = JSON.parse(r.read('.claude/settings.json'));
    expect(m.permissions.allow).toEqual(['Bash(npm test)']);
    expect(m.hooks.PreToolUse).toHaveLength(2);

    r.write('.claude/settings.json', '{ nope');
    expect(() => installClaudeHook(r.dir)).toThrow(/not a JSON object/);
    expect(r.read('.claude/settings.json')).toBe('{ nope');
  });

  it('the settings command blocks (exit 2) when gate is not installed, and runs gate when it is', () => {
    const r = repo();
    const input = fixture('edit-progress.json', r);
    const missing = run('sh', ['-c', CLAUDE_HOOK_COMMAND], { cwd: r.dir, env: { ...r.env, CLAUDE_PROJECT_DIR: r.dir }, input });
    expect(missing.code).toBe(2);
    mkdirSync(join(r.dir, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(join(PKG_ROOT, 'bin', 'gate.js'), join(r.dir, 'node_modules', '.bin', 'gate'));
    const denied = run('sh', ['-c', CLAUDE_HOOK_COMMAND], { cwd: r.dir, env: { ...r.env, CLAUDE_PROJECT_DIR: r.dir }, input });
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain('gate lock acquire progress.md');
    const allowed = run('sh', ['-c', CLAUDE_HOOK_COMMAND], { cwd: r.dir, env: { ...r.env, CLAUDE_PROJECT_DIR: r.dir }, input: fixture('edit-source.json', r) });
    expect(allowed.code).toBe(0);
    expect(existsSync(join(r.dir, 'node_modules'))).toBe(true);
  });
});
