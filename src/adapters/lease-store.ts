/**
 * Lease records on disk: `<git common dir>/agent-gates/leases/`, one JSON file per leased path
 * (file name = sha256 of the path + a readable suffix) and `fence.json`, the fencing counter.
 * Every read-modify-write happens under one proper-lockfile mutex (`.mutex`), which dies with its
 * process; the records themselves are the leases. Unreadable or malformed records are
 * LEASE_CORRUPT (CANNOT_EVALUATE), never "free".
 */
import { sha256Hex } from '../kernel/sha256.js';
import { readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { GateError } from '../kernel/errors.js';
import { fenceProblem, leaseProblem, LEASE_FORMAT, type FenceCounter, type LeaseRecord } from '../schema/lease/schema.js';
import { writeFileAtomic, writeFilesAtomic } from './files.js';
import { withMutex } from './mutex.js';

export const LEASE_FILE_RE = /^[0-9a-f]{32}-[A-Za-z0-9._-]{0,40}\.json$/;

/** Safe, stable file name for a repository path. */
export function leaseFileName(path: string): string {
  const hex = sha256Hex(path).slice(0, 32);
  const base = path.split('/').slice(-2).join('_').replace(/[^A-Za-z0-9._-]/g, '_').slice(-40);
  return `${hex}-${base}.json`;
}

const recordText = (rec: LeaseRecord): string => `${JSON.stringify(rec, null, 2)}\n`;
const fenceText = (last: number): string => `${JSON.stringify({ v: LEASE_FORMAT, last } satisfies FenceCounter)}\n`;

function breakFix(path: string | undefined, file: string): string {
  return path
    ? `inspect ${file}; if the lease is not needed, a person at a terminal removes it with: gate lock break '${path.replace(/'/g, `'\\''`)}' --reason '<why>'`
    : `inspect ${file}; if it is not a lease you need, move it out of the leases directory`;
}

export class LeaseStore {
  readonly dir: string;
  readonly fencePath: string;
  private readonly mutexPath: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'leases');
    this.fencePath = join(this.dir, 'fence.json');
    this.mutexPath = join(this.dir, '.mutex');
  }

  fileFor(path: string): string {
    return join(this.dir, leaseFileName(path));
  }

  /** Run a read-modify-write under the lease mutex. */
  locked<T>(fn: () => Promise<T> | T): Promise<T> {
    return withMutex(this.mutexPath, fn, { what: 'the lease records', timeoutMs: 30_000 });
  }

  /** The record for a path, undefined when free; LEASE_CORRUPT when it cannot be trusted. */
  read(path: string): LeaseRecord | undefined {
    const file = this.fileFor(path);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new GateError('LEASE_CORRUPT', `the lease record for ${path} (${file}) cannot be read: ${(e as Error).message}. A lease that cannot be read is never treated as free.`, {
        fix: breakFix(path, file),
      });
    }
    return this.parse(text, file, path);
  }

  private parse(text: string, file: string, expectPath: string | undefined): LeaseRecord {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new GateError('LEASE_CORRUPT', `the lease record ${file}${expectPath ? ` (for ${expectPath})` : ''} is not valid JSON. A corrupt lease is never treated as free.`, {
        fix: breakFix(expectPath, file),
      });
    }
    const problem = leaseProblem(v);
    if (problem) {
      throw new GateError('LEASE_CORRUPT', `the lease record ${file}${expectPath ? ` (for ${expectPath})` : ''} is malformed (${problem}). A corrupt lease is never treated as free.`, {
        fix: breakFix(expectPath, file),
      });
    }
    const rec = v as LeaseRecord;
    if (expectPath !== undefined && rec.path !== expectPath) {
      throw new GateError('LEASE_CORRUPT', `the lease record ${file} should describe ${expectPath} but names ${rec.path}.`, { fix: breakFix(expectPath, file) });
    }
    if (leaseFileName(rec.path) !== file.slice(this.dir.length + 1)) {
      throw new GateError('LEASE_CORRUPT', `the lease record ${file} names ${rec.path}, whose record file would be ${leaseFileName(rec.path)}.`, { fix: breakFix(rec.path, file) });
    }
    return rec;
  }

  /** Every lease record, sorted by path. */
  list(): LeaseRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new GateError('LEASE_CORRUPT', `the lease directory ${this.dir} cannot be read: ${(e as Error).message}.`, { fix: `check the permissions of ${this.dir}` });
    }
    const out: LeaseRecord[] = [];
    for (const name of names) {
      if (name === 'fence.json' || name.startsWith('.') || name.includes('.tmp-')) continue;
      const file = join(this.dir, name);
      if (!LEASE_FILE_RE.test(name)) {
        throw new GateError('LEASE_CORRUPT', `unexpected file ${file} in the lease directory: gate cannot tell which document it locks.`, { fix: breakFix(undefined, file) });
      }
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
        throw new GateError('LEASE_CORRUPT', `the lease record ${file} cannot be read: ${(e as Error).message}.`, { fix: breakFix(undefined, file) });
      }
      out.push(this.parse(text, file, undefined));
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** `{ fsync: false }`: a copy whose loss in a crash costs nothing (the remote leases' write-through). */
  write(rec: LeaseRecord, opts: { fsync?: boolean } = {}): void {
    writeFileAtomic(this.fileFor(rec.path), recordText(rec), undefined, opts);
  }

  remove(path: string): void {
    try {
      unlinkSync(this.fileFor(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  /** Raw bytes of a record (for `break`, which must also clear corrupt records). */
  raw(path: string): string | undefined {
    try {
      return readFileSync(this.fileFor(path), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** The last fencing token handed out (0 before the first grant). */
  readFence(): number {
    let text: string;
    try {
      text = readFileSync(this.fencePath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw new GateError('LEASE_CORRUPT', `the fencing counter ${this.fencePath} cannot be read: ${(e as Error).message}.`, { fix: `check the permissions of ${this.fencePath}` });
    }
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      v = undefined;
    }
    const problem = fenceProblem(v);
    if (problem) {
      throw new GateError('LEASE_CORRUPT', `the fencing counter ${this.fencePath} is corrupt (${problem ?? 'not JSON'}); new grants could reuse a token, so none are made.`, {
        fix: `restore it: write {"v":1,"last":N} with N at least the highest "token" in ${this.dir}/*.json and in the ledger's lease events`,
      });
    }
    return (v as FenceCounter).last;
  }

  /**
   * The records of a grant or renewal, after its ledger entry, and the fencing counter when it
   * moved: each temp + fsync + rename, flushed side by side (files.ts writeFilesAtomic).
   */
  async writeRecords(recs: readonly LeaseRecord[], fence?: number): Promise<void> {
    await writeFilesAtomic([
      ...(fence === undefined ? [] : [{ path: this.fencePath, data: fenceText(fence) }]),
      ...recs.map((rec) => ({ path: this.fileFor(rec.path), data: recordText(rec) })),
    ]);
  }
}
