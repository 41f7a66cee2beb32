/**
 * The README's first command: `npm run demo` walks through every gate on a sandbox repository.
 * Run here as the script itself with --fast (the suite has built dist/), and with --report so
 * each section's real outcome is asserted here as well (exit codes, codes and messages), not only
 * the demo's own "✔ as expected". The approvals are typed into the real `gate approve` in a tmux
 * pseudo-terminal (.ci/run installs tmux), so tmux is required, not skipped.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PKG_ROOT, run, type RunResult } from '../helpers/repo.js';

interface Step { title: string; screen?: string; cmd?: string; code?: number; stdout?: string; stderr?: string; problem?: string }
interface Report { sandbox: string; seconds: number; failures: string[]; sections: { title: string; steps: Step[] }[] }

let out: RunResult;
let report: Report;
const tmp = mkdtempSync(join(tmpdir(), 'gate-demo-test-'));

beforeAll(() => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_') && k !== 'HUSKY' && !k.startsWith('GATE_') && k !== 'TMUX') env[k] = v;
  const reportPath = join(tmp, 'report.json');
  out = run(process.execPath, [join(PKG_ROOT, 'scripts', 'demo.mjs'), '--fast', '--report', reportPath], { cwd: PKG_ROOT, env: { ...env, NO_COLOR: '1' }, input: '' });
  report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
}, 180_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function section(re: RegExp) {
  const s = report.sections.find((x) => re.test(x.title));
  expect(s, `no section ${re}; sections: ${report.sections.map((x) => x.title).join(' | ')}`).toBeDefined();
  return s!;
}
function step(sec: RegExp, title: RegExp): Step {
  const s = section(sec).steps.find((x) => title.test(x.title));
  expect(s, `no step ${title} in ${sec}`).toBeDefined();
  return s!;
}

describe('npm run demo', () => {
  it('completes every section as shown, never waiting for a key', () => {
    expect(out.code, out.stdout.slice(-3000) + out.stderr).toBe(0);
    expect(report.failures).toEqual([]);
    expect(out.stdout).toMatch(/demo complete: 8 sections, \d+ steps, every gate shown/);
    expect(out.stdout).toMatch(/━━ 1\/8 Setup/);
    for (const sec of report.sections) for (const s of sec.steps) expect(s.problem, `${sec.title} / ${s.title}`).toBeUndefined();
  });

  it('Gate A: B is denied (exit 1) and its commit blocked with the exact acquire command', () => {
    expect(step(/^Gate A/, /denied/).code).toBe(1);
    const blocked = step(/^Gate A/, /commit is blocked/);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('A_LEASE_HELD');
    expect(blocked.stderr).toMatch(/fix: .*gate lock acquire progress\.md/);
    expect(step(/^Gate A/, /Claude Code/).code).toBe(2);
  });

  it('CONFIRM: blocked, explained, a pipe refused, approved in a pseudo-terminal, committed with its note', () => {
    const S = /CONFIRM: explain/;
    expect(step(S, /commit is blocked/).stderr).toContain('B_NO_SIDECAR');
    expect(step(S, /piped input is refused/).code).toBe(1);
    const approved = step(S, /person approves/);
    expect(approved.screen).toContain('Reviews must ask for a test with every bug fix');
    expect(approved.screen).toMatch(/type [A-Z0-9]{6} and press Enter/);
    expect(approved.screen).toMatch(/approved: confirm \(ledger #\d+\)/);
    expect(step(S, /commit passes/).stdout).toContain('"tier": "CONFIRM"');
  });

  it('a rejection is remembered: B_REJECTED on the next commit, explain of the same tree refused, the reason shown later', () => {
    const S = /rejection is remembered/;
    expect(step(S, /rejects it/).code).toBe(0);
    const next = step(S, /next attempt/);
    expect([next.code, next.stderr]).toEqual([1, expect.stringContaining('B_REJECTED')]);
    expect(step(S, /same tree again/).code).toBe(1);
    expect(step(S, /earlier rejection/).stdout).toContain('No deploys on Fridays');
  });

  it('ADR: DOUBLE_CONFIRM with two challenges and the diff preview, then an edit of the accepted record refused', () => {
    const S = /^ADRs and DOUBLE_CONFIRM/;
    expect(step(S, /mark it accepted/).stdout).toContain('tier: DOUBLE_CONFIRM');
    const screen = step(S, /two challenges/).screen ?? '';
    expect(screen.match(/type [A-Z0-9]{6} and press Enter/g)).toHaveLength(2);
    expect(screen).toMatch(/approved: intent \(ledger #\d+\)[\s\S]*Diff of the gated files[\s\S]*\+status: accepted[\s\S]*approved: diff \(ledger #\d+\)/);
    const edit = step(S, /edits the accepted decision/);
    expect([edit.code, edit.stderr]).toEqual([1, expect.stringContaining('ADR_IMMUTABLE')]);
  });

  it('a --no-verify commit is caught by gate check --range (exit 1, C_UNAPPROVED) after a clean range passed', () => {
    const S = /--no-verify bypass/;
    expect(step(S, /range so far passes/).code).toBe(0);
    const caught = step(S, /names the commit/);
    expect(caught.code).toBe(1);
    expect(`${caught.stdout}${caught.stderr}`).toContain('C_UNAPPROVED');
  });

  it('gate review names the bypass, in text and in the HTML page it wrote', () => {
    const S = /gate review/;
    expect(step(S, /names the bypass/).stdout).toContain('failing the range check        1');
    const html = step(S, /html/);
    expect(html.code).toBe(0);
    expect(html.stdout).toContain('wrote the html review to');
  });

  it('the ledger: tampering caught with its line number (exit 3), doctor healthy', () => {
    const S = /ledger/;
    const tamper = step(S, /tampering/);
    expect([tamper.code, tamper.stderr]).toEqual([3, expect.stringMatching(/line 2\b/)]);
    expect(step(S, /gate doctor/).stdout).toContain('healthy');
  });
});
