import { afterAll, describe, expect, it } from 'vitest';
import { closeSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFilesAtomic } from '../../src/adapters/files.js';
import { makeTempDir } from '../helpers/repo.js';

/**
 * writeFilesAtomic (src/adapters/files.ts): several files, each temp + fsync + rename, flushed side
 * by side; with `alsoFlush`, an open file (the ledger) in the same round, and nothing renamed unless
 * every flush succeeded. The lease and ledger paths that use it run in lock, ledger, kill-point and
 * disk-fault tests; these are its own edges.
 */
const dir = makeTempDir('gate-files-atomic-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFilesAtomic', () => {
  it('writes every file whole, creates the directory, and leaves no temp file', async () => {
    const a = join(dir, 'w', 'a.json');
    const b = join(dir, 'w', 'b.json');
    await writeFilesAtomic([
      { path: a, data: 'A\n' },
      { path: b, data: Buffer.from('B\n') },
    ]);
    expect([readFileSync(a, 'utf8'), readFileSync(b, 'utf8')]).toEqual(['A\n', 'B\n']);
    await writeFilesAtomic([{ path: a, data: 'A2\n' }]);
    expect(readFileSync(a, 'utf8')).toBe('A2\n');
    expect(readdirSync(join(dir, 'w')).sort()).toEqual(['a.json', 'b.json']);
  });

  it('flushes an open file in the same round (one file or several)', async () => {
    const log = join(dir, 'log.jsonl');
    const fd = openSync(log, 'a+');
    try {
      writeFileSync(fd, 'line\n');
      await writeFilesAtomic([{ path: join(dir, 'head'), data: 'h1\n' }], { alsoFlush: fd });
      await writeFilesAtomic([{ path: join(dir, 'head'), data: 'h2\n' }, { path: join(dir, 'other'), data: 'o\n' }], { alsoFlush: fd });
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(join(dir, 'head'), 'utf8')).toBe('h2\n');
    expect(readFileSync(log, 'utf8')).toBe('line\n');
  });

  it('renames nothing when a flush fails: the files keep their old text, the temp files are gone', async () => {
    const sub = join(dir, 'fail');
    const head = join(sub, 'head');
    await writeFilesAtomic([{ path: head, data: 'old\n' }]);
    const notOpen = 999_999; // no such descriptor: its flush fails (EBADF)
    await expect(writeFilesAtomic([{ path: head, data: 'new\n' }, { path: join(sub, 'x'), data: 'x\n' }], { alsoFlush: notOpen })).rejects.toMatchObject({ code: 'EBADF' });
    await expect(writeFilesAtomic([{ path: head, data: 'new\n' }], { alsoFlush: notOpen })).rejects.toMatchObject({ code: 'EBADF' });
    expect(readFileSync(head, 'utf8')).toBe('old\n');
    expect(readdirSync(sub)).toEqual(['head']);
  });
});
