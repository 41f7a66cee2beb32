/**
 * Adapter: plain file operations for app/ (ADR 0002: only adapters touch the world), named for
 * what the use cases do with them, and the one atomic write.
 */
import { closeSync, cpSync, existsSync, fsync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync, writeSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';

/** True when something exists at `path` (following symbolic links). */
export function exists(path: string): boolean {
  return existsSync(path);
}

/** A file's text (UTF-8). Throws the OS error. */
export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/** A file's text, or undefined when it cannot be read. */
export function readTextIfAny(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A file's bytes. Throws the OS error. */
export function readBytes(path: string): Buffer {
  return readFileSync(path);
}

/** Size and modification time (following symbolic links). Throws the OS error. */
export function fileStat(path: string): { size: number; mtimeMs: number } {
  const st = statSync(path);
  return { size: st.size, mtimeMs: st.mtimeMs };
}

/** What is at `path` without following a symbolic link; undefined when nothing is. */
export function entryAt(path: string): { kind: 'file' | 'dir' | 'symlink' | 'other'; mode: number; size: number; mtimeMs: number } | undefined {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return undefined;
  }
  const kind = st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
  return { kind, mode: st.mode, size: st.size, mtimeMs: st.mtimeMs };
}

/** Names in a directory; `filesOnly`: regular files and symbolic links. Throws the OS error. */
export function listDir(path: string, opts: { filesOnly?: boolean } = {}): string[] {
  if (!opts.filesOnly) return readdirSync(path);
  return readdirSync(path, { withFileTypes: true })
    .filter((e) => e.isFile() || e.isSymbolicLink())
    .map((e) => e.name);
}

/** Create a directory and its parents. */
export function makeDir(path: string): void {
  mkdirSync(path, { recursive: true });
}

/** Remove a file; false when it was not there or could not be removed. */
export function removeFile(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Remove a file, throwing the OS error. */
export function removeFileOrThrow(path: string): void {
  unlinkSync(path);
}

/** Create an empty file, failing with EEXIST when the name is taken (parents created). */
export function createExclusive(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '', { flag: 'wx' });
}

/** The canonical path (symbolic links resolved). Throws the OS error. */
export function realPath(path: string): string {
  return realpathSync(path);
}

/** Copy a directory tree over another (files overwritten). */
export function copyTree(from: string, to: string): void {
  cpSync(from, to, { recursive: true, force: true });
}

let seq = 0;

/**
 * Write a file atomically: temp file in the same directory, fsync, rename. Nothing half-written.
 * The temp name needs to be unique, not unpredictable: pid + time + a counter, created with
 * O_EXCL ('wx'), so two writers can never share one (and no `node:crypto` on the commit path).
 * `{ tmp }` names the temporary file (the mutex cleans up its own after a kill).
 * `{ fsync: false }` is for hints whose loss in a crash only costs time (the commit receipt):
 * still whole-or-nothing, without the flush.
 */
export function writeFileAtomic(path: string, data: string | Buffer, mode?: number, opts: { fsync?: boolean; tmp?: string } = {}): void {
  if (!opts.tmp) mkdirSync(dirname(path), { recursive: true });
  const tmp = opts.tmp ?? `${path}.tmp-${process.pid}-${Date.now().toString(36)}-${(seq++).toString(36)}`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    if (opts.fsync !== false) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* ignore */
    }
    throw e;
  }
}

/**
 * writeFileAtomic for several files that must each be durable, no order among them: every temp file
 * is written, then all are flushed side by side (on the thread pool: the filesystem commits its
 * journal once for them instead of once per file), then renamed in the order given. Each file is
 * still whole-or-nothing and flushed before its rename; a failure before the renames leaves every
 * file as it was (temp files removed). One file: writeFileAtomic itself.
 * `{ alsoFlush: fd }` flushes that open file in the same round, and renames nothing unless its flush
 * succeeded too (the ledger: its new lines must be durable before the head that names them).
 */
export async function writeFilesAtomic(files: ReadonlyArray<{ path: string; data: string | Buffer }>, opts: { alsoFlush?: number } = {}): Promise<void> {
  if (files.length <= 1 && opts.alsoFlush === undefined) {
    for (const f of files) writeFileAtomic(f.path, f.data);
    return;
  }
  const open: { fd: number; tmp: string; path: string }[] = [];
  const discard = (from: number): void => {
    for (const o of open.slice(from)) {
      try {
        unlinkSync(o.tmp);
      } catch {
        /* ignore */
      }
    }
  };
  try {
    for (const f of files) {
      mkdirSync(dirname(f.path), { recursive: true });
      const tmp = `${f.path}.tmp-${process.pid}-${Date.now().toString(36)}-${(seq++).toString(36)}`;
      const fd = openSync(tmp, 'wx');
      open.push({ fd, tmp, path: f.path });
      writeSync(fd, typeof f.data === 'string' ? Buffer.from(f.data) : f.data);
    }
    // every flush settles before any descriptor is closed
    const fds = [...(opts.alsoFlush === undefined ? [] : [opts.alsoFlush]), ...open.map((o) => o.fd)];
    const flushed = await Promise.allSettled(fds.map((fd) => new Promise<void>((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())))));
    const failed = flushed.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (e) {
    for (const o of open) closeQuietly(o.fd);
    discard(0);
    throw e;
  }
  for (const o of open) closeSync(o.fd);
  for (let i = 0; i < open.length; i++) {
    try {
      renameSync(open[i]!.tmp, open[i]!.path);
    } catch (e) {
      discard(i);
      throw e;
    }
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* ignore */
  }
}

/** Move a file within one filesystem (a rename: the file is at one of the two names at any time). */
export function moveFile(from: string, to: string): void {
  renameSync(from, to);
}
