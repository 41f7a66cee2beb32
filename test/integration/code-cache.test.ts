import { afterEach, describe, expect, it } from 'vitest';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { makeRepo, makeTempDir, PKG_ROOT, run, type TempRepo } from '../helpers/repo.js';

/**
 * bin/gate.js compiles dist/hook.cjs with V8's code cache written by the build (ADR 0010). The cache
 * must be one this node accepts (else every commit pays the compile again, silently), and a cache
 * that is garbage, stale or missing must change nothing but speed.
 */
describe('the hook bundle code cache', () => {
  let repo: TempRepo | undefined;
  const copies: string[] = [];
  afterEach(() => {
    repo?.cleanup();
    repo = undefined;
    for (const d of copies.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const copyPackage = (): string => {
    const dir = makeTempDir('gate-pkg-');
    copies.push(dir);
    for (const p of ['bin', 'dist', 'package.json', 'templates', 'schema', 'rules']) {
      if (existsSync(join(PKG_ROOT, p))) cpSync(join(PKG_ROOT, p), join(dir, p), { recursive: true });
    }
    return dir;
  };

  it('the build writes a cache that this node accepts', () => {
    const cache = join(PKG_ROOT, 'dist', 'hook.cjs.v8cache');
    expect(existsSync(cache)).toBe(true);
    // the V8 code cache branch, even on a node with its own compile cache (>= 22.1; ADR 0016)
    const r = run(process.execPath, ['-e', `const M = require('node:module'); const { load } = require(${JSON.stringify(join(PKG_ROOT, 'bin', 'gate.js'))}); const l = load({ module: { wrap: M.wrap, createRequire: M.createRequire } }); process.stdout.write(JSON.stringify({ rejected: l.script?.cachedDataRejected, run: typeof l.exports.run }));`]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ rejected: false, run: 'function' });
  });

  it('a garbage or missing cache changes nothing but speed: same output and exit codes', () => {
    repo = makeRepo();
    repo.write('a.txt', 'a\n');
    repo.gitOk('add', '-A');
    repo.gitOk('commit', '-q', '-m', 'one');
    repo.write('a.txt', 'b\n');
    repo.write('progress.md', '# p\n');
    repo.gitOk('add', 'a.txt');
    const garbage = copyPackage();
    writeFileSync(join(garbage, 'dist', 'hook.cjs.v8cache'), Buffer.alloc(4096, 7));
    const none = copyPackage();
    rmSync(join(none, 'dist', 'hook.cjs.v8cache'));
    const gateIn = (pkg: string, args: string[]) => {
      const r = run(process.execPath, [join(pkg, 'bin', 'gate.js'), ...args], { cwd: repo!.dir, env: { ...repo!.env, GATE_SESSION: 'agent-1' } });
      return { code: r.code, stdout: r.stdout.replace(/token \d+/, 'token N').replace(/until \S+/, 'until T'), stderr: r.stderr };
    };
    // each package runs the same sequence from the same state (acquire, then release, leaves none)
    const sequence = [['--version'], ['check', '--hook', 'pre-commit', '--json'], ['lock', 'acquire', 'progress.md'], ['lock', 'release', 'progress.md'], ['check', '--hook', 'pre-commit'], ['nonsense-command']];
    const outputs = (pkg: string) => sequence.map((args) => ({ args: args.join(' '), ...gateIn(pkg, args) }));
    const withCache = outputs(PKG_ROOT);
    expect(withCache.map((o) => o.code)).toEqual([0, 0, 0, 0, 0, 2]);
    expect(outputs(garbage)).toEqual(withCache);
    expect(outputs(none)).toEqual(withCache);
    // the garbage really was offered to V8 and refused
    const req = createRequire(import.meta.url);
    const { load } = req(join(garbage, 'bin', 'gate.js')) as { load: (o: { module: object }) => { script?: { cachedDataRejected?: boolean } } };
    const M = req('node:module') as { wrap: unknown; createRequire: unknown };
    expect(load({ module: { wrap: M.wrap, createRequire: M.createRequire } }).script?.cachedDataRejected).toBe(true);
    expect(readFileSync(join(garbage, 'dist', 'hook.cjs.v8cache')).length).toBe(4096);
  });
});

/**
 * The ESM program takes the CommonJS libraries (dist/vendor/{zod,yaml,diff}.cjs) with `require`:
 * an ES `import` of a CommonJS file makes node scan its whole source for export names first, about
 * 0.15 s of CPU per command for zod and yaml (scripts/build.mjs).
 */
describe('the program loads the libraries with require', () => {
  it('no chunk of dist/ imports a dist/vendor CommonJS file, and a command using zod and yaml runs', () => {
    const chunks = readdirSync(join(PKG_ROOT, 'dist')).filter((f) => f.endsWith('.js')).map((f) => ({ f, text: readFileSync(join(PKG_ROOT, 'dist', f), 'utf8') }));
    expect(chunks.length).toBeGreaterThan(10);
    const offenders = chunks.filter((c) => /(?:from\s*|import\s*\(\s*|import\s*)["']\.\/vendor\/[a-z-]+\.cjs["']/.test(c.text)).map((c) => c.f);
    expect(offenders).toEqual([]);
    expect(chunks.filter((c) => c.text.includes('"./vendor/zod.cjs"')).length).toBeGreaterThan(0);
    // the libraries' names reach the program: `gate explain` validates (zod) and writes (yaml) a
    // sidecar; the diff library's path is the terminal approval (test/integration/review.test.ts)
    const r = makeRepo({ cleanup: 'test', files: { '.agents/gates.yaml': 'version: 1\nsurfaces:\n  - name: rules\n    paths: ["rules/**"]\n    tier: CONFIRM\n', 'rules/a.md': 'a\n' } });
    r.write('rules/a.md', 'b\n');
    r.gitOk('add', 'rules/a.md');
    const e = r.gate(['explain', '--intent', 'i', '--alternative', 'a', '--blast-radius', 'b', '--reversibility', 'r', '--rollback', 'g', '--json']);
    expect(e.stderr).toBe('');
    expect(JSON.parse(e.stdout)).toMatchObject({ written: true, tier: 'CONFIRM' });
  });
});
