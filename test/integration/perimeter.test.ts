/**
 * Issue 12 items 6 and 9, issue 13 item 8, in real repositories: the pre-commit hook (plain
 * .git/hooks scripts calling the built CLI) and `gate check --range` both see a surface directory
 * committed as a symlink, case and Unicode variants of governed paths; a glob of 200 "*" does not
 * hang a commit; an oversized config is refused with a coded error by `gate doctor`.
 * One refused and one passing commit go through the real hooks; the other commits get the hooks'
 * verdicts in process (commitIn), and `gate doctor` answers in process (gateIn) but for one run of the binary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitIn } from '../helpers/commit.js';
import { GATE_BIN, makeRepo, type TempRepo } from '../helpers/repo.js';

let repo: TempRepo;
let base: string;

beforeAll(() => {
  repo = makeRepo();
  repo.write('README.md', '# project\n');
  repo.write('tools/cc/settings.json', '{"permissions":{"allow":["Bash(*)"]}}\n');
  repo.gitOk('add', '-A');
  repo.gitOk('commit', '-q', '-m', 'init');
  base = repo.gitOk('rev-parse', 'HEAD');
  for (const hook of ['pre-commit', 'post-commit']) {
    const p = join(repo.dir, '.git', 'hooks', hook);
    writeFileSync(p, `#!/bin/sh\nexec "${process.execPath}" "${GATE_BIN}" check --hook ${hook}\n`);
    chmodSync(p, 0o755);
  }
});
afterAll(() => repo.cleanup());

/**
 * Stage something, try to commit (through the real hooks when `real`, else with their verdicts in
 * process), then reset whatever happened.
 */
async function tryCommit(stage: () => void, real = false): Promise<{ code: number; out: string }> {
  stage();
  const r = real ? repo.git('commit', '-q', '-m', 'attempt') : await commitIn(repo, ['-q', '-m', 'attempt']);
  const out = r.stdout + r.stderr;
  repo.gitOk('reset', '-q', '--hard', base);
  repo.gitOk('clean', '-qfdx');
  return { code: r.code, out };
}

describe('the pre-commit hook sees the perimeter', () => {
  it('a surface directory committed as a symlink (.claude -> tools/cc) is refused as DOUBLE_CONFIRM', async () => {
    const r = await tryCommit(() => {
      symlinkSync('tools/cc', join(repo.dir, '.claude'));
      repo.gitOk('add', '.claude');
      expect(repo.gitOk('ls-files', '-s', '.claude')).toMatch(/^120000 /);
    }, true);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/DOUBLE_CONFIRM/);
    expect(r.out).toMatch(/\.claude/);
  });
  it('a symlink above a governed file (.agents -> x, governing .agents/gates.yaml) is refused', async () => {
    const r = await tryCommit(() => {
      symlinkSync('tools', join(repo.dir, '.agents'));
      repo.gitOk('add', '.agents');
    });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/DOUBLE_CONFIRM/);
  });
  it('a gitlink at a surface path is refused', async () => {
    const r = await tryCommit(() => {
      repo.gitOk('update-index', '--add', '--cacheinfo', `160000,${base},skills`);
    });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/skills/);
  });
  it.each(['.Claude/settings.json', 'Claude.md', 'Skills/deploy.md', 'RULES/a.md', 'Rules/x.md'])(
    'the case variant %s is gated',
    async (path) => {
      const r = await tryCommit(() => {
        repo.write(path, 'x\n');
        repo.gitOk('add', '--', path);
      });
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/CONFIRM/);
    },
  );
  it('a plain file elsewhere still commits (AUTO)', () => {
    repo.write('src/a.txt', 'a\n');
    repo.gitOk('add', 'src/a.txt');
    expect(repo.git('commit', '-q', '-m', 'plain').code).toBe(0);
    repo.gitOk('reset', '-q', '--hard', base);
  });
});

describe('gate check --range sees the same perimeter', () => {
  it('a symlink .claude and a case variant committed with --no-verify are violations', () => {
    symlinkSync('tools/cc', join(repo.dir, '.claude'));
    repo.write('Claude.md', '# be bold\n');
    repo.gitOk('add', '.claude', 'Claude.md');
    repo.gitOk('commit', '-q', '--no-verify', '-m', 'sneak');
    const r = repo.gate(['check', '--range', `${base}..HEAD`, '--json']);
    repo.gitOk('reset', '-q', '--hard', base);
    repo.gitOk('clean', '-qfdx');
    expect(r.code).toBe(1);
    const text = JSON.stringify(JSON.parse(r.stdout));
    expect(text).toMatch(/\.claude/);
    expect(text).toMatch(/Claude\.md/);
  });
});

describe('hostile globs and configs', () => {
  it('a surface glob of 200 "*" is accepted by doctor and a commit against it completes', async () => {
    repo.write('.agents/gates.yaml', `version: 1\nsurfaces:\n  - name: stars\n    paths: ["${'*'.repeat(200)}x"]\n    tier: CONFIRM\n`);
    repo.gitOk('add', '.agents/gates.yaml');
    repo.gitOk('commit', '-q', '--no-verify', '-m', 'config');
    repo.write(`${'a'.repeat(200)}.txt`, 'x\n');
    repo.gitOk('add', '-A');
    const r = await commitIn(repo, ['-q', '-m', 'long name']);
    repo.gitOk('reset', '-q', '--hard', base);
    expect(r.code).toBe(0);
  });
  it('doctor refuses a config over the bounds with the field and the bound', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => `  - {name: s${i}, paths: ["d${i}/**"], tier: CONFIRM}`).join('\n');
    repo.write('.agents/gates.yaml', `version: 1\nsurfaces:\n${many}\n`);
    let r = await repo.gateIn(['doctor', '--json']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/surfaces: at most 1000 surfaces/);
    repo.write('.agents/gates.yaml', `version: 1\n# ${'x'.repeat(600_000)}\n`);
    r = repo.gate(['doctor', '--json']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/larger than the 524288/);
    repo.write('.agents/gates.yaml', `version: 1\nsurfaces:\n  - {name: big, paths: ["{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}"], tier: CONFIRM}\n`);
    r = await repo.gateIn(['doctor', '--json']);
    expect(r.stdout).toMatch(/more than 64 alternatives/);
    repo.gitOk('checkout', '--', '.');
    repo.gitOk('clean', '-qfdx');
  });
});
