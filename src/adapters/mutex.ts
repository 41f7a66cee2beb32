/**
 * A short cross-process mutex around a read-modify-write (a lease record, a ledger append).
 * The lock dies with the process that took it and records no owner, which is exactly right for
 * a mutex and exactly wrong for a lease: leases are records, not locks.
 *
 * Protocol (the one proper-lockfile uses, which this module replaced to keep ~10 ms of module
 * loading off every `gate lock` and every ledger append): the lock is the directory
 * `<target>.lock`, taken with an atomic mkdir. While held, its mtime is refreshed every
 * UPDATE_MS; a lock whose mtime is older than STALE_MS belongs to a holder that died without
 * cleaning up and may be taken over. The holder removes it when done, on process exit, and on
 * SIGINT/SIGTERM/SIGHUP (then re-raises the signal).
 */
import { mkdirSync, writeFileSync, existsSync, rmdirSync, statSync, utimesSync } from 'node:fs';
import { GateError } from '../errors.js';

export interface MutexOptions {
  /** Give up after roughly this long (ms). */
  timeoutMs?: number;
  /** What the lock protects, for the error message. */
  what?: string;
}

const STALE_MS = 10_000;
const UPDATE_MS = 2_000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const held = new Set<string>();
let hooked = false;

function releaseAllSync(): void {
  for (const dir of held) {
    try {
      rmdirSync(dir);
    } catch {
      /* already gone */
    }
  }
  held.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  releaseAllSync();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.kill(process.pid, sig);
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', releaseAllSync);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function unhookIfIdle(): void {
  if (!hooked || held.size > 0) return;
  hooked = false;
  process.removeListener('exit', releaseAllSync);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** One attempt: true when this process now holds `dir`. */
function tryLock(dir: string): boolean {
  try {
    mkdirSync(dir);
    return true;
  } catch (e) {
    if (errno(e) !== 'EEXIST') throw e;
  }
  let mtimeMs: number;
  try {
    mtimeMs = statSync(dir).mtimeMs;
  } catch (e) {
    if (errno(e) === 'ENOENT') return false; // released meanwhile: retry
    throw e;
  }
  if (Date.now() - mtimeMs <= STALE_MS) return false;
  // stale: its holder stopped refreshing it (crashed). Remove it and try once more.
  try {
    rmdirSync(dir);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw e;
  }
  try {
    mkdirSync(dir);
    return true;
  } catch (e) {
    if (errno(e) === 'EEXIST') return false;
    throw e;
  }
}

export async function withMutex<T>(target: string, fn: () => Promise<T> | T, opts: MutexOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  if (!existsSync(target)) {
    mkdirSync(target.replace(/\/[^/]*$/, ''), { recursive: true });
    try {
      writeFileSync(target, '', { flag: 'wx' });
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
    }
  }
  const dir = `${target}.lock`;
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    if (tryLock(dir)) break;
    if (Date.now() >= deadline) {
      throw new GateError('LEDGER_BUSY', `timed out after ${timeoutMs} ms waiting for the lock on ${opts.what ?? target}.`, {
        fix: 'retry; if it persists, another gate process is stuck: find it with `ps aux | grep gate`',
      });
    }
    await new Promise((r) => setTimeout(r, delay + Math.floor(Math.random() * delay)));
    delay = Math.min(delay * 2, 50);
  }
  held.add(dir);
  hookExit();
  const refresh = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(dir, now, now);
    } catch {
      /* removed under us: the release below tolerates it */
    }
  }, UPDATE_MS);
  refresh.unref();
  try {
    return await fn();
  } finally {
    clearInterval(refresh);
    held.delete(dir);
    try {
      rmdirSync(dir);
    } catch {
      /* already gone */
    }
    unhookIfIdle();
  }
}
