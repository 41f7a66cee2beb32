// Run inside a real pre-commit hook: dump what the git adapter sees to $GATE_TEST_DUMP.
import { appendFileSync } from 'node:fs';
import { Git } from '../../../src/adapters/git.js';

const git = new Git(process.cwd());
appendFileSync(
  process.env.GATE_TEST_DUMP!,
  `${JSON.stringify({ indexFile: process.env.GIT_INDEX_FILE ?? null, tree: git.writeTree(), head: git.head() ?? null, changes: git.stagedChanges() })}\n`,
);
