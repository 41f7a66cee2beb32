#!/usr/bin/env node
// Thin launcher: everything lives in the bundled CLI so startup stays cheap. dist/hook.js is the
// entry built for the commit hooks (`gate check --hook …`, `--version`); it hands every other
// command to the commander program (dist/program.js). See scripts/build.mjs.
import { run } from '../dist/hook.js';
// A reader that closes the pipe early (`gate review | head`) is not an error worth a stack trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
run(process.argv.slice(2));
