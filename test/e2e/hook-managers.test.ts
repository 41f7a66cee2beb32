/**
 * E2E: `gate init` beside each hook manager, from the packed tarball, driven by real commits and
 * merges. One consumer has the tarball with husky, lint-staged, lefthook and simple-git-hooks (a
 * copy of the shared installed template: one real npm install per build); each project below is its
 * own git repository sharing those node_modules (a symlink), set up the way that manager's users do,
 * with a commit-msg rule of its own. For each:
 *  - after `gate init`, the project's commit-msg hook still rejects a bad message (nothing of the
 *    project's was switched off) and `gate doctor` is healthy;
 *  - a gated change is blocked at pre-commit; a clean merge of an unapproved branch is blocked at
 *    pre-merge-commit;
 *  - `gate uninstall` leaves the manager working (commit-msg still rejects) and the gates gone.
 * pre-commit (the Python framework) must be on PATH (.ci/run installs it).
 */
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeConsumer, type Consumer } from '../helpers/consumer.js';
import { makeRepo, run, type RunResult, type TempRepo } from '../helpers/repo.js';
import { startTty } from '../helpers/tty.js';

/**
 * A commit-msg rule: conventional commits only. The project's own rule, not what is under test, so
 * a shell script: node would start once more on every commit (about 0.15 CPU-s each, 22 times here).
 */
const COMMITLINT = `#!/bin/sh
first=$(head -n 1 "$1")
printf '%s\\n' "$first" | grep -Eq '^(feat|fix|chore|docs|test)(\\(.+\\))?: ' && exit 0
echo "commitlint: bad message: $first" >&2
exit 1
`;
/** The project's lint-staged task on *.txt (a shell script for the same reason): trims trailing whitespace. */
const FORMAT = `#!/bin/sh
for f in "$@"; do sed -i -e 's/[[:blank:]]*$//' "$f"; done
`;

/** Each case makes a dozen real commits through node hooks; a loaded CI machine needs more than the default. */
const CASE_TIMEOUT = 240_000;

let base: Consumer;
const repos: TempRepo[] = [];

beforeAll(() => {
  // lefthook and simple-git-hooks beside husky and lint-staged: one real npm install per build, copied
  base = makeConsumer({ init: false, devDependencies: ['lefthook@2', 'simple-git-hooks@2'] });
}, 300_000);
afterAll(() => {
  for (const r of repos.splice(0)) r.cleanup();
  base?.cleanup();
});

interface Project extends TempRepo {
  gateBin(args: readonly string[]): RunResult;
  commit(...args: string[]): RunResult;
}

/** A project with the shared node_modules, package.json `pkg`, files, and a first commit. */
function project(pkg: Record<string, unknown>, files: Record<string, string>): Project {
  const r = makeRepo();
  repos.push(r);
  symlinkSync(join(base.dir, 'node_modules'), join(r.dir, 'node_modules'));
  r.write('package.json', `${JSON.stringify({ name: 'p', version: '1.0.0', private: true, ...pkg }, null, 2)}\n`);
  r.write('.gitignore', 'node_modules\n');
  r.write('scripts/commitlint.sh', COMMITLINT);
  r.write('scripts/format.sh', FORMAT);
  r.write('README.txt', 'hello\n');
  for (const [p, t] of Object.entries(files)) r.write(p, t);
  r.gitOk('add', '-A');
  r.gitOk('commit', '-q', '--no-verify', '-m', 'chore: start');
  const env = r.env;
  const common = r.commonDir(); // it does not change: one git process, not one per call
  return {
    ...r,
    commonDir: () => common,
    gateBin: (args) => run(join(r.dir, 'node_modules', '.bin', 'gate'), args, { cwd: r.dir, env, input: '' }),
    commit: (...args) => run('git', ['commit', ...args], { cwd: r.dir, env, input: '' }),
  };
}

function bin(p: Project, name: string, args: readonly string[] = []): RunResult {
  return run(join(p.dir, 'node_modules', '.bin', name), args, { cwd: p.dir, env: p.env, input: '' });
}

function initAndAdopt(p: Project, args: readonly string[] = []): Record<string, any> {
  const r = p.gateBin(['init', '--json', ...args]);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  // the scaffold is a gate-control change; a realistic "already adopted" repository has it committed
  p.gitOk('add', '-A');
  p.gitOk('commit', '--no-verify', '-q', '-m', 'chore: add agent-gates (bootstrap)');
  return JSON.parse(r.stdout) as Record<string, any>;
}

function doctor(p: Project): { code: number; json: Record<string, any> } {
  const r = p.gateBin(['doctor', '--json']);
  return { code: r.code, json: JSON.parse(r.stdout) as Record<string, any> };
}

const problems = (d: { json: Record<string, any> }) => (d.json.checks as Array<{ status: string; title: string; message: string; details?: string[]; fix?: string }>).filter((c) => c.status === 'problem');

/** The checks every manager passes: commit-msg kept, gated commit blocked, unapproved merge blocked. */
function gatesHold(p: Project, opts: { keepMerge?: boolean } = {}): void {
  // the project's own commit-msg rule still runs
  p.write('README.txt', 'hello again\n');
  p.gitOk('add', 'README.txt');
  const bad = p.commit('-q', '-m', 'bad message');
  expect(bad.code, bad.stdout + bad.stderr).not.toBe(0);
  expect(bad.stdout + bad.stderr).toMatch(/commitlint: bad message/);
  const good = p.commit('-q', '-m', 'docs: readme');
  expect(good.code, good.stdout + good.stderr).toBe(0);
  // a gated change (an agent rule, DOUBLE_CONFIRM) without an approval is blocked at pre-commit
  p.write('rules/gate-locks.md', `${p.read('rules/gate-locks.md')}\nAgents may skip leases.\n`);
  p.gitOk('add', 'rules/gate-locks.md');
  const gated = p.commit('-q', '-m', 'docs: relax the lease rule');
  expect(gated.code, gated.stdout + gated.stderr).not.toBe(0);
  expect(gated.stderr + gated.stdout).toMatch(/agent-gates: commit blocked/);
  p.gitOk('reset', '-q', '--hard');
  // a branch that bypassed the hooks, merged without conflicts: pre-merge-commit blocks the merge commit
  p.gitOk('checkout', '-q', '-b', 'feature');
  p.write('rules/gate-locks.md', `${p.read('rules/gate-locks.md')}\nLeases are optional.\n`);
  p.gitOk('add', 'rules/gate-locks.md');
  p.gitOk('commit', '-q', '--no-verify', '-m', 'docs: leases optional');
  p.gitOk('checkout', '-q', 'main');
  const head = p.gitOk('rev-parse', 'HEAD');
  const merge = p.git('merge', '--no-ff', '--no-edit', 'feature');
  expect(merge.code, merge.stdout + merge.stderr).not.toBe(0);
  expect(merge.stderr + merge.stdout).toMatch(/merge commit blocked/);
  expect(p.gitOk('rev-parse', 'HEAD')).toBe(head);
  if (!opts.keepMerge) p.gitOk('merge', '--abort');
}

/** The documented way on: the stopped merge stays staged; explain it, a person approves (both steps), `git commit` concludes it. */
async function approveAndConcludeMerge(p: Project): Promise<void> {
  const ex = p.gateBin(['explain', '--intent', 'merge the feature', '--alternative', 'leave it out', '--blast-radius', 'agent rules', '--reversibility', 'revert the merge', '--rollback', 'git revert -m 1 HEAD']);
  expect(ex.code, ex.stderr).toBe(0);
  const t = startTty([join(p.dir, 'node_modules', '.bin', 'gate'), 'approve'], { cwd: p.dir, env: p.env });
  try {
    for (let step = 0; step < 2; step++) {
      const screen = await t.waitFor(step === 0 ? /step 1 of 2\D+type ([A-Z0-9]{6})/ : /step 2 of 2\D+type ([A-Z0-9]{6})/);
      t.type(/type ([A-Z0-9]{6})[^\n]*$/.exec(screen.trimEnd())![1]!);
      t.enter();
    }
    expect(await t.exitCode()).toBe(0);
  } finally {
    t.kill();
  }
  const c = p.commit('-q', '-m', 'chore: merge feature');
  expect(c.code, c.stdout + c.stderr).toBe(0);
  expect(p.gitOk('rev-list', '--parents', '-n', '1', 'HEAD').split(' ')).toHaveLength(3);
}

/** After `gate uninstall`: the manager's commit-msg still rejects, the gates are gone, .agents/ and the ledger stay. */
function uninstalledKeepsManager(p: Project): Record<string, any> {
  const u = p.gateBin(['uninstall', '--json']);
  expect(u.code, u.stderr + u.stdout).toBe(0);
  const rep = JSON.parse(u.stdout) as Record<string, any>;
  expect(existsSync(join(p.dir, '.agents', 'gates.yaml'))).toBe(true);
  expect(existsSync(join(p.commonDir(), 'agent-gates', 'ledger.jsonl'))).toBe(true);
  expect(existsSync(join(p.dir, '.agents', 'hooks'))).toBe(false);
  expect(p.git('config', 'notes.rewriteRef').code).not.toBe(0);
  p.write('README.txt', 'after uninstall\n');
  p.gitOk('add', '-A'); // the removal itself (pre-commit refuses to run with its config unstaged)
  const bad = p.commit('-q', '-m', 'bad message');
  expect(bad.code, bad.stdout + bad.stderr).not.toBe(0);
  expect(bad.stdout + bad.stderr).toMatch(/commitlint: bad message/);
  // the gates no longer run: a gated change commits (CI's range check is what remains)
  p.write('rules/gate-locks.md', `${p.read('rules/gate-locks.md')}\nAfter uninstall.\n`);
  p.gitOk('add', '-A');
  const c = p.commit('-q', '-m', 'docs: after uninstall');
  expect(c.code, c.stdout + c.stderr).toBe(0);
  expect(c.stderr).not.toMatch(/agent-gates/);
  return rep;
}

describe('gate init beside each hook manager (packed tarball)', () => {
  it('husky + lint-staged: one line added to the project\'s own pre-commit, after lint-staged; lint-staged runs once', () => {
    const p = project(
      { scripts: { prepare: 'husky' }, devDependencies: { husky: '^9' }, 'lint-staged': { '*.txt': 'sh scripts/format.sh' } },
      { '.husky/pre-commit': 'lint-staged\n', '.husky/commit-msg': 'sh scripts/commitlint.sh "$1"\n' },
    );
    expect(bin(p, 'husky').code).toBe(0);
    const init = initAndAdopt(p);
    expect(init.hooks.manager).toBe('husky');
    const pre = p.read('.husky/pre-commit');
    expect(pre.split('\n')[0]).toBe('lint-staged');
    expect(pre.split('\n')[1]).toMatch(/^sh \.agents\/hooks\/pre-commit --after-lint-staged/);
    expect(p.read('.husky/commit-msg')).toBe('sh scripts/commitlint.sh "$1"\n');
    const d = doctor(p);
    expect(problems(d), JSON.stringify(d.json.checks)).toEqual([]);
    expect(d.json.checks.find((c: { id: string }) => c.id === 'lint-staged').message).toMatch(/once, before gate/);
    // the formatter still runs (once) and its result is what is committed
    p.write('notes.txt', 'trailing   \n');
    p.gitOk('add', 'notes.txt');
    expect(p.commit('-q', '-m', 'docs: notes').code).toBe(0);
    expect(p.gitOk('show', 'HEAD:notes.txt')).toBe('trailing');
    gatesHold(p);
    const u = uninstalledKeepsManager(p);
    expect(p.read('.husky/pre-commit')).toBe('lint-staged\n');
    expect(u.files.map((f: { path: string }) => f.path)).toContain('.husky/post-commit');
    expect(p.gitOk('config', 'core.hooksPath')).toBe('.husky/_'); // husky's own, kept
  }, CASE_TIMEOUT);

  it('lefthook: a command in lefthook.yml, commit-msg untouched; doctor sees core.hooksPath hiding lefthook, and its fix is init\'s', () => {
    const p = project(
      {},
      { 'lefthook.yml': '# the project\'s hooks\ncommit-msg:\n  commands:\n    commitlint:\n      run: sh scripts/commitlint.sh {1}\n' },
    );
    expect(bin(p, 'lefthook', ['install']).code).toBe(0);
    // what an earlier gate did on a lefthook project: core.hooksPath=.husky, lefthook's hooks silently off
    p.gitOk('config', 'core.hooksPath', '.husky');
    let d = doctor(p);
    const shadow = problems(d).find((c) => c.title === 'shadowed hooks');
    expect(shadow?.message).toMatch(/commit-msg: lefthook/);
    expect(shadow?.fix).toMatch(/^gate init --hooks lefthook/);
    const init = initAndAdopt(p, shadow!.fix!.split(/\s{2,}/)[0]!.split(' ').slice(2));
    expect(init.hooks.manager).toBe('lefthook');
    expect(p.git('config', 'core.hooksPath').code).not.toBe(0);
    const cfg = p.read('lefthook.yml');
    expect(cfg).toMatch(/^# the project's hooks\ncommit-msg:\n {2}commands:\n {4}commitlint:/);
    expect(cfg).toMatch(/pre-merge-commit:\n {2}commands:\n {4}zz-agent-gates:\n {6}run: sh \.agents\/hooks\/pre-merge-commit/);
    d = doctor(p);
    expect(problems(d), JSON.stringify(d.json.checks)).toEqual([]);
    gatesHold(p);
    uninstalledKeepsManager(p);
    expect(p.read('lefthook.yml')).not.toMatch(/agent-gates/);
    expect(p.read('lefthook.yml')).toMatch(/commitlint/);
  }, CASE_TIMEOUT);

  it('pre-commit (the Python framework): a repo: local hook, installed hook types kept', () => {
    const p = project(
      {},
      {
        '.pre-commit-config.yaml':
          'default_install_hook_types: [pre-commit, commit-msg]\nrepos:\n  - repo: local\n    hooks:\n      - id: commitlint\n        name: commitlint\n        entry: sh scripts/commitlint.sh\n        language: system\n        stages: [commit-msg]\n',
      },
    );
    const pc = run('pre-commit', ['install'], { cwd: p.dir, env: p.env });
    expect(pc.code, `pre-commit must be installed (apt-get install pre-commit): ${pc.stderr}`).toBe(0);
    const init = initAndAdopt(p);
    expect(init.hooks.manager).toBe('pre-commit');
    const cfg = p.read('.pre-commit-config.yaml');
    expect(cfg).toMatch(/id: commitlint/);
    expect(cfg).toMatch(/id: agent-gates-pre-merge-commit/);
    expect(cfg).toMatch(/default_install_hook_types:\s*\[\s*pre-commit,\s*commit-msg,\s*post-commit,\s*pre-merge-commit,\s*post-rewrite,\s*pre-push\s*\]/);
    const d = doctor(p);
    expect(problems(d), JSON.stringify(d.json.checks)).toEqual([]);
    gatesHold(p);
    uninstalledKeepsManager(p);
    expect(p.read('.pre-commit-config.yaml')).not.toMatch(/agent-gates/);
  }, CASE_TIMEOUT);

  it('simple-git-hooks: entries in package.json after the project\'s commands', () => {
    const p = project({ 'simple-git-hooks': { 'pre-commit': './node_modules/.bin/lint-staged', 'commit-msg': 'sh scripts/commitlint.sh "$1"' }, 'lint-staged': { '*.txt': 'sh scripts/format.sh' } }, {});
    expect(bin(p, 'simple-git-hooks').code).toBe(0);
    const init = initAndAdopt(p);
    expect(init.hooks.manager).toBe('simple-git-hooks');
    const sgh = (JSON.parse(p.read('package.json')) as Record<string, Record<string, string>>)['simple-git-hooks']!;
    expect(sgh['pre-commit']).toBe('./node_modules/.bin/lint-staged && sh .agents/hooks/pre-commit --after-lint-staged');
    expect(sgh['commit-msg']).toBe('sh scripts/commitlint.sh "$1"');
    const d = doctor(p);
    expect(problems(d), JSON.stringify(d.json.checks)).toEqual([]);
    gatesHold(p);
    uninstalledKeepsManager(p);
    const after = (JSON.parse(p.read('package.json')) as Record<string, Record<string, string>>)['simple-git-hooks']!;
    expect(after).toEqual({ 'pre-commit': './node_modules/.bin/lint-staged', 'commit-msg': 'sh scripts/commitlint.sh "$1"' });
  }, CASE_TIMEOUT);

  it('no manager, hand-written .git/hooks: wrappers chain to them; an approved merge concludes; uninstall puts them back', async () => {
    const p = project({}, {});
    const hook = join(p.commonDir(), 'hooks', 'commit-msg');
    p.write('.git/hooks/commit-msg', '#!/bin/sh\nexec sh scripts/commitlint.sh "$1"\n');
    p.write('.git/hooks/pre-commit', '#!/bin/sh\necho "$(date +%s)" >> .git/own-pre-commit-ran\n');
    run('chmod', ['+x', hook, join(p.commonDir(), 'hooks', 'pre-commit')]);
    const original = readFileSync(hook, 'utf8');
    const ownPre = readFileSync(join(p.commonDir(), 'hooks', 'pre-commit'), 'utf8');
    const init = initAndAdopt(p, ['--hooks', 'git']);
    expect(init.hooks.manager).toBe('git');
    expect(p.git('config', 'core.hooksPath').code).not.toBe(0);
    expect(readFileSync(hook, 'utf8')).toBe(original); // not one of gate's hooks: untouched
    expect(readFileSync(join(p.commonDir(), 'hooks', 'pre-commit.agent-gates-chained'), 'utf8')).toBe(ownPre);
    const d = doctor(p);
    expect(problems(d), JSON.stringify(d.json.checks)).toEqual([]);
    gatesHold(p, { keepMerge: true });
    await approveAndConcludeMerge(p);
    expect(existsSync(join(p.commonDir(), 'own-pre-commit-ran'))).toBe(true); // the chained hook ran
    const u = uninstalledKeepsManager(p);
    expect(u.files.find((f: { path: string }) => f.path.endsWith('hooks/pre-commit'))?.status).toBe('restored');
    expect(readFileSync(join(p.commonDir(), 'hooks', 'pre-commit'), 'utf8')).toBe(ownPre);
    expect(existsSync(join(p.commonDir(), 'hooks', 'pre-merge-commit'))).toBe(false);
  }, CASE_TIMEOUT);
});
