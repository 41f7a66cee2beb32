/**
 * ADR acceptance through Gate B with the default config: adr/** is DOUBLE_CONFIRM, so a person
 * approves the acceptance in a real pseudo-terminal (tmux), and even an approved commit cannot
 * edit an accepted record. The commits run the real hooks; `gate adr accept` (text) and the first
 * `gate explain --json` run the built CLI, the other `gate` commands in process (repo.gateIn).
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GATE_BIN, makeRepo, type TempRepo } from '../helpers/repo.js';
import { startTty, type TtySession } from '../helpers/tty.js';

const repos: TempRepo[] = [];
const ttys: TtySession[] = [];
afterEach(() => {
  for (const t of ttys.splice(0)) t.kill();
  for (const r of repos.splice(0)) r.cleanup();
});

function setup(): TempRepo {
  const repo = makeRepo();
  repos.push(repo);
  repo.write('README.md', '# project\n');
  repo.gitOk('add', '-A');
  repo.gitOk('commit', '-q', '-m', 'init');
  for (const hook of ['pre-commit', 'post-commit']) {
    const p = join(repo.dir, '.git', 'hooks', hook);
    writeFileSync(p, `#!/bin/sh\nexec "${process.execPath}" "${GATE_BIN}" check --hook ${hook}\n`);
    chmodSync(p, 0o755);
  }
  return repo;
}

const EXPLAIN = (intent: string) => ['explain', '--intent', intent, '--alternative', 'keep deciding ad hoc', '--blast-radius', 'adr/ only', '--reversibility', 'supersede with a new record', '--rollback', 'gate adr new --supersedes'];

async function approveBothSteps(repo: TempRepo): Promise<{ code: number; screen: string }> {
  const t = startTty([process.execPath, GATE_BIN, 'approve'], { cwd: repo.dir, env: repo.env });
  ttys.push(t);
  for (let i = 0; i < 2; i++) {
    const screen = await t.waitFor(new RegExp(`(?:type ([A-Z0-9]{6})[\\s\\S]*){${i + 1}}`));
    const code = [...screen.matchAll(/type ([A-Z0-9]{6})/g)].map((m) => m[1]!)[i]!;
    t.type(code);
    t.enter();
  }
  const code = await t.exitCode();
  const screen = t.screen();
  t.kill();
  return { code, screen };
}

describe('ADR acceptance through Gate B', () => {
  it('new → accept → blocked without approval → explain + two approvals → committed with a note; an approved edit of it is still blocked', async () => {
    const repo = setup();
    const made = JSON.parse((await repo.gateIn(['adr', 'new', 'Adopt immutable ADRs', '--json'])).stdout);
    expect(repo.gate(['adr', 'accept', String(made.number)]).code).toBe(0);
    repo.gitOk('add', '--', made.path);

    const before = repo.gitOk('rev-parse', 'HEAD');
    const blocked = repo.git('commit', '-q', '-m', 'docs(adr): accept 0001');
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain('B_NO_SIDECAR');
    expect(repo.gitOk('rev-parse', 'HEAD')).toBe(before);

    const ex = JSON.parse(repo.gate([...EXPLAIN('accept ADR 0001'), '--json']).stdout);
    expect(ex.tier).toBe('DOUBLE_CONFIRM');
    const a = await approveBothSteps(repo);
    expect(a.code, a.screen).toBe(0);
    expect(a.screen).toContain('accept ADR 0001');
    expect(a.screen).toContain('+status: accepted');

    const ok = repo.git('commit', '-q', '-m', 'docs(adr): accept 0001');
    expect(ok.code, ok.stderr).toBe(0);
    const note = JSON.parse(repo.gitOk('notes', '--ref', 'refs/notes/agent-gates', 'show', 'HEAD'));
    expect(note.tier).toBe('DOUBLE_CONFIRM');
    expect(note.files.map((f: any) => f.path)).toEqual([made.path]);
    expect(JSON.parse((await repo.gateIn(['adr', 'list', '--json'])).stdout).records[0]).toMatchObject({ number: 1, label: 'accepted' });
    expect((await repo.gateIn(['adr', 'check'])).code).toBe(0);

    // a human may approve an edit through Gate B, but an accepted record still never changes
    repo.write(made.path, `${repo.read(made.path)}\nOne more thought.\n`);
    repo.gitOk('add', '--', made.path);
    expect((await repo.gateIn(EXPLAIN('reword ADR 0001'))).code).toBe(0);
    expect((await approveBothSteps(repo)).code).toBe(0);
    const after = repo.gitOk('rev-parse', 'HEAD');
    const edit = repo.git('commit', '-q', '-m', 'reword');
    expect(edit.code).not.toBe(0);
    expect(edit.stderr).toContain('[ADR_IMMUTABLE]');
    expect(edit.stderr).not.toContain('B_NO_SIDECAR');
    expect(repo.gitOk('rev-parse', 'HEAD')).toBe(after);
  });
});
