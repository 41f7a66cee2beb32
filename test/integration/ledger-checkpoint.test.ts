/**
 * The commit path's incremental ledger verification (LedgerFile.verifyForCommit): it resumes
 * from a stored verified point only when that point still matches the file, finds rejections
 * before the point without trusting it, and any mismatch or failure gives the full
 * verification's answer. A bad or forged point can cost a full pass, never make a broken chain pass.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { LedgerFile } from '../../src/adapters/ledger-store.js';
import { makeTempDir } from '../helpers/repo.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const actor = { kind: 'agent' as const, id: 'agent-x', session: 'agent-x' };
const T = 'ab'.repeat(20);

async function ledgerWith(n: number): Promise<LedgerFile> {
  const dir = makeTempDir('gate-ledger-cp-');
  dirs.push(dir);
  const l = new LedgerFile(dir);
  for (let i = 0; i < n; i++) await l.append([{ event: 'commit', actor, subject: { tree: 'cd'.repeat(20), paths: [`f${i}.txt`] }, data: { files: 1 } }]);
  return l;
}

async function commitVerify(l: LedgerFile) {
  const seen: Array<{ seq: number; event: string; subject?: { tree?: string } }> = [];
  const r = await l.verifyForCommit((v) => seen.push(v as never));
  return { r, seen, rejects: seen.filter((e) => e.event === 'reject' && e.subject?.tree === T).map((e) => e.seq) };
}

describe('verifyForCommit', () => {
  it('verifies in full once, then only the new lines; rejections before the point are still found', async () => {
    const l = await ledgerWith(5);
    await l.append([{ event: 'reject', actor, subject: { tree: T, paths: ['rules/a.md'] }, data: { reason: 'no' } }]);
    await l.append([{ event: 'commit', actor, subject: {}, data: {} }]);
    const first = await commitVerify(l);
    expect(first.r).toMatchObject({ ok: true, entries: 7, incremental: false });
    expect(first.rejects).toEqual([6]);
    expect(JSON.parse(readFileSync(l.checkpointPath, 'utf8'))).toMatchObject({ v: 1, seq: 7 });

    await l.append([{ event: 'commit', actor, subject: {}, data: {} }, { event: 'reject', actor, subject: { tree: T, paths: [] }, data: { reason: 'again' } }]);
    const second = await commitVerify(l);
    expect(second.r).toMatchObject({ ok: true, entries: 9, incremental: true });
    expect(second.rejects).toEqual([6, 9]);
    const full = await l.verify();
    expect(second.r.tip).toBe(full.tip);

    // nothing new since the point
    const third = await commitVerify(l);
    expect(third.r).toMatchObject({ ok: true, entries: 9, incremental: true });
    expect(third.rejects).toEqual([6, 9]);
  });

  it('a checkpoint that does not match the file costs a full pass, never a pass of a broken chain', async () => {
    const l = await ledgerWith(6);
    await commitVerify(l);
    const good = JSON.parse(readFileSync(l.checkpointPath, 'utf8')) as { seq: number; offset: number; hash: string };
    const forged = [
      '{',
      JSON.stringify({ ...good, hash: '0'.repeat(64) }),
      JSON.stringify({ ...good, seq: good.seq - 1 }),
      JSON.stringify({ ...good, offset: good.offset - 3 }),
      JSON.stringify({ ...good, offset: good.offset + 10 }),
      JSON.stringify({ ...good, v: 2 }),
    ];
    for (const text of forged) {
      writeFileSync(l.checkpointPath, text);
      const { r } = await commitVerify(l);
      expect(r).toMatchObject({ ok: true, entries: 6, incremental: false });
    }

    // an edit after the point: the result is the full verification's, naming the line
    await commitVerify(l);
    await l.append([{ event: 'commit', actor, subject: {}, data: {} }, { event: 'commit', actor, subject: {}, data: {} }]);
    const text = readFileSync(l.path, 'utf8');
    writeFileSync(l.path, text.replace(/"seq":7,/, '"seq":7 ,'));
    const edited = await commitVerify(l);
    const full = await l.verify();
    expect(edited.r.ok).toBe(false);
    expect(edited.r.incremental).toBe(false);
    expect(edited.r.problem).toEqual(full.problem);
    expect(edited.rejects).toEqual([]);

    // a truncated tail behind a point that is still intact: refused
    writeFileSync(l.path, text);
    await commitVerify(l);
    const lines = text.split('\n');
    writeFileSync(l.path, `${lines.slice(0, 7).join('\n')}\n`);
    writeFileSync(l.checkpointPath, JSON.stringify({ v: 1, seq: 7, offset: Buffer.byteLength(`${lines.slice(0, 7).join('\n')}\n`), hash: (await new LedgerFile(l.dir).verify()).tip }));
    const truncated = await commitVerify(l);
    expect(truncated.r.ok).toBe(false);
    expect(truncated.r.problem?.reason).toBe('truncated');
  });

  it('a reject spelled with a \\u escape before the point is still found', async () => {
    const l = await ledgerWith(2);
    await l.append([{ event: 'reject', actor, subject: { tree: T, paths: [] }, data: { reason: 'rrrrrr' } }]);
    await l.append([{ event: 'commit', actor, subject: {}, data: {} }]);
    await commitVerify(l);
    await l.append([{ event: 'commit', actor, subject: {}, data: {} }]);
    // rewrite line 3 with the event escaped (same length: the reason loses 5 bytes); the checkpoint
    // at line 4 still matches its own line, so only the byte search can find the rejection
    const text = readFileSync(l.path, 'utf8').replace('"event":"reject"', '"event":"\\u0072eject"').replace('"reason":"rrrrrr"', '"reason":"r"');
    writeFileSync(l.path, text);
    const r = await commitVerify(l);
    expect(r.r.incremental).toBe(true);
    expect(r.rejects).toEqual([3]);
  });
});
