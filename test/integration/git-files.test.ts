import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, makeTempDir, run, type TempRepo } from '../helpers/repo.js';
import { headAndIndexFromFiles, headCommitFromFiles, indexEntryFromFile, locateFromFiles, shortBranchFromFiles } from '../../src/adapters/git-files.js';
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

/**
 * An index entry read from the index file (ADR 0025) must be git's own `ls-files -s` answer, in
 * every index version, and must step aside (undefined) for conflicts, intent-to-add and
 * skip-worktree entries, split and sparse indexes, symlinks and absent paths.
 */
describe('git-files: an index entry from the index file, checked against git', () => {
  const r = makeRepo({
    files: {
      '.agents/gates.yaml': 'version: 1\n',
      'a b/ü n.txt': 'unicode\n',
      // neighbours of the config in the index's sort order (the walk stops past the wanted name)
      '!first': '!\n',
      '.agents-x': 'x\n',
      '.agents/gates.yam': 'short\n',
      '.agents/gates.yaml.d/x': 'longer\n',
      'tools/run.sh': 'echo run\n',
      'z.txt': 'z\n',
    },
  });
  const index = () => join(r.dir, '.git', 'index');
  const gitSays = (path: string) => {
    const out = r.gitOk('ls-files', '-s', '-z', '--', path).split('\0').filter(Boolean);
    if (out.length !== 1) return undefined;
    const m = /^(\d+) ([0-9a-f]+) 0\t/.exec(out[0]!);
    return m ? { oid: m[2], mode: parseInt(m[1]!, 8) } : undefined;
  };
  // a name longer than 0xfff bytes (too long for the file system: staged only; the first test's reset drops it)
  const long = Array.from({ length: 22 }, (_, i) => `${i}`.padEnd(200, 'x')).join('/');
  r.gitOk('update-index', '--add', '--cacheinfo', `100644,${r.gitOk('hash-object', '-w', 'z.txt')},${long}`);
  const paths = ['.agents/gates.yaml', '!first', '.agents-x', '.agents/gates.yam', '.agents/gates.yaml.d/x', 'a b/ü n.txt', long, 'tools/run.sh', 'z.txt'];
  const same = (label: string) => {
    for (const p of paths) expect(indexEntryFromFile(index(), p), `${label}: ${p.slice(0, 40)}`).toEqual(gitSays(p));
  };

  it('versions 2, 3 and 4 give ls-files\' answers; an absent path is undefined', () => {
    r.gitOk('update-index', '--chmod=+x', 'tools/run.sh');
    for (const v of ['2', '3', '4', '2']) {
      r.gitOk('update-index', '--index-version', v);
      same(`v${v}`);
      expect(indexEntryFromFile(index(), 'nope.txt')).toBeUndefined();
      expect(indexEntryFromFile(index(), '.agents')).toBeUndefined();
    }
    expect(indexEntryFromFile(index(), 'tools/run.sh')!.mode).toBe(0o100755);
    r.write('.agents/gates.yaml', 'version: 1\n# staged\n');
    r.gitOk('add', '.agents/gates.yaml');
    for (const v of ['4', '3']) {
      r.gitOk('update-index', '--index-version', v);
      same(`staged v${v}`);
    }
    r.gitOk('reset', '-q', 'HEAD');
    r.gitOk('checkout', '-q', '--', '.agents/gates.yaml');
  });

  it('steps aside for intent-to-add, skip-worktree, conflicts, symlinks, a split or sparse index, a bad file', () => {
    r.write('new.txt', 'new\n');
    r.gitOk('add', '-N', 'new.txt');
    expect(indexEntryFromFile(index(), 'new.txt')).toBeUndefined();
    r.gitOk('rm', '-q', '--cached', 'new.txt');
    r.gitOk('update-index', '--skip-worktree', 'z.txt');
    expect(indexEntryFromFile(index(), 'z.txt')).toBeUndefined();
    expect(indexEntryFromFile(index(), 'tools/run.sh')).toEqual(gitSays('tools/run.sh')); // the rest still reads
    r.gitOk('update-index', '--no-skip-worktree', 'z.txt');
    // a conflict: three stages of z.txt
    const oid = gitSays('z.txt')!.oid;
    const info = `0 ${'0'.repeat(40)}\tz.txt\n100644 ${oid} 1\tz.txt\n100644 ${oid} 2\tz.txt\n100644 ${oid} 3\tz.txt\n`;
    expect(run('git', ['update-index', '--index-info'], { cwd: r.dir, env: r.env, input: info }).code).toBe(0);
    expect(indexEntryFromFile(index(), 'z.txt')).toBeUndefined();
    r.gitOk('reset', '-q', '--hard');
    expect(indexEntryFromFile(index(), 'z.txt')).toEqual(gitSays('z.txt'));
    // a symlink staged where the config was
    r.gitOk('rm', '-q', '--cached', 'z.txt');
    symlinkSync('tools/run.sh', join(r.dir, 'link'));
    r.gitOk('add', 'link');
    expect(gitSays('link')!.mode).toBe(0o120000);
    expect(indexEntryFromFile(index(), 'link')).toBeUndefined();
    r.gitOk('reset', '-q', '--hard');
    // split index: the entries live partly in a shared index (git answers while its file exists)
    r.gitOk('update-index', '--split-index');
    expect(indexEntryFromFile(index(), 'tools/run.sh')).toBeUndefined(); // no entries here, a `link` extension
    expect(headAndIndexFromFiles(r.dir, r.env)).toBeUndefined();
    r.gitOk('update-index', '--no-split-index');
    expect(headAndIndexFromFiles(r.dir, r.env)).toBeUndefined();
    for (const f of readdirSync(join(r.dir, '.git')).filter((n) => n.startsWith('sharedindex.'))) rmSync(join(r.dir, '.git', f));
    expect(headAndIndexFromFiles(r.dir, r.env)).toBeDefined();
    expect(indexEntryFromFile(index(), 'tools/run.sh')).toEqual(gitSays('tools/run.sh'));
    r.gitOk('config', 'index.sparse', 'true');
    expect(headAndIndexFromFiles(r.dir, r.env)).toBeUndefined();
    r.gitOk('config', '--unset', 'index.sparse');
    // not an index at all, a truncated one, a missing one
    const bad = join(makeTempDir('gate-index-'), 'index');
    writeFileSync(bad, readFileSync(index()).subarray(0, 100));
    expect(indexEntryFromFile(bad, 'tools/run.sh')).toBeUndefined();
    writeFileSync(bad, 'not an index');
    expect(indexEntryFromFile(bad, 'tools/run.sh')).toBeUndefined();
    expect(indexEntryFromFile(`${bad}-missing`, 'tools/run.sh')).toBeUndefined();
  });

  it('headAndIndexFromFiles: GIT_INDEX_FILE honoured; replace refs, grafts and sha256 send the question to git', () => {
    const head = r.gitOk('rev-parse', 'HEAD');
    expect(headAndIndexFromFiles(r.dir, r.env)).toMatchObject({ head, indexFile: index() });
    expect(headAndIndexFromFiles(r.dir, { ...r.env, GIT_INDEX_FILE: 'tmp-index' })!.indexFile).toBe(join(r.dir, 'tmp-index'));
    r.gitOk('replace', head, r.gitOk('commit-tree', '-m', 'other', `${head}^{tree}`));
    expect(headAndIndexFromFiles(r.dir, r.env)).toBeUndefined();
    r.gitOk('pack-refs', '--all');
    expect(headAndIndexFromFiles(r.dir, r.env)).toBeUndefined(); // only in packed-refs now
    r.gitOk('replace', '-d', head);
    r.gitOk('pack-refs', '--all');
    expect(headAndIndexFromFiles(r.dir, r.env)).toBeDefined();
    mkdirSync(join(r.dir, '.git', 'info'), { recursive: true });
    writeFileSync(join(r.dir, '.git', 'info', 'grafts'), `${head}\n`);
    expect(headAndIndexFromFiles(r.dir, r.env)).toBeUndefined();
    rmSync(join(r.dir, '.git', 'info', 'grafts'));
    const sha256 = makeRepo({ init: false });
    run('git', ['init', '-q', '--object-format=sha256', sha256.dir], { env: sha256.env });
    writeFileSync(join(sha256.dir, 'a'), 'a\n');
    sha256.gitOk('add', 'a');
    sha256.gitOk('-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-q', '-m', 'a');
    expect(locateFromFiles(sha256.dir, sha256.env)).toBeDefined();
    expect(headAndIndexFromFiles(sha256.dir, sha256.env)).toBeUndefined();
    expect(indexEntryFromFile(join(sha256.dir, '.git', 'index'), 'a')).toBeUndefined();
  });
});
