/**
 * Disk faults are coded failures, not bugs (issue 13): a read-only state directory (tested as a
 * non-root user: root ignores permissions), a full disk (a small tmpfs mounted on the state
 * directory where this machine allows it; strace's ENOSPC injection runs in kill-points.test.ts
 * everywhere), the ledger replaced by a directory or a dangling symbolic link, `leases/` or
 * `pending/` a regular file. Each: exit 3 naming the path and the OS error with a fix, no stack,
 * and once the fault is gone the next command works (after `gate audit repair` at most).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeLab } from '../helpers/killpoints.js';
import { GATE_BIN, run } from '../helpers/repo.js';

const lab = makeLab();
const S = lab.stateDir;
afterAll(() => lab.r.cleanup());
const STACK = /\n\s+at .+:\d+:\d+|internal error/;

function expectCoded(r: { code: number; stderr: string }, path: string, errno: string): void {
  expect(r.code, r.stderr).toBe(3);
  expect(r.stderr).toContain(path);
  expect(r.stderr).toContain(errno);
  expect(r.stderr).toMatch(/\nfix: /);
  expect(r.stderr).not.toMatch(STACK);
}

/**
 * Once the fault is gone, the next commands work (after `gate audit repair` at most). The faults
 * themselves always meet real processes; the check afterwards runs through the binary once (`real`)
 * and in process otherwise (the same argv, output and exit code: test/helpers/gate-in.ts).
 */
async function worksAgain(real = false): Promise<void> {
  const gate = (args: string[]) => lab.r.gateIn(args, { binary: real });
  if ((await gate(['audit', 'verify'])).code !== 0) expect((await gate(['audit', 'repair'])).code).toBe(0);
  expect((await gate(['audit', 'verify'])).code).toBe(0);
  const a = await gate(['lock', 'acquire', 'progress.md', '--owner', 'a']);
  expect(a.code, a.stderr).toBe(0);
  const r = await gate(['lock', 'release', 'progress.md', '--owner', 'a']);
  expect(r.code, r.stderr).toBe(0);
}

describe('disk faults', () => {
  it('the ledger replaced by a directory, then by a dangling symbolic link', async () => {
    await lab.r.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'a']);
    await lab.r.gateIn(['lock', 'release', 'progress.md', '--owner', 'a']);
    const ledger = join(S, 'ledger.jsonl');
    renameSync(ledger, `${ledger}.bak`);
    mkdirSync(ledger);
    expectCoded(lab.gate(['lock', 'acquire', 'progress.md', '--owner', 'a']), ledger, 'EISDIR');
    expectCoded(lab.gate(['audit', 'verify']), ledger, 'EISDIR');
    rmSync(ledger, { recursive: true });
    symlinkSync('/nonexistent/ledger.jsonl', ledger);
    expectCoded(lab.gate(['lock', 'acquire', 'progress.md', '--owner', 'a']), ledger, 'ENOENT');
    rmSync(ledger);
    renameSync(`${ledger}.bak`, ledger);
    await worksAgain(true);
  });

  it('leases/ a regular file; pending/ a regular file (an ordinary commit is refused coded, no stack)', async () => {
    const leases = join(S, 'leases');
    renameSync(leases, `${leases}.bak`);
    writeFileSync(leases, '');
    expectCoded(lab.gate(['lock', 'acquire', 'progress.md', '--owner', 'a']), leases, 'ENOTDIR');
    rmSync(leases);
    renameSync(`${leases}.bak`, leases);
    const pending = join(S, 'pending');
    rmSync(pending, { recursive: true, force: true });
    writeFileSync(pending, '');
    lab.r.write('p.txt', 'p\n');
    lab.r.gitOk('add', 'p.txt');
    const c = lab.r.git('commit', '-q', '-m', 'p');
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain(pending);
    expect(c.stderr).not.toMatch(STACK);
    rmSync(pending);
    expect(lab.r.git('commit', '-q', '-m', 'p').code).toBe(0);
    await worksAgain();
  });

  it('a read-only state directory, as a user who is not root', async () => {
    const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'] : [];
    if (asUser.length) {
      // nobody must be able to reach and read the repository: open the temp tree for reading
      for (let d = lab.r.dir; d !== '/' && d !== '/tmp'; d = join(d, '..')) chmodSync(d, 0o755);
      spawnSync('chmod', ['-R', 'a+rX', lab.r.home, lab.r.dir]);
    }
    spawnSync('chmod', ['-R', 'a-w', S]);
    try {
      const env = { ...lab.env, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: '*' };
      const r = run(asUser[0] ?? process.execPath, [...asUser.slice(1), ...(asUser.length ? [process.execPath] : []), GATE_BIN, 'lock', 'acquire', 'progress.md', '--owner', 'ro'], { cwd: lab.r.dir, env });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/EACCES|EROFS|EPERM/);
      expect(r.stderr).toContain(S);
      expect(r.stderr).not.toMatch(STACK);
    } finally {
      spawnSync('chmod', ['-R', 'u+w', S]);
    }
    await worksAgain();
  });

  it('a deleted state directory is reported (STATE_MISSING), never silently recreated; `gate audit repair --new-ledger` starts over and records the loss', async () => {
    const moved = `${S}.gone`;
    renameSync(S, moved);
    try {
      const a = lab.gate(['lock', 'acquire', 'progress.md', '--owner', 'a']);
      expect(a.code).toBe(3);
      expect(a.stderr).toContain('gone');
      expect(a.stderr).toContain('gate audit repair --new-ledger');
      expect(a.stderr).not.toMatch(STACK);
      const r = lab.gate(['audit', 'repair', '--new-ledger', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).restarted.previous).toMatch(/^[0-9a-f-]{36}$/);
      const first = lab.ledger()[0]!;
      expect(first.event).toBe('ledger.repair');
      expect(first.data).toMatchObject({ new_ledger: true, reason: 'the state directory was lost' });
      await worksAgain();
      // --new-ledger refuses while a ledger is there
      expect(lab.gate(['audit', 'repair', '--new-ledger']).code).toBe(2); // the file's exit 2, through the binary
    } finally {
      rmSync(S, { recursive: true, force: true });
      renameSync(moved, S);
    }
    await worksAgain();
  });

  it('a full disk: a 256 KiB tmpfs on the state directory (where mounting is allowed)', async () => {
    const mnt = join(lab.r.home, 'full');
    mkdirSync(mnt);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
    if (m.status !== 0) {
      // no mount here: strace's ENOSPC injection (kill-points.test.ts) covers the full disk
      expect(m.status).not.toBe(0);
      return;
    }
    try {
      spawnSync('cp', ['-a', `${S}/.`, mnt]);
      const moved = `${S}.real`;
      renameSync(S, moved);
      symlinkSync(mnt, S);
      // fill it up
      writeFileSync(join(mnt, 'filler'), Buffer.alloc(0));
      spawnSync('sh', ['-c', `dd if=/dev/zero of='${join(mnt, 'filler')}' bs=1k count=1000 2>/dev/null`]);
      let failed = 0;
      for (let i = 0; i < 5; i++) {
        const a = lab.gate(['lock', 'acquire', `d${i}/progress.md`, '--owner', 'a', '--reason', 'x'.repeat(2000)]);
        expect(a.stderr).not.toMatch(STACK);
        expect([0, 3]).toContain(a.code);
        if (a.code === 3) {
          failed += 1;
          expect(a.stderr).toContain('ENOSPC');
        }
      }
      expect(failed).toBeGreaterThan(0);
      rmSync(join(mnt, 'filler'));
      // space freed: never wedged
      await worksAgain();
      rmSync(S);
      spawnSync('cp', ['-a', `${mnt}/.`, moved]);
      renameSync(moved, S);
    } finally {
      spawnSync('umount', ['-l', mnt]);
    }
    await worksAgain();
  });
});
