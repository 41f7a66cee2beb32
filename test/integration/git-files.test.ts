import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, makeTempDir, run, type TempRepo } from '../helpers/repo.js';
import { headCommitFromFiles, locateFromFiles, shortBranchFromFiles } from '../../src/adapters/git-files.js';
import { Git } from '../../src/adapters/git.js';

/**
 * Reading the repository's location, HEAD and branch from git's files (no git process) must give
 * exactly git's answers, and must step aside (undefined / null) whenever the layout leaves doubt.
 * Every expectation here is git's own output for the same directory.
 */
describe('git-files: the repository from its files, checked against git', () => {
  const repos: TempRepo[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    for (const r of repos.splice(0)) r.cleanup();
    dirs.splice(0);
  });
  const repo = () => {
    const r = makeRepo();
    repos.push(r);
    return r;
  };
  const gitSays = (cwd: string, env: NodeJS.ProcessEnv) => {
    const r = run('git', ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-dir', '--git-common-dir'], { cwd, env });
    const [root, gitDir, commonDir] = r.stdout.trim().split('\n');
    const head = run('git', ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { cwd, env });
    const branch = run('git', ['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd, env });
    return {
      paths: { root, gitDir, commonDir },
      head: head.code === 0 ? head.stdout.trim() : undefined,
      branch: branch.code === 0 ? branch.stdout.trim() : undefined,
    };
  };
  const filesSay = (cwd: string, env: NodeJS.ProcessEnv) => {
    const loc = locateFromFiles(cwd, env);
    if (!loc) return undefined;
    return { paths: loc.paths, head: headCommitFromFiles(loc), branch: shortBranchFromFiles(loc.paths) };
  };
  const commit = (r: TempRepo, name: string) => {
    r.write(name, `${name}\n`);
    r.gitOk('add', name);
    r.gitOk('commit', '-q', '-m', name);
  };

  it('a plain repository: unborn branch, first commit, packed refs, detached HEAD', () => {
    const r = repo();
    expect(filesSay(r.dir, r.env)).toEqual(gitSays(r.dir, r.env));
    expect(filesSay(r.dir, r.env)!.head).toBeUndefined();
    commit(r, 'a');
    expect(filesSay(r.dir, r.env)).toEqual(gitSays(r.dir, r.env));
    r.gitOk('pack-refs', '--all');
    expect(filesSay(r.dir, r.env)).toEqual(gitSays(r.dir, r.env));
    commit(r, 'b'); // a loose ref again, newer than the packed one
    expect(filesSay(r.dir, r.env)).toEqual(gitSays(r.dir, r.env));
    r.gitOk('checkout', '-q', '--detach');
    const detached = filesSay(r.dir, r.env);
    expect(detached).toEqual(gitSays(r.dir, r.env));
    expect(detached!.branch).toBeUndefined();
    r.gitOk('checkout', '-q', '-b', 'feature/x');
    expect(filesSay(r.dir, r.env)).toEqual(gitSays(r.dir, r.env));
  });

  it('GIT_DIR as git sets it for a hook in a linked worktree (or the main one) gives git\'s answers', () => {
    const r = repo();
    commit(r, 'a');
    const wt = join(makeTempDir('gate-wt-'), 'wt');
    r.gitOk('worktree', 'add', '-q', '-b', 'side', wt);
    // what a hook sees: read it from a real pre-commit hook in that worktree
    const hookOut = join(makeTempDir('gate-hookenv-'), 'env');
    const hooksDir = join(r.dir, '.git', 'hooks');
    writeFileSync(join(hooksDir, 'pre-commit'), `#!/bin/sh\nprintf '%s' "$GIT_DIR" > ${JSON.stringify(hookOut)}\n`, { mode: 0o755 });
    writeFileSync(join(wt, 'b.txt'), 'b\n');
    run('git', ['add', 'b.txt'], { cwd: wt, env: r.env });
    expect(run('git', ['commit', '-q', '-m', 'b'], { cwd: wt, env: r.env }).code).toBe(0);
    const gitDirInHook = readFileSync(hookOut, 'utf8');
    expect(gitDirInHook).not.toBe('');
    const env = { ...r.env, GIT_DIR: gitDirInHook };
    const viaFiles = filesSay(wt, env);
    expect(viaFiles).toBeDefined();
    expect(viaFiles).toEqual(gitSays(wt, env));
    // and a relative GIT_DIR in the main worktree
    expect(filesSay(r.dir, { ...r.env, GIT_DIR: '.git' })).toEqual(gitSays(r.dir, { ...r.env, GIT_DIR: '.git' }));
  });

  it('a linked worktree and a path reached through a symlink', () => {
    const r = repo();
    commit(r, 'a');
    const wt = join(makeTempDir('gate-wt-'), 'wt');
    r.gitOk('worktree', 'add', '-q', '-b', 'side', wt);
    const fromWt = filesSay(wt, r.env);
    expect(fromWt).toEqual(gitSays(wt, r.env));
    expect(fromWt!.paths.commonDir).not.toBe(fromWt!.paths.gitDir);
    const link = join(makeTempDir('gate-link-'), 'link');
    symlinkSync(r.dir, link);
    expect(filesSay(link, r.env)).toEqual(gitSays(link, r.env));
  });

  it('steps aside when git must answer: subdirectory, moving env, core.worktree, includes, rival refs', () => {
    const r = repo();
    commit(r, 'a');
    mkdirSync(join(r.dir, 'sub'));
    expect(locateFromFiles(join(r.dir, 'sub'), r.env)).toBeUndefined();
    for (const k of ['GIT_WORK_TREE', 'GIT_COMMON_DIR', 'GIT_CONFIG_PARAMETERS', 'GIT_NAMESPACE']) {
      expect(locateFromFiles(r.dir, { ...r.env, [k]: join(r.dir, '.git') }), k).toBeUndefined();
    }
    // GIT_DIR naming another repository's git dir moves everything: git must answer
    const other = repo();
    expect(locateFromFiles(r.dir, { ...r.env, GIT_DIR: join(other.dir, '.git') })).toBeUndefined();
    expect(locateFromFiles(r.dir, r.env)).toBeDefined();
    r.gitOk('config', 'include.path', '/dev/null');
    expect(locateFromFiles(r.dir, r.env)).toBeUndefined();
    r.gitOk('config', '--unset', 'include.path');
    expect(locateFromFiles(r.dir, r.env)).toBeDefined();

    // a tag with the branch's name: git prints "heads/main", so the files must not answer
    r.gitOk('tag', 'main');
    const loc = locateFromFiles(r.dir, r.env)!;
    expect(shortBranchFromFiles(loc.paths)).toBeNull();
    expect(new Git(r.dir, r.env).currentBranch()).toBe(gitSays(r.dir, r.env).branch);
    expect(gitSays(r.dir, r.env).branch).toBe('heads/main');
    r.gitOk('pack-refs', '--all'); // the rival is now only in packed-refs
    expect(shortBranchFromFiles(loc.paths)).toBeNull();
    expect(new Git(r.dir, r.env).currentBranch()).toBe('heads/main');
  });

  it('a HEAD or ref the reader does not understand sends the question to git', () => {
    const r = repo();
    commit(r, 'a');
    // a symbolic ref stored in a loose ref file
    r.gitOk('symbolic-ref', 'refs/heads/alias', 'refs/heads/main');
    r.gitOk('symbolic-ref', 'HEAD', 'refs/heads/alias');
    const loc = locateFromFiles(r.dir, r.env)!;
    expect(headCommitFromFiles(loc)).toBeNull();
    // the adapter still gives git's answer (it asks git)
    const g = new Git(r.dir, r.env);
    expect(g.pathsAndHead().head).toBe(gitSays(r.dir, r.env).head);
    // not a work tree at all
    const plain = makeTempDir('gate-plain-');
    writeFileSync(join(plain, 'x'), 'x');
    expect(locateFromFiles(plain, r.env)).toBeUndefined();
  });

  it('the Git adapter gives the same paths and HEAD with or without the files reader', () => {
    const r = repo();
    commit(r, 'a');
    const viaFiles = new Git(r.dir, r.env).pathsAndHead();
    const viaGit = new Git(r.dir, { ...r.env, GIT_CONFIG_COUNT: '0' }).pathsAndHead(); // forces git
    expect(viaFiles).toEqual(viaGit);
    expect(viaFiles.head).toBe(gitSays(r.dir, r.env).head);
  });
});
