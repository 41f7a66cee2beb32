/**
 * The git adapter against real git: the index a hook sees under `commit -a` and
 * `commit <path>` (GIT_INDEX_FILE), awkward names, renames, the initial commit, binary files.
 */
import { chmodSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Git } from '../../src/adapters/git.js';
import { EMPTY_TREE } from '../../src/kernel/ids.js';
import { type FileChange } from '../../src/kernel/changes.js';
import { bundleEntry } from '../helpers/bundle.js';
import { makeRepo, type TempRepo } from '../helpers/repo.js';

let dumper = '';
beforeAll(async () => {
  dumper = await bundleEntry('test/helpers/procs/git-dump.ts');
});

const repos: TempRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

interface Dump {
  indexFile: string | null;
  tree: string;
  head: string | null;
  changes: FileChange[];
}

/** A repo whose pre-commit hook runs the real adapter and appends what it sees to a file. */
function hookedRepo(): { repo: TempRepo; dumps: () => Dump[] } {
  const repo = makeRepo();
  repos.push(repo);
  const out = join(repo.home, 'dump.jsonl');
  repo.write('.git/hooks/pre-commit', `#!/bin/sh\nexec "${process.execPath}" "${dumper}"\n`);
  chmodSync(join(repo.dir, '.git/hooks/pre-commit'), 0o755);
  repo.env.GATE_TEST_DUMP = out;
  return {
    repo,
    dumps: () => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Dump) : []),
  };
}

describe('write-tree and staged changes inside a real pre-commit hook', () => {
  it('sees the initial commit against the empty tree', () => {
    const { repo, dumps } = hookedRepo();
    repo.write('a.txt', 'a\n');
    repo.gitOk('add', 'a.txt');
    repo.gitOk('commit', '-q', '-m', 'first');
    const [d] = dumps();
    expect(d!.head).toBeNull();
    expect(d!.changes.map((c) => [c.status, c.path, c.oldBlob])).toEqual([['A', 'a.txt', '0'.repeat(40)]]);
    expect(d!.tree).toBe(repo.gitOk('rev-parse', 'HEAD^{tree}'));
  });

  it('honours GIT_INDEX_FILE under `commit -a`: the tree includes unstaged edits, not the staged version', () => {
    const { repo, dumps } = hookedRepo();
    repo.write('a.txt', 'v0\n');
    repo.gitOk('add', 'a.txt');
    repo.gitOk('commit', '-q', '-m', 'first');
    repo.write('a.txt', 'v1 staged\n');
    repo.gitOk('add', 'a.txt');
    const stagedTree = repo.gitOk('write-tree');
    repo.write('a.txt', 'v2 in the worktree only\n');
    repo.gitOk('commit', '-q', '-a', '-m', 'all');
    const d = dumps()[1]!;
    expect(d.indexFile).not.toBeNull();
    expect(d.tree).toBe(repo.gitOk('rev-parse', 'HEAD^{tree}'));
    expect(d.tree).not.toBe(stagedTree);
    expect(repo.gitOk('show', 'HEAD:a.txt')).toBe('v2 in the worktree only');
    expect(d.changes.map((c) => [c.status, c.path, c.added, c.deleted])).toEqual([['M', 'a.txt', 1, 1]]);
  });

  it('honours GIT_INDEX_FILE under `commit <path>`: only that path, other staged changes stay out', () => {
    const { repo, dumps } = hookedRepo();
    repo.write('a.txt', 'a\n');
    repo.write('b.txt', 'b\n');
    repo.gitOk('add', '.');
    repo.gitOk('commit', '-q', '-m', 'first');
    repo.write('a.txt', 'a2\n');
    repo.write('b.txt', 'b2\n');
    repo.gitOk('add', 'a.txt', 'b.txt');
    repo.gitOk('commit', '-q', '-m', 'only b', '--', 'b.txt');
    const d = dumps()[1]!;
    expect(d.indexFile).not.toBeNull();
    expect(d.indexFile).not.toMatch(/\/index$/);
    expect(d.changes.map((c) => c.path)).toEqual(['b.txt']);
    expect(d.tree).toBe(repo.gitOk('rev-parse', 'HEAD^{tree}'));
    // a.txt is still staged for the next commit
    expect(repo.gitOk('diff', '--cached', '--name-only')).toBe('a.txt');
  });
});

describe('staged changes in process', () => {
  it('reports names with spaces, unicode and newlines exactly (-z)', () => {
    const repo = makeRepo();
    repos.push(repo);
    const names = ['with space.txt', 'ünïcødé/ファイル.md', 'new\nline.txt', 'tab\there.txt', '"quoted".txt'];
    for (const n of names) repo.write(n, 'one line\n');
    repo.gitOk('add', '--', ...names);
    const changes = new Git(repo.dir).stagedChanges();
    expect(changes.map((c) => c.path).sort()).toEqual([...names].sort());
    expect(changes.every((c) => c.status === 'A' && c.added === 1 && c.deleted === 0)).toBe(true);
  });

  it('reports renames with the old path and similarity, and numstat for binary files as undefined', () => {
    const repo = makeRepo();
    repos.push(repo);
    const body = Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n');
    repo.write('old name.txt', `${body}\n`);
    repo.write('blob.bin', Buffer.from([0, 1, 2, 3, 0, 255, 0, 7]));
    repo.gitOk('add', '.');
    repo.gitOk('commit', '-q', '-m', 'first');
    repo.gitOk('mv', 'old name.txt', 'new näme.txt');
    repo.write('blob.bin', Buffer.from([0, 9, 9, 9, 0, 255, 0, 8]));
    repo.gitOk('add', '.');
    const g = new Git(repo.dir);
    const byPath = Object.fromEntries(g.stagedChanges().map((c) => [c.path, c]));
    expect(byPath['new näme.txt']).toMatchObject({ status: 'R', oldPath: 'old name.txt', similarity: 100, added: 0, deleted: 0 });
    expect(byPath['blob.bin']).toMatchObject({ status: 'M' });
    expect(byPath['blob.bin']!.added).toBeUndefined();
    expect(byPath['blob.bin']!.deleted).toBeUndefined();
  });

  it('diffs against the empty tree before the first commit, and writes the empty tree for an empty index', () => {
    const repo = makeRepo();
    repos.push(repo);
    const g = new Git(repo.dir);
    expect(g.head()).toBeUndefined();
    expect(g.stagedChanges()).toEqual([]);
    expect(g.writeTree()).toBe(EMPTY_TREE);
    repo.write('x', 'x\n');
    repo.gitOk('add', 'x');
    expect(g.stagedChanges().map((c) => c.status)).toEqual(['A']);
  });

  it('fails closed with a clear error outside a repository', () => {
    const repo = makeRepo({ init: false });
    repos.push(repo);
    expect(() => new Git(repo.dir).paths()).toThrow(/is not inside a git work tree/);
  });
});

describe('Git.head(): from git’s files when they leave no doubt, else from git', () => {
  it('answers as `git rev-parse --verify HEAD^{commit}` does: unborn, loose, packed, detached, a linked worktree, and asks git when in doubt', () => {
    const repo = makeRepo();
    repos.push(repo);
    const gitHead = (cwd: string) => {
      const r = repo.git('-C', cwd, 'rev-parse', '--verify', '--quiet', 'HEAD^{commit}');
      return r.code === 0 ? r.stdout.trim() : undefined;
    };
    // with no git on PATH, an answer can only have come from the files
    const noGit = (cwd: string) => new Git(cwd, { ...repo.env, PATH: '/nonexistent' }).head();
    expect(noGit(repo.dir)).toBeUndefined(); // unborn branch
    repo.write('a.txt', 'a\n');
    repo.gitOk('add', '-A');
    repo.gitOk('commit', '-q', '-m', 'one');
    expect(noGit(repo.dir)).toBe(gitHead(repo.dir)); // loose ref
    repo.gitOk('pack-refs', '--all');
    expect(noGit(repo.dir)).toBe(gitHead(repo.dir)); // packed ref
    repo.gitOk('checkout', '-q', '--detach');
    expect(noGit(repo.dir)).toBe(gitHead(repo.dir)); // detached
    repo.gitOk('checkout', '-q', 'main');
    const wt = join(repo.dir, '..', 'wt');
    repo.gitOk('worktree', 'add', '-q', '-b', 'side', wt);
    expect(noGit(wt)).toBe(gitHead(wt));
    // a symbolic ref inside refs/heads is a doubt: git answers (and without git, the call fails)
    repo.gitOk('symbolic-ref', 'refs/heads/alias', 'refs/heads/main');
    repo.gitOk('symbolic-ref', 'HEAD', 'refs/heads/alias');
    expect(new Git(repo.dir, repo.env).head()).toBe(gitHead(repo.dir));
    expect(() => noGit(repo.dir)).toThrow();
  });
});
