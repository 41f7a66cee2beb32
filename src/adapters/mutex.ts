/**
 * A short cross-process mutex around a read-modify-write (a lease record, a ledger append).
 * proper-lockfile's lock dies with the process that took it and records no owner, which is
 * exactly right for a mutex and exactly wrong for a lease: leases are records, not locks.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { GateError } from '../errors.js';

export interface MutexOptions {
  /** Give up after roughly this long (ms). */
  timeoutMs?: number;
  /** What the lock protects, for the error message. */
  what?: string;
}

export async function withMutex<T>(target: string, fn: () => Promise<T> | T, opts: MutexOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  if (!existsSync(target)) {
    mkdirSync(target.replace(/\/[^/]*$/, ''), { recursive: true });
    try {
      writeFileSync(target, '', { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  // Loaded on first use: proper-lockfile (with graceful-fs, retry, signal-exit) costs ~10 ms to
  // load, and the commit hot path only takes the mutex when it writes to the ledger.
  const lockfile = (await import('proper-lockfile')).default;
  const deadline = Date.now() + timeoutMs;
  let release: (() => Promise<void>) | undefined;
  let delay = 2;
  for (;;) {
    try {
      release = await lockfile.lock(target, { stale: 10_000, update: 2_000, realpath: false, retries: 0 });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
      if (Date.now() >= deadline) {
        throw new GateError('LEDGER_BUSY', `timed out after ${timeoutMs} ms waiting for the lock on ${opts.what ?? target}.`, {
          fix: 'retry; if it persists, another gate process is stuck: find it with `ps aux | grep gate`',
        });
      }
      await new Promise((r) => setTimeout(r, delay + Math.floor(Math.random() * delay)));
      delay = Math.min(delay * 2, 50);
    }
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
