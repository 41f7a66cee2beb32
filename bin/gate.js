#!/usr/bin/env node
// Thin launcher: everything lives in the bundled CLI so startup stays cheap.
import { run } from '../dist/cli.js';
run(process.argv.slice(2));
