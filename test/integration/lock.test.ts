/**
 * Gate A against real git and real files: the built CLI in temporary repositories. The races and
 * the killed holder are real processes; each exit code and output shape has a run of the binary
 * (`r.gate`) and real hook commits; the other lease requests run in process (`r.gateIn`) and the
 * other commits with the hooks' verdicts in process (`commitIn`).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitIn } from '../helpers/commit.js';
import { GATE_BIN, PKG_ROOT, makeRepo, run, type TempRepo } from '../helpers/repo.js';

// a plain git hook that runs the built CLI (the e2e tier covers husky)
const repo = (): TempRepo => makeRepo({ files: { 'progress.md': '0\n', 'README.md': 'hello\n' }, hooks: ['pre-commit'], cleanup: 'test' });

function ledger(r: TempRepo): { seq: number; event: string; actor: { id: string }; subject: { paths?: string[] }; data: Record<string, any> }[] {
  const p = join(r.dir, '.git', 'agent-gates', 'ledger.jsonl'); // (repo() is a plain repository: its common dir is .git)
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const json = (s: string) => JSON.parse(s) as Record<string, any>;

// the full 16 × 50 under GATE_STRESS=1 (npm run test:stress); a small version in the default run
const WORKERS = process.env.GATE_STRESS === '1' ? 16 : 4;
const CYCLES = process.env.GATE_STRESS === '1' ? 50 : 8;
const TOTAL = WORKERS * CYCLES;

describe('gate lock: concurrency', () => {
  it(`${WORKERS} processes × ${CYCLES} acquire → increment → release cycles leave the counter at exactly ${TOTAL}`, async () => {
    const r = repo();
    // A private copy of the built CLI: this test runs for minutes, and a rebuild of dist/ in the
    // shared working tree must not pull modules out from under 1600 gate processes.
    const pkg = join(r.home, 'pkg');
    cpSync(join(PKG_ROOT, 'dist'), join(pkg, 'dist'), { recursive: true });
    cpSync(join(PKG_ROOT, 'bin'), join(pkg, 'bin'), { recursive: true });
    cpSync(join(PKG_ROOT, 'package.json'), join(pkg, 'package.json'));
    const bin = join(pkg, 'bin', 'gate.js');
    const worker = join(r.home, 'worker.mjs');
    writeFileSync(
      worker,
      `import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
const [id, cycles] = process.argv.slice(2);
const gate = (args) => spawnSync(process.execPath, [${JSON.stringify(bin)}, ...args], { encoding: 'utf8' });
for (let i = 0; i < Number(cycles); i++) {
  const a = gate(['lock', 'acquire', 'progress.md', '--owner', 'w' + id, '--wait', '10m', '--ttl', '10m']);
  if (a.status !== 0) { console.error('acquire failed', a.status, a.stderr); process.exit(10); }
  const n = Number(readFileSync('progress.md', 'utf8').trim());
  writeFileSync('progress.md', String(n + 1) + '\\n');
  const b = gate(['lock', 'release', 'progress.md', '--owner', 'w' + id]);
  if (b.status !== 0) { console.error('release failed', b.status, b.stderr); process.exit(11); }
}
`,
    );
    const codes = await Promise.all(
      Array.from({ length: WORKERS }, (_, i) =>
        new Promise<{ code: number | null; err: string }>((resolve) => {
          const p = spawn(process.execPath, [worker, String(i), String(CYCLES)], { cwd: r.dir, env: r.env, stdio: ['ignore', 'ignore', 'pipe'] });
          let err = '';
          p.stderr.on('data', (d) => (err += d));
          p.on('close', (code) => resolve({ code, err }));
        }),
      ),
    );
    expect(codes.filter((c) => c.code !== 0)).toEqual([]);
    expect(r.read('progress.md')).toBe(`${TOTAL}\n`);
    const events = ledger(r);
    const grants = events.filter((e) => e.event === 'lease.grant');
    expect(grants).toHaveLength(TOTAL);
    expect(events.filter((e) => e.event === 'lease.release')).toHaveLength(TOTAL);
    // Fencing tokens strictly increase in ledger order, each above every ledger entry before its grant (ADR 0011).
    const tokens = grants.map((g) => g.data.token as number);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1]!);
    for (const g of grants) expect(g.data.token as number).toBeLessThanOrEqual(g.seq);
    // Grants and releases alternate: nobody was granted while another held it.
    const seq = events.filter((e) => e.event === 'lease.grant' || e.event === 'lease.release').map((e) => e.event);
    for (let i = 0; i < seq.length; i += 2) expect([seq[i], seq[i + 1]]).toEqual(['lease.grant', 'lease.release']);
    expect((await r.gateIn(['audit', 'verify'])).code).toBe(0);
  }, 1_800_000);

  it('a holder killed with SIGKILL is taken over after its TTL, with a higher fencing token', async () => {
    const r = repo();
    // The holder: takes the lease, then keeps running until it is killed.
    const holder = spawn(
      process.execPath,
      ['-e', `const r=require('child_process').spawnSync(process.execPath,[${JSON.stringify(GATE_BIN)},'lock','acquire','progress.md','--owner','victim','--ttl','2s','--json'],{encoding:'utf8'});process.stdout.write(r.stdout);setInterval(()=>{},1000);`],
      { cwd: r.dir, env: r.env, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const out = await new Promise<string>((resolve) => {
      let s = '';
      holder.stdout.on('data', (d) => {
        s += d;
        if (s.trim().endsWith('}')) resolve(s);
      });
    });
    const first = json(out);
    expect(first.granted[0].kind).toBe('grant');
    holder.kill('SIGKILL');
    await new Promise((res) => holder.on('close', res));

    const t = r.gate(['lock', 'acquire', 'progress.md', '--owner', 'rescuer', '--wait', '60s', '--json']);
    expect(t.code, t.stderr).toBe(0);
    const g = json(t.stdout).granted[0];
    expect(g.kind).toBe('takeover');
    expect(g.previous.owner).toBe('victim');
    expect(g.token).toBeGreaterThan(first.granted[0].token);
    const takeover = ledger(r).find((e) => e.event === 'lease.takeover')!;
    expect(takeover.actor.id).toBe('rescuer');
    expect(takeover.data.previous.owner).toBe('victim');
    expect(takeover.data.token).toBe(g.token);
  });
});

describe('gate lock: leases', () => {
  it('grants, denies another owner with holder/since/expiry, extends for the holder, releases', async () => {
    const r = repo();
    const a = r.gate(['lock', 'acquire', 'progress.md', '--owner', 'a', '--reason', 'writing the resume point', '--json']);
    expect(a.code).toBe(0);
    const ga = json(a.stdout).granted[0];
    const b = r.gate(['lock', 'acquire', 'progress.md', '--owner', 'b', '--json']);
    expect(b.code).toBe(1);
    const denied = json(b.stdout).denied[0];
    expect(denied).toMatchObject({ path: 'progress.md', owner: 'a', since: ga.acquired, expires: ga.expires });
    const bt = r.gate(['lock', 'acquire', 'progress.md', '--owner', 'b']);
    expect(bt.stderr).toContain('held by a since');
    const again = json((await r.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'a', '--ttl', '2h', '--json'])).stdout);
    expect(again.granted[0]).toMatchObject({ kind: 'extend', token: ga.token, acquired: ga.acquired });
    expect(Date.parse(again.granted[0].expires)).toBeGreaterThan(Date.parse(ga.expires));
    expect((await r.gateIn(['lock', 'release', 'progress.md', '--owner', 'b'])).code).toBe(1);
    expect((await r.gateIn(['lock', 'renew', 'progress.md', '--owner', 'b'])).code).toBe(1);
    expect(r.gate(['lock', 'renew', 'progress.md', '--owner', 'a', '--ttl', '5m']).code).toBe(0);
    expect((await r.gateIn(['lock', 'release', 'progress.md', '--owner', 'a'])).code).toBe(0);
    expect(json((await r.gateIn(['lock', 'status', 'progress.md', '--json'])).stdout).leases[0].state).toBe('free');
    expect(ledger(r).map((e) => e.event)).toEqual(['lease.grant', 'lease.deny', 'lease.deny', 'lease.renew', 'lease.deny', 'lease.deny', 'lease.renew', 'lease.release']);
  });

  it('is all or nothing over several paths', async () => {
    const r = repo();
    r.write('docs/todos.md', '- [ ] x\n');
    expect((await r.gateIn(['lock', 'acquire', 'docs/todos.md', '--owner', 'a'])).code).toBe(0);
    const b = await r.gateIn(['lock', 'acquire', 'progress.md', 'docs/todos.md', '--owner', 'b', '--json']);
    expect(b.code).toBe(1);
    expect(json((await r.gateIn(['lock', 'status', 'progress.md', '--json'])).stdout).leases[0].state).toBe('free');
  });

  it('status --json is self-explanatory', async () => {
    const r = repo();
    await r.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'a', '--reason', 'r1']);
    const s = json(r.gate(['lock', 'status', '--json'], { env: { GATE_SESSION: 'b' } }).stdout);
    expect(s).toMatchObject({ ok: true, exitCode: 0, identity: 'b' });
    expect(s.handoff).toContain('**/progress.md');
    expect(s.leases[0]).toMatchObject({ path: 'progress.md', state: 'held', owner: 'a', mine: false, worktree: r.dir, branch: 'main', expired: false, reason: 'r1', token: 1 });
    expect(s.leases[0].next).toContain('gate lock acquire progress.md --owner b');
    expect(typeof s.leases[0].expiresInSeconds).toBe('number');
  });

  it('refuses a caller with no identity outside a terminal (exit 2, names GATE_SESSION)', async () => {
    const r = repo();
    const x = r.gate(['lock', 'acquire', 'progress.md']);
    expect(x.code).toBe(2);
    expect(x.stderr).toContain('GATE_SESSION');
    expect((await r.gateIn(['lock', 'acquire', 'progress.md'], { env: { GATE_SESSION: 's9' } })).code).toBe(0);
    expect(json((await r.gateIn(['lock', 'status', '--json'])).stdout).leases[0].owner).toBe('s9');
  });

  it('refuses paths outside the repository: .., absolute, symlink escape; and non-handoff paths', async () => {
    const r = repo();
    const outside = join(r.home, 'out');
    mkdirSync(outside);
    writeFileSync(join(outside, 'progress.md'), 'x');
    symlinkSync(outside, join(r.dir, 'link'));
    for (const p of ['../progress.md', join(outside, 'progress.md'), 'link/progress.md', 'README.md']) {
      const x = await r.gateIn(['lock', 'acquire', p, '--owner', 'a']);
      expect(x.code, p).toBe(2);
      expect(x.stderr).toContain('**/progress.md');
      expect(x.stderr).not.toMatch(/\n\s+at /); // never a stack trace
    }
    const sub = join(r.dir, 'tasks', '3');
    mkdirSync(sub, { recursive: true });
    const ok = await r.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'a', '--json'], { cwd: sub });
    expect(json(ok.stdout).granted[0].path).toBe('tasks/3/progress.md');
  });

  it('a corrupt or unreadable record blocks (CANNOT_EVALUATE), never reads as free', async () => {
    const r = repo();
    await r.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'a']);
    const dir = join(r.dir, '.git', 'agent-gates', 'leases');
    const file = readdirSync(dir).find((n) => n.endsWith('-progress.md.json'))!;
    writeFileSync(join(dir, file), '{"v":1,"path":"progress.md",');
    const b = r.gate(['lock', 'acquire', 'progress.md', '--owner', 'b', '--json']);
    expect(b.code).toBe(3);
    expect(json(b.stdout).error.code).toBe('LEASE_CORRUPT');
    expect(json(b.stdout).error.fix).toContain('gate lock break');
    expect(r.gate(['lock', 'status']).code).toBe(3);
    r.write('progress.md', '1\n');
    r.gitOk('add', 'progress.md');
    const c = r.git('commit', '-q', '-m', 'x');
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('not valid JSON');
    writeFileSync(join(dir, 'fence.json'), 'nope');
    writeFileSync(join(dir, file), JSON.stringify({ v: 1, path: 'other/progress.md' }));
    expect((await r.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'b'])).code).toBe(3);
  });

  // `gate lock break` (terminal, challenge, signature, corrupt records): test/integration/lock-break.test.ts
});

describe('gate-a pre-commit', () => {
  it('blocks a commit of progress.md without a lease and passes with one', async () => {
    const r = repo();
    r.write('progress.md', '1\n');
    r.gitOk('add', 'progress.md');
    const env = { ...r.env, GATE_SESSION: 'sess-1' };
    const blocked = run('git', ['commit', '-q', '-m', 'x'], { cwd: r.dir, env });
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('A_LEASE_FREE');
    expect(blocked.stderr).toContain('gate lock acquire progress.md --owner sess-1');
    expect((await r.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'sess-2'])).code).toBe(0);
    const held = await commitIn({ ...r, env }, ['-q', '-m', 'x']);
    expect(held.code).toBe(1);
    expect(held.stderr).toContain('held by sess-2');
    await r.gateIn(['lock', 'release', 'progress.md', '--owner', 'sess-2']);
    expect((await r.gateIn(['lock', 'acquire', 'progress.md'], { env: { GATE_SESSION: 'sess-1' } })).code).toBe(0);
    const ok = run('git', ['commit', '-q', '-m', 'x'], { cwd: r.dir, env });
    expect(ok.code, ok.stderr).toBe(0);
    // A human committing without GATE_SESSION is a different identity.
    r.write('progress.md', '2\n');
    r.gitOk('add', 'progress.md');
    expect((await commitIn(r, ['-q', '-m', 'y'])).code).toBe(1);
    const blocks = ledger(r).filter((e) => e.event === 'check.block');
    expect(blocks.length).toBe(3);
  });

  it('checks deletes and both sides of a rename', async () => {
    const r = repo();
    r.gitOk('mv', 'progress.md', 'notes.md');
    const x = await commitIn(r, ['-q', '-m', 'mv']);
    expect(x.code).toBe(1);
    expect(x.stderr).toContain('progress.md');
    r.gitOk('mv', 'notes.md', 'tasks-progress.md');
    r.gitOk('reset', '-q', 'HEAD');
    r.gitOk('checkout', '--', 'progress.md');
    r.gitOk('mv', 'progress.md', 'todos.md');
    expect((await r.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'human:human@example.com'])).code).toBe(0);
    const y = await commitIn(r, ['-q', '-m', 'mv']);
    expect(y.code).toBe(1);
    expect(y.stderr).toContain('todos.md');
    expect(y.stderr).not.toContain('[A_LEASE_FREE] progress.md');
    expect((await r.gateIn(['lock', 'acquire', 'todos.md', '--owner', 'human:human@example.com'])).code).toBe(0);
    expect((await commitIn(r, ['-q', '-m', 'mv'])).code).toBe(0);
    r.gitOk('rm', '-q', 'todos.md');
    await r.gateIn(['lock', 'release', 'todos.md', '--owner', 'human:human@example.com']);
    expect((await commitIn(r, ['-q', '-m', 'rm'])).code).toBe(1);
  });

  it('two worktrees see the same lease', async () => {
    const r = repo();
    const wt = join(r.home, 'wt');
    r.gitOk('worktree', 'add', '-q', '-b', 'side', wt);
    expect((await r.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'main-session'])).code).toBe(0);
    const s = json((await r.gateIn(['lock', 'status', 'progress.md', '--json'], { cwd: wt })).stdout);
    expect(s.leases[0]).toMatchObject({ state: 'held', owner: 'main-session', worktree: r.dir, branch: 'main' });
    expect((await r.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'side-session'], { cwd: wt })).code).toBe(1);
    writeFileSync(join(wt, 'progress.md'), 'side\n');
    run('git', ['add', 'progress.md'], { cwd: wt, env: r.env });
    const c = run('git', ['commit', '-q', '-m', 'side'], { cwd: wt, env: { ...r.env, GATE_SESSION: 'side-session' } });
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('held by main-session');
  });
});
