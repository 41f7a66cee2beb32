/**
 * The README's first command: `npm run demo` shows every step on a sandbox repository and fails
 * when a step does not behave as shown. Run here as the script itself (the suite has built dist/).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PKG_ROOT, run } from '../helpers/repo.js';

describe('npm run demo', () => {
  it('runs every step as shown and says so', () => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_') && k !== 'HUSKY' && !k.startsWith('GATE_')) env[k] = v;
    const r = run(process.execPath, [join(PKG_ROOT, 'scripts', 'demo.mjs')], { cwd: PKG_ROOT, env: { ...env, NO_COLOR: '1' }, input: '' });
    expect(r.code, r.stdout.slice(-3000) + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/demo complete: \d+ steps/);
    expect(r.stdout).not.toContain('did not behave as shown');
  }, 120_000);
});
