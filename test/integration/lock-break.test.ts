/**
 * Issue 12 item 11: `gate lock break` needs the person at the terminal. Through a real
 * pseudo-terminal (tmux, test/helpers/tty.ts): a typed random challenge, GATE_SESSION unset, and a
 * signature by an allowed signer when approval.require_signature is true; the ledger records who
 * really broke it. A pseudo-terminal without the challenge (script(1), an agent's pty) is refused.
 * Every `gate lock break` is a real process (a pipe, script(1) or tmux); the leases it works on
 * are taken and read in process (`gateIn`) but for one `lock status --json` of the binary.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATE_BIN, makeRepo, makeTempDir, run, type TempRepo } from '../helpers/repo.js';
import { startTty, type TtySession } from '../helpers/tty.js';
import { keygen, sshVerify, type TestKey } from '../helpers/ssh.js';

const ttys: TtySession[] = [];
afterEach(() => {
  for (const t of ttys.splice(0)) t.kill();
});
const repo = (): TempRepo => makeRepo({ files: { 'progress.md': '0\n' } });

function ledger(r: TempRepo): Array<{ event: string; actor: { id: string; kind: string }; data: Record<string, any> }> {
  const p = join(r.commonDir(), 'agent-gates', 'ledger.jsonl');
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** The state of progress.md's lease (`real`: read by the binary). */
const held = async (r: TempRepo, real = false) => JSON.parse((await r.gateIn(['lock', 'status', 'progress.md', '--json'], { binary: real })).stdout).leases[0].state;

function breakTty(r: TempRepo, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): TtySession {
  const t = startTty([process.execPath, GATE_BIN, 'lock', 'break', 'progress.md', '--reason', 'agent crashed', ...extraArgs], { cwd: r.dir, env: { ...r.env, ...env } });
  ttys.push(t);
  return t;
}

describe('gate lock break: the person at the terminal', () => {
  it('without a terminal, and in a pseudo-terminal that never types the challenge, nothing is broken', async () => {
    const r = repo();
    await r.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'stuck-agent']);
    const x = r.gate(['lock', 'break', 'progress.md', '--reason', 'agent crashed']);
    expect(x.code).toBe(1);
    expect(x.stderr).toContain('interactive terminal');
    // script(1) gives the command a pseudo-terminal; its input ends (Ctrl-D) without the challenge
    const cmd = `"${process.execPath}" "${GATE_BIN}" lock break progress.md --reason "agent crashed"`;
    const t = run('script', ['-qec', cmd, '/dev/null'], { cwd: r.dir, env: r.env, input: '\x04' });
    expect(t.code, t.stdout).toBe(1);
    expect(t.stdout).toMatch(/type [A-Z0-9]{6}/);
    expect(t.stdout).toMatch(/not broken: input ended/);
    // an agent piping a guess into the pty
    const g = run('script', ['-qec', cmd, '/dev/null'], { cwd: r.dir, env: r.env, input: 'ACDEFG\n' });
    expect(g.code, g.stdout).toBe(1);
    expect(await held(r, true)).toBe('held');
    expect(ledger(r).some((e) => e.event === 'lease.break')).toBe(false);
  });

  it('GATE_SESSION set in the terminal is refused before any challenge', async () => {
    const r = repo();
    await r.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'stuck-agent']);
    const t = breakTty(r, [], { GATE_SESSION: 'agent-7' });
    expect(await t.exitCode()).toBe(1);
    expect(t.screen()).toMatch(/GATE_SESSION is set/);
    expect(await held(r)).toBe('held');
  });

  it('a wrong challenge breaks nothing; the right one breaks it and records the person and the proof', async () => {
    const r = repo();
    await r.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'stuck-agent']);
    let t = breakTty(r);
    await t.waitFor(/type [A-Z0-9]{6}/);
    t.type('XXXXXX');
    t.enter();
    expect(await t.exitCode()).toBe(1);
    expect(await held(r)).toBe('held');
    t = breakTty(r);
    const screen = await t.waitFor(/type ([A-Z0-9]{6})/);
    t.type(/type ([A-Z0-9]{6})/.exec(screen)![1]!);
    t.enter();
    expect(await t.exitCode()).toBe(0);
    expect(t.screen()).toContain('broke the lease on progress.md');
    expect(await held(r)).toBe('free');
    const br = ledger(r).find((e) => e.event === 'lease.break')!;
    expect(br.actor).toMatchObject({ kind: 'human', id: 'human:human@example.com' });
    expect(br.data).toMatchObject({ reason: 'agent crashed', previous: { owner: 'stuck-agent' }, proof: { method: 'terminal-challenge', session: null } });
  });

  it('a person clears a corrupt record with break (recorded with the bytes); then leases work again', async () => {
    const r = repo();
    await r.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'a']);
    const dir = join(r.commonDir(), 'agent-gates', 'leases');
    const file = readdirSync(dir).find((n) => n.endsWith('-progress.md.json'))!;
    writeFileSync(join(dir, file), 'garbage');
    const t = breakTty(r);
    const screen = await t.waitFor(/type ([A-Z0-9]{6})/);
    t.type(/type ([A-Z0-9]{6})/.exec(screen)![1]!);
    t.enter();
    expect(await t.exitCode()).toBe(0);
    expect(ledger(r).find((e) => e.event === 'lease.break')!.data.previous).toEqual({ corrupt: true, bytes: 'garbage' });
    const b = JSON.parse((await r.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'b', '--json'])).stdout);
    expect(b.granted[0]).toMatchObject({ kind: 'grant' });
    expect(b.granted[0].token).toBeGreaterThan(1); // never a token used before
  });
});

describe('gate lock break when approval.require_signature is true', () => {
  let r: TempRepo;
  let approver: TestKey;
  let stranger: TestKey;
  let keys: string;
  beforeAll(() => {
    r = repo();
    keys = makeTempDir('gate-break-keys-');
    approver = keygen(keys, 'approver', 'ed25519');
    stranger = keygen(keys, 'stranger', 'ed25519');
    r.write('.agents/allowed_signers', `alice@example.com ${approver.pubLine}\n`);
    r.write('.agents/gates.yaml', 'version: 1\napproval:\n  require_signature: true\n');
    r.gitOk('add', '.');
    r.gitOk('commit', '-q', '-m', 'require signatures');
  });

  it('without a key, or with a key not listed, nothing is broken (refused before the challenge)', async () => {
    await r.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'stuck-agent']);
    let t = breakTty(r);
    expect(await t.exitCode()).toBe(2);
    expect(t.screen()).toMatch(/no signing key/);
    t = breakTty(r, ['--key', stranger.path, '--principal', 'alice@example.com']);
    expect(await t.exitCode()).toBe(1);
    expect(t.screen()).toMatch(/cannot sign as "alice@example.com"/);
    expect(await held(r)).toBe('held');
  });

  it('a listed key signs the break after the challenge; the ledger names the signer and keeps the signature', async () => {
    const t = breakTty(r, ['--key', approver.path, '--principal', 'alice@example.com']);
    const screen = await t.waitFor(/type ([A-Z0-9]{6})/);
    t.type(/type ([A-Z0-9]{6})/.exec(screen)![1]!);
    t.enter();
    expect(await t.exitCode()).toBe(0);
    expect(await held(r)).toBe('free');
    const br = ledger(r).find((e) => e.event === 'lease.break')!;
    expect(br.actor).toMatchObject({ kind: 'human', id: 'human:alice@example.com' });
    expect(br.data.proof).toMatchObject({ method: 'ssh-signature', principal: 'alice@example.com', session: null });
    const v = sshVerify(keys, `alice@example.com ${approver.pubLine}\n`, 'alice@example.com', br.data.proof.namespace, br.data.proof.signature, br.data.proof.payload);
    expect(v.ok, v.out).toBe(true);
    expect(JSON.parse(br.data.proof.payload)).toMatchObject({ type: 'agent-gates/lease-break', path: 'progress.md', reason: 'agent crashed', previous_owner: 'stuck-agent' });
  });
});
