import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { PKG_ROOT, run } from '../helpers/repo.js';

describe('docs/cli.md', () => {
  it('is generated from the CLI and up to date (fix: npm run build && npm run docs:cli)', () => {
    const r = run(process.execPath, [join(PKG_ROOT, 'scripts', 'cli-docs.mjs'), '--check'], { cwd: PKG_ROOT, env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
