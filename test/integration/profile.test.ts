import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TempRepo } from '../helpers/repo.js';

/**
 * GATE_PROFILE=1 through the built CLI (docs: CONTRIBUTING.md, "Hot path"): every command, hot or
 * not, prints one `gate profile: <phase> <ms> ms` line per phase on stderr, and nothing when unset.
 * Figures are only checked for shape (no timing assertions).
 */
const LINE = /^gate profile: (launch|load|config|git|ledger|evaluate|other|total) (\d+\.\d\d) ms(?: \((\d+) calls?\))?$/;
const PHASES = ['launch', 'load', 'config', 'git', 'ledger', 'evaluate', 'other', 'total'];

const parse = (stderr: string) => {
  const rows = stderr.split('\n').filter((l) => l.startsWith('gate profile: '));
  return Object.fromEntries(rows.map((l) => {
    const m = LINE.exec(l);
    if (!m) throw new Error(`not a profile line: ${l}`);
    return [m[1]!, { ms: Number(m[2]), calls: m[3] === undefined ? undefined : Number(m[3]) }];
  }));
};

describe('GATE_PROFILE', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = makeRepo();
    repo.gitOk('commit', '-q', '--allow-empty', '-m', 'root');
    expect(repo.gate(['init']).code).toBe(0);
    repo.gitOk('add', '-A');
    repo.gitOk('commit', '-q', '--no-verify', '-m', 'init');
    repo.write('a.txt', 'a\n');
    repo.gitOk('add', 'a.txt');
  });
  afterAll(() => repo.cleanup());

  it('unset (or 0): not a byte more on stderr', () => {
    for (const env of [{}, { GATE_PROFILE: '0' }]) {
      const r = repo.gate(['check', '--hook', 'pre-commit'], { env });
      expect(r.code).toBe(0);
      expect(r.stderr).not.toContain('gate profile');
    }
  });

  it('the pre-commit hook: every phase once, in order, git calls counted, the config parsed; stdout untouched', () => {
    const plain = repo.gate(['check', '--hook', 'pre-commit', '--json']);
    const r = repo.gate(['check', '--hook', 'pre-commit', '--json'], { env: { GATE_PROFILE: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(plain.stdout);
    const p = parse(r.stderr);
    expect(Object.keys(p)).toEqual(PHASES);
    expect(p.git!.calls).toBeGreaterThan(0);
    expect(p.config!.calls).toBe(1);
    const parts = PHASES.filter((k) => k !== 'total').reduce((s, k) => s + p[k]!.ms, 0);
    expect(Math.abs(parts - p.total!.ms)).toBeLessThan(0.1 * PHASES.length); // the phases add up (rounding only)
  });

  it('a lease (the ledger append is counted) and a command of the program; GATE_PROFILE=json is one JSON line', () => {
    const env = { GATE_PROFILE: '1', GATE_SESSION: 'agent-1' };
    const acquire = repo.gate(['lock', 'acquire', 'progress.md'], { env });
    expect(acquire.code).toBe(0);
    expect(parse(acquire.stderr).ledger!.calls).toBeGreaterThan(0);
    const status = repo.gate(['status', '--json'], { env: { ...env, GATE_PROFILE: 'json' } });
    expect(status.code).toBe(0);
    const lines = status.stderr.trim().split('\n');
    const profile = JSON.parse(lines[lines.length - 1]!).profile as Record<string, { ms: number; calls?: number }>;
    expect(Object.keys(profile)).toEqual(PHASES);
    expect(profile.load!.ms).toBeGreaterThan(0);
    expect(JSON.parse(status.stdout).ok).toBeDefined();
  });
});
