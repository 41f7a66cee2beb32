/**
 * The hook scripts `gate init` writes, run by real `git commit`s (direct mode: no husky), with
 * gate found on PATH: they fail closed when gate cannot evaluate, crashes or is missing.
 * `gate init` (the binary) runs once per file; each test gets a copy of that repository and HOME;
 * the second read of the ledger (`gate audit verify --json`) is in process (gateIn).
 */
import { chmodSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyRepo, GATE_BIN, makeRepo, type TempRepo } from '../helpers/repo.js';

/** A repo after `gate init`, with `gate` (this package's built CLI) in HOME/bin. */
let base: TempRepo;
beforeAll(() => {
  base = makeRepo();
  const bin = join(base.home, 'bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(GATE_BIN, join(bin, 'gate'));
  base.env.PATH = `${bin}:${base.env.PATH ?? ''}`;
  const init = base.gate(['init']);
  if (init.code !== 0) throw new Error(init.stderr);
});

/** A copy of the repo after `gate init`, with `gate` on PATH via its bin dir, a.txt staged. */
function initialised(): { r: TempRepo; bin: string } {
  const r = copyRepo(base, { home: true, cleanup: 'test' });
  const bin = join(r.home, 'bin');
  r.env.PATH = `${bin}:${r.env.PATH ?? ''}`;
  r.write('a.txt', 'a\n');
  r.gitOk('add', 'a.txt');
  return { r, bin };
}

const commit = (r: TempRepo, msg: string) => r.git('commit', '-m', msg);

describe('hook scripts fail closed', () => {
  it('a passing commit is recorded by post-commit', () => {
    const { r } = initialised();
    const c = commit(r, 'first');
    expect(c.code, c.stderr).toBe(0);
    const v = JSON.parse(r.gate(['audit', 'verify', '--json']).stdout) as { entries: number };
    expect(v.entries).toBe(2); // init + commit
  });

  it('blocks when gate cannot evaluate (invalid config), naming the exit code and doctor', () => {
    const { r } = initialised();
    r.write('.agents/gates.yaml', 'surfaces: nope\n');
    const c = commit(r, 'first');
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('surfaces: expected array');
    expect(c.stderr).toContain('could not evaluate or crashed (exit 3)');
    expect(c.stderr).toMatch(/fix: run `.*gate doctor`/);
    expect(r.git('rev-parse', '--verify', '-q', 'HEAD').code).not.toBe(0);
  });

  it('blocks when gate crashes', () => {
    const { r, bin } = initialised();
    const fake = join(bin, 'gate');
    writeFileSync(`${fake}.crash`, '#!/bin/sh\necho "Segmentation fault" >&2\nkill -SEGV $$\n');
    chmodSync(`${fake}.crash`, 0o755);
    // replace the symlink with a stand-in that dies from a signal
    renameSync(`${fake}.crash`, fake);
    const c = commit(r, 'first');
    expect(c.code).not.toBe(0);
    expect(c.stderr).toMatch(/could not evaluate or crashed \(exit 1\d\d\)/);
    expect(r.git('rev-parse', '--verify', '-q', 'HEAD').code).not.toBe(0);
  });

  it('blocks when gate is not installed anywhere the hooks look', () => {
    const { r, bin } = initialised();
    r.env.PATH = (r.env.PATH ?? '').split(':').filter((p) => p !== bin).join(':');
    const c = commit(r, 'first');
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('agent-gates: commit blocked: the gate binary was not found');
  });

  it('blocks when lint-staged is used and fails, before gate runs', () => {
    const { r } = initialised();
    r.write('package.json', JSON.stringify({ name: 'c', 'lint-staged': { '*.txt': 'false' } }));
    const nm = join(r.dir, 'node_modules', '.bin');
    mkdirSync(nm, { recursive: true });
    writeFileSync(join(nm, 'lint-staged'), '#!/bin/sh\necho "lint-staged: task failed" >&2\nexit 1\n');
    chmodSync(join(nm, 'lint-staged'), 0o755);
    const c = commit(r, 'first');
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('lint-staged: task failed');
    expect(c.stderr).toContain('agent-gates: lint-staged failed, so the commit is blocked');
  });

  it('runs lint-staged first when configured by a .lintstagedrc file; what it restages is what gate checks and commits', async () => {
    const { r } = initialised();
    r.write('.lintstagedrc.json', '{ "*.txt": "true" }\n');
    const nm = join(r.dir, 'node_modules', '.bin');
    mkdirSync(nm, { recursive: true });
    // a stand-in lint-staged that rewrites a.txt and restages it, as lint-staged does
    writeFileSync(join(nm, 'lint-staged'), '#!/bin/sh\necho formatted > a.txt && git add a.txt\n');
    chmodSync(join(nm, 'lint-staged'), 0o755);
    r.write('.gitignore', 'node_modules/\n.agents/gate-b/\n');
    const c = commit(r, 'first');
    expect(c.code, c.stderr).toBe(0);
    expect(r.gitOk('show', 'HEAD:a.txt')).toBe('formatted');
    const ledger = await r.gateIn(['audit', 'verify', '--json']);
    expect(JSON.parse(ledger.stdout)).toMatchObject({ ok: true, entries: 2 });
  });

  it('post-commit reports loudly when it cannot record (the commit itself already happened)', () => {
    const { r } = initialised();
    expect(commit(r, 'first').code).toBe(0);
    r.write('b.txt', 'b\n');
    r.gitOk('add', 'b.txt');
    // pre-commit passes (with the tree as staged), then the config breaks before post-commit; its
    // receipt goes too, so the post-commit takes the node path (as for any commit without one)
    r.write('.husky/pre-commit', `${r.read('.husky/pre-commit')}\nprintf 'surfaces: 1\\n' > .agents/gates.yaml\nrm -f "$(git rev-parse --git-dir)/agent-gates-receipt"\n`);
    const c = commit(r, 'second');
    expect(c.code).toBe(0);
    expect(c.stderr).toContain('the commit was made but `gate check --hook post-commit` failed (exit 3)');
  });
});
