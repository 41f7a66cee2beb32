/**
 * Filesystem failures classified at the adapter boundary (issue 13): every errno error an
 * adapter meets on gate's state or on a file it must read becomes a coded GateError
 * (FS_FAILED, exit 3) naming the path, the OS error and a fix. Exit 70 stays for bugs.
 */
import { dirname } from 'node:path';
import { GateError, isGateError } from '../kernel/errors.js';

const WHY: Record<string, { why: string; fix: (path: string) => string }> = {
  EROFS: { why: 'the filesystem is read-only', fix: (p) => `remount the filesystem holding ${p} read-write` },
  EACCES: { why: 'permission denied', fix: (p) => `give your user write access to ${dirname(p)} and ${p} (ls -ld '${dirname(p)}' '${p}')` },
  EPERM: { why: 'operation not permitted', fix: (p) => `give your user write access to ${dirname(p)} and ${p} (ls -ld '${dirname(p)}' '${p}')` },
  ENOSPC: { why: 'no space left on the device', fix: (p) => `free space on the filesystem holding ${p} (df -h '${p}'), then retry; \`gate audit verify\` checks the ledger` },
  EDQUOT: { why: 'the disk quota is exhausted', fix: (p) => `free space within your quota for ${p}, then retry` },
  EISDIR: { why: 'a directory is where a file should be', fix: (p) => `move ${p} aside (it should be a file), then retry` },
  ENOTDIR: { why: 'a file is where a directory should be', fix: (p) => `one of the directories on the way to ${p} is a regular file: move it aside (ls -l each parent), then retry` },
  ELOOP: { why: 'a symbolic link loops', fix: (p) => `replace the symbolic link ${p} with the file it should be` },
  ENOENT: { why: 'a file or directory it needs does not exist (a dangling symbolic link?)', fix: (p) => `check ${p} (ls -l '${p}'); a dangling symbolic link must be replaced by the file` },
  EEXIST: { why: 'something already exists where a new file goes', fix: (p) => `move ${p} aside, then retry` },
  ENOTEMPTY: { why: 'a directory that should be empty is not', fix: (p) => `inspect ${p}, then retry` },
  EIO: { why: 'an I/O error from the device', fix: (p) => `check the disk holding ${p} (dmesg)` },
  EMFILE: { why: 'too many open files', fix: () => 'raise the open-file limit (ulimit -n), then retry' },
  ENFILE: { why: 'too many open files in the system', fix: () => 'retry when fewer files are open' },
  ENAMETOOLONG: { why: 'a path is too long', fix: (p) => `use a shorter path than ${p}` },
  EFBIG: { why: 'the file is too large', fix: (p) => `check ${p}` },
  EBUSY: { why: 'the resource is busy', fix: () => 'retry' },
};

export function isErrno(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && /^E[A-Z0-9]+$/.test((e as NodeJS.ErrnoException).code!) && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** The coded error for an errno failure; other errors are returned unchanged. */
export function classifyFsError(e: unknown, what?: string, fallbackPath?: string): unknown {
  if (isGateError(e) || !isErrno(e)) return e;
  const code = e.code!;
  const path = e.path ?? (e as { dest?: string }).dest ?? fallbackPath ?? '(unknown path)';
  const w = WHY[code] ?? { why: 'the operating system refused it', fix: (p: string) => `check ${p}, then retry` };
  return new GateError('FS_FAILED', `${what ? `${what}: ` : ''}cannot ${e.syscall} ${path}: ${w.why} (${code}).`, {
    fix: w.fix(path),
    cause: e,
    data: { path, errno: code, syscall: e.syscall },
  });
}

/** Run `fn`, turning errno failures into FS_FAILED. */
export function fsBoundary<T>(what: string, fn: () => T, path?: string): T {
  try {
    const r = fn();
    if (r instanceof Promise) return r.catch((e: unknown) => Promise.reject(classifyFsError(e, what, path))) as T;
    return r;
  } catch (e) {
    throw classifyFsError(e, what, path);
  }
}
