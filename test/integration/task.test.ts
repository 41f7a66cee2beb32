/**
 * `gate task start/finish/list` in real repositories: a husky-managed repository (core.hooksPath
 * = .husky/_, which is ignored and so missing in a fresh worktree) and a plain .git/hooks one.
 *
 * The CLI runs once per exit-code class and output shape (start: 0 with JSON, 1 refused with text,
 * 1 denied with JSON, 2 for an argument commander refuses and for a missing identity; finish: 1 and
 * 0, JSON and text; list: JSON); the other starts, finishes, lock reads and doctor checks are their
 * use cases in process (openContext), under the repository's environment as the CLI would run them.
 * The commits in the worktrees are real commits through the real hooks.
 */
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GATE_BIN, PKG_ROOT, copyRepo, makeRepo, run, type TempRepo } from '../helpers/repo.js';
import { withEnv } from '../helpers/range.js';
import { openContext } from '../../src/app/context.js';
import { taskFinish, taskStart } from '../../src/app/leases/task.js';
import { acquire, status } from '../../src/app/leases/lease.js';
import { runDoctor } from '../../src/app/setup/doctor.js';

/** A repository using husky (from this package's node_modules) with a pre-commit hook that runs gate; built once, copied per test. */
let huskyTemplate: TempRepo;
beforeAll(() => {
  const r = makeRepo();
  symlinkSync(join(PKG_ROOT, 'node_modules'), join(r.dir, 'node_modules'));
  r.write('.gitignore', 'node_modules\n');
  r.write('progress.md', '0\n');
  r.write('.husky/pre-commit', `"${process.execPath}" "${GATE_BIN}" check --hook pre-commit\n`);
  const h = run(join(r.dir, 'node_modules', '.bin', 'husky'), [], { cwd: r.dir, env: r.env });
  if (h.code !== 0) throw new Error(`husky failed: ${h.stdout}${h.stderr}`);
  r.gitOk('add', '.');
  r.gitOk('commit', '-q', '--no-verify', '-m', 'init'); // test setup only: the hooks are what is under test
  huskyTemplate = r;
});

function huskyRepo(): TempRepo {
  return copyRepo(huskyTemplate, { cleanup: 'test' });
}

/** A use case in process, in `cwd` (default: the repository), under the repository's environment. */
const inRepo = <T>(r: TempRepo, fn: (ctx: ReturnType<typeof openContext>) => Promise<T>, cwd = r.dir): Promise<T> => withEnv(r.env, () => fn(openContext(cwd)));

const json = (s: string) => JSON.parse(s) as Record<string, any>;

describe('gate task', () => {
  it('start creates branch + worktree with working hooks, in which a blocked commit really is blocked', async () => {
    const r = huskyRepo();
    // Control: a worktree made by plain git has no husky hooks, so nothing would be checked there.
    const plain = join(r.home, 'plain');
    r.gitOk('worktree', 'add', '-q', '-b', 'plain', plain);
    expect(existsSync(join(plain, '.husky', '_', 'pre-commit'))).toBe(false);

    const s = r.gate(['task', 'start', '7', '--owner', 'sess-a', '--json']);
    expect(s.code, s.stdout + s.stderr).toBe(0);
    const res = json(s.stdout);
    const wt = join(dirname(r.dir), 'repo.worktrees', '7');
    expect(res).toMatchObject({ ok: true, id: '7', branch: 'task/7', worktree: wt, progress: 'tasks/7/progress.md', owner: 'sess-a' });
    expect(res.lease).toMatchObject({ path: 'tasks/7/progress.md', kind: 'grant' });
    expect(res.hooks.ok).toBe(true);
    expect(res.hooks.actions.join(' ')).toContain('husky');
    expect(existsSync(join(wt, '.husky', '_', 'pre-commit'))).toBe(true);
    expect(run('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: wt, env: r.env }).stdout.trim()).toBe('task/7');

    // The lease is visible from both worktrees and names the task's worktree and branch (`gate lock status` in the task's worktree, in process).
    const st = (await inRepo(r, (ctx) => status(ctx, { paths: ['tasks/7/progress.md'], cwd: wt }), wt)).leases[0];
    expect(st).toMatchObject({ state: 'held', owner: 'sess-a', worktree: wt, branch: 'task/7' });

    // In the new worktree: another session's commit of the progress doc is blocked by the real hook…
    writeFileSync(join(wt, 'tasks-note.txt'), 'x');
    run('mkdir', ['-p', join(wt, 'tasks', '7')]);
    writeFileSync(join(wt, 'tasks', '7', 'progress.md'), 'started\n');
    run('git', ['add', '.'], { cwd: wt, env: r.env });
    const blocked = run('git', ['commit', '-q', '-m', 'progress'], { cwd: wt, env: { ...r.env, GATE_SESSION: 'sess-b' } });
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain('held by sess-a');
    // …and so is an unleased edit of the root progress.md.
    writeFileSync(join(wt, 'progress.md'), '1\n');
    run('git', ['add', 'progress.md'], { cwd: wt, env: r.env });
    const blocked2 = run('git', ['commit', '-q', '-m', 'progress'], { cwd: wt, env: { ...r.env, GATE_SESSION: 'sess-a' } });
    expect(blocked2.code).not.toBe(0);
    expect(blocked2.stderr).toContain('A_LEASE_FREE');
    run('git', ['checkout', 'HEAD', '--', 'progress.md'], { cwd: wt, env: r.env });
    const ok = run('git', ['commit', '-q', '-m', 'progress'], { cwd: wt, env: { ...r.env, GATE_SESSION: 'sess-a' } });
    expect(ok.code, ok.stderr).toBe(0);

    const list = json(r.gate(['task', 'list', '--json']).stdout).tasks;
    expect(list).toEqual([expect.objectContaining({ id: '7', branch: 'task/7', worktree: wt, progress: 'tasks/7/progress.md' })]);
    expect(list[0].lease.state).toBe('held');

    // finish keeps a dirty worktree (exit 1) but releases; then removes it once clean.
    writeFileSync(join(wt, 'scratch.txt'), 'wip');
    const f1 = r.gate(['task', 'finish', '7', '--owner', 'sess-a', '--json']);
    expect(f1.code).toBe(1);
    expect(json(f1.stdout)).toMatchObject({ released: ['tasks/7/progress.md'], worktree: { removed: false, dirty: ['scratch.txt'] } });
    run('rm', [join(wt, 'scratch.txt')]);
    const f2 = await inRepo(r, (ctx) => taskFinish(ctx, { id: '7', owner: 'sess-a' }));
    expect(f2.ok, JSON.stringify(f2)).toBe(true); // exit 0
    expect(f2.worktree.removed).toBe(true);
    expect(existsSync(wt)).toBe(false);
    expect(r.gitOk('rev-parse', '--verify', 'task/7')).toMatch(/^[0-9a-f]{40}$/);
    // Resuming: the branch exists, so --base is refused; without it the worktree is recreated on the branch.
    await expect(inRepo(r, (ctx) => taskStart(ctx, { id: '7', owner: 'sess-a', base: 'main' }))).rejects.toMatchObject({ code: 'USAGE' }); // exit 2
    const again = await inRepo(r, (ctx) => taskStart(ctx, { id: '7', owner: 'sess-a' }));
    expect(again.ok).toBe(true);
    expect(readFileSync(join(wt, 'tasks', '7', 'progress.md'), 'utf8')).toBe('started\n');
    expect(r.gate(['task', 'finish', '7', '--owner', 'sess-a']).code).toBe(0);
    const events = readFileSync(join(r.commonDir(), 'agent-gates', 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).event);
    expect(events.filter((e: string) => e.startsWith('task.'))).toEqual(['task.start', 'task.finish', 'task.finish', 'task.start', 'task.finish']);
  });

  it('refuses to start with dirty handoff documents, with a held progress doc, or a bad id', async () => {
    const r = huskyRepo();
    r.write('progress.md', 'dirty\n');
    const d = r.gate(['task', 'start', '8', '--owner', 'sess-a']);
    expect(d.code).toBe(1);
    expect(d.stderr).toContain('progress.md');
    expect(d.stderr).toContain('git stash push -- progress.md');
    r.gitOk('checkout', '--', 'progress.md');

    expect((await inRepo(r, (ctx) => acquire(ctx, { paths: ['tasks/8/progress.md'], owner: 'sess-b', cwd: r.dir }))).ok).toBe(true);
    const h = r.gate(['task', 'start', '8', '--owner', 'sess-a', '--json']);
    expect(h.code).toBe(1);
    expect(json(h.stdout).denied[0].owner).toBe('sess-b');
    expect(existsSync(join(dirname(r.dir), 'repo.worktrees', '8'))).toBe(false);
    expect(r.git('rev-parse', '--verify', '--quiet', 'task/8').code).not.toBe(0);

    // '-x' through the CLI (commander sees an option); the others are refused by the use case: USAGE, exit 2
    expect(r.gate(['task', 'start', '-x', '--owner', 'a']).code, '-x').toBe(2);
    for (const bad of ['../x', 'a b', 'x.lock']) await expect(inRepo(r, (ctx) => taskStart(ctx, { id: bad, owner: 'a' })), bad).rejects.toMatchObject({ code: 'USAGE' });
    expect(r.gate(['task', 'start', '9']).code).toBe(2); // no identity outside a terminal
  });

  it('works with plain .git/hooks (shared by every worktree) too', async () => {
    const r = makeRepo({ files: { 'progress.md': '0\n' }, hooks: ['pre-commit'], cleanup: 'test' });
    const s = await inRepo(r, (ctx) => taskStart(ctx, { id: 'x1', owner: 'sess-a' }));
    expect(s.ok).toBe(true);
    expect(s.hooks).toMatchObject({ ok: true, actions: [] });
    const wt = s.worktree as string;
    writeFileSync(join(wt, 'progress.md'), '1\n');
    const c = run('git', ['commit', '-qam', 'x'], { cwd: wt, env: { ...r.env, GATE_SESSION: 'sess-a' } });
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('A_LEASE_FREE');
  });
});

describe('gate task: dependencies in the worktree (issue 14)', () => {
  it('links the main worktree\'s node_modules so gate and lint-staged run there; doctor checks it', async () => {
    const r = huskyRepo();
    r.write('package.json', '{"name":"p","private":true}\n');
    r.write('.gitignore', 'node_modules/\n'); // matches directories only: the link must still be ignored
    r.gitOk('add', '.');
    r.gitOk('commit', '-q', '--no-verify', '-m', 'package');
    const s = await inRepo(r, (ctx) => taskStart(ctx, { id: '9', owner: 'sess-a' }));
    expect(s.ok).toBe(true);
    const wt = s.worktree as string;
    expect(existsSync(join(wt, 'node_modules', '.bin', 'husky'))).toBe(true);
    expect(run('git', ['status', '--porcelain'], { cwd: wt, env: r.env }).stdout).not.toContain('node_modules');
    const gateThere = run(join(wt, 'node_modules', '.bin', 'husky'), ['--help'], { cwd: wt, env: r.env });
    expect(gateThere.code).not.toBe(127);
    // gate doctor's use case, in process
    const ok = await inRepo(r, (ctx) => runDoctor(ctx));
    expect(ok.checks.find((c: any) => c.id === 'worktree-deps')).toMatchObject({ status: 'ok' });
    run('rm', [join(wt, 'node_modules')]);
    const bad = await inRepo(r, (ctx) => runDoctor(ctx));
    expect(bad.checks.find((c: any) => c.id === 'worktree-deps')).toMatchObject({ status: 'warn' });
  });
});
