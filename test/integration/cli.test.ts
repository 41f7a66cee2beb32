/**
 * The CLI contract, through the built binary: exit codes, --help, --version, colour rules. Each exit
 * code runs the binary in each output it asserts, on the fast path and on the program's; the other
 * rows of a class, and set-up commands (`gate init`), run in process (repo.gateIn: the same argv,
 * output and exit code).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { COMMAND_GROUPS } from '../../src/cli/commands/index.js';
import { failure } from '../../src/cli/io.js';
import { ExitCode, GateError } from '../../src/kernel/errors.js';
import { GATE_BIN, makeRepo, PKG_ROOT, type TempRepo } from '../helpers/repo.js';

const repos: TempRepo[] = [];
const repo = (...a: Parameters<typeof makeRepo>) => {
  const r = makeRepo(...a);
  repos.push(r);
  return r;
};
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
  vi.restoreAllMocks();
});

const NO_STACK = /\n\s+at .+:\d+:\d+/;

function stagedSidecar(r: TempRepo): void {
  r.write('.agents/gate-b/explain-1.yaml', 'x: 1\n');
  r.gitOk('add', '-f', '.agents/gate-b/explain-1.yaml');
}

describe('exit codes produced by real commands', () => {
  /** `gate init` (a set-up step here), in process; then the config is removed. */
  const initWithoutConfig = async (r: TempRepo) => {
    expect((await r.gateIn(['init'])).code).toBe(0);
    rmSync(join(r.dir, '.agents/gates.yaml'));
  };
  // 'real': the binary; 'in': in process (the class runs the binary in another row)
  const table: Array<[string, number, (r: TempRepo) => Promise<string[]> | string[], 'real' | 'in']> = [
    ['0 ok: audit verify on a fresh repository', 0, () => ['audit', 'verify'], 'real'],
    ['0 ok: a pre-commit check with nothing wrong', 0, (r) => (r.write('a.txt', 'a\n'), r.gitOk('add', 'a.txt'), ['check', '--hook', 'pre-commit']), 'real'],
    ['1 denied: a staged sidecar', 1, (r) => (stagedSidecar(r), ['check', '--hook', 'pre-commit']), 'real'],
    ['2 usage: an unknown hook name', 2, () => ['check', '--hook', 'pre-push'], 'real'],
    ['2 usage: check without --hook', 2, () => ['check'], 'in'],
    ['2 usage: an unknown option', 2, () => ['audit', 'verify', '--frobnicate'], 'in'],
    ['2 usage: an unknown command', 2, () => ['frobnicate'], 'real'],
    ['3 cannot evaluate: an invalid config', 3, (r) => (r.write('.agents/gates.yaml', 'surfaces: 7\n'), ['check', '--hook', 'pre-commit']), 'real'],
    ['3 cannot evaluate: config missing after init', 3, async (r) => (await initWithoutConfig(r), ['check', '--hook', 'pre-commit']), 'in'],
    ['1 doctor: problems found (config missing after init)', 1, async (r) => (await initWithoutConfig(r), ['doctor']), 'real'],
  ];
  it.each(table)('%s', async (_what, code, setup, how) => {
    const r = repo();
    const args = await setup(r);
    const res = await r.gateIn(args, { binary: how === 'real' });
    expect(res.code, res.stdout + res.stderr).toBe(code);
    expect(res.stderr).not.toMatch(NO_STACK);
  });

  it('3 cannot evaluate: outside a repository, with the fix', async () => {
    const r = repo({ init: false });
    const res = r.gate(['doctor']);
    expect(res.code).toBe(3);
    expect(res.stderr).toContain('is not inside a git work tree');
    expect(res.stderr).toContain('fix:');
    expect(res.stderr).not.toMatch(NO_STACK);
    const j = await r.gateIn(['doctor', '--json']); // --json at exit 3 through the binary: the next test
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, exitCode: 3, error: { code: 'NOT_A_REPO' } });
  });

  it('3 with every config problem listed as path: expected', () => {
    const r = repo();
    r.write('.agents/gates.yaml', 'bogus: 1\ndoc_only:\n  max_changed_lines: many\n');
    const res = r.gate(['check', '--hook', 'pre-commit', '--json']);
    expect(res.code).toBe(3);
    const j = JSON.parse(res.stdout) as { error: { code: string; details: string[]; fix: string } };
    expect(j.error.code).toBe('CONFIG_INVALID');
    expect(j.error.details).toEqual(expect.arrayContaining([expect.stringMatching(/unknown key "bogus"/), expect.stringMatching(/^doc_only\.max_changed_lines: /)]));
  });

  it('70 internal: a non-GateError reaching the CLI prints the stack and asks for a report', () => {
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (writes.push(String(s)), true));
    const prev = process.exitCode;
    try {
      failure(new Error('boom'), false);
      expect(process.exitCode).toBe(ExitCode.INTERNAL);
      expect(process.exitCode).toBe(70);
      failure(new GateError('LEDGER_CORRUPT', 'bad'), false);
      expect(process.exitCode).toBe(3);
    } finally {
      process.exitCode = prev;
    }
    expect(writes.join('')).toMatch(/internal error \(a bug\): boom/);
    expect(writes.join('')).toMatch(/Please report it/);
  });
});

describe('help and version', () => {
  it('gate --help lists every command group with a one-line summary', () => {
    const expected = new Command('gate');
    for (const g of COMMAND_GROUPS) g.register(expected);
    // hidden commands (`gate notify`, started by gate explain) are not listed
    const names = expected.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['init', 'doctor', 'check', 'audit']));
    const r = repo();
    const res = r.gate(['--help']);
    expect(res.code).toBe(0);
    const section = res.stdout.split(/^Commands:$/m)[1] ?? '';
    for (const n of names) expect(section, n).toMatch(new RegExp(`^  ${n}\\b.*\\S`, 'm'));
    expect(res.stdout).toMatch(/Exit codes: 0 ok, 1 denied, 2 usage, 3 cannot evaluate/);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(PKG_ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = repo();
    for (const flag of ['--version', '-V']) {
      const res = flag === '--version' ? r.gate([flag]) : await r.gateIn([flag]); // -V in process
      expect(res.code).toBe(0);
      expect(res.stdout.trim()).toBe(pkg.version);
    }
  });
});

describe('colour', () => {
  const ANSI = /\u001b\[/;
  /** Run the built CLI without a TTY, with NO_COLOR/FORCE_COLOR exactly as given. */
  function gateWith(r: TempRepo, args: string[], set: Record<string, string>) {
    const env = { ...r.env };
    delete env.NO_COLOR;
    delete env.FORCE_COLOR;
    return spawnSync(process.execPath, [GATE_BIN, ...args], { cwd: r.dir, env: { ...env, ...set }, encoding: 'utf8', input: '' });
  }

  it('non-TTY output has no ANSI codes; NO_COLOR wins over FORCE_COLOR; FORCE_COLOR alone colours', () => {
    const r = repo();
    stagedSidecar(r);
    const check = ['check', '--hook', 'pre-commit'];
    const plain = gateWith(r, check, {});
    expect(plain.status).toBe(1);
    expect(plain.stderr).toContain('B_SIDECAR_STAGED');
    expect(plain.stderr).not.toMatch(ANSI);
    const forced = gateWith(r, check, { FORCE_COLOR: '1' });
    expect(forced.stderr).toMatch(ANSI); // proves the assertions around it can fail
    const both = gateWith(r, check, { FORCE_COLOR: '1', NO_COLOR: '1' });
    expect(both.stderr).toContain('B_SIDECAR_STAGED');
    expect(both.stderr).not.toMatch(ANSI);
    const doctor = gateWith(r, ['doctor'], {});
    expect(doctor.stdout).toContain('✖');
    expect(doctor.stdout + doctor.stderr).not.toMatch(ANSI);
  });
});
