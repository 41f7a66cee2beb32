/**
 * src/adapters/lint-staged.ts: locating lint-staged's API from its binary, calling it in this
 * process with the CLI's defaults, putting the process back as it was, and falling back to the
 * binary (a real child process) when the API cannot be used. Fake packages named "lint-staged"
 * live in temp dirs; the real lint-staged 16 from this repo's node_modules is checked too.
 */
import { chmodSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_DEFAULT_OPTIONS, lintStagedPackageRoot, packageEntry, runLintStaged } from '../../src/adapters/lint-staged.js';
import { isGateError } from '../../src/kernel/errors.js';
import { makeTempDir, PKG_ROOT } from '../helpers/repo.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fake lint-staged package: `index` is lib/index.js; its binary exits with $FAKE_LS_EXIT. Returns node_modules/.bin/lint-staged. */
function fakePackage(opts: { index?: string; pkg?: Record<string, unknown> } = {}): string {
  const base = makeTempDir('gate-ls-');
  dirs.push(base);
  const root = join(base, 'node_modules', 'lint-staged');
  mkdirSync(join(root, 'lib'), { recursive: true });
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(base, 'node_modules', '.bin'), { recursive: true });
  const pkg = opts.pkg ?? { name: 'lint-staged', version: '16.0.0', type: 'module', bin: { 'lint-staged': 'bin/lint-staged.js' }, exports: { '.': { types: './lib/index.d.ts', default: './lib/index.js' }, './bin': './bin/lint-staged.js' } };
  writeFileSync(join(root, 'package.json'), JSON.stringify(pkg));
  if (opts.index !== undefined) writeFileSync(join(root, 'lib', 'index.js'), opts.index);
  writeFileSync(join(root, 'bin', 'lint-staged.js'), '#!/bin/sh\nexit "${FAKE_LS_EXIT:-0}"\n');
  chmodSync(join(root, 'bin', 'lint-staged.js'), 0o755);
  const bin = join(base, 'node_modules', '.bin', 'lint-staged');
  symlinkSync('../lint-staged/bin/lint-staged.js', bin);
  return bin;
}

const WATCHED = ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'uncaughtException', 'unhandledRejection'] as const;
const listenerCounts = () => Object.fromEntries(WATCHED.map((e) => [e, process.listenerCount(e)]));

describe('runLintStaged: the API in this process', () => {
  it('calls the default export with the options bin/lint-staged.js passes by default, and puts the process back', async () => {
    const bin = fakePackage({
      index: `export default async function lintStaged(options) {
  globalThis.__gateLsOptions = options;
  globalThis.__gateLsSigint = process.listenerCount('SIGINT');
  process.exitCode = 9;
  process.on('exit', () => { process.exitCode = 42; });
  process.once('SIGTERM', () => {});
  process.on('SIGINT', () => {});
  process.setMaxListeners(0);
  delete process.env.GATE_LS_SENTINEL;
  process.env.GATE_LS_ADDED = '1';
  return true;
}\n`,
    });
    const before = listenerCounts();
    const maxBefore = process.getMaxListeners();
    process.env.GATE_LS_SENTINEL = 'kept';
    const exitBefore = process.exitCode;
    try {
      const r = await runLintStaged(bin);
      expect(r).toEqual({ ok: true, via: 'api' });
      const g = globalThis as Record<string, unknown>;
      expect(g.__gateLsOptions).toEqual({ ...CLI_DEFAULT_OPTIONS });
      expect(g.__gateLsSigint).toBe(process.listenerCount('SIGINT') + 1); // an interrupt does not end the process mid-run
      expect(listenerCounts()).toEqual(before);
      expect(process.getMaxListeners()).toBe(maxBefore);
      expect(process.exitCode).toBe(exitBefore);
      expect(process.env.GATE_LS_SENTINEL).toBe('kept');
      expect(process.env.GATE_LS_ADDED).toBeUndefined();
    } finally {
      delete process.env.GATE_LS_SENTINEL;
    }
  });

  it('false is a failed run; a throw is a failed run with the error, never a rejection', async () => {
    expect(await runLintStaged(fakePackage({ index: 'export default async () => false;\n' }))).toEqual({ ok: false, via: 'api' });
    // anything but `true` fails closed
    expect(await runLintStaged(fakePackage({ index: 'export default async () => "yes";\n' }))).toEqual({ ok: false, via: 'api' });
    const before = listenerCounts();
    const thrown = await runLintStaged(fakePackage({ index: 'export default async () => { process.exitCode = 3; throw new TypeError("kaboom\\nsecond line"); };\n' }));
    expect(thrown).toEqual({ ok: false, via: 'api', error: 'TypeError: kaboom' });
    expect(listenerCounts()).toEqual(before);
    expect(process.exitCode).not.toBe(3);
  });
});

describe('runLintStaged: the binary as a child process when the API cannot be used', () => {
  const cases: Array<[string, Parameters<typeof fakePackage>[0], RegExp]> = [
    ['the entry throws on import', { index: 'throw new Error("broken build");\n' }, /importing .*index\.js failed: broken build/],
    ['no default export', { index: 'export const lintStaged = () => true;\n' }, /has no default export function/],
    ['the entry file is missing', {}, /declares no main entry that exists/],
    ['no package named lint-staged above the binary', { index: 'export default async () => true;\n', pkg: { name: 'not-lint-staged', main: 'lib/index.js' } }, /no package\.json named "lint-staged"/],
  ];
  it.each(cases)('%s: the binary\'s exit status decides', async (_name, opts, why) => {
    const bin = fakePackage(opts);
    const ok = await runLintStaged(bin);
    expect(ok).toMatchObject({ ok: true, via: 'process' });
    expect(ok.fallback).toMatch(why);
    process.env.FAKE_LS_EXIT = '3';
    try {
      expect(await runLintStaged(bin)).toMatchObject({ ok: false, via: 'process' });
    } finally {
      delete process.env.FAKE_LS_EXIT;
    }
  });

  it('with stdout reserved for JSON the binary runs as a child even when the API loads', async () => {
    const bin = fakePackage({ index: 'export default async () => { throw new Error("must not be called"); };\n' });
    expect(await runLintStaged(bin, { stdoutToStderr: true })).toEqual({ ok: true, via: 'process', fallback: 'stdout carries JSON (--json)' });
  });

  it('a binary that does not exist is a clear error with the fix', async () => {
    const e = await runLintStaged('/nonexistent/node_modules/.bin/lint-staged').catch((x: unknown) => x);
    expect(isGateError(e)).toBe(true);
    expect((e as Error).message).toContain('/nonexistent/node_modules/.bin/lint-staged');
    expect((e as { fix?: string }).fix).toContain('npm install');
  });
});

describe('locating the entry', () => {
  const pkgDir = (pkg: Record<string, unknown>, files: string[]) => {
    const d = makeTempDir('gate-ls-entry-');
    dirs.push(d);
    writeFileSync(join(d, 'package.json'), JSON.stringify(pkg));
    for (const f of files) {
      mkdirSync(dirname(join(d, f)), { recursive: true });
      writeFileSync(join(d, f), '');
    }
    return d;
  };
  it.each<[string, Record<string, unknown>, string | undefined]>([
    ['exports "." with types/default', { exports: { '.': { types: './a.d.ts', default: './lib/a.js' } } }, 'lib/a.js'],
    ['exports string', { exports: './lib/a.js' }, 'lib/a.js'],
    ['exports conditions without subpaths', { exports: { require: './lib/b.js', import: './lib/a.js' } }, 'lib/a.js'],
    ['nested node/import', { exports: { '.': { node: { import: './lib/a.js', require: './lib/b.js' } } } }, 'lib/a.js'],
    ['require only', { exports: { '.': { require: './lib/b.js' } } }, undefined],
    ['main', { main: 'lib/b.js' }, 'lib/b.js'],
    ['exports wins over main', { exports: { '.': './lib/a.js' }, main: 'lib/b.js' }, 'lib/a.js'],
    ['outside the package', { exports: '../x.js' }, undefined],
    ['a missing file', { main: 'lib/c.js' }, undefined],
    ['nothing declared', {}, undefined],
  ])('%s', (_name, pkg, want) => {
    const d = pkgDir(pkg, ['lib/a.js', 'lib/b.js']);
    expect(packageEntry(d, pkg)).toBe(want === undefined ? undefined : join(d, want));
  });

  it('the real lint-staged: its binary leads to lib/index.js, whose default export is the API', async () => {
    const real = realpathSync(join(PKG_ROOT, 'node_modules', '.bin', 'lint-staged'));
    const found = lintStagedPackageRoot(dirname(real));
    expect(found?.root).toBe(join(PKG_ROOT, 'node_modules', 'lint-staged'));
    const entry = packageEntry(found!.root, found!.pkg);
    expect(entry).toBe(join(found!.root, 'lib', 'index.js'));
    const mod = (await import(entry!)) as { default: unknown };
    expect(typeof mod.default).toBe('function');
  });

  it('CLI_DEFAULT_OPTIONS names exactly the options the installed bin/lint-staged.js passes', () => {
    const src = readFileSync(join(PKG_ROOT, 'node_modules', 'lint-staged', 'bin', 'lint-staged.js'), 'utf8');
    const block = /const options = \{([\s\S]*?)\n\}/.exec(src)?.[1];
    expect(block).toBeDefined();
    const keys = [...block!.matchAll(/^\s*(\w+):/gm)].map((m) => m[1]).sort();
    expect(keys).toEqual(Object.keys(CLI_DEFAULT_OPTIONS).sort());
  });
});
