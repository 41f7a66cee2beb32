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
import { makeRepo, PKG_ROOT, type TempRepo } from '../helpers/repo.js';

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

  it('never overwrites a user hook without --force, says how, and doctor flags it', async () => {
    const r = repo();
    r.write('.husky/pre-commit', 'npm test\n');
    const rep = await init(r);
    const pre = rep.files.find((f) => f.path === '.husky/pre-commit')!;
    expect(pre.status).toBe('skipped');
    expect(pre.fix).toContain('gate init --force');
    expect(r.read('.husky/pre-commit')).toBe('npm test\n');
    const d = await doctor(r.dir);
    const hooks = problems(d).find((c) => c.id === 'hooks');
    expect(hooks?.details?.join('\n')).toContain('does not run `gate check --hook pre-commit`');
    const forced = await init(r, { force: true });
    expect(statusOf(forced)['.husky/pre-commit']).toBe('overwritten');
    expect(r.read('.husky/pre-commit')).toContain('check --hook pre-commit');
  });

  it('refuses to take over another tool\'s core.hooksPath without --force', async () => {
    const r = repo();
    r.gitOk('config', 'core.hooksPath', 'tools/hooks');
    await expect(init(r)).rejects.toThrow(GateError);
    await expect(init(r)).rejects.toThrow(/core\.hooksPath is set to "tools\/hooks"/);
    await init(r, { force: true });
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
