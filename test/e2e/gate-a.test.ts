/**
 * E2E for Gate A from the packed tarball, installed with real husky and lint-staged in a fresh
 * consumer repository: real `git commit`s, a real task worktree, the Claude hook command.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { commitScaffold, makeConsumer, type Consumer } from '../helpers/consumer.js';
import { makeRepo, PKG_ROOT, run, type RunResult, type TempRepo } from '../helpers/repo.js';
import { CLAUDE_HOOK_COMMAND } from '../../src/app/leases/claude-hook.js';

// One adopted consumer for the file (the tarball installed, the real `gate init`, the scaffold
// committed through the shipped post-commit hook), copied per test: each test has its own
// repository and HOME, without an install, an init and a scaffold commit of its own.
let adopted: Consumer;
beforeAll(() => {
  adopted = makeConsumer();
  commitScaffold(adopted);
});

/** A copy of the adopted consumer: its repository (.git, node_modules, what init wrote) and HOME. */
function consumer(): TempRepo & { gateBin(args: readonly string[], opts?: { env?: NodeJS.ProcessEnv; cwd?: string }): RunResult } {
  const r = makeRepo({ init: false, cleanup: 'test' });
  // one cp process (symlinks as written, modes kept) copies the tree for a fraction of fs.cpSync's CPU in the worker
  const cp = run('sh', ['-c', 'cp -R "$1/." "$2" && cp -R "$3/." "$4"', 'sh', adopted.dir, r.dir, adopted.home, r.home]);
  if (cp.code !== 0) throw new Error(`copying the adopted consumer failed (${cp.code}): ${cp.stderr}`);
  // the INSTALLED binary, as Consumer.gateBin runs it
  const gateBin = (args: readonly string[], o: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) =>
    run(join(r.dir, 'node_modules', '.bin', 'gate'), args, { cwd: o.cwd ?? r.dir, env: { ...r.env, ...(o.env ?? {}) }, input: '' });
  return { ...r, gateBin };
}

describe('Gate A from the packed tarball', () => {
  it('a commit of progress.md without a lease is blocked; with the lease it passes', () => {
    const c = consumer();
    c.write('progress.md', '# progress\n- started\n');
    c.gitOk('add', 'progress.md');
    const env = { ...c.env, GATE_SESSION: 'agent-1' };
    const blocked = run('git', ['commit', '-m', 'docs: progress'], { cwd: c.dir, env, input: '' });
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain('A_LEASE_FREE');
    expect(blocked.stderr).toContain('gate lock acquire progress.md --owner agent-1');
    expect(c.gitOk('rev-list', '--count', 'HEAD')).toBe('1');

    const a = c.gateBin(['lock', 'acquire', 'progress.md', '--json'], { env: { GATE_SESSION: 'agent-1' } });
    expect(a.code, a.stderr).toBe(0);
    const ok = run('git', ['commit', '-m', 'docs: progress'], { cwd: c.dir, env, input: '' });
    expect(ok.code, ok.stderr).toBe(0);
    expect(c.gitOk('rev-list', '--count', 'HEAD')).toBe('2');
    expect(c.gateBin(['lock', 'release', 'progress.md'], { env: { GATE_SESSION: 'agent-1' } }).code).toBe(0);
    expect(c.gateBin(['audit', 'verify']).code).toBe(0);
  });

  it('with handoff.remote, the lease a commit was made under travels in its note and gate check --range in a fresh clone confirms it (ADR 0026)', () => {
    const c = consumer();
    // adopt remote leases (a setup step: the config change itself would need a person's approval)
    c.write('.agents/gates.yaml', c.read('.agents/gates.yaml').replace('handoff:\n', 'handoff:\n  remote: origin\n  remote_timeout: 5s\n'));
    // (hooks off for this set-up commit: its post-commit record is not what the test is about)
    c.gitOk('-c', 'core.hooksPath=/dev/null', 'commit', '--no-verify', '-q', '-am', 'chore: leases on the remote');
    const base = c.gitOk('rev-parse', 'HEAD');
    const bare = join(c.home, 'remote.git');
    c.gitOk('init', '-q', '--bare', '-b', 'main', bare);
    c.gitOk('remote', 'add', 'origin', bare);
    c.gitOk('push', '-q', 'origin', 'main');
    const env = { ...c.env, GATE_SESSION: 'agent-1' };
    expect(c.gateBin(['lock', 'acquire', 'progress.md'], { env: { GATE_SESSION: 'agent-1' } }).code).toBe(0);
    c.write('progress.md', '# progress\n- under the remote lease\n');
    c.gitOk('add', 'progress.md');
    const ok = run('git', ['commit', '-q', '-m', 'docs: progress'], { cwd: c.dir, env, input: '' });
    expect(ok.code, ok.stderr).toBe(0);
    // the shipped post-commit hook recorded the lease; the shipped pre-push hook pushes the note
    expect(c.gitOk('notes', '--ref', 'refs/notes/agent-gates', 'show', 'HEAD')).toContain('"agent_gates_leases": 1');
    // around the hooks: a second edit without the lease's evidence
    c.write('progress.md', '# progress\n- no hooks\n');
    c.gitOk('commit', '--no-verify', '-q', '-am', 'docs: progress, around the hooks');
    const push = run('git', ['push', '-q', 'origin', 'main'], { cwd: c.dir, env, input: '' });
    expect(push.code, push.stderr).toBe(0);
    // CI: a fresh clone, the notes fetched as data (docs/gate-c.md), the checker fetches the fence refs itself
    const ci = join(c.home, 'ci');
    c.gitOk('clone', '-q', bare, ci);
    expect(run('git', ['fetch', '--no-tags', 'origin', '+refs/notes/agent-gates:refs/notes/agent-gates'], { cwd: ci, env: c.env }).code).toBe(0);
    const good = c.gateBin(['check', '--range', `${base}..origin/main~1`, '--json'], { cwd: ci });
    expect(good.code, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout).leases).toMatchObject({ remote: 'origin', required: 1, fetched: true, checked: [{ path: 'progress.md', token: 1, owner: 'agent-1' }] });
    const bad = c.gateBin(['check', '--range', `${base}..origin/main`, '--json'], { cwd: ci });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).violations).toMatchObject([{ code: 'C_LEASE_MISSING', path: 'progress.md' }]);
    expect(c.gateBin(['lock', 'release', 'progress.md'], { env: { GATE_SESSION: 'agent-1' } }).code).toBe(0);
  }, 180_000); // eleven gate processes, the hooks' included: past 60 s of wall time on a machine at load 14

  it('gate task start creates a worktree in which a blocked commit really is blocked', () => {
    const c = consumer();
    const s = c.gateBin(['task', 'start', '7', '--owner', 'agent-1', '--json']);
    expect(s.code, s.stdout + s.stderr).toBe(0);
    const res = JSON.parse(s.stdout);
    const wt = join(dirname(c.dir), 'repo.worktrees', '7');
    expect(res.worktree).toBe(wt);
    expect(res.hooks.ok).toBe(true);
    expect(existsSync(join(wt, '.husky', '_', 'pre-commit'))).toBe(true);

    mkdirSync(join(wt, 'tasks', '7'), { recursive: true });
    writeFileSync(join(wt, 'tasks', '7', 'progress.md'), '# task 7\n');
    run('git', ['add', 'tasks/7/progress.md'], { cwd: wt, env: c.env });
    const other = run('git', ['commit', '-m', 'docs: task 7'], { cwd: wt, env: { ...c.env, GATE_SESSION: 'agent-2' }, input: '' });
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('held by agent-1');
    const holder = run('git', ['commit', '-m', 'docs: task 7'], { cwd: wt, env: { ...c.env, GATE_SESSION: 'agent-1' }, input: '' });
    expect(holder.code, holder.stderr).toBe(0);

    const f = c.gateBin(['task', 'finish', '7', '--owner', 'agent-1', '--json']);
    expect(f.code, f.stdout).toBe(0);
    expect(existsSync(wt)).toBe(false);
  });

  it('the Claude hook command denies and allows on the recorded sample inputs', () => {
    const c = consumer();
    const fx = (name: string) => readFileSync(join(PKG_ROOT, 'test', 'fixtures', 'claude', name), 'utf8').replaceAll('{{REPO}}', c.dir);
    const hook = (input: string) => run('sh', ['-c', CLAUDE_HOOK_COMMAND], { cwd: c.dir, env: { ...c.env, CLAUDE_PROJECT_DIR: c.dir }, input });
    const denied = hook(fx('edit-progress.json'));
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain('gate lock acquire progress.md --owner 9f2c6a1e-4b7d-4f0a-9a53-2d7e1c0b8e41');
    expect(JSON.parse(denied.stdout).hookSpecificOutput.permissionDecision).toBe('deny');
    expect(c.gateBin(['lock', 'acquire', 'progress.md', '--owner', '9f2c6a1e-4b7d-4f0a-9a53-2d7e1c0b8e41']).code).toBe(0);
    expect(hook(fx('edit-progress.json')).code).toBe(0);
    const surface = hook(fx('multiedit-claude-md.json'));
    expect(surface.code).toBe(0);
    expect(JSON.parse(surface.stdout).hookSpecificOutput.additionalContext).toContain('gate explain');
    expect(hook(fx('edit-source.json'))).toMatchObject({ code: 0, stdout: '' });
    expect(hook('{"broken').code).toBe(2);
  });
});
