#!/usr/bin/env node
'use strict';
// Thin launcher, CommonJS on purpose (bin/package.json): every commit starts it, and node's ESM
// loader costs more than the whole hot path. dist/hook.cjs is one file holding what the hooks,
// `gate lock`, `--version` and `--help` run; every other command is handed to the ESM bundle
// (dist/program.js). See scripts/build.mjs and ADR 0010.
//
// dist/hook.cjs.v8cache is V8's code cache for that file, written by the build after running the
// hot commands once (scripts/warm-code-cache.cjs): with it, node skips parsing and compiling the
// functions a commit runs (~5 ms). V8 accepts it only for the exact source and the same V8 version
// and flags; otherwise it is ignored and the file is compiled as usual.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const DIST = join(__dirname, '..', 'dist');

/**
 * Load dist/hook.cjs (or `opts.file`). With a code cache, or with `opts.keep` (the build's warm-up,
 * which needs the compiled script to write the cache), it is compiled with node:vm like node's own
 * CommonJS loader would, and gets the same exports, require, module, __filename and __dirname.
 */
function load(opts = {}) {
  const file = opts.file ?? join(DIST, 'hook.cjs');
  let cachedData;
  if (!opts.keep) {
    try {
      cachedData = readFileSync(`${file}.v8cache`);
    } catch {
      return { exports: require(file) };
    }
  }
  const vm = require('node:vm');
  const Module = require('node:module');
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const mod = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, join(file, '..'));
  mod.loaded = true;
  return { exports: mod.exports, script };
}

if (require.main === module) load().exports.run(process.argv.slice(2));
else module.exports = { load };
