/** The installed agent-gates package: where templates/ and rules/ live, found once. */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { GateError } from '../kernel/errors.js';

let pkgRootCache: string | undefined;

/** The installed agent-gates package (where templates/ and rules/ live). */
export function packageRoot(): string {
  if (pkgRootCache) return pkgRootCache;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'agent-gates') return (pkgRootCache = dir);
      } catch {
        /* keep looking */
      }
    }
    const up = dirname(dir);
    if (up === dir) {
      throw new Error('the agent-gates package files (templates/, rules/) were not found next to the CLI: the installation is broken.');
    }
    dir = up;
  }
}

export function readTemplate(...parts: string[]): string {
  const p = join(packageRoot(), ...parts);
  try {
    return readFileSync(p, 'utf8');
  } catch {
    throw new GateError('CANNOT_EVALUATE', `the packaged template ${p} is missing: the agent-gates installation is incomplete.`, {
      fix: 'reinstall it: npm install --save-dev agent-gates',
    });
  }
}
