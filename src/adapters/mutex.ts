/**
 * A short cross-process mutex around a read-modify-write (a lease record, a ledger append).
 * The lock dies with the process that took it, which is exactly right for a mutex and exactly
 * wrong for a lease: leases are records, not locks.
 *
 * Protocol (ADR 0007, made clock-safe by ADR 0011): the lock is the directory `<target>.lock`,
 * taken with an atomic mkdir (proper-lockfile's protocol, so either side excludes the other).
 * The holder then renames an owner file into it (`owner`: pid, boot id, the process's start
 * time, host), so staleness is judged by who holds it, not by the clock: a lock whose owner
 * process is gone (not running, a different process under a reused pid, or a previous boot) is
 * stale and taken over at once, and a lock whose owner runs is never stale however its mtime
 * looks (a clock step either way changes nothing). Only a lock without an owner file
 * (proper-lockfile's, or a holder killed between the mkdir and the rename) falls back to the
 * mtime: stale when older than STALE_MS, or when its mtime has not changed for STALE_MS of this
 * waiter's monotonic clock (a lock dated in the future by a clock step). The mtime is still
 * refreshed every UPDATE_MS for proper-lockfile. The holder removes the lock when done, on
 * process exit, and on SIGINT/SIGTERM/SIGHUP (then re-raises the signal).
 */
import { mkdirSync, writeFileSync, existsSync, rmdirSync, statSync, utimesSync, readFileSync, unlinkSync, readdirSync } from 'node:fs';
import { GateError } from '../kernel/errors.js';
import { classifyFsError } from './fs-errors.js';
import { writeFileAtomic } from './files.js';

export interface MutexOptions {
  /** Give up after roughly this long (ms). */
  timeoutMs?: number;
  /** What the lock protects, for the error message. */
  what?: string;
  /** When an ownerless lock counts as stale (ms; tests shorten it). */
  staleMs?: number;
}

const STALE_MS = 10_000;
const UPDATE_MS = 2_000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const held = new Set<string>();
let hooked = false;

function releaseSync(dir: string, ...extra: string[]): void {
  for (const f of [...extra, `${dir}/owner`]) {
    try {
      unlinkSync(f);
    } catch {
      /* already gone */
    }
  }
  try {
    rmdirSync(dir);
  } catch {
    /* already gone */
  }
}

function releaseAllSync(): void {
  for (const dir of held) releaseSync(dir);
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

interface Owner {
  pid: number;
  boot: string | null;
  start: string | null;
  host: string;
}

let selfOwner: Owner | undefined;

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat: the start time in clock ticks since boot (null without /proc). */
function startTime(pid: number | 'self'): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}

function me(): Owner {
  return (selfOwner ??= { pid: process.pid, boot: bootId(), start: startTime('self'), host: process.getBuiltinModule('node:os').hostname() });
}

/** 'dead', 'alive', or 'unknown' (another host, or no way to tell). */
function ownerState(o: Owner): 'dead' | 'alive' | 'unknown' {
  const self = me();
  if (o.host !== self.host) return 'unknown';
  if (o.boot && self.boot && o.boot !== self.boot) return 'dead'; // taken before a reboot
  if (o.start !== null && self.start !== null) {
    const now = startTime(o.pid);
    return now === o.start ? 'alive' : 'dead'; // gone, or its pid reused by another process
  }
  try {
    process.kill(o.pid, 0);
    return 'alive';
  } catch (e) {
    return errno(e) === 'ESRCH' ? 'dead' : 'alive';
  }
}

function readOwner(dir: string): Owner | undefined {
  let v: Partial<Owner>;
  try {
    v = JSON.parse(readFileSync(`${dir}/owner`, 'utf8')) as Partial<Owner>;
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(v.pid) || typeof v.host !== 'string') return undefined;
  return { pid: v.pid!, boot: typeof v.boot === 'string' ? v.boot : null, start: typeof v.start === 'string' ? v.start : null, host: v.host };
}

/** What a waiter saw of an ownerless lock: its mtime, and since when (monotonic ms) unchanged. */
const seen = new Map<string, { mtimeMs: number; since: number }>();
// process.hrtime, not performance.now(): the `performance` global loads node:perf_hooks (~1 ms) on every lease call
const mono = (): number => Number(process.hrtime.bigint()) / 1e6;

function removeStale(dir: string, judged: Owner | undefined): void {
  // re-read just before removing: another waiter may have taken it over meanwhile
  const now = readOwner(dir);
  if (judged ? !now || now.pid !== judged.pid || now.start !== judged.start : now !== undefined) return;
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if (errno(e) === 'ENOENT') return;
    throw e;
  }
  for (const n of names) {
    if (n !== 'owner' && !n.startsWith('.owner-')) continue;
    try {
      unlinkSync(`${dir}/${n}`);
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw e;
    }
  }
  try {
    rmdirSync(dir);
  } catch (e) {
    if (errno(e) !== 'ENOENT' && errno(e) !== 'ENOTEMPTY') throw e;
  }
}

/** Rename the owner record into the freshly made lock directory (never a partial record). */
function claim(dir: string): void {
  const tmp = `${dir}/.owner-${process.pid}`;
  try {
    // The temporary name is fixed per process so that removeStale can clean up after a killed claim.
    writeFileAtomic(`${dir}/owner`, `${JSON.stringify(me())}\n`, undefined, { fsync: false, tmp });
  } catch (e) {
    releaseSync(dir, tmp);
    throw e;
  }
}

/** One attempt: true when this process now holds `dir`. */
function tryLock(dir: string, staleMs: number = STALE_MS): boolean {
  try {
    mkdirSync(dir);
    claim(dir);
    return true;
  } catch (e) {
    if (errno(e) !== 'EEXIST') throw e;
  }
  const owner = readOwner(dir);
  let stale: boolean;
  if (owner && ownerState(owner) !== 'unknown') {
    stale = ownerState(owner) === 'dead';
  } else {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(dir).mtimeMs;
    } catch (e) {
      if (errno(e) === 'ENOENT') return false; // released meanwhile: retry
      throw e;
    }
    const s = seen.get(dir);
    const t = mono();
    if (!s || s.mtimeMs !== mtimeMs) seen.set(dir, { mtimeMs, since: t });
    stale = Date.now() - mtimeMs > staleMs || (s !== undefined && s.mtimeMs === mtimeMs && t - s.since > staleMs);
  }
  if (!stale) return false;
  // stale: its holder died without cleaning up. Remove it and try once more.
  seen.delete(dir);
  removeStale(dir, owner);
  try {
    mkdirSync(dir);
    claim(dir);
    return true;
  } catch (e) {
    if (errno(e) === 'EEXIST') return false;
    throw e;
  }
}

/** Who holds `dir`, for the timeout message: only what can be said truthfully. */
function describeHolder(dir: string): { text: string; fix: string } {
  const o = readOwner(dir);
  if (o) {
    const st = ownerState(o);
    if (st === 'alive') return { text: `it is held by a running process (pid ${o.pid})`, fix: `retry; if that process is stuck, inspect it with \`ps -p ${o.pid} -o pid,etime,args\`` };
    if (st === 'unknown') return { text: `it is held by pid ${o.pid} on host ${o.host}, which this machine cannot check`, fix: `retry; if no gate process runs on ${o.host}, remove ${dir}` };
    return { text: `its holder (pid ${o.pid}) has exited and the lock is being taken over`, fix: 'retry' };
  }
  return { text: 'it is held by a process that left no owner record (proper-lockfile, or a holder killed while taking it); it counts as stale once unchanged for 10 s', fix: 'retry' };
}

export async function withMutex<T>(target: string, fn: () => Promise<T> | T, opts: MutexOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  if (!existsSync(target)) {
    try {
      mkdirSync(target.replace(/\/[^/]*$/, ''), { recursive: true });
      writeFileSync(target, '', { flag: 'wx' });
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw classifyFsError(e, `the lock on ${opts.what ?? target}`);
    }
  }
  const dir = `${target}.lock`;
  const deadline = mono() + timeoutMs;
  let delay = 2;
  for (;;) {
    let got: boolean;
    try {
      got = tryLock(dir, opts.staleMs);
    } catch (e) {
      throw classifyFsError(e, `the lock on ${opts.what ?? target}`);
    }
    if (got) break;
    if (mono() >= deadline) {
      const h = describeHolder(dir);
      throw new GateError('LEDGER_BUSY', `timed out after ${timeoutMs} ms waiting for the lock on ${opts.what ?? target} (${dir}): ${h.text}.`, { fix: h.fix });
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
    releaseSync(dir);
    unhookIfIdle();
  }
}
