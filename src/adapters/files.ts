import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';

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

/** Move a file within one filesystem (a rename: the file is at one of the two names at any time). */
export function moveFile(from: string, to: string): void {
  renameSync(from, to);
}
