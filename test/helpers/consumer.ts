/**
 * E2E helpers: pack this package (once per build, shared by every test file and worker), and
 * create consumer repositories that install the tarball with real husky and lint-staged. The
 * install is one real `npm install` per build and kind of consumer, whose tree each consumer
 * copies (a copy, not links: tests may edit node_modules); `freshInstall` runs npm in the repo.
 *
 *   const c = makeConsumer();                 // git repo + package.json + npm install + gate init
 *   c.write('a.txt', 'x'); c.gitOk('add', 'a.txt');
 *   const r = c.commit('-m', 'msg');          // a real `git commit` through the hooks
 *   c.gateBin(['doctor', '--json']);          // the INSTALLED binary (node_modules/.bin/gate)
 *
 * Gate A/B/ADR engineers: build on makeConsumer(); keep tests on real commits.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { copyRepo, makeRepo, makeTempDir, PKG_ROOT, run, type RepoOptions, type RunResult, type TempRepo } from './repo.js';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The npm cache the developer's `npm ci` warmed (tests isolate HOME, so name it explicitly). */
function npmCache(): string {
  const fromEnv = process.env.npm_config_cache;
  if (fromEnv) return fromEnv;
  const r = run(NPM, ['config', 'get', 'cache'], { env: process.env });
  const out = r.stdout.trim();
  return out || join(process.env.HOME ?? tmpdir(), '.npm');
}
let cacheDir: string | undefined;

function npmEnv(home: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  cacheDir ??= npmCache();
  return { ...base, HOME: home, npm_config_cache: cacheDir, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

/** Hash of everything `npm pack` ships, so a rebuilt dist packs anew. */
function packFingerprint(): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    const p = join(PKG_ROOT, rel);
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) walk(join(rel, e));
    } else {
      h.update(rel).update('\0').update(readFileSync(p)).update('\0');
    }
  };
  for (const f of ['package.json', 'assets', 'bin', 'dist', 'rules', 'templates', 'schema', 'README.md', 'LICENSE']) walk(f);
  return h.digest('hex').slice(0, 16);
}

let fingerprint: string | undefined;
let tarballPath: string | undefined;
/**
 * `npm pack` this package into a temp dir, once per distinct build: cached under
 * $TMPDIR/agent-gates-e2e-pack/<fingerprint>/ so parallel test files share one tarball.
 */
export function packTarball(): string {
  if (tarballPath && existsSync(tarballPath)) return tarballPath;
  if (!existsSync(join(PKG_ROOT, 'dist', 'program.js'))) throw new Error('dist/ is missing: run `npm run build` before the e2e tests (npm test does)');
  const base = join(tmpdir(), 'agent-gates-e2e-pack');
  const dir = join(base, (fingerprint ??= packFingerprint()));
  const done = join(dir, 'tarball');
  if (existsSync(done)) return (tarballPath = readFileSync(done, 'utf8').trim());
  mkdirSync(base, { recursive: true });
  const tmp = makeTempDir('gate-pack-');
  const r = run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: PKG_ROOT, env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (r.code !== 0) throw new Error(`npm pack failed (${r.code}): ${r.stderr}`);
  const name = (JSON.parse(r.stdout) as Array<{ filename: string }>)[0]!.filename;
  writeFileSync(join(tmp, 'tarball'), join(dir, name));
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another worker won the race: use its tarball
  }
  return (tarballPath = readFileSync(done, 'utf8').trim());
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * The installed tree of one kind of consumer (the tarball, with or without husky and lint-staged,
 * local or global), made by ONE real `npm install` per build and test run, shared by every test
 * file and worker: $TMPDIR/agent-gates-e2e-<kind>-<fingerprint>/. `install(dir)` fills `dir`;
 * the directory sits at the same depth below $TMPDIR as a makeRepo() base, so the relative
 * `file:../../agent-gates-e2e-pack/...` specifier npm writes into package.json and the lock file
 * stays right when the tree is copied into a consumer. Parallel workers wait for the first one.
 */
function installedTemplate(kind: string, install: (dir: string) => void): string {
  packTarball();
  const final = join(tmpdir(), `agent-gates-e2e-${kind}-${fingerprint!}`);
  const ready = join(final, '.ready');
  const lock = `${final}.lock`;
  for (let waited = 0; !existsSync(ready); waited += 200) {
    try {
      mkdirSync(lock);
    } catch {
      // another worker is installing: wait for it (a lock older than 5 minutes is a dead worker's)
      const stale = existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000;
      if (stale) rmSync(lock, { recursive: true, force: true });
      else sleep(200);
      if (waited < 600_000) continue;
      throw new Error(`waited 10 minutes for ${lock}`);
    }
    const tmp = makeTempDir(`agent-gates-e2e-${kind}-build-`);
    try {
      install(tmp);
      writeFileSync(join(tmp, '.ready'), '');
      renameSync(tmp, final);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(ready)) throw e; // else another worker finished first (after a stale lock)
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return final;
}

/** Repositories right after their real `gate init`, by kind of consumer (`init: 'shared'`), in this process. */
const initSnapshots = new Map<string, string>();

/**
 * Copy the file or directory `from` to `to` (which must not exist) with cp: symlinks kept as
 * written, modes kept. One cp process copies a node_modules tree for about a third of the CPU
 * fs.cpSync spends in the test worker.
 */
function copyTree(from: string, to: string): void {
  const r = run('cp', ['-R', from, to]);
  if (r.code !== 0) throw new Error(`cp -R ${from} ${to} failed (${r.code}): ${r.stderr}`);
}

/** Copy an installed template's `from` into `to` (symlinks kept as written: npm's are relative). */
function copyInstalled(template: string, from: string, to: string): void {
  copyTree(join(template, from), to);
}

/** A tiny formatter lint-staged runs: trims trailing whitespace and appends a final newline. */
export const FORMATTER = `#!/usr/bin/env node
const fs = require('node:fs');
for (const f of process.argv.slice(2)) {
  const t = fs.readFileSync(f, 'utf8');
  const out = t.split('\\n').map((l) => l.replace(/[ \\t]+$/, '')).join('\\n').replace(/\\n*$/, '\\n');
  if (out !== t) fs.writeFileSync(f, out);
}
`;

export interface ConsumerOptions {
  /** Write a package.json and npm-install the tarball (default true). */
  packageJson?: boolean;
  /** Install husky@9 (default true with packageJson). */
  husky?: boolean;
  /** Install lint-staged@16 and configure the formatter on *.txt (default true with packageJson). */
  lintStaged?: boolean;
  /**
   * More dev dependencies (npm specifiers, e.g. `lefthook@2`), installed on top of a copy of that
   * tree into a template of their own: once per build too, not once per consumer.
   */
  devDependencies?: readonly string[];
  /**
   * Run `gate init` (default true): with the installed binary, or 'npx' as the README says
   * (`npx gate init`, through `npm exec`). 'shared': the first such consumer of its kind in this
   * test file runs `gate init` for real with the installed binary, and its repository as it was
   * right after (working tree, .git with the config and state init wrote, node_modules) is kept;
   * later ones start as a copy of it instead of running init again (the same state, one gate
   * process less each). Only with a package.json and the template install; otherwise as true.
   */
  init?: boolean | 'npx' | 'shared';
  /**
   * Install afresh with npm (default false): copy the tree that ONE real `npm install` of the
   * same packages made for this build (installedTemplate) instead.
   */
  freshInstall?: boolean;
}

export interface Consumer extends TempRepo {
  tarball: string;
  /** The installed gate (node_modules/.bin/gate), or the packed one when there is no package.json. */
  gateBin(args: readonly string[], opts?: { env?: NodeJS.ProcessEnv; cwd?: string }): RunResult;
  /** `git commit <args>` through the real hooks. */
  commit(...args: string[]): RunResult;
  npm(args: readonly string[]): RunResult;
  /** Where the tarball was unpacked for repos without package.json (its bin is put on PATH). */
  globalBinDir?: string;
}

/**
 * A fresh consumer repository with the packed tarball installed. Without a package.json, the
 * tarball is installed into a separate prefix whose bin dir is put on PATH (like `npm i -g`).
 */
export function makeConsumer(opts: ConsumerOptions = {}): Consumer {
  const withPkg = opts.packageJson !== false;
  const tarball = packTarball();
  const repo = makeRepo();
  const env = repo.env;
  let globalBinDir: string | undefined;
  const shareInit = opts.init === 'shared' && withPkg && !opts.freshInstall;
  const initKey = JSON.stringify([opts.husky !== false, opts.lintStaged !== false, opts.devDependencies ?? []]);
  const initialised = shareInit ? initSnapshots.get(initKey) : undefined;
  if (initialised) {
    // a copy of the first such consumer's repository right after its real `gate init`
    rmSync(repo.dir, { recursive: true, force: true });
    copyTree(initialised, repo.dir);
  } else if (withPkg) {
    const husky = opts.husky !== false;
    const ls = opts.lintStaged !== false;
    const pkg: Record<string, unknown> = { name: 'consumer', version: '1.0.0', private: true };
    if (ls) pkg['lint-staged'] = { '*.txt': 'node scripts/format.cjs' };
    repo.write('package.json', `${JSON.stringify(pkg, null, 2)}\n`);
    if (ls) repo.write('scripts/format.cjs', FORMATTER);
    repo.write('.gitignore', 'node_modules/\n');
    const extra = opts.devDependencies ?? [];
    const deps = [tarball, ...(husky ? ['husky@9'] : []), ...(ls ? ['lint-staged@16'] : [])];
    const install = (dir: string, cwd: string, what: readonly string[] = deps) => {
      const r = run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--save-dev', ...what], { cwd, env: npmEnv(repo.home, env) });
      if (r.code !== 0) throw new Error(`npm install failed (${r.code}) in ${dir}: ${r.stderr}`);
    };
    const files = ['package.json', 'package-lock.json', 'node_modules'];
    if (opts.freshInstall) {
      install(repo.dir, repo.dir);
      if (extra.length) install(repo.dir, repo.dir, extra);
    } else {
      const kind = `consumer${husky ? '-husky' : ''}${ls ? '-ls' : ''}`;
      let tpl = installedTemplate(kind, (dir) => {
        const at = join(dir, 'repo');
        mkdirSync(at);
        writeFileSync(join(at, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
        install(at, at);
      });
      if (extra.length) {
        // the extra packages on top of a copy of that tree: one more template, one more (small) install
        const base = tpl;
        tpl = installedTemplate(`${kind}${extra.map((d) => `-${d.replace(/[^A-Za-z0-9.]+/g, '_')}`).join('')}`, (dir) => {
          const at = join(dir, 'repo');
          mkdirSync(at);
          for (const f of files) copyInstalled(base, join('repo', f), join(at, f));
          install(at, at, extra);
        });
      }
      for (const f of files) copyInstalled(tpl, join('repo', f), join(repo.dir, f));
    }
  } else {
    const prefix = join(repo.home, 'global');
    const install = (to: string) => {
      const r = run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--global', '--prefix', to, tarball], { cwd: repo.home, env: npmEnv(repo.home, env) });
      if (r.code !== 0) throw new Error(`npm install -g failed (${r.code}): ${r.stderr}`);
    };
    if (opts.freshInstall) install(prefix);
    else copyInstalled(installedTemplate('global', (dir) => install(join(dir, 'global'))), 'global', prefix);
    globalBinDir = join(prefix, 'bin');
    env.PATH = `${globalBinDir}:${env.PATH ?? ''}`;
  }
  const c = asConsumer(repo, tarball, globalBinDir);
  if (opts.init !== false && !initialised) {
    const r = withPkg && opts.init === 'npx' ? run(NPM, ['exec', '--no', '--', 'gate', 'init', '--json'], { cwd: repo.dir, env: npmEnv(repo.home, env) }) : c.gateBin(['init', '--json']);
    if (r.code !== 0) throw new Error(`gate init failed (${r.code}): ${r.stdout}${r.stderr}`);
    if (shareInit) {
      // kept until the worker ends (a temp dir of its own: the test may remove this consumer's)
      const snapshot = join(makeTempDir('agent-gates-e2e-initialised-'), 'repo');
      copyTree(repo.dir, snapshot);
      initSnapshots.set(initKey, snapshot);
      process.once('exit', () => rmSync(dirname(snapshot), { recursive: true, force: true }));
    }
  }
  return c;
}

/** The Consumer methods over a repository (its node_modules/.bin/gate, or `globalBinDir`'s). */
function asConsumer(repo: TempRepo, tarball: string, globalBinDir?: string): Consumer {
  const env = repo.env;
  const gateBin = (args: readonly string[], o: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) => {
    const bin = globalBinDir ? join(globalBinDir, 'gate') : join(repo.dir, 'node_modules', '.bin', 'gate');
    return run(bin, args, { cwd: o.cwd ?? repo.dir, env: { ...env, ...(o.env ?? {}) }, input: '' });
  };
  return {
    ...repo,
    env,
    tarball,
    gateBin,
    commit: (...args) => run('git', ['commit', ...args], { cwd: repo.dir, env, input: '' }),
    npm: (args) => run(NPM, args, { cwd: repo.dir, env: npmEnv(repo.home, env) }),
    ...(globalBinDir ? { globalBinDir } : {}),
  };
}

/**
 * A copy of consumer `from` (its whole work tree: .git, node_modules, the files gate init wrote)
 * as a new repository with a HOME of its own, at the same depth below $TMPDIR (npm's relative
 * `file:` specifiers stay right). For a file whose tests share one expensive setup (install,
 * `gate init`, commits through the hooks): make it once, copy it per test. Not for consumers
 * without a package.json (their gate is in a prefix beside the repository, put on PATH).
 */
export function copyConsumer(from: Consumer, opts: Pick<RepoOptions, 'cleanup'> = {}): Consumer {
  if (from.globalBinDir) throw new Error('copyConsumer: a consumer without package.json has its gate outside the repository');
  return asConsumer(copyRepo(from, { ...opts, home: true }), from.tarball);
}

/**
 * Commit the files `gate init` wrote, bypassing the hooks ONCE: the scaffold touches
 * self-reinforcing surfaces (.husky/**, rules/gate-*.md, .agents/gates.yaml) and would need a
 * person's approval. Tests use this to get a realistic "already adopted" repository.
 */
export function commitScaffold(c: Consumer): void {
  c.gitOk('add', '-A');
  c.gitOk('commit', '--no-verify', '-q', '-m', 'chore: add agent-gates (bootstrap)');
}

/** Hook point for the range check (`gate check --range`, CI): a no-op until that lands. */
export function rangeCheck(c: Consumer, range: string): RunResult {
  return c.gateBin(['check', '--range', range, '--json']);
}
