import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realTargetOf } from '../../src/app/leases/lease.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'gate-paths-')));
  dirs.push(d);
  return d;
};

describe('realTargetOf', () => {
  it('resolves symlinks, and keeps the not-yet-existing tail', () => {
    const d = tmp();
    writeFileSync(join(d, 'real.md'), 'x');
    symlinkSync(join(d, 'real.md'), join(d, 'link.md'));
    expect(realTargetOf(join(d, 'link.md'))).toBe(join(d, 'real.md'));
    expect(realTargetOf(join(d, 'new', 'progress.md'))).toBe(join(d, 'new', 'progress.md'));
  });
  it('a symlink loop is judged under its resolved parent directory, never outside it', () => {
    const d = tmp();
    symlinkSync(join(d, 'b'), join(d, 'a'));
    symlinkSync(join(d, 'a'), join(d, 'b'));
    // existsSync follows links, so a loop looks absent: the walk resolves the nearest real ancestor
    expect(realTargetOf(join(d, 'a'))).toBe(join(d, 'a'));
    expect(realTargetOf(join(d, 'a', 'progress.md'))).toBe(join(d, 'a', 'progress.md'));
  });
});
