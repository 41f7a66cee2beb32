/**
 * The in-house mutex (src/adapters/mutex.ts) speaks proper-lockfile's protocol: a `<target>.lock`
 * directory taken with mkdir, refreshed while held, stale after 10 s. These tests hold the lock with
 * the real proper-lockfile package and check that each side excludes the other.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, utimesSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { withMutex } from '../../src/adapters/mutex.js';

const dirs: string[] = [];
function target(): string {
  const d = mkdtempSync(join(tmpdir(), 'gate-mutex-'));
  dirs.push(d);
  const t = join(d, 'ledger.lock');
  writeFileSync(t, '');
  return t;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('mutex interop with proper-lockfile', () => {
  it('waits while proper-lockfile holds the lock, and runs once it is released', async () => {
    const t = target();
    const release = await lockfile.lock(t, { realpath: false, stale: 10_000 });
    const order: string[] = [];
    const waiting = withMutex(t, () => {
      order.push('gate');
    });
    await new Promise((r) => setTimeout(r, 150));
    order.push('released');
    await release();
    await waiting;
    expect(order).toEqual(['released', 'gate']);
  });

  it('proper-lockfile sees our lock as held while fn runs, and free afterwards', async () => {
    const t = target();
    let seenInside: boolean | undefined;
    await withMutex(t, async () => {
      seenInside = await lockfile.check(t, { realpath: false, stale: 10_000 });
    });
    expect(seenInside).toBe(true);
    expect(await lockfile.check(t, { realpath: false, stale: 10_000 })).toBe(false);
  });

  it('takes over a stale lock left by a crashed holder (mtime older than 10 s)', async () => {
    const t = target();
    mkdirSync(`${t}.lock`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${t}.lock`, old, old);
    let ran = false;
    await withMutex(t, () => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(existsSync(`${t}.lock`)).toBe(false);
  });

  it('gives up with a CANNOT_EVALUATE error naming what it waited for, when a live holder never lets go', async () => {
    const t = target();
    const release = await lockfile.lock(t, { realpath: false, stale: 10_000 });
    try {
      await expect(withMutex(t, () => undefined, { timeoutMs: 200, what: 'the ledger' })).rejects.toMatchObject({
        code: 'LEDGER_BUSY',
        message: expect.stringContaining('the ledger'),
      });
    } finally {
      await release();
    }
  });
});
