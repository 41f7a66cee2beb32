/**
 * Issue 14, approvals that travel, through the packed tarball (docs/ci.md "Approvals travel").
 * An author approves two steps of a rule change in a real terminal and pushes: the pre-push hook
 * pushes the notes. A teammate's clone that only ran `npm ci` rebases the approved commits (its
 * post-rewrite hook sets the clone up) and pushes; the documented CI recipe passes. The hosting
 * merge buttons, simulated with plain git by another identity and without notes (squash =
 * `git merge --squash` + commit, rebase = replay with a new committer, merge = a merge commit),
 * each pass the recipe run on the push to the target branch; a squash that slips in an unapproved
 * edit does not. A pull request from a fork passes once the recipe fetches the fork's notes.
 * Every base here pins the checker with one package-lock.json, the one the teammate's clone installs
 * with a real `npm ci` (checked by the second test): every run of either recipe copies that install
 * after comparing the lockfiles (test/helpers/ci.ts `reuse`) instead of running its own `npm ci`.
 * This file checks what the recipes decide, not how they install; the recipes' own
 * `npm ci --ignore-scripts` runs for real in ci-workflow.test.ts, which checks the install.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitScaffold, makeConsumer, type Consumer } from '../helpers/consumer.js';
import { makeTempDir, run, type RunResult } from '../helpers/repo.js';
import { startTty } from '../helpers/tty.js';
import { runGithubJob, runGitlabJob, type GithubEvent } from '../helpers/ci.js';

let c: Consumer;
let origin: string;
let fork: string;
let ciEnv: NodeJS.ProcessEnv;
let main0: string;
/** The teammate's clone (made by the second test). */
let teammate = '';
/** The install each recipe run copies (test/helpers/ci.ts `reuse`): the teammate's `npm ci` (second test). */
const installed: { github?: string; gitlab?: string } = {};
const github = (ev: GithubEvent, wf = workflow('.github/workflows/agent-gates.yml')): RunResult => {
  const r = runGithubJob(wf, origin, ev, ciEnv, installed.github);
  if (r.code === 0 || r.code === 1) installed.github ??= r.installDir;
  return r;
};
const gitlab = (vars: Record<string, string>): RunResult => {
  const r = runGitlabJob(workflow('.gitlab-ci.yml'), vars, ciEnv, installed.gitlab);
  if (r.code === 0 || r.code === 1) installed.gitlab ??= r.installDir;
  return r;
};
const EXPLAIN = ['explain', '--intent', 'tighten the review rule', '--alternative', 'leave it', '--blast-radius', 'agents reading rules/', '--reversibility', 'full', '--rollback', 'git revert'];

async function approve(dir: string): Promise<void> {
  const t = startTty([join(c.dir, 'node_modules', '.bin', 'gate'), 'approve'], { cwd: dir, env: c.env });
  try {
    const screen = await t.waitFor(/type ([A-Z0-9]{6})/);
    t.type(/type ([A-Z0-9]{6})/.exec(screen)![1]!);
    t.enter();
    expect(await t.exitCode()).toBe(0);
  } finally {
    t.kill();
  }
}

/** An approved commit of `content` in rules/checks.yaml through the real hooks of `dir`. */
async function approvedCommit(dir: string, content: string, message: string): Promise<string> {
  const g = (...a: string[]) => run('git', a, { cwd: dir, env: c.env });
  writeFileSync(join(dir, 'rules/checks.yaml'), content);
  expect(g('add', 'rules/checks.yaml').code).toBe(0);
  const ex = run(join(c.dir, 'node_modules', '.bin', 'gate'), EXPLAIN, { cwd: dir, env: c.env });
  expect(ex.code, ex.stderr).toBe(0);
  await approve(dir);
  const r = g('commit', '-q', '-m', message);
  expect(r.code, r.stderr).toBe(0);
  return g('rev-parse', 'HEAD').stdout.trim();
}

const git = (dir: string, ...a: string[]): RunResult => run('git', a, { cwd: dir, env: c.env });
const gitOk = (dir: string, ...a: string[]): string => {
  const r = git(dir, ...a);
  if (r.code !== 0) throw new Error(`git ${a.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};
const workflow = (path: string) => gitOk(c.dir, 'show', `${main0}:${path}`);
/** What a hosting merge button's commit looks like: another identity, no hooks, no notes. */
const HOST = { GIT_COMMITTER_NAME: 'GitHub', GIT_COMMITTER_EMAIL: 'noreply@github.com', GIT_AUTHOR_NAME: 'Contributor', GIT_AUTHOR_EMAIL: 'contributor@example.com' };
const hostGit = (dir: string, ...a: string[]) => {
  const r = run('git', ['-c', 'core.hooksPath=/dev/null', ...a], { cwd: dir, env: { ...c.env, ...HOST } });
  if (r.code !== 0) throw new Error(`git ${a.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};

beforeAll(async () => {
  // `gate init --ci <host>` is `gate init` plus the workflow: the first one scaffolds the repository
  c = makeConsumer({ lintStaged: false, init: false });
  for (const host of ['github', 'gitlab']) expect(c.gateBin(['init', '--ci', host]).code).toBe(0);
  c.write('rules/checks.yaml', 'checks: [lint]\n');
  commitScaffold(c);
  main0 = c.gitOk('rev-parse', 'HEAD');
  origin = join(makeTempDir('gate-travel-origin-'), 'origin.git');
  run('git', ['init', '-q', '--bare', origin], { env: c.env });
  run('git', ['symbolic-ref', 'HEAD', 'refs/heads/main'], { cwd: origin, env: c.env });
  c.gitOk('remote', 'add', 'origin', origin);
  c.gitOk('push', '-q', '--no-verify', 'origin', 'main');
  ciEnv = { ...c.env, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' };
  delete ciEnv.GATE_SESSION;

  // the author: two approved steps on a branch, pushed with the hooks
  c.gitOk('checkout', '-q', '-b', 'feature');
  await approvedCommit(c.dir, 'checks: [lint, test]\n', 'rules: run the tests');
  await approvedCommit(c.dir, 'checks: [lint, test, audit]\n', 'rules: before every commit');
  const push = git(c.dir, 'push', '-q', 'origin', 'feature');
  expect(push.code, push.stderr).toBe(0);
  expect(push.stderr).toContain('pushed the approval notes');
  // main moves on meanwhile (an unrelated change)
  c.gitOk('checkout', '-q', 'main');
  c.write('src/other.txt', 'other\n');
  c.gitOk('add', 'src/other.txt');
  expect(c.commit('-q', '-m', 'chore: other').code).toBe(0);
  expect(git(c.dir, 'push', '-q', 'origin', 'main').code).toBe(0);
}, 600_000);
afterAll(() => c?.cleanup());

describe('approvals travel from the packed tarball', { timeout: 600_000 }, () => {
  it("the author's clone is set up by its first hook run, and the pre-push pushed the notes", () => {
    expect(c.gitOk('config', '--get-all', 'remote.origin.fetch')).toContain('+refs/notes/agent-gates:refs/notes/remotes/origin/agent-gates');
    expect(git(origin, 'rev-parse', '--verify', 'refs/notes/agent-gates').code).toBe(0);
    expect(gitOk(origin, 'notes', '--ref', 'agent-gates', 'list').split('\n')).toHaveLength(2);
  });

  it('a second clone that only ran npm ci rebases the approved commits, and the CI recipe passes', () => {
    const b = join(makeTempDir('gate-travel-b-'), 'b');
    teammate = b;
    expect(run('git', ['clone', '-q', origin, b], { env: c.env }).code).toBe(0);
    gitOk(b, 'config', 'user.name', 'Teammate');
    gitOk(b, 'config', 'user.email', 'teammate@example.com');
    const ci = run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: b, env: ciEnv });
    expect(ci.code, ci.stderr).toBe(0);
    // the base's package-lock.json, installed for real: what every recipe run in this file copies
    installed.github ??= b;
    installed.gitlab ??= b;
    expect(gitOk(b, 'config', 'core.hooksPath')).toBe('.husky/_');
    expect(git(b, 'config', '--get', 'notes.rewriteRef').code).toBe(1); // git config is not cloned
    gitOk(b, 'checkout', '-q', 'feature');
    const rb = git(b, 'rebase', '-q', 'origin/main');
    expect(rb.code, rb.stderr).toBe(0);
    // the post-rewrite hook set the clone up
    expect(gitOk(b, 'config', '--get-all', 'notes.rewriteRef')).toContain('refs/notes/agent-gates');
    expect(gitOk(b, 'config', '--get-all', 'remote.origin.fetch')).toContain('refs/notes/remotes/origin/agent-gates');
    expect(git(b, 'fetch', '-q', 'origin').code).toBe(0);
    expect(git(b, 'rev-parse', '--verify', 'refs/notes/remotes/origin/agent-gates').code).toBe(0);
    const pushed = git(b, 'push', '-q', '-f', 'origin', 'feature');
    expect(pushed.code, pushed.stderr).toBe(0);
    const head = gitOk(b, 'rev-parse', 'HEAD');
    gitOk(origin, 'update-ref', 'refs/pull/2/head', head);
    const r = github({ kind: 'pull_request', base: gitOk(b, 'rev-parse', 'origin/main'), head, number: 2, headRepo: origin });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 commits checked, 0 violations/);
  });

  it('squash, rebase and merge buttons each pass the recipe on the push; an unapproved squash does not', () => {
    const h = join(makeTempDir('gate-travel-host-'), 'h');
    expect(run('git', ['clone', '-q', origin, h], { env: c.env }).code).toBe(0);
    const before = gitOk(h, 'rev-parse', 'origin/main');
    const land = (branch: string, make: () => void): RunResult => {
      hostGit(h, 'checkout', '-q', '-B', branch, before);
      make();
      hostGit(h, 'push', '-q', 'origin', `${branch}:refs/heads/${branch}`);
      const after = gitOk(h, 'rev-parse', 'HEAD');
      return github({ kind: 'push', before, sha: after, ref: `refs/heads/${branch}` });
    };
    const squash = land('main-squash', () => {
      hostGit(h, 'merge', '-q', '--squash', 'origin/feature');
      hostGit(h, 'commit', '-q', '-m', 'Review rules (#2)');
    });
    expect(squash.code, squash.stdout + squash.stderr).toBe(0);
    expect(squash.stdout).toMatch(/approved \(a chain of approved changes\)/);
    const rebase = land('main-rebase', () => {
      for (const commit of gitOk(h, 'rev-list', '--reverse', `${before}..origin/feature`).split('\n')) hostGit(h, 'cherry-pick', commit);
    });
    expect(rebase.code, rebase.stdout + rebase.stderr).toBe(0);
    const merge = land('main-merge', () => hostGit(h, 'merge', '-q', '--no-ff', '-m', 'Merge pull request #2', 'origin/feature'));
    expect(merge.code, merge.stdout + merge.stderr).toBe(0);
    const sneaky = land('main-sneaky', () => {
      hostGit(h, 'merge', '-q', '--squash', 'origin/feature');
      run('sh', ['-c', 'printf "skip: [test]\\n" >> rules/checks.yaml'], { cwd: h });
      hostGit(h, 'commit', '-q', '-a', '-m', 'Review rules (#2)');
    });
    expect(sneaky.code).toBe(1);
    expect(sneaky.stderr).toContain('C_UNAPPROVED');
    // GitLab's recipe on the push of the squash
    const gl = gitlab({ CI_PIPELINE_SOURCE: 'push', CI_COMMIT_BEFORE_SHA: before, CI_COMMIT_SHA: gitOk(origin, 'rev-parse', 'main-squash'), CI_COMMIT_BRANCH: 'main-squash', CI_REPOSITORY_URL: origin });
    expect(gl.code, gl.stdout + gl.stderr).toBe(0);
  });

  it("a pull request from a fork passes once the recipe fetches the fork's notes", async () => {
    fork = join(makeTempDir('gate-travel-fork-'), 'fork.git');
    expect(run('git', ['clone', '-q', '--bare', origin, fork], { env: c.env }).code).toBe(0);
    c.gitOk('remote', 'add', 'fork', fork);
    c.gitOk('checkout', '-q', '-b', 'fork-work', 'origin/main');
    const commit = await approvedCommit(c.dir, 'checks: [lint, fuzz]\n', 'rules: always');
    const p = git(c.dir, 'push', '-q', 'fork', 'fork-work');
    expect(p.code, p.stderr).toBe(0);
    // the host copies the pull request's commits (not its notes) into the base repository
    c.gitOk('push', '-q', '--no-verify', 'origin', `fork-work:refs/pull/3/head`);
    expect(gitOk(origin, 'notes', '--ref', 'agent-gates', 'list')).not.toContain(commit);
    const base = gitOk(origin, 'rev-parse', 'main');
    const wf = workflow('.github/workflows/agent-gates.yml');
    const withFork = github({ kind: 'pull_request', base, head: commit, number: 3, headRepo: fork }, wf);
    expect(withFork.code, withFork.stdout + withFork.stderr).toBe(0);
    const without = github({ kind: 'pull_request', base, head: commit, number: 3, headRepo: '' }, wf);
    expect(without.code).toBe(1);
    // GitLab: the merge request's source project
    gitOk(origin, 'update-ref', 'refs/merge-requests/3/head', commit);
    const gl2 = gitlab({ CI_PIPELINE_SOURCE: 'merge_request_event', CI_MERGE_REQUEST_DIFF_BASE_SHA: base, CI_COMMIT_SHA: commit, CI_MERGE_REQUEST_IID: '3', CI_REPOSITORY_URL: origin, CI_MERGE_REQUEST_SOURCE_PROJECT_URL: fork });
    expect(gl2.code, gl2.stdout + gl2.stderr).toBe(0);
  });

  it("the team's ledger (docs/gate-c.md): both clones publish to origin, and either one audits and reviews the whole team", () => {
    expect(teammate).not.toBe('');
    const gate = (dir: string, ...a: string[]) => run(join(dir, 'node_modules', '.bin', 'gate'), a, { cwd: dir, env: c.env });
    const local: number[] = [];
    for (const dir of [c.dir, teammate]) {
      const p = gate(dir, 'ledger', 'publish', '--json');
      expect(p.code, p.stderr).toBe(0);
      expect(['published', 'empty']).toContain(JSON.parse(p.stdout).status);
      local.push(JSON.parse(gate(dir, 'audit', 'verify', '--json').stdout).entries as number);
    }
    expect(git(origin, 'for-each-ref', 'refs/agent-gates/ledger/').stdout.trim().split('\n').length).toBe(local.filter((n) => n > 0).length);
    const v = gate(teammate, 'audit', 'verify', '--team', '--json');
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, remote: 'origin', entries: local[0]! + local[1]! });
    const r = gate(c.dir, 'review', '--team', '--since', '30d', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).ledger.entries).toBe(local[0]! + local[1]!);
    expect(gate(c.dir, 'ledger', 'pending', '--json').code).toBe(0);
  });
});
