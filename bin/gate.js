#!/usr/bin/env node
'use strict';
// Thin launcher, CommonJS on purpose (bin/package.json): every commit starts it, and node's ESM
// loader costs more than the whole hot path. It loads dist/hook.cjs, one file holding what the
// hooks, `gate lock`, `--version` and `--help` run (ADR 0010); when that file's `run` does not take
// the command, the launcher imports the commander program, dist/program.js (ADR 0016).
//
// Compiling the hot file is most of what is left to save, in one of two ways:
//  - node >= 22.1 has a compile cache of its own (module.enableCompileCache(), kept under the
//    system's temporary directory, or NODE_COMPILE_CACHE): when it is on, the files load with plain
//    require/import and node caches every one of them, the program's chunks included;
//  - otherwise dist/hook.cjs.v8cache, V8's code cache for the hot file written by the build after
//    running the hot commands once (scripts/warm-code-cache.cjs), is handed to node:vm. V8 accepts
//    it only for the exact source and the same V8 version and flags; otherwise it is ignored and
//    the file is compiled as usual. Code compiled by node:vm cannot run import() on node 20, so the
//    launcher registers its own importer for it (src/kernel/esm-import.ts).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const DIST = join(__dirname, '..', 'dist');

/**
 * Turn on node's own compile cache when this node has one (feature-detected, not version-checked);
 * true when it is on. `Module` is node:module (a test passes a stand-in).
 */
function enableCompileCache(Module) {
  if (typeof Module.enableCompileCache !== 'function') return false;
  try {
    const { status } = Module.enableCompileCache() ?? {};
    const s = Module.constants?.compileCacheStatus ?? {};
    return status !== undefined && (status === s.ENABLED || status === s.ALREADY_ENABLED);
  } catch {
    return false;
  }
}

/**
 * Load dist/hook.cjs (or `opts.file`). With node's compile cache (see above) it is a plain require.
 * Otherwise, with a code cache, or with `opts.keep` (the build's warm-up, which needs the compiled
 * script to write the cache), it is compiled with node:vm like node's own CommonJS loader would, and
 * gets the same exports, require, module, __filename and __dirname. `opts.module` stands in for
 * node:module (tests).
 */
function load(opts = {}) {
  const file = opts.file ?? join(DIST, 'hook.cjs');
  const Module = opts.module ?? require('node:module');
  if (!opts.keep && enableCompileCache(Module)) return { exports: require(file), compileCache: true };
  let cachedData;
  if (!opts.keep) {
    try {
      cachedData = readFileSync(`${file}.v8cache`);
    } catch {
      return { exports: require(file) };
    }
  }
  const vm = require('node:vm');
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const mod = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, join(file, '..'));
  mod.loaded = true;
  return { exports: mod.exports, script };
}

/**
 * GATE_PROFILE=1 (or =json): a recorder of where the time went (src/kernel/profile.ts), one stderr
 * line per phase, printed when the process exits. Phases are exclusive: `enter` of a phase pauses
 * the one it is entered in. `clock` is milliseconds since the process started.
 */
function startProfile(mode, clock = () => performance.now()) {
  const launch = clock(); // node's own start-up, before this file's first line
  const ms = { launch, load: 0, config: 0, git: 0, ledger: 0, evaluate: 0, other: 0 };
  const calls = { config: 0, git: 0, ledger: 0 };
  const stack = ['other'];
  let since = launch;
  const charge = () => {
    const t = clock();
    const top = stack[stack.length - 1];
    ms[top] = (ms[top] ?? 0) + (t - since);
    since = t;
  };
  return {
    enter(phase) {
      charge();
      stack.push(phase);
      if (phase in calls) calls[phase]++;
    },
    exit(phase) {
      charge();
      const i = stack.lastIndexOf(phase);
      if (i > 0) stack.splice(i, 1);
    },
    /** The report: `gate profile: <phase> <ms> ms[ (<n> calls)]` lines, or one JSON line for mode json. */
    report() {
      charge();
      const rows = [...Object.entries(ms), ['total', clock()]];
      if (mode === 'json') {
        const o = Object.fromEntries(rows.map(([k, v]) => [k, { ms: Math.round(v * 100) / 100, ...(k in calls ? { calls: calls[k] } : {}) }]));
        return `${JSON.stringify({ profile: o })}\n`;
      }
      return rows.map(([k, v]) => `gate profile: ${k} ${v.toFixed(2)} ms${k in calls ? ` (${calls[k]} call${calls[k] === 1 ? '' : 's'})` : ''}\n`).join('');
    },
  };
}

/** Run one command: the hot file takes it, or the commander program does. */
async function main(argv, profile) {
  globalThis[Symbol.for('agent-gates.import')] = (url) => import(url);
  profile?.enter('load');
  const hot = load().exports;
  profile?.exit('load');
  profile?.enter('evaluate');
  const taken = await hot.run(argv);
  profile?.exit('evaluate');
  if (taken) return;
  profile?.enter('load');
  const { runProgram } = await import('../dist/program.js');
  profile?.exit('load');
  profile?.enter('evaluate');
  await runProgram(argv);
  profile?.exit('evaluate');
}

if (require.main === module) {
  const mode = process.env.GATE_PROFILE; // the one check when profiling is off
  let profile;
  if (mode && mode !== '0') {
    profile = globalThis[Symbol.for('agent-gates.profile')] = startProfile(mode);
    process.on('exit', () => require('node:fs').writeSync(2, profile.report()));
  }
  main(process.argv.slice(2), profile).catch((e) => {
    // every command reports its own errors (exit 0-3); reaching here is a bug
    process.stderr.write(`gate: internal error (a bug): ${(e && e.stack) || e}\n`); // the text of src/cli/fast/messages.ts's internalError
    process.exitCode = 70;
  });
} else module.exports = { load, enableCompileCache, startProfile };
