/**
 * Crash consistency of the ledger and the mutex (issue 13, ADR 0011), in process on real files:
 * the states an interrupted append can leave (head behind by any number of entries, a torn
 * tail, no head after the first append), a lost state directory, fencing tokens without
 * fence.json, and a mutex whose holder died, runs, or left a lock dated in the future.
 * The kill-point test (kill-points.test.ts) produces these states with real SIGKILLs.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LedgerFile } from '../../src/adapters/ledger-store.js';
import { withMutex } from '../../src/adapters/mutex.js';
import { makeTempDir } from '../helpers/repo.js';

const base = makeTempDir('gate-recovery-');
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
function ledger(): LedgerFile {
  const dir = join(base, `s${n++}`, 'agent-gates');
  mkdirSync(dir, { recursive: true });
  return new LedgerFile(dir);
}
const ev = (i: number) => ({ event: 'init' as const, actor: { kind: 'system' as const, id: 't' }, data: { i } });
const lines = (l: LedgerFile) => readFileSync(l.path, 'utf8').trimEnd().split('\n').map((x) => JSON.parse(x) as { seq: number; event: string; data: Record<string, unknown> });

describe('ledger: the head is derived from the file', () => {
  it('a head behind by a whole batch (3 entries) is rolled forward by the next append; verify passes throughout', async () => {
    const l = ledger();
    await l.append([ev(1)]);
    const old = readFileSync(l.headPath, 'utf8');
    await l.append([ev(2), ev(3), ev(4)]);
    writeFileSync(l.headPath, old); // the kill between the data write and the head's rename
    expect((await l.verify()).ok).toBe(true);
    const [a] = await l.append([ev(5)]);
    expect(a!.entry.seq).toBe(5);
    expect(l.readHead()!.seq).toBe(5);
    expect((await l.verify()).ok).toBe(true);
  });

  it('lines after the head that do not chain from it (one edited) are refused, not rolled over', async () => {
    const l = ledger();
    await l.append([ev(1)]);
    const old = readFileSync(l.headPath, 'utf8');
    await l.append([ev(2), ev(3)]);
    writeFileSync(l.headPath, old);
    const text = readFileSync(l.path, 'utf8').replace('"i":2', '"i":9');
    writeFileSync(l.path, text);
    await expect(l.append([ev(4)])).rejects.toMatchObject({ code: 'LEDGER_CORRUPT' });
  });

  it('a torn tail is cut by the next append and the cut recorded in the same write', async () => {
    const l = ledger();
    await l.append([ev(1), ev(2)]);
    appendFileSync(l.path, '{"seq":3,"ts":"2026');
    await l.append([ev(3)]);
    const all = lines(l);
    expect(all.map((e) => e.event)).toEqual(['init', 'init', 'ledger.repair', 'init']);
    expect(all[2]!.data).toMatchObject({ cut_bytes: 19, automatic: true });
    expect((await l.verify()).ok).toBe(true);
  });

  it('no head after the first append: the append refuses, repair rebuilds it from the chain', async () => {
    const l = ledger();
    await l.append([ev(1), ev(2)]);
    rmSync(l.headPath);
    expect((await l.verify()).problem?.reason).toBe('head_missing');
    await expect(l.append([ev(3)])).rejects.toMatchObject({ code: 'LEDGER_CORRUPT', fix: expect.stringContaining('gate audit repair') });
    expect(await l.repairLocked()).toMatchObject({ cut: 0, headRebuilt: 2 });
    expect((await l.verify()).ok).toBe(true);
    expect((await l.append([ev(3)]))[0]!.entry.seq).toBe(3);
  });

  it('a head ahead of the file (truncation) stays LEDGER_CORRUPT', async () => {
    const l = ledger();
    await l.append([ev(1), ev(2)]);
    const text = readFileSync(l.path, 'utf8');
    writeFileSync(l.path, text.slice(0, text.indexOf('\n') + 1));
    await expect(l.append([ev(3)])).rejects.toMatchObject({ code: 'LEDGER_CORRUPT' });
  });

  it('a lost state directory is reported (STATE_MISSING), and restarted only on request', async () => {
    const l = ledger();
    await l.append([ev(1)]);
    const id = l.repoId(false);
    rmSync(l.dir, { recursive: true });
    await expect(l.append([ev(2)])).rejects.toMatchObject({ code: 'STATE_MISSING', fix: expect.stringContaining('gate audit repair --new-ledger') });
    expect(existsSync(l.path)).toBe(false);
    const r = l.restart();
    expect(r.previous).toBe(id);
    expect((await l.append([ev(2)]))[0]!.entry.seq).toBe(1);
  });

  it('lastSeq() reads the last complete entry (a torn tail ignored)', async () => {
    const l = ledger();
    expect(l.lastSeq()).toBe(0);
    await l.append([ev(1), ev(2), ev(3)]);
    appendFileSync(l.path, '{"seq":4');
    expect(l.lastSeq()).toBe(3);
  });
});

describe('mutex: staleness by owner, not by the clock', () => {
  const target = () => {
    const d = join(base, `m${n++}`);
    mkdirSync(d, { recursive: true });
    const t = join(d, 'x.lock');
    writeFileSync(t, '');
    return t;
  };
  const selfBoot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const host = process.getBuiltinModule('node:os').hostname();
  const startOf = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]!;

  it('a lock left by a dead owner is taken over at once, even dated an hour in the future', async () => {
    const t = target();
    mkdirSync(`${t}.lock`);
    writeFileSync(`${t}.lock/owner`, JSON.stringify({ pid: 999_999, boot: selfBoot, start: '1', host }));
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(`${t}.lock`, future, future);
    let ran = false;
    await withMutex(t, () => void (ran = true), { timeoutMs: 2_000 });
    expect(ran).toBe(true);
    expect(existsSync(`${t}.lock`)).toBe(false);
  });

  it('a lock from a previous boot is stale; a pid reused by another process is stale', async () => {
    for (const owner of [
      { pid: process.pid, boot: '00000000-0000-0000-0000-000000000000', start: startOf(process.pid), host },
      { pid: process.pid, boot: selfBoot, start: '1', host },
    ]) {
      const t = target();
      mkdirSync(`${t}.lock`);
      writeFileSync(`${t}.lock/owner`, JSON.stringify(owner));
      let ran = false;
      await withMutex(t, () => void (ran = true), { timeoutMs: 2_000 });
      expect(ran).toBe(true);
    }
  });

  it('a running owner is never stale however old its mtime; the timeout names it truthfully', async () => {
    const t = target();
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 50));
      mkdirSync(`${t}.lock`);
      writeFileSync(`${t}.lock/owner`, JSON.stringify({ pid: child.pid, boot: selfBoot, start: startOf(child.pid!), host }));
      const past = new Date(Date.now() - 3_600_000);
      utimesSync(`${t}.lock`, past, past);
      await expect(withMutex(t, () => undefined, { timeoutMs: 300, what: 'the ledger' })).rejects.toMatchObject({
        code: 'LEDGER_BUSY',
        message: expect.stringContaining(`held by a running process (pid ${child.pid})`),
      });
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.on('close', r));
    let ran = false;
    await withMutex(t, () => void (ran = true), { timeoutMs: 2_000 });
    expect(ran).toBe(true);
  });

  it('an ownerless lock dated in the future (clock stepped back) is stale once unchanged for the stale period', async () => {
    const t = target();
    mkdirSync(`${t}.lock`);
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(`${t}.lock`, future, future);
    let ran = false;
    await withMutex(t, () => void (ran = true), { timeoutMs: 5_000, staleMs: 300 });
    expect(ran).toBe(true);
  });
});
