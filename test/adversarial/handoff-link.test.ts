/**
 * Attack: commit a handoff document as a symbolic link once (`progress.md -> notes.txt`, under a
 * lease), then edit notes.txt freely: what progress.md reads changes with no lease. The pre-commit
 * refuses the link whatever the lease (A_LINK), and `gate check --range` refuses a commit that
 * skipped the hooks (C_HANDOFF_LINK). A regular progress.md under the same lease commits.
 */
import { describe, expect, it } from 'vitest';
import { rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, run } from '../helpers/repo.js';

const CONFIG = `version: 1
surfaces: []
handoff:
  paths: ["**/progress.md"]
`;

describe('a handoff document that is a symbolic link', () => {
  const repo = makeRepo({ files: { '.agents/gates.yaml': CONFIG, 'notes.txt': 'done: nothing\n' }, hooks: ['pre-commit', 'post-commit'] });
  const base = repo.gitOk('rev-parse', 'HEAD');
  const agent = { GATE_SESSION: 'agent-1' };
  const commit = (msg: string) => run('git', ['commit', '-q', '-m', msg], { cwd: repo.dir, env: { ...repo.env, ...agent } });

  it('is refused by the pre-commit with A_LINK even under a lease; a regular file under the lease commits', () => {
    expect(repo.gate(['lock', 'acquire', 'progress.md', '--reason', 'handoff'], { env: agent }).code).toBe(0);
    symlinkSync('notes.txt', join(repo.dir, 'progress.md'));
    repo.gitOk('add', 'progress.md');
    const c = commit('progress as a link');
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('A_LINK');
    expect(c.stderr).toContain('must be a regular file');
    expect(c.stderr).not.toContain('A_LEASE');
    rmSync(join(repo.dir, 'progress.md'));
    repo.write('progress.md', 'done: nothing\n');
    repo.gitOk('add', 'progress.md');
    const ok = commit('progress as a file');
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('a commit that skipped the hooks fails gate check --range with C_HANDOFF_LINK', () => {
    repo.gitOk('rm', '-q', '--cached', 'progress.md');
    rmSync(join(repo.dir, 'progress.md'));
    symlinkSync('notes.txt', join(repo.dir, 'progress.md'));
    repo.gitOk('add', 'progress.md');
    repo.gitOk('commit', '-q', '--no-verify', '-m', 'bypass');
    const r = repo.gate(['check', '--range', `${base}..HEAD`, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const v = JSON.parse(r.stdout).violations as Array<{ code: string; path?: string }>;
    expect(v).toContainEqual(expect.objectContaining({ code: 'C_HANDOFF_LINK', path: 'progress.md' }));
  });
});
