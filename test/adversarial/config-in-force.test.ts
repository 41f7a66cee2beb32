/**
 * Issue 14: the config in force for the pre-commit (and `gate lock`, `gate status`, `gate explain`)
 * is the strictest of HEAD's and the index's (and the working tree's, which may only add gates).
 * Each attack an agent could try with `.agents/gates.yaml` before a commit, through the built CLI.
 * HEAD's config gates `tools/**` (CONFIRM, not a default surface) and names `handoff/**` as handoff
 * documents, so falling back to the defaults would also show as a pass.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATE_BIN, makeRepo, type TempRepo } from '../helpers/repo.js';

const CONFIG = `version: 1
handoff:
  paths: ['**/progress.md', 'handoff/**']
surfaces:
  - name: tools
    paths: [tools/**]
    tier: CONFIRM
    self_reinforcing: false
  - name: gate-control
    paths: [.agents/gates.yaml]
    tier: DOUBLE_CONFIRM
    self_reinforcing: true
`;
const WEAK = CONFIG.replace('tier: CONFIRM', 'tier: AUTO').replace("['**/progress.md', 'handoff/**']", '[]');

// WEAK's handoff change at CONFIG's exact length: an edit a stat-data comparison could miss
const WEAK_SAME_SIZE = CONFIG.replace("['**/progress.md', 'handoff/**']", '[]'.padEnd("['**/progress.md', 'handoff/**']".length));

let repo: TempRepo;
let base: string;

function json(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; out: any; stderr: string } {
  const r = repo.gate([...args, '--json'], { env });
  let out: any;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    out = undefined;
  }
  return { code: r.code, out, stderr: r.stderr };
}

const preCommit = () => json(['check', '--hook', 'pre-commit']);
const codes = (r: { out: any }) => (r.out?.findings ?? []).map((f: { code: string }) => f.code);
const tierOf = (status: any, path: string) => status.files.find((f: { path: string }) => f.path === path)?.tier;

beforeAll(() => {
  repo = makeRepo();
  repo.write('.agents/gates.yaml', CONFIG);
  repo.write('tools/build.sh', 'echo build\n');
  repo.write('handoff/a.md', '# a\n');
  repo.gitOk('add', '-A');
  repo.gitOk('commit', '-q', '-m', 'base');
  base = repo.gitOk('rev-parse', 'HEAD');
});
afterAll(() => repo.cleanup());
beforeEach(() => {
  repo.gitOk('reset', '-q', '--hard', 'HEAD');
  repo.gitOk('clean', '-qfdx', '-e', '!.agents/gate-b');
  rmSync(join(repo.commonDir(), 'agent-gates', 'leases'), { recursive: true, force: true });
});

describe('the working tree never weakens a gate', () => {
  it('an unstaged edit lowering a surface to AUTO changes nothing: the gated file still needs an approval', () => {
    repo.write('.agents/gates.yaml', WEAK);
    repo.write('tools/build.sh', 'echo pwned\n');
    repo.gitOk('add', 'tools/build.sh');
    const r = preCommit();
    expect(r.code).toBe(1);
    expect(codes(r)).toContain('B_NO_SIDECAR');
    expect(r.out.findings.find((f: { code: string }) => f.code === 'B_NO_SIDECAR').message).toContain('tools/build.sh');
    // gate status and gate explain see the same tier
    const s = json(['status']);
    expect(tierOf(s.out, 'tools/build.sh')).toBe('CONFIRM');
    const e = json(['explain', '--intent', 'i', '--alternative', 'a', '--blast-radius', 'b', '--reversibility', 'r', '--rollback', 'x']);
    expect(e.out?.tier).toBe('CONFIRM');
  });

  it('an unstaged edit emptying the handoff globs changes nothing: the handoff doc still needs a lease, and `gate lock` still takes one', () => {
    repo.write('.agents/gates.yaml', WEAK);
    repo.write('handoff/a.md', '# a, edited\n');
    repo.gitOk('add', 'handoff/a.md');
    const r = preCommit();
    expect(r.code).toBe(1);
    expect(codes(r).some((c: string) => c.startsWith('A_'))).toBe(true);
    const lock = json(['lock', 'acquire', 'handoff/a.md'], { GATE_SESSION: 'agent-1' });
    expect(lock.code).toBe(0);
    expect(JSON.stringify(lock.out)).not.toMatch(/not a handoff/i);
  });

  it('a working-tree config deleted changes nothing: HEAD\'s still holds', () => {
    rmSync(join(repo.dir, '.agents/gates.yaml'));
    repo.write('tools/build.sh', 'echo pwned\n');
    repo.gitOk('add', 'tools/build.sh');
    const r = preCommit();
    expect(r.code).toBe(1);
    expect(codes(r)).toContain('B_NO_SIDECAR');
  });

  it('an invalid working-tree config fails closed (exit 3), never passes', () => {
    repo.write('.agents/gates.yaml', 'version: 1\nsurfaces: [\n');
    repo.write('tools/build.sh', 'echo pwned\n');
    repo.gitOk('add', 'tools/build.sh');
    const r = preCommit();
    expect(r.code).toBe(3);
  });

  it('an invalid config committed at HEAD, the same bytes staged and in the working tree, fails closed (exit 3), never the defaults', () => {
    // committed past the hooks (plumbing): HEAD's invalid config counts as the defaults only while
    // a valid staged or working-tree config is also in force; the same invalid bytes there must fail
    const bad = 'version: 1\nsurfaces: [\n';
    repo.write('.agents/gates.yaml', bad);
    repo.gitOk('add', '.agents/gates.yaml');
    const tree = repo.gitOk('write-tree');
    const commit = repo.gitOk('commit-tree', tree, '-p', 'HEAD', '-m', 'invalid config, hooks skipped');
    repo.gitOk('update-ref', 'HEAD', commit);
    try {
      const lock = json(['lock', 'acquire', 'handoff/a.md', '--owner', 'agent']);
      expect(lock.code, lock.stderr).toBe(3);
      expect(lock.out.error.code).toBe('CONFIG_INVALID');
      repo.write('tools/build.sh', 'echo pwned\n');
      repo.gitOk('add', 'tools/build.sh');
      expect(preCommit().code).toBe(3);
    } finally {
      repo.gitOk('update-ref', 'HEAD', base);
    }
  });

  it('a stricter working-tree config adds its gates at once', () => {
    repo.write('.agents/gates.yaml', CONFIG + '  - name: docs\n    paths: [docs/**]\n    tier: CONFIRM\n    self_reinforcing: false\n');
    repo.write('docs/x.md', '# x\n');
    repo.gitOk('add', 'docs/x.md');
    const s = json(['status']);
    expect(tierOf(s.out, 'docs/x.md')).toBe('CONFIRM');
  });
});

describe('the index never weakens a gate either', () => {
  it('a staged weakening committed with a gated file: HEAD\'s tier still applies to the gated file', () => {
    repo.write('.agents/gates.yaml', WEAK);
    repo.write('tools/build.sh', 'echo pwned\n');
    repo.gitOk('add', '.agents/gates.yaml', 'tools/build.sh');
    const s = json(['status']);
    expect(tierOf(s.out, 'tools/build.sh')).toBe('CONFIRM');
    expect(tierOf(s.out, '.agents/gates.yaml')).toBe('DOUBLE_CONFIRM');
    expect(preCommit().code).toBe(1);
  });

  it('a staged deletion of the config with a working-tree copy lowered: HEAD\'s holds', () => {
    repo.gitOk('rm', '-q', '--cached', '.agents/gates.yaml');
    repo.write('.agents/gates.yaml', WEAK);
    repo.write('tools/build.sh', 'echo pwned\n');
    repo.gitOk('add', 'tools/build.sh');
    const s = json(['status']);
    expect(tierOf(s.out, 'tools/build.sh')).toBe('CONFIRM');
  });

  it('with `commit <path>` (a temporary GIT_INDEX_FILE) the hook reads that index, and still HEAD\'s config', () => {
    repo.write('.agents/gates.yaml', WEAK);
    repo.write('tools/build.sh', 'echo pwned\n');
    repo.gitOk('add', '.agents/gates.yaml');
    // a real commit through a direct hook: `git commit tools/build.sh` runs it with a temporary index
    repo.write('.git/hooks/pre-commit', `#!/bin/sh\nexec "${process.execPath}" "${GATE_BIN}" check --hook pre-commit\n`);
    chmodSync(join(repo.dir, '.git/hooks/pre-commit'), 0o755);
    const r = repo.git('commit', '-q', '-m', 'sneak', 'tools/build.sh');
    rmSync(join(repo.dir, '.git/hooks/pre-commit'));
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('tools/build.sh');
  });
});

/**
 * ADR 0025: in the common case (HEAD's, the index's and the working tree's config one text) the
 * config in force is found without starting git: the index entry's blob id (read from the index
 * file) and the file's own blob id (hashed) must equal the blob id remembered for HEAD's commit.
 * Every attack below must leave HEAD's stricter config in force, with the remembered ids warm.
 * `gate lock status --json` shows the handoff globs in force (WEAK empties them) and, under
 * GATE_PROFILE=json, how many git processes ran.
 */
describe('the no-git path never lets a weaker config win (ADR 0025)', () => {
  const status = (env: NodeJS.ProcessEnv = {}) => {
    const r = repo.gate(['lock', 'status', '--json'], { env: { GATE_SESSION: 'agent-1', GATE_PROFILE: 'json', ...env } });
    expect(r.code, r.stderr).toBe(0);
    const profile = JSON.parse(r.stderr.trim().split('\n').pop()!).profile;
    return { handoff: JSON.parse(r.stdout).handoff as string[], git: profile.git.calls as number };
  };
  const strict = (s: { handoff: string[] }) => expect(s.handoff).toContain('handoff/**');
  const commitAs = (text: string, message: string) => {
    repo.write('.agents/gates.yaml', text);
    repo.gitOk('add', '.agents/gates.yaml');
    repo.gitOk('commit', '-q', '-m', message); // no hooks installed in this repository
  };
  beforeEach(() => {
    repo.gitOk('reset', '-q', '--hard', base);
    status(); // remembers HEAD's blob id (if it was not already)
  });

  it('the common case starts no git process and HEAD\'s config is in force', () => {
    const s = status();
    expect(s.git).toBe(0);
    strict(s);
  });

  it('a working-tree edit of the same size and modification time (racy git) is seen: content is compared, not stat data', () => {
    const file = join(repo.dir, '.agents/gates.yaml');
    const before = statSync(file);
    writeFileSync(file, WEAK_SAME_SIZE);
    utimesSync(file, before.atime, before.mtime);
    expect(statSync(file).size).toBe(before.size);
    const s = status();
    strict(s);
    expect(s.git).toBeGreaterThan(0);
    // and after `git update-index --refresh` records the new stat data as clean for the old blob
    repo.git('update-index', '--refresh');
    strict(status());
  });

  it('a staged weakening (index and working tree one text, HEAD another) asks git and keeps HEAD\'s', () => {
    repo.write('.agents/gates.yaml', WEAK);
    repo.gitOk('add', '.agents/gates.yaml');
    strict(status());
    for (const v of ['4', '3', '2']) {
      repo.gitOk('update-index', '--index-version', v);
      strict(status());
    }
  });

  it('a weaker config committed, then HEAD moved back (reset --soft): the remembered id of the new commit is not the old one\'s', () => {
    commitAs(WEAK, 'weaken');
    const weak = status(); // the weaker commit is HEAD now: in force, and remembered
    expect(weak.handoff).toEqual([]);
    expect(status().git).toBe(0);
    repo.gitOk('reset', '-q', '--soft', base); // HEAD strict again, index and file still weak
    strict(status());
    repo.gitOk('checkout', '-q', '-B', 'main', base);
    repo.gitOk('update-ref', 'refs/heads/main', repo.gitOk('rev-parse', 'HEAD@{1}')); // the branch at the weak commit, HEAD attached to it
    repo.gitOk('reset', '-q', '--soft', base);
    strict(status());
  });

  it('a temporary index (commit <path>, GIT_INDEX_FILE) holding HEAD~1\'s stricter config is the one read', () => {
    commitAs(WEAK, 'weaken');
    status(); // HEAD (weak) remembered; .git/index and the file are weak too
    const tmpIndex = join(repo.dir, '.git', 'tmp-index');
    repo.gitOk('read-tree', `--index-output=${tmpIndex}`, base);
    strict(status({ GIT_INDEX_FILE: tmpIndex }));
    strict(status({ GIT_INDEX_FILE: '.git/tmp-index' })); // relative, as git may pass it
    rmSync(tmpIndex);
  });

  it('skip-worktree, a split index or a garbage cache file send the question to git', () => {
    repo.gitOk('update-index', '--skip-worktree', '.agents/gates.yaml');
    repo.write('.agents/gates.yaml', WEAK_SAME_SIZE);
    strict(status());
    repo.gitOk('update-index', '--no-skip-worktree', '.agents/gates.yaml');
    repo.gitOk('checkout', '--', '.agents/gates.yaml');
    repo.gitOk('update-index', '--split-index');
    repo.write('.agents/gates.yaml', WEAK);
    repo.gitOk('add', '.agents/gates.yaml');
    strict(status());
    repo.gitOk('checkout', 'HEAD', '--', '.agents/gates.yaml');
    expect(status().git).toBeGreaterThan(0);
    repo.gitOk('update-index', '--no-split-index');
    for (const f of readdirSync(join(repo.dir, '.git')).filter((n) => n.startsWith('sharedindex.'))) rmSync(join(repo.dir, '.git', f));
    const cache = join(repo.commonDir(), 'agent-gates', 'cache', 'head-config.json');
    expect(readFileSync(cache, 'utf8')).toContain(base);
    writeFileSync(cache, '{not json');
    const s = status();
    expect(s.git).toBeGreaterThan(0);
    strict(s);
    expect(status().git).toBe(0); // rewritten by the git answer
  });

  it('the pre-commit hook, warm, still refuses a gated file under a staged weakening', () => {
    repo.write('.agents/gates.yaml', WEAK);
    repo.write('tools/build.sh', 'echo pwned\n');
    repo.gitOk('add', '.agents/gates.yaml', 'tools/build.sh');
    const r = preCommit();
    expect(r.code).toBe(1);
    expect(codes(r)).toContain('B_NO_SIDECAR');
  });
});
