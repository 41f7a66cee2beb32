/**
 * `gate init`, `installHooks` and `gate doctor` in real temporary repositories, called in
 * process (the e2e tier covers the packed tarball with real npm installs).
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openContext } from '../../src/app/context.js';
import { runDoctor, type DoctorReport } from '../../src/app/setup/doctor.js';
import { installHooks, runInit, type InitReport } from '../../src/app/setup/init.js';
import { GateError } from '../../src/kernel/errors.js';
import { gateEntry, runsGateEntry, runsLintStaged } from '../../src/adapters/hook-manager-configs.js';
import { insertGateLine, repairDoubleLintStaged } from '../../src/adapters/hook-managers.js';
import { makeRepo, PKG_ROOT, run, type TempRepo } from '../helpers/repo.js';

const repos: TempRepo[] = [];
const repo = () => {
  const r = makeRepo();
  repos.push(r);
  return r;
};
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

const init = async (r: TempRepo, opts = {}) => (await runInit(openContext(r.dir), opts)) as InitReport;
const statusOf = (rep: InitReport) => Object.fromEntries(rep.files.map((f) => [f.path, f.status]));
const doctor = (dir: string, env: NodeJS.ProcessEnv = {}) => runDoctor(openContext(dir), env);
const problems = (d: DoctorReport) => d.checks.filter((c) => c.status === 'problem');
const isExec = (p: string) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Make husky and gate "installed": package.json devDependency + node_modules/.bin/{husky,gate} (the real ones). */
function withHusky(r: TempRepo): void {
  r.write('package.json', '{\n\t"name": "c",\n\t"devDependencies": { "husky": "^9" }\n}\n');
  mkdirSync(join(r.dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(join(PKG_ROOT, 'node_modules', 'husky'), join(r.dir, 'node_modules', 'husky'));
  symlinkSync('../husky/bin.js', join(r.dir, 'node_modules', '.bin', 'husky'));
  symlinkSync(join(PKG_ROOT, 'bin', 'gate.js'), join(r.dir, 'node_modules', '.bin', 'gate'));
  r.write('.gitignore', 'node_modules/');
}

/** gate "installed" in the repository (node_modules/.bin/gate), so the hooks and doctor find it. */
function withGate(r: TempRepo): void {
  mkdirSync(join(r.dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(join(PKG_ROOT, 'bin', 'gate.js'), join(r.dir, 'node_modules', '.bin', 'gate'));
  r.write('.gitignore', 'node_modules/\n');
}

describe('gate init without package.json or husky', () => {
  it('scaffolds every file, activates executable hooks directly, configures notes, marks and records', async () => {
    const r = repo();
    const rep = await init(r);
    expect(statusOf(rep)).toEqual({
      '.agents/gates.yaml': 'created',
      '.gitignore': 'created',
      'rules/gate-explain.md': 'created',
      'rules/gate-locks.md': 'created',
      'rules/gate-review.md': 'created',
      '.husky/pre-commit': 'created',
      '.husky/pre-merge-commit': 'created',
      '.husky/post-commit': 'created',
    });
    expect(rep.hooks.mode).toBe('direct');
    expect(r.gitOk('config', 'core.hooksPath')).toBe('.husky');
    expect(isExec(join(r.dir, '.husky/pre-commit'))).toBe(true);
    expect(isExec(join(r.dir, '.husky/post-commit'))).toBe(true);
    expect(r.read('.agents/gates.yaml')).toBe(readFileSync(join(PKG_ROOT, 'templates/gates.yaml'), 'utf8'));
    expect(r.gitOk('check-ignore', '.agents/gate-b/explain-abc.yaml')).toBe('.agents/gate-b/explain-abc.yaml');
    expect(r.gitOk('config', '--get-all', 'notes.rewriteRef')).toBe('refs/notes/agent-gates');
    expect(existsSync(join(r.commonDir(), 'agent-gates', 'initialised'))).toBe(true);
    const ledger = readFileSync(join(r.commonDir(), 'agent-gates', 'ledger.jsonl'), 'utf8').trim().split('\n');
    expect(ledger).toHaveLength(1);
    expect(JSON.parse(ledger[0]!)).toMatchObject({ seq: 1, event: 'init', data: { firstRun: true, mode: 'direct' } });
    expect(existsSync(join(r.dir, 'package.json'))).toBe(false);
    expect((await doctor(r.dir, { PATH: `${join(PKG_ROOT, 'node_modules', '.bin')}` })).checks.find((c) => c.id === 'config')?.status).toBe('ok');
  });

  it('is idempotent: a second run changes nothing and records nothing', async () => {
    const r = repo();
    await init(r);
    const before = readFileSync(join(r.commonDir(), 'agent-gates', 'ledger.jsonl'));
    const again = await init(r);
    expect(new Set(Object.values(statusOf(again)))).toEqual(new Set(['already present']));
    expect(again.recorded).toBe(false);
    expect(again.notesRewriteRef).toBe('already present');
    expect(readFileSync(join(r.commonDir(), 'agent-gates', 'ledger.jsonl')).equals(before)).toBe(true);
    expect(r.gitOk('config', '--get-all', 'notes.rewriteRef')).toBe('refs/notes/agent-gates');
  });

  it('appends to an existing .gitignore (even without a final newline) and keeps its lines', async () => {
    const r = repo();
    r.write('.gitignore', 'dist/\n*.log');
    const rep = await init(r);
    expect(statusOf(rep)['.gitignore']).toBe('updated');
    expect(r.read('.gitignore')).toMatch(/^dist\/\n\*\.log\n# agent-gates.*\n\.agents\/gate-b\/\n$/);
  });

  it('never overwrites a user hook without --force: adds one line running .agents/hooks/<hook> to it; doctor is healthy', async () => {
    const r = repo();
    withGate(r);
    r.write('.husky/pre-commit', 'npm test\n');
    const rep = await init(r);
    const pre = rep.files.find((f) => f.path === '.husky/pre-commit')!;
    expect(pre.status).toBe('updated');
    expect(r.read('.husky/pre-commit')).toMatch(/^npm test\nsh \.agents\/hooks\/pre-commit \|\| exit 1 {3}# agent-gates \(gate init\)/);
    expect(statusOf(rep)['.agents/hooks/pre-commit']).toBe('created');
    expect(isExec(join(r.dir, '.agents/hooks/pre-commit'))).toBe(true);
    expect(problems(await doctor(r.dir))).toEqual([]);
    expect(statusOf(await init(r))['.husky/pre-commit']).toBe('already present');
    const forced = await init(r, { force: true });
    expect(statusOf(forced)['.husky/pre-commit']).toBe('overwritten');
    expect(r.read('.husky/pre-commit')).toContain('check --hook pre-commit');
  });

  it('chains into another tool\'s core.hooksPath; takes it over for .husky only with --force', async () => {
    const r = repo();
    withGate(r);
    r.gitOk('config', 'core.hooksPath', 'tools/hooks');
    r.write('tools/hooks/pre-commit', '#!/bin/sh\necho own\n');
    const rep = await init(r);
    expect(rep.hooks.manager).toBe('git');
    expect(r.gitOk('config', 'core.hooksPath')).toBe('tools/hooks');
    expect(r.read('tools/hooks/pre-commit.agent-gates-chained')).toBe('#!/bin/sh\necho own\n');
    expect(r.read('tools/hooks/pre-commit')).toContain('sh .agents/hooks/pre-commit');
    expect(problems(await doctor(r.dir))).toEqual([]);
    // a teammate's clone has no state directory: the committed .agents/hooks/ says gate is set up
    rmSync(join(r.commonDir(), 'agent-gates', 'initialised'));
    expect((await doctor(r.dir)).checks.find((c) => c.id === 'init')?.status).toBe('ok');
    await expect(init(r, { hooks: 'husky' })).rejects.toThrow(GateError);
    await expect(init(r, { hooks: 'husky' })).rejects.toThrow(/core\.hooksPath is set to "tools\/hooks"/);
    await init(r, { hooks: 'direct', force: true });
    expect(r.gitOk('config', 'core.hooksPath')).toBe('.husky');
  });
});

describe('gate init with husky', () => {
  it('runs husky (core.hooksPath=.husky/_), adds "prepare": "husky" keeping the indentation', async () => {
    const r = repo();
    withHusky(r);
    const rep = await init(r);
    expect(rep.hooks.mode).toBe('husky');
    expect(statusOf(rep)['package.json']).toBe('updated');
    expect(r.gitOk('config', 'core.hooksPath')).toBe('.husky/_');
    expect(existsSync(join(r.dir, '.husky/_/h'))).toBe(true);
    expect(r.read('package.json')).toBe('{\n\t"name": "c",\n\t"devDependencies": {\n\t\t"husky": "^9"\n\t},\n\t"scripts": {\n\t\t"prepare": "husky"\n\t}\n}\n');
    const again = await init(r);
    expect(statusOf(again)['package.json']).toBe('already present');
  });

  it('leaves a different prepare script alone and prints the command that adds husky', async () => {
    const r = repo();
    withHusky(r);
    r.write('package.json', JSON.stringify({ name: 'c', scripts: { prepare: 'tsc' }, devDependencies: { husky: '^9' } }));
    const rep = await init(r);
    const pj = rep.files.find((f) => f.path === 'package.json')!;
    expect(pj.status).toBe('skipped');
    expect(pj.fix).toBe('append husky to it: npm pkg set scripts.prepare="tsc && husky"');
    expect(JSON.parse(r.read('package.json')).scripts.prepare).toBe('tsc');
  });

  it('a worktree created afterwards has no active hooks; doctor says so; installHooks(worktree) repairs it', async () => {
    const r = repo();
    withHusky(r);
    await init(r);
    r.gitOk('add', '-A');
    r.gitOk('commit', '-q', '--no-verify', '-m', 'bootstrap');
    const wt = `${r.dir}-wt`;
    r.gitOk('worktree', 'add', '-q', '-b', 'task-1', wt);
    const env = { PATH: join(PKG_ROOT, 'node_modules', '.bin') };

    const before = await doctor(r.dir, env);
    const bad = problems(before).find((c) => c.title.includes(wt));
    expect(bad?.details?.join('\n')).toMatch(/\.husky\/_\/pre-commit is missing: husky was never installed in this worktree/);
    expect(bad?.fix).toBe(`gate init --hooks-only --worktree ${wt}`);
    // doctor seen from inside the worktree reports the same thing about itself
    expect(problems(await doctor(wt, env)).find((c) => c.title === 'hooks (this worktree)')).toBeDefined();

    const rep = installHooks(wt);
    expect(rep.mode).toBe('husky');
    expect(existsSync(join(wt, '.husky/_/h'))).toBe(true);
    const after = await doctor(r.dir, env);
    expect(after.checks.filter((c) => c.id === 'hooks').map((c) => c.status)).toEqual(['ok', 'ok']);
    // the worktree has no node_modules: its hooks find gate in the main worktree's node_modules
    expect(after.checks.find((c) => c.title.includes(wt))?.message).toContain(`${r.dir}/node_modules/.bin/gate`);
  });
});

describe('gate doctor', () => {
  it('reports each problem with its fix: not ignored, notes not rewritten, HUSKY=0, corrupt ledger', async () => {
    const r = repo();
    await init(r);
    r.write('.gitignore', '');
    r.gitOk('config', '--unset-all', 'notes.rewriteRef');
    const ledger = join(r.commonDir(), 'agent-gates', 'ledger.jsonl');
    writeFileSync(ledger, readFileSync(ledger, 'utf8').replace('"event":"init"', '"event":"commit"'));
    const d = await doctor(r.dir, { HUSKY: '0' });
    const byId = Object.fromEntries(problems(d).map((c) => [c.id, c]));
    expect(byId.ignore?.fix).toBe("echo '.agents/gate-b/' >> .gitignore");
    expect(byId.notes?.fix).toBe('git config --add notes.rewriteRef refs/notes/agent-gates');
    expect(byId.env?.fix).toBe('unset HUSKY');
    expect(byId.ledger?.message).toMatch(/line 1/);
    expect(d.healthy).toBe(false);
  });

  it('without init: built-in defaults in force (a warning), init missing (a problem)', async () => {
    const r = repo();
    const d = await doctor(r.dir);
    expect(d.checks.find((c) => c.id === 'config')).toMatchObject({ status: 'warn', fix: 'gate init' });
    expect(d.checks.find((c) => c.id === 'init')).toMatchObject({ status: 'problem', fix: 'gate init' });
  });

  it('config deleted after init is a problem with the restore command', async () => {
    const r = repo();
    await init(r);
    rmSync(join(r.dir, '.agents/gates.yaml'));
    const d = await doctor(r.dir);
    expect(d.checks.find((c) => c.id === 'config')).toMatchObject({ status: 'problem' });
    expect(d.checks.find((c) => c.id === 'config')?.fix).toContain('gate init');
  });
});

describe('husky project with its own pre-commit and lint-staged: init and doctor agree, and doctor\'s fix is init\'s', () => {
  /** husky installed, lint-staged configured and "installed" (a stub binary: these tests never commit). */
  function huskyWithLintStaged(r: TempRepo, preCommit: string): void {
    withHusky(r);
    r.write('package.json', '{\n  "name": "c",\n  "devDependencies": { "husky": "^9" },\n  "lint-staged": { "*.txt": "echo" }\n}\n');
    writeFileSync(join(r.dir, 'node_modules/.bin/lint-staged'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    r.write('.husky/pre-commit', preCommit);
  }
  /** The fixes doctor prints for hook problems (the init and notes checks have their own). */
  const fixOf = (d: DoctorReport) => [...new Set(d.checks.filter((c) => c.status !== 'ok' && /^(hooks|lint-staged)/.test(c.id)).map((c) => c.fix))];

  it('before init: ✖ "does not run gate" and no ✔ for lint-staged; one fix (gate init --hooks husky); after it: healthy, lint-staged once', async () => {
    const r = repo();
    huskyWithLintStaged(r, 'npx lint-staged\n');
    expect(run(join(r.dir, 'node_modules', '.bin', 'husky'), [], { cwd: r.dir, env: r.env }).code).toBe(0);
    const before = await doctor(r.dir);
    expect(problems(before).find((c) => c.id === 'hooks')?.details?.join('\n')).toMatch(/pre-commit does not run `gate check --hook pre-commit`/);
    expect(before.checks.find((c) => c.id === 'lint-staged')?.status).not.toBe('ok');
    expect(fixOf(before)).toEqual(['gate init --hooks husky']);
    await init(r, { hooks: 'husky' });
    expect(r.read('.husky/pre-commit')).toMatch(/^npx lint-staged\nsh \.agents\/hooks\/pre-commit --after-lint-staged \|\| exit 1 /);
    const after = await doctor(r.dir);
    expect(problems(after)).toEqual([]);
    expect(after.checks.find((c) => c.id === 'lint-staged')).toMatchObject({ status: 'ok', message: expect.stringMatching(/once, before gate/) });
  });

  it('lint-staged twice (the project\'s line merged into the agent-gates script): a problem; the fix removes the second run', async () => {
    const r = repo();
    const tpl = readFileSync(join(PKG_ROOT, 'templates', 'hooks', 'pre-commit'), 'utf8');
    huskyWithLintStaged(r, `${tpl.split('\n')[0]}\nnpx lint-staged\n${tpl.split('\n').slice(1).join('\n')}`);
    await init(r, { hooks: 'husky' }); // the rest of the scaffold (this run already repairs it)
    r.write('.husky/pre-commit', `${tpl.split('\n')[0]}\nnpx lint-staged\n${tpl.split('\n').slice(1).join('\n')}`);
    const d = await doctor(r.dir);
    const ls = problems(d).find((c) => c.id === 'lint-staged');
    expect(ls?.message).toMatch(/runs 2 times per commit/);
    expect(fixOf(d)).toEqual(['gate init --hooks husky']);
    const rep = await init(r, { hooks: 'husky' });
    expect(rep.files.find((f) => f.path === '.husky/pre-commit')?.note).toMatch(/lint-staged ran twice/);
    expect(r.read('.husky/pre-commit')).toMatch(/^# npx lint-staged {3}# agent-gates \(gate init\)/m);
    expect(problems(await doctor(r.dir))).toEqual([]);
  });
});

describe('gate uninstall', () => {
  it('removes the hooks and the config init set, keeps .agents/ and the ledger; --purge removes those too', async () => {
    const { runUninstall } = await import('../../src/app/setup/uninstall.js');
    const r = repo();
    r.write('.gitignore', 'dist/\n');
    await init(r);
    const u = await runUninstall(openContext(r.dir));
    expect(Object.fromEntries(u.files.map((f) => [f.path, f.status]))).toEqual({ '.husky/pre-commit': 'removed', '.husky/post-commit': 'removed', '.husky/pre-merge-commit': 'removed' });
    expect(r.git('config', 'core.hooksPath').code).toBe(1);
    expect(r.git('config', 'notes.rewriteRef').code).toBe(1);
    expect(existsSync(join(r.dir, '.agents/gates.yaml'))).toBe(true);
    expect(readFileSync(join(r.commonDir(), 'agent-gates', 'ledger.jsonl'), 'utf8')).toMatch(/"event":"uninstall"/);
    expect(u.next.join('\n')).toContain('gate uninstall --purge');
    const p = await runUninstall(openContext(r.dir), { purge: true });
    expect(p.purged).toBe(true);
    expect(existsSync(join(r.dir, '.agents'))).toBe(false);
    expect(existsSync(join(r.dir, 'rules'))).toBe(false);
    expect(existsSync(join(r.commonDir(), 'agent-gates'))).toBe(false);
    expect(r.read('.gitignore')).toBe('dist/\n');
  });

  it('keeps a hook a person changed, and takes only its own line out of the project\'s hook', async () => {
    const { runUninstall } = await import('../../src/app/setup/uninstall.js');
    const r = repo();
    r.write('.husky/pre-commit', 'npm test\n');
    await init(r);
    r.write('.husky/post-commit', `${r.read('.husky/post-commit')}echo mine\n`);
    const u = await runUninstall(openContext(r.dir));
    expect(r.read('.husky/pre-commit')).toBe('npm test\n');
    expect(u.files.find((f) => f.path === '.husky/post-commit')).toMatchObject({ status: 'skipped' });
    expect(existsSync(join(r.dir, '.agents/hooks'))).toBe(false);
  });
});

describe('the text rules behind the idioms', () => {
  it.each([
    ['npx lint-staged', true],
    ['npx --no-install lint-staged', true],
    ['pnpm exec lint-staged', true],
    ['yarn lint-staged', true],
    ['./node_modules/.bin/lint-staged && sh .agents/hooks/pre-commit', true],
    ['lint-staged --concurrent false', true],
    ['echo "lint-staged is configured"', false],
    ['ag_ls=$(agent_gates_bin lint-staged) || {', false],
    ['"$ag_gate" check --hook pre-commit ${ag_ls:+--lint-staged "$ag_ls"}', false],
    ['npm test', false],
  ])('runsLintStaged(%j) is %s', (cmd, want) => {
    expect(runsLintStaged(cmd)).toBe(want);
  });

  it.each([
    ['sh .agents/hooks/pre-commit', 'pre-commit', true],
    ['sh .agents/hooks/pre-commit --after-lint-staged', 'pre-commit', true],
    ['x && sh ./.agents/hooks/pre-commit "$@"', 'pre-commit', true],
    ['sh .agents/hooks/pre-commit-extra', 'pre-commit', false],
    ['sh .agents/hooks/pre-merge-commit', 'pre-commit', false],
    ['./node_modules/.bin/gate check --hook pre-merge-commit', 'pre-merge-commit', true],
  ])('runsGateEntry(%j, %s) is %s', (cmd, hook, want) => {
    expect(runsGateEntry(cmd, hook)).toBe(want);
  });

  it('the entry passes arguments only for hooks git gives arguments to, and the lint-staged flag only to pre-commit', () => {
    expect(gateEntry('pre-commit', { afterLintStaged: true, args: '"$@"' })).toBe('sh .agents/hooks/pre-commit --after-lint-staged');
    expect(gateEntry('post-commit', { afterLintStaged: true, args: '"$@"' })).toBe('sh .agents/hooks/post-commit');
    expect(gateEntry('pre-push', { args: '{0}' })).toBe('sh .agents/hooks/pre-push {0}');
  });

  it('insertGateLine: after the last lint-staged line, else before a final exit; never changes a line', () => {
    expect(insertGateLine('#!/bin/sh\nnpx lint-staged\nnpm test\n', 'pre-commit').split('\n').slice(0, 4)).toEqual([
      '#!/bin/sh',
      'npx lint-staged',
      expect.stringMatching(/^sh \.agents\/hooks\/pre-commit --after-lint-staged \|\| exit 1 {3}# agent-gates \(gate init\)/),
      'npm test',
    ]);
    expect(insertGateLine('npm test\nexit 0\n', 'pre-commit')).toMatch(/^npm test\nsh \.agents\/hooks\/pre-commit \|\| exit 1 .*\nexit 0\n$/);
    expect(insertGateLine('echo hi\n', 'pre-push')).toMatch(/^echo hi\nsh \.agents\/hooks\/pre-push "\$@" \|\| exit 1 /);
  });

  it('repairDoubleLintStaged: flags our line, or comments out the project\'s line next to the merged template; else unchanged', () => {
    expect(repairDoubleLintStaged('npx lint-staged\nsh .agents/hooks/pre-commit || exit 1\n')).toBe('npx lint-staged\nsh .agents/hooks/pre-commit --after-lint-staged || exit 1\n');
    expect(repairDoubleLintStaged('npx lint-staged\nagent_gates_uses_lint_staged() {\n')).toMatch(/^# npx lint-staged {3}# agent-gates \(gate init\)/);
    expect(repairDoubleLintStaged('npm test\nsh .agents/hooks/pre-commit\n')).toBe('npm test\nsh .agents/hooks/pre-commit\n');
  });
});
