/**
 * Test helpers: temporary repositories with an isolated HOME and no inherited GIT_* or HUSKY
 * variables (tests may run inside a git hook), and a runner that never throws on non-zero exit.
 * `makeRepo({ files, hooks })` builds the usual fixture (files committed, plain git hooks that
 * run the built CLI) and removes itself when the test file ends (or the test, with
 * `cleanup: 'test'`): no test keeps a list of repositories to clean.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

export const PKG_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GATE_BIN = join(PKG_ROOT, 'bin', 'gate.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The process environment without git/husky/session variables, plus overrides. */
export function cleanEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // NODE_ENV: vitest sets it to "test", which a user's commands do not have (lint-staged picks another output for it)
    if (k.startsWith('GIT_') || k === 'HUSKY' || k.startsWith('GATE_') || k === 'NODE_OPTIONS' || k === 'NODE_ENV' || k.startsWith('VITEST') || k === 'FORCE_COLOR') continue;
    env[k] = v;
  }
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_DATE: undefined,
    NO_COLOR: '1',
    TZ: 'UTC',
    ...extra,
  };
}

export function run(cmd: string, args: readonly string[], opts: SpawnSyncOptions & { input?: string | Buffer } = {}): RunResult {
  const r = spawnSync(cmd, args as string[], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  // A child that exits without reading its input (e.g. a hook command that blocks at once) makes
  // writing that input fail with EPIPE; the child's own exit status is what the test asserts.
  const epipe = (r.error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE' && (r.status !== null || r.signal !== null);
  if (r.error && !epipe) throw r.error;
  return { code: r.status ?? (r.signal ? 128 : -1), stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

export interface TempRepo {
  dir: string;
  home: string;
  env: NodeJS.ProcessEnv;
  git(...args: string[]): RunResult;
  /** git that throws on failure and returns trimmed stdout. */
  gitOk(...args: string[]): string;
  gate(args: readonly string[], opts?: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string }): RunResult;
  /**
   * `gate <args>` in process (test/helpers/gate-in.ts): the same argv, output and exit code as
   * `gate`, without a node process. For tests that are not about the process boundary.
   * `binary: true` runs the binary instead (`gate`): the file's one real run of an exit code or shape.
   */
  gateIn(args: readonly string[], opts?: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; binary?: boolean }): Promise<RunResult>;
  write(path: string, content: string | Buffer): void;
  read(path: string): string;
  commonDir(): string;
  cleanup(): void;
}

export function makeTempDir(prefix = 'gate-test-'): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

/**
 * Clean-ups of repositories made outside a test (or with `cleanup: 'file'`), run when the file ends:
 * test/helpers/file-end.ts (a setup file, so it runs for every file even when a worker runs several
 * files and imports this module once) calls `runFileEnd` after each file.
 */
const atFileEnd: Array<() => void> = [];
export function runFileEnd(): void {
  for (const c of atFileEnd.splice(0)) c();
}

export interface RepoOptions {
  /** false: an empty directory, no `git init` (default true). */
  init?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Files to write (path → content) and commit as the first commit (`commit` names its message). */
  files?: Record<string, string | Buffer>;
  /** Message of the first commit (default "init"; only with `files`). */
  commit?: string;
  /** Plain git hooks (in the common dir's hooks/) that exec the built CLI: `gate check --hook <name>`. */
  hooks?: ReadonlyArray<'pre-commit' | 'post-commit'>;
  /**
   * When the repository is removed: 'file' (default) when the test file ends, 'test' when the
   * current test finishes (outside a test: when the file ends), 'manual' only by `cleanup()`.
   */
  cleanup?: 'file' | 'test' | 'manual';
}

/**
 * A copy of `from` (its work tree and .git, symlinks as written) as a new repository with a HOME of
 * its own (`home: true`: a copy of `from`'s HOME too): the way a test file builds an expensive fixture
 * once and gives each test its own. Cleaned up like `makeRepo`'s (`cleanup`, default when the file ends).
 */
export function copyRepo(from: TempRepo, opts: Pick<RepoOptions, 'cleanup'> & { home?: boolean } = {}): TempRepo {
  const repo = makeRepo({ init: false, cleanup: opts.cleanup });
  cpSync(from.dir, repo.dir, { recursive: true, verbatimSymlinks: true });
  if (opts.home) cpSync(from.home, repo.home, { recursive: true, verbatimSymlinks: true });
  return repo;
}

/** The hook script `makeRepo({ hooks })` installs. */
export function gateHookScript(hook: string): string {
  return `#!/bin/sh\nexec "${process.execPath}" "${GATE_BIN}" check --hook ${hook}\n`;
}

export function makeRepo(opts: RepoOptions = {}): TempRepo {
  const base = makeTempDir();
  const home = join(base, 'home');
  const dir = join(base, 'repo');
  mkdirSync(home, { recursive: true });
  mkdirSync(dir, { recursive: true });
  const env = cleanEnv(home, opts.env);
  const git = (...args: string[]) => run('git', args, { cwd: dir, env });
  const gitOk = (...args: string[]) => {
    const r = git(...args);
    if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout.trim();
  };
  if (opts.init !== false) {
    gitOk('init', '-q', '-b', 'main');
    // the identity, written into the new repository's config file (three `git config` processes less)
    // maintenance.auto off: git starts `git maintenance run --auto` after every commit, merge and
    // rebase, one git process each time, and a test repository never has anything to pack
    appendFileSync(join(dir, '.git', 'config'), '[user]\n\tname = Test Human\n\temail = human@example.com\n[commit]\n\tgpgsign = false\n[maintenance]\n\tauto = false\n');
  }
  const cleanup = () => rmSync(base, { recursive: true, force: true });
  const when = opts.cleanup ?? 'file';
  if (when === 'test') {
    try {
      onTestFinished(cleanup);
    } catch {
      atFileEnd.push(cleanup); // not inside a test
    }
  } else if (when === 'file') atFileEnd.push(cleanup);
  if (opts.files) {
    for (const [path, content] of Object.entries(opts.files)) {
      const p = join(dir, path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
    }
    gitOk('add', '-A');
    gitOk('commit', '-q', '-m', opts.commit ?? 'init');
  }
  if (opts.hooks?.length) {
    const hooksDir = join(opts.init === false ? resolve(dir, gitOk('rev-parse', '--git-common-dir')) : join(dir, '.git'), 'hooks');
    mkdirSync(hooksDir, { recursive: true });
    for (const h of opts.hooks) writeFileSync(join(hooksDir, h), gateHookScript(h), { mode: 0o755 });
  }
  const spawnGate: TempRepo['gate'] = (args, o = {}) =>
    run(process.execPath, [GATE_BIN, ...args], { cwd: o.cwd ?? dir, env: { ...env, ...(o.env ?? {}) }, input: o.input ?? '' });
  return {
    dir,
    home,
    env,
    git,
    gitOk,
    gate: spawnGate,
    gateIn: async (args, o = {}) =>
      o.binary ? spawnGate(args, o) : (await import('./gate-in.js')).gateIn(args, o.cwd ?? dir, { ...env, ...(o.env ?? {}) }, o.input ?? '', () => spawnGate(args, o)),
    write(path, content) {
      const p = join(dir, path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
    },
    read: (path) => readFileSync(join(dir, path), 'utf8'),
    commonDir: () => resolve(dir, gitOk('rev-parse', '--git-common-dir')),
    cleanup,
  };
}
