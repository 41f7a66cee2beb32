/**
 * `gate approve --pager`: the DOUBLE_CONFIRM diff preview goes through $PAGER (a long change can be
 * scrolled before it is approved); when the pager cannot run, the diff is printed inline as usual.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATE_BIN, makeRepo, type TempRepo } from '../helpers/repo.js';
import { startTty, type TtySession } from '../helpers/tty.js';

const repos: TempRepo[] = [];
const ttys: TtySession[] = [];
afterEach(() => {
  for (const t of ttys.splice(0)) t.kill();
  for (const r of repos.splice(0)) r.cleanup();
});

function explainedRepo(): TempRepo {
  const repo = makeRepo();
  repos.push(repo);
  repo.write('README.md', '# project\n');
  repo.gitOk('add', '-A');
  repo.gitOk('commit', '-q', '-m', 'init');
  repo.write('rules/gate-long.md', Array.from({ length: 300 }, (_, i) => `line ${i + 1}\n`).join(''));
  repo.gitOk('add', 'rules/gate-long.md');
  const r = repo.gate(
    ['explain', '--intent', 'a long rule', '--alternative', 'none', '--blast-radius', 'agents', '--reversibility', 'easy', '--rollback', 'revert'],
    { env: { GATE_SESSION: 'agent-1' } },
  );
  expect(r.code, r.stderr).toBe(0);
  return repo;
}

async function approveBoth(repo: TempRepo, pager: string): Promise<{ code: number; screen: string }> {
  const t = startTty([process.execPath, GATE_BIN, 'approve', '--pager'], { cwd: repo.dir, env: { ...repo.env, PAGER: pager }, height: 60 });
  ttys.push(t);
  for (let i = 0; i < 2; i++) {
    const screen = await t.waitFor(new RegExp(`(?:type ([A-Z0-9]{6})[\\s\\S]*){${i + 1}}`));
    const codes = [...screen.matchAll(/type ([A-Z0-9]{6})/g)].map((m) => m[1]!);
    t.type(codes[i]!);
    t.enter();
  }
  const code = await t.exitCode();
  return { code, screen: t.screen() };
}

describe('gate approve --pager', { timeout: 120_000 }, () => {
  it('hands the diff preview to $PAGER, then asks for the diff approval', async () => {
    const repo = explainedRepo();
    const out = join(repo.dir, '..', 'pager.out');
    const { code, screen } = await approveBoth(repo, `cat > '${out}'`);
    expect(code).toBe(0);
    expect(screen).toContain('(diff shown in the pager)');
    expect(screen).toMatch(/approved intent \+ diff/);
    const paged = readFileSync(out, 'utf8');
    expect(paged).toContain('Diff of the gated files');
    expect(paged).toContain('+line 300');
  });

  it('falls back to printing the diff when the pager fails', async () => {
    const repo = explainedRepo();
    const { code, screen } = await approveBoth(repo, 'exit 7');
    expect(code).toBe(0);
    expect(screen).not.toContain('(diff shown in the pager)');
    expect(screen).toMatch(/approved intent \+ diff/);
    expect(existsSync(join(repo.dir, '.agents', 'gate-b'))).toBe(true);
  });
});

describe('gate approve shows a CONFIRM change too (issue 14)', { timeout: 120_000 }, () => {
  it('pages the diff before the one CONFIRM challenge', async () => {
    const repo = makeRepo();
    repos.push(repo);
    repo.write('README.md', '# project\n');
    repo.gitOk('add', '-A');
    repo.gitOk('commit', '-q', '-m', 'init');
    repo.write('rules/style.md', '# Style\n\nUse tabs.\n');
    repo.gitOk('add', 'rules/style.md');
    expect(repo.gate(['explain', '--intent', 'a style rule', '--alternative', 'none', '--blast-radius', 'agents', '--reversibility', 'easy', '--rollback', 'revert']).code).toBe(0);
    const out = join(repo.dir, '..', 'pager.out');
    const t = startTty([process.execPath, GATE_BIN, 'approve', '--pager'], { cwd: repo.dir, env: { ...repo.env, PAGER: `cat > '${out}'` }, height: 60 });
    ttys.push(t);
    const screen = await t.waitFor(/type ([A-Z0-9]{6})/);
    expect(screen).toContain('(diff shown in the pager)');
    t.type(/type ([A-Z0-9]{6})/.exec(screen)![1]!);
    t.enter();
    expect(await t.exitCode()).toBe(0);
    const paged = readFileSync(out, 'utf8');
    expect(paged).toContain('Diff of the gated files');
    expect(paged).toContain('+Use tabs.');
  });
});
