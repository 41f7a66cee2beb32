/**
 * Adapter: the ledger's verified-point cache, `<state dir>/cache/ledger-verified.json`
 * ({v: 1, seq, offset, hash}: how far the last successful verification reached). The commit
 * path resumes from it (LedgerFile.verifyForCommit). A cache: deleting it is safe, and a bad or
 * forged point can only cost a full pass (the reader re-checks the line it names).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';
import type { VerifiedPoint } from './ledger-reader.js';

export class VerifiedPointCache {
  readonly path: string;
  constructor(stateDir: string) {
    this.path = join(stateDir, 'cache', 'ledger-verified.json');
  }

  /** The stored point; undefined when there is none or it is malformed. May throw on I/O. */
  read(): VerifiedPoint | undefined {
    if (!existsSync(this.path)) return undefined;
    const cp = JSON.parse(readFileSync(this.path, 'utf8')) as { v?: unknown; seq?: unknown; offset?: unknown; hash?: unknown };
    if (cp.v !== 1 || !Number.isSafeInteger(cp.seq) || !Number.isSafeInteger(cp.offset) || typeof cp.hash !== 'string' || !/^[0-9a-f]{64}$/.test(cp.hash)) return undefined;
    return { seq: cp.seq as number, offset: cp.offset as number, hash: cp.hash };
  }

  /** Remember a point (skipped when unchanged: no write and no fsync). Never throws. */
  write(point: VerifiedPoint): void {
    const text = `${JSON.stringify({ v: 1, seq: point.seq, offset: point.offset, hash: point.hash })}\n`;
    try {
      if (existsSync(this.path) && readFileSync(this.path, 'utf8') === text) return;
      writeFileAtomic(this.path, text);
    } catch {
      /* a point that cannot be written only costs time */
    }
  }
}
