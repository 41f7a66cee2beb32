import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * bin/gate.js chooses how to compile the hot file: node's own compile cache when the running node
 * has `module.enableCompileCache` (>= 22.1), else V8's code cache through node:vm (ADR 0016). Both
 * branches run here, whatever this node is, by handing the launcher a stand-in for node:module.
 */
const req = createRequire(import.meta.url);
type Loaded = { exports: Record<string, unknown>; script?: { cachedDataRejected?: boolean; createCachedData(): Buffer }; compileCache?: boolean };
const launcher = req('../../../bin/gate.js') as {
  enableCompileCache(m: object): boolean;
  load(opts: { file?: string; keep?: boolean; module?: object }): Loaded;
};

const STATUS = { FAILED: 0, ENABLED: 1, ALREADY_ENABLED: 2, DISABLED: 3 };
const withCache = (status: number | (() => never)) => ({
  wrap: Module.wrap,
  createRequire: Module.createRequire,
  constants: { compileCacheStatus: STATUS },
  enableCompileCache: typeof status === 'function' ? status : () => ({ status, directory: '/tmp/x' }),
});
// node 20's node:module as far as the launcher is concerned: no enableCompileCache
const node20 = { wrap: Module.wrap, createRequire: Module.createRequire };

const dir = mkdtempSync(join(tmpdir(), 'gate-launcher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const hotFile = () => {
  const file = join(dir, `hot-${n++}.cjs`);
  writeFileSync(file, `'use strict';\nexports.where = __filename;\nexports.twice = (x) => x * 2;\n`);
  return file;
};

describe('the launcher feature-detects node:module.enableCompileCache', () => {
  it('is on only when the function exists and reports ENABLED or ALREADY_ENABLED', () => {
    expect(launcher.enableCompileCache(node20)).toBe(false);
    expect(launcher.enableCompileCache(withCache(STATUS.ENABLED))).toBe(true);
    expect(launcher.enableCompileCache(withCache(STATUS.ALREADY_ENABLED))).toBe(true);
    expect(launcher.enableCompileCache(withCache(STATUS.FAILED))).toBe(false);
    expect(launcher.enableCompileCache(withCache(STATUS.DISABLED))).toBe(false);
    expect(launcher.enableCompileCache(withCache(() => { throw new Error('EACCES'); }))).toBe(false);
  });

  it('with the platform cache on, the hot file is a plain require (no node:vm, no .v8cache read)', () => {
    const file = hotFile();
    writeFileSync(`${file}.v8cache`, Buffer.alloc(64, 7)); // would be offered to V8 (and refused) on the other branch
    const l = launcher.load({ file, module: withCache(STATUS.ENABLED) });
    expect(l.compileCache).toBe(true);
    expect(l.script).toBeUndefined();
    expect(l.exports.where).toBe(file);
  });

  it('without it (or when it fails), the V8 code cache is handed to node:vm and accepted', () => {
    const file = hotFile();
    const warm = launcher.load({ file, keep: true, module: node20 });
    expect((warm.exports.twice as (x: number) => number)(21)).toBe(42);
    writeFileSync(`${file}.v8cache`, warm.script!.createCachedData());
    for (const m of [node20, withCache(STATUS.FAILED)]) {
      const l = launcher.load({ file, module: m });
      expect(l.compileCache).toBeUndefined();
      expect(l.script?.cachedDataRejected).toBe(false);
      expect(l.exports.where).toBe(file);
    }
  });

  it('without either cache, a plain require', () => {
    const file = hotFile();
    const l = launcher.load({ file, module: node20 });
    expect(l.script).toBeUndefined();
    expect(l.compileCache).toBeUndefined();
    expect(l.exports.where).toBe(file);
  });
});

describe('GATE_PROFILE: the launcher\'s recorder', () => {
  const profiler = (launcher as unknown as { startProfile(mode: string, clock: () => number): { enter(p: string): void; exit(p: string): void; report(): string } }).startProfile;

  it('charges each interval to the innermost phase only, counts calls, and prints one stable line per phase', () => {
    let t = 40;
    const p = profiler('1', () => t);
    t = 45; p.enter('load');
    t = 50; p.exit('load');
    t = 51; p.enter('evaluate');
    t = 52; p.enter('ledger');
    t = 53; p.enter('git'); // git inside a ledger append counts as git only
    t = 57; p.exit('git');
    t = 58; p.exit('ledger');
    t = 59; p.enter('config');
    t = 61; p.exit('config');
    t = 62; p.enter('git');
    t = 63; p.exit('git');
    t = 70; p.exit('evaluate');
    t = 72;
    expect(p.report()).toBe([
      'gate profile: launch 40.00 ms',
      'gate profile: load 5.00 ms',
      'gate profile: config 2.00 ms (1 call)',
      'gate profile: git 5.00 ms (2 calls)',
      'gate profile: ledger 2.00 ms (1 call)',
      'gate profile: evaluate 10.00 ms',
      'gate profile: other 8.00 ms',
      'gate profile: total 72.00 ms',
      '',
    ].join('\n'));
  });

  it('GATE_PROFILE=json: one JSON line with the same figures', () => {
    let t = 10;
    const p = profiler('json', () => t);
    p.enter('git');
    t = 12.345;
    p.exit('git');
    const line = p.report();
    expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).toBe(true);
    expect(JSON.parse(line)).toEqual({
      profile: { launch: { ms: 10 }, load: { ms: 0 }, config: { ms: 0, calls: 0 }, git: { ms: 2.35, calls: 1 }, ledger: { ms: 0, calls: 0 }, evaluate: { ms: 0 }, other: { ms: 0 }, total: { ms: 12.35 } },
    });
  });
});
