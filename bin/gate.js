#!/usr/bin/env node
'use strict';
// Thin launcher, CommonJS on purpose (bin/package.json): every commit starts it, and node's ESM
// loader costs more than the whole hot path. dist/hook.cjs is one file holding what the hooks,
// `gate lock`, `--version` and `--help` run; every other command is handed to the ESM bundle
// (dist/program.js). See scripts/build.mjs and ADR 0010.
require('../dist/hook.cjs').run(process.argv.slice(2));
