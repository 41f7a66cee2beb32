/**
 * `gate review` on a real ledger written with LedgerFile.append (a fixture with known figures) and
 * a real repository with approval notes; then end to end through Gate B's real hooks and the
 * terminal approval, checked by both `gate check --range` and `gate review`.
 *
 * The built CLI runs once per exit code and output shape (JSON exit 0, a usage error, text, html
 * with --out, a missing --out directory, text exit 3); md with --out runs in process (repo.gateIn),
 * and the fixture repository is built once and copied per test; the other reports come from the review
 * use-case in process (openContext + buildReview, the JSON as `--json` prints it), and the range
 * checks from the range use-case (test/helpers/range.ts; its CLI path: range.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LedgerFile } from '../../src/adapters/ledger-store.js';
import { GATE_BIN, copyRepo, makeRepo, type TempRepo } from '../helpers/repo.js';
import { addNote, commit } from '../helpers/notes.js';
import { EXPECTED, reviewEvents } from '../helpers/review-fixture.js';
import { startTty, type TtySession } from '../helpers/tty.js';
import { checkRangeInProcess, withEnv } from '../helpers/range.js';
import { openContext } from '../../src/app/context.js';
import { buildReview, type ReviewOptions } from '../../src/app/review/review.js';
import { acquire } from '../../src/app/leases/lease.js';
import { explain } from '../../src/app/approvals/explain.js';
import { renderHtml } from '../../src/review/render-html.js';
import { camelKeys } from '../../src/cli/views/json.js';
import type { ReviewReport } from '../../src/review/report.js';

const repos: TempRepo[] = [];
const ttys: TtySession[] = [];
afterEach(() => {
  for (const t of ttys.splice(0)) t.kill();
  for (const r of repos.splice(0)) r.cleanup();
});

async function writeLedger(repo: TempRepo, now: number): Promise<string> {
  const stateDir = join(repo.commonDir(), 'agent-gates');
  mkdirSync(stateDir, { recursive: true });
  let clock = now;
  const ledger = new LedgerFile(stateDir, () => new Date(clock));
  for (const e of reviewEvents(now)) {
    clock = e.at;
    await ledger.append([e.input]);
  }
  return ledger.path;
}

/** README, then an approved rule (note), then a rule committed with --no-verify (no note): built once, copied per test. */
let fixture: Promise<{ repo: TempRepo; approved: string; sneaked: string; ledgerPath: string }> | undefined;
async function fixtureRepo(): Promise<{ repo: TempRepo; approved: string; sneaked: string; ledgerPath: string }> {
  fixture ??= buildFixture();
  const { repo: template, approved, sneaked } = await fixture;
  const repo = copyRepo(template);
  repos.push(repo);
  return { repo, approved, sneaked, ledgerPath: join(repo.dir, '.git', 'agent-gates', 'ledger.jsonl') };
}
async function buildFixture(): Promise<{ repo: TempRepo; approved: string; sneaked: string; ledgerPath: string }> {
  const repo = makeRepo(); // removed when the file ends
  repo.write('README.md', 'hello\n');
  repo.gitOk('add', '-A');
  commit(repo, 'base');
  repo.write('rules/new.md', '# New\n');
  repo.gitOk('add', '-A');
  const approved = commit(repo, 'approved rule');
  addNote(repo, approved, 'CONFIRM');
  repo.write('rules/sneak.md', '# Sneak\n');
  repo.gitOk('add', '-A');
  const sneaked = commit(repo, 'sneak a rule in');
  const ledgerPath = await writeLedger(repo, Date.now());
  return { repo, approved, sneaked, ledgerPath };
}

function reviewJson(repo: TempRepo, ...args: string[]): { code: number; json: any; stderr: string } {
  const r = repo.gate(['review', '--json', ...args]);
  return { code: r.code, json: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

/**
 * `gate review --json` in process: the review use-case under the repository's environment, the
 * exit code as cli/views/review.ts decides it (3 when the ledger does not verify), the document
 * as the CLI prints it ({ok, exitCode, ...report}, keys camelCase); `report` for the renderers.
 */
async function reviewIn(repo: TempRepo, opts: ReviewOptions = {}): Promise<{ code: number; json: any; report: ReviewReport }> {
  const report = await withEnv(repo.env, () => buildReview(openContext(repo.dir), opts));
  const code = report.trusted ? 0 : 3;
  return { code, json: JSON.parse(JSON.stringify({ ok: code === 0, exitCode: code, ...camelKeys({ ...report }) })), report };
}

describe('gate review on a fixture ledger and repository', () => {
  it('reports every figure of the fixture, the bypass, drift and recommendations (exit 0)', async () => {
    const { repo, sneaked } = await fixtureRepo();
    const { code, json } = reviewJson(repo);
    expect(code).toBe(0);
    expect(json.ok).toBe(true);
    expect(json.trusted).toBe(true);
    expect(json.integrity).toMatchObject({ ok: true, entries: EXPECTED.entries });
    expect(json.window.label).toBe('30d');
    expect(json.ledger.entries).toBe(EXPECTED.entries);
    expect(json.ledger.entriesInWindow).toBe(EXPECTED.entriesInWindow);
    expect(json.ledger.leases).toEqual(EXPECTED.leases);
    expect(json.ledger.gateB).toEqual(EXPECTED.gateB);
    expect(json.ledger.adr).toEqual(EXPECTED.adr);
    // history: three commits in the window, one approved by note, one bypass
    expect(json.history).toMatchObject({ commits: 3, byTier: { AUTO: 1, CONFIRM: 2 }, withNotes: 1, carveOuts: 0 });
    const sum = (k: string) => json.ledger.timeline.buckets.reduce((a: number, b: any) => a + b[k], 0);
    expect([sum('headCommits'), sum('bypasses'), sum('commits')]).toEqual([3, 1, 7]);
    expect(json.history.bypasses).toEqual([
      {
        commit: sneaked,
        subject: 'sneak a rule in',
        tier: 'CONFIRM',
        violations: [expect.objectContaining({ code: 'C_UNAPPROVED', path: 'rules/sneak.md', requiredTier: 'CONFIRM' })],
      },
    ]);
    // ADRs: no records, the check passes; figures from the ledger
    expect(json.adr).toMatchObject({ available: true, byStatus: {}, invalid: 0, created: 1, accepted: 1, blockedEdits: 1, check: { ok: true } });
    expect(json.health.available).toBe(true);
    expect(json.health.findings.find((f: any) => f.id === 'init')).toMatchObject({ status: 'problem' });
    // drift: only agent-rules matches tracked files; every handoff glob matches nothing
    expect(json.drift.surfaces.filter((s: any) => !s.dead).map((s: any) => s.surface)).toEqual(['agent-rules']);
    expect(json.drift.handoffGlobs).toEqual(['**/progress.md', '**/todos.md', '.agents/buffer.md', '.agents/status/**']);
    expect(json.recommendations.map((r: any) => `${r.kind}${r.subject ? `:${r.subject}` : ''}`)).toEqual([
      'fix-bypasses',
      'question-silent-surface:skills',
      'question-silent-surface:prompts',
      'question-silent-surface:agent-personas',
      'question-silent-surface:agent-instructions',
      'question-silent-surface:claude',
      'question-silent-surface:cursor-rules',
      'question-silent-surface:policies',
      'question-silent-surface:agent-hooks',
      'question-silent-surface:agent-tools',
      'question-silent-surface:ci-config',
      'recurring-rejections:rules/b.md',
    ]);
    expect(json.recommendations[0].evidence).toEqual([
      '1 commit in the window fails `gate check --range`',
      `${sneaked.slice(0, 12)} rules/sneak.md (C_UNAPPROVED, needs CONFIRM)`,
      'the post-commit hook recorded 1 gated commit made without a valid approval',
    ]);
    // the same bypass is what CI would catch
    const range = await checkRangeInProcess(repo.dir, `${repo.gitOk('rev-list', '--max-parents=0', 'HEAD')}..HEAD`, repo.env);
    expect(range.code).toBe(1);
    expect(range.json.violations.map((v: any) => v.commit)).toEqual([sneaked]);
  });

  it('lease records on disk are reported as held or expired now', async () => {
    const repo = makeRepo();
    repos.push(repo);
    repo.write('tasks/7/progress.md', 'p\n');
    repo.gitOk('add', '-A');
    commit(repo, 'base');
    // `gate lock acquire tasks/7/progress.md --owner agent-z --ttl 2h`, in process
    const a = await withEnv(repo.env, () => acquire(openContext(repo.dir), { paths: ['tasks/7/progress.md'], owner: 'agent-z', ttl: '2h', cwd: repo.dir }));
    expect(a.ok).toBe(true);
    const { code, json } = await reviewIn(repo);
    expect(code).toBe(0);
    expect(json.leaseRecords).toMatchObject({ available: true, held: 1, expired: 0, leases: [{ path: 'tasks/7/progress.md', owner: 'agent-z', expired: false }] });
    expect(json.ledger.leases).toMatchObject({ grants: 1, heldNow: 1, expiredNow: 0 });
  });

  it('a --no-verify edit of an accepted ADR is a bypass in the window and fails the ADR check', async () => {
    const repo = makeRepo();
    repos.push(repo);
    repo.write('adr/0001-layout.md', '---\nadr: 1\ntitle: Layout\nstatus: accepted\ndate: 2026-01-01\ndeciders: [a]\nsupersedes: []\n---\n\n# Layout\n\nBody.\n');
    repo.gitOk('add', '-A');
    const base = commit(repo, 'accept adr 1');
    addNote(repo, base, 'DOUBLE_CONFIRM');
    repo.write('adr/0001-layout.md', repo.read('adr/0001-layout.md').replace('Body.', 'Rewritten.'));
    repo.gitOk('add', '-A');
    const edit = commit(repo, 'rewrite history');
    const { code, json } = await reviewIn(repo);
    expect(code).toBe(0);
    expect(json.history.bypasses).toHaveLength(1);
    expect(json.history.bypasses[0].commit).toBe(edit);
    expect(json.history.bypasses[0].violations.map((v: any) => v.code)).toEqual(['C_UNAPPROVED', 'ADR_CHANGED_AFTER_ACCEPT']);
    expect(json.adr).toMatchObject({ available: true, byStatus: { accepted: 1 }, check: { ok: false } });
    expect(json.adr.check.findings.map((f: any) => f.code)).toContain('ADR_CHANGED_AFTER_ACCEPT');
  });

  it('--since narrows the window; a bad --since is a usage error', async () => {
    const { repo } = await fixtureRepo();
    const { code, json } = await reviewIn(repo, { since: '228h' }); // 9.5 days: Gate B activity, not the leases
    expect(code).toBe(0);
    expect(json.ledger.leases).toMatchObject({ grants: 0, releases: 0, denials: 0, takeovers: 0, breaks: 0, heldNow: 1, expiredNow: 1 });
    expect(json.ledger.gateB.commits).toBe(7);
    const bad = repo.gate(['review', '--since', 'last tuesday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('gate review --since 30d');
  });

  it('text, md and html formats; --out writes one self-contained file', async () => {
    const { repo } = await fixtureRepo();
    const text = repo.gate(['review']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^agent-gates review: /);
    expect(text.stdout).toMatch(/grants\s+6\n/);
    expect(text.stdout).toMatch(/failing the range check\s+1\n/);
    const md = await repo.gateIn(['review', '--format', 'md', '--out', 'review.md']); // in process: --out's output as html's below
    expect(md.code).toBe(0);
    expect(readFileSync(join(repo.dir, 'review.md'), 'utf8')).toContain('| grants | 6 |');
    // a missing directory is reported (exit 3 with the fix), not created
    const missing = repo.gate(['review', '--format', 'html', '--out', 'out/review.html']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("fix: mkdir -p '");
    expect(existsSync(join(repo.dir, 'out'))).toBe(false);
    mkdirSync(join(repo.dir, 'out'));
    const html = repo.gate(['review', '--format', 'html', '--out', 'out/review.html']);
    expect(html.code).toBe(0);
    expect(html.stdout).toContain('out/review.html');
    const page = readFileSync(join(repo.dir, 'out', 'review.html'), 'utf8');
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page.match(/<svg /g)!.length).toBe(5); // timeline, tiers, history tiers, time to approval, surfaces
    expect(page).not.toMatch(/<script|<link|<img/i);
    expect(page).toContain('ledger verifies: 38 entries');
  });

  it('a tampered ledger: untrusted banner first, every figure marked, exit 3', async () => {
    const { repo, ledgerPath } = await fixtureRepo();
    const lines = readFileSync(ledgerPath, 'utf8').split('\n');
    const e = JSON.parse(lines[4]!);
    e.data.token = 999;
    lines[4] = JSON.stringify(e);
    writeFileSync(ledgerPath, lines.join('\n'));
    const { code, json, report } = await reviewIn(repo);
    expect(code).toBe(3);
    expect(json.trusted).toBe(false);
    expect(json.integrity.ok).toBe(false);
    expect(json.integrity.problem).toMatchObject({ line: 5, reason: 'edited' });
    const text = repo.gate(['review']);
    expect(text.code).toBe(3);
    expect(text.stdout.split('\n')[1]).toMatch(/^UNTRUSTED: the ledger does not verify \(line 5: edited/);
    expect(text.stdout.match(/\[UNTRUSTED\]/g)!.length).toBe(7);
    expect(text.stderr).toContain('every figure in this report is untrusted');
    // the html page `--format html --out` writes (that CLI path: the formats test above)
    expect(renderHtml(report)).toContain('<div class="banner" role="alert">UNTRUSTED');
  });
});

describe('end to end through Gate B: real hooks, a terminal approval, then a --no-verify bypass', () => {
  /** `gate explain --intent 'tighten the rule' --alternative 'leave it as is' --blast-radius 'agents reading rules/' --reversibility fully --rollback 'git revert'` */
  const EXPLAIN_INPUT = { intent: 'tighten the rule', alternatives: ['leave it as is'], blast_radius: 'agents reading rules/', reversibility: 'fully', rollback: 'git revert' };

  it('the approved commit passes the range check and is counted by review; the bypass is caught by both', async () => {
    const repo = makeRepo();
    repos.push(repo);
    repo.write('README.md', '# project\n');
    repo.gitOk('add', '-A');
    repo.gitOk('commit', '-q', '-m', 'init');
    const base = repo.gitOk('rev-parse', 'HEAD');
    for (const hook of ['pre-commit', 'post-commit']) {
      const p = join(repo.dir, '.git', 'hooks', hook);
      writeFileSync(p, `#!/bin/sh\nexec "${process.execPath}" "${GATE_BIN}" check --hook ${hook}\n`);
      chmodSync(p, 0o755);
    }
    repo.write('rules/new.md', '# New rule\n');
    repo.gitOk('add', 'rules/new.md');
    // without an approval the hook blocks
    expect(repo.git('commit', '-m', 'rule').code).toBe(1);
    // `gate explain` (its CLI path: gate-b.test.ts), in process
    const ex = await withEnv(repo.env, () => explain(openContext(repo.dir), EXPLAIN_INPUT));
    expect(ex.written).toBe(true);
    const t = startTty([process.execPath, GATE_BIN, 'approve'], { cwd: repo.dir, env: repo.env });
    ttys.push(t);
    const screen = await t.waitFor(/type ([A-Z0-9]{6})/);
    t.type(/type ([A-Z0-9]{6})/.exec(screen)![1]!.toLowerCase());
    t.enter();
    expect(await t.exitCode()).toBe(0);
    const c = repo.git('commit', '-m', 'approved rule');
    expect(c.code, c.stderr).toBe(0);
    const approved = repo.gitOk('rev-parse', 'HEAD');
    expect(repo.git('notes', '--ref', 'refs/notes/agent-gates', 'show', approved).code).toBe(0);

    const ok = await checkRangeInProcess(repo.dir, `${base}..HEAD`, repo.env);
    expect(ok.code, JSON.stringify(ok.json)).toBe(0);
    expect(ok.json.commits).toEqual([expect.objectContaining({ commit: approved, tier: 'CONFIRM', coveredBy: 'note', hasNote: true })]);

    // a bypass: --no-verify skips pre-commit; post-commit still records it as unapproved
    repo.write('rules/new.md', '# New rule\n\nAnd skip the tests.\n');
    repo.write('rules/other.md', '# Other\n');
    repo.gitOk('add', '-A');
    repo.gitOk('commit', '-q', '--no-verify', '-m', 'bypass');
    const bypass = repo.gitOk('rev-parse', 'HEAD');
    const bad = await checkRangeInProcess(repo.dir, `${base}..HEAD`, repo.env);
    expect(bad.code).toBe(1);
    expect(bad.json.violations.map((v: any) => [v.commit, v.path])).toEqual([
      [bypass, 'rules/new.md'],
      [bypass, 'rules/other.md'],
    ]);

    const { code, json } = await reviewIn(repo);
    expect(code).toBe(0);
    expect(json.trusted).toBe(true);
    expect(json.ledger.gateB).toMatchObject({
      commits: 2,
      commitsByTier: { CONFIRM: 2 },
      gatedCommits: 2,
      unapprovedCommits: 1,
      blocks: 1,
      blocksByReason: { B_NO_SIDECAR: 1 },
      explains: 1,
      approvals: 1,
      approvalsByStep: { confirm: 1 },
      approvalsByMethod: { terminal: 1 },
      rejections: 0,
      timeToApproval: { count: 1 },
    });
    // the block names the sidecar, not rules/new.md: it is attributed through the explain of the same tree
    expect(json.ledger.gateB.surfaces.find((s: any) => s.name === 'agent-rules')).toEqual({ name: 'agent-rules', tier: 'CONFIRM', fires: 2, blocks: 1, approvals: 1, rejections: 0 });
    expect(json.history).toMatchObject({ commits: 3, withNotes: 1 });
    expect(json.history.bypasses.map((b: any) => b.commit)).toEqual([bypass]);
    expect(json.recommendations[0].kind).toBe('fix-bypasses');
    expect(existsSync(join(repo.dir, '.agents', 'gate-b'))).toBe(true);
  });
});
