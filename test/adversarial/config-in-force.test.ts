/**
 * Issue 14: the config in force for the pre-commit (and `gate lock`, `gate status`, `gate explain`)
 * is the strictest of HEAD's and the index's (and the working tree's, which may only add gates).
 * Each attack an agent could try with `.agents/gates.yaml` before a commit, through the CLI.
 * HEAD's config gates `tools/**` (CONFIRM, not a default surface) and names `handoff/**` as handoff
 * documents, so falling back to the defaults would also show as a pass.
 *
 * The built CLI runs once per exit-code class (the pre-commit refusing, exit 1; an invalid config,
 * exit 3; `gate lock status` under GATE_PROFILE=json, exit 0, starting no git process) and in a real
 * `git commit <path>` through its hook; the other verdicts come from the same argv in process
 * (`repo.gateIn`, test/helpers/gate-in.ts), where the git processes a command starts are counted at
 * the one place the product starts them (the `git` spawnSync that GATE_PROFILE's `git.calls` counts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { GATE_BIN, makeRepo, run, type RunResult, type TempRepo } from '../helpers/repo.js';
import { GATE_IN_SPAWNS } from '../helpers/gate-in.js';

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
let stateDir: string;

function parsed(r: RunResult): { code: number; out: any; stderr: string } {
  let out: any;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    out = undefined;
  }
  return { code: r.code, out, stderr: r.stderr };
}

/** `gate <args> --json` in process (repo.gateIn). */
const json = async (args: string[], env: NodeJS.ProcessEnv = {}) => parsed(await repo.gateIn([...args, '--json'], { env }));
/** The same through the built CLI (a node process of its own): once per exit-code class. */
const jsonBin = (args: string[], env: NodeJS.ProcessEnv = {}) => parsed(repo.gate([...args, '--json'], { env }));

const preCommit = () => json(['check', '--hook', 'pre-commit']);
const preCommitBin = () => jsonBin(['check', '--hook', 'pre-commit']);

/**
 * `fn` with every git process the product starts counted: Git.exec (src/adapters/git.ts) starts git
 * through `process.getBuiltinModule('node:child_process').spawnSync`, read at each call, the one call
 * GATE_PROFILE's `git.calls` counts in a process of its own.
 */
const childProcess = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
async function countingGit<T>(fn: () => Promise<T>): Promise<{ result: T; git: number }> {
  const spawnSync = childProcess.spawnSync;
  let git = 0;
  childProcess.spawnSync = ((cmd: string, ...rest: unknown[]) => {
    if (cmd === 'git') git += 1;
    return (spawnSync as (...a: unknown[]) => unknown)(cmd, ...rest);
  }) as typeof spawnSync;
  try {
    return { result: await fn(), git };
  } finally {
    childProcess.spawnSync = spawnSync;
  }
}
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
  stateDir = join(repo.commonDir(), 'agent-gates');
});
afterAll(() => repo.cleanup());
beforeEach(() => {
  // (one shell for both git commands: only their effect matters here)
  const r = run('sh', ['-c', "git reset -q --hard HEAD && git clean -qfdx -e '!.agents/gate-b'"], { cwd: repo.dir, env: repo.env });
  expect(r.code, r.stderr).toBe(0);
  rmSync(join(stateDir, 'leases'), { recursive: true, force: true });
});

describe('the working tree never weakens a gate', () => {
  it('an unstaged edit lowering a surface to AUTO changes nothing: the gated file still needs an approval', async () => {
    repo.write('.agents/gates.yaml', WEAK);
    repo.write('tools/build.sh', 'echo pwned\n');
    repo.gitOk('add', 'tools/build.sh');
    const r = preCommitBin(); // the built CLI: exit 1
    expect(r.code).toBe(1);
    expect(codes(r)).toContain('B_NO_SIDECAR');
    expect(r.out.findings.find((f: { code: string }) => f.code === 'B_NO_SIDECAR').message).toContain('tools/build.sh');
    // gate status and gate explain see the same tier
    const s = await json(['status']);
    expect(tierOf(s.out, 'tools/build.sh')).toBe('CONFIRM');
    const e = await json(['explain', '--intent', 'i', '--alternative', 'a', '--blast-radius', 'b', '--reversibility', 'r', '--rollback', 'x']);
    expect(e.out?.tier).toBe('CONFIRM');
  });

  it('an unstaged edit emptying the handoff globs changes nothing: the handoff doc still needs a lease, and `gate lock` still takes one', async () => {
    repo.write('.agents/gates.yaml', WEAK);
    repo.write('handoff/a.md', '# a, edited\n');
    repo.gitOk('add', 'handoff/a.md');
    const r = await preCommit();
    expect(r.code).toBe(1);
    expect(codes(r).some((c: string) => c.startsWith('A_'))).toBe(true);
    const lock = await json(['lock', 'acquire', 'handoff/a.md'], { GATE_SESSION: 'agent-1' });
    expect(lock.code).toBe(0);
    expect(JSON.stringify(lock.out)).not.toMatch(/not a handoff/i);
  });

  it('a working-tree config deleted changes nothing: HEAD\'s still holds', async () => {
    rmSync(join(repo.dir, '.agents/gates.yaml'));
    repo.write('tools/build.sh', 'echo pwned\n');
    repo.gitOk('add', 'tools/build.sh');
    const r = await preCommit();
    expect(r.code).toBe(1);
    expect(codes(r)).toContain('B_NO_SIDECAR');
  });

  it('an invalid working-tree config fails closed (exit 3), never passes', async () => {
    repo.write('.agents/gates.yaml', 'version: 1\nsurfaces: [\n');
    repo.write('tools/build.sh', 'echo pwned\n');
    repo.gitOk('add', 'tools/build.sh');
    const r = preCommitBin(); // the built CLI: exit 3
    expect(r.code).toBe(3);
  });

  it('an invalid config committed at HEAD, the same bytes staged and in the working tree, fails closed (exit 3), never the defaults', async () => {
    // committed past the hooks (plumbing): HEAD's invalid config counts as the defaults only while
    // a valid staged or working-tree config is also in force; the same invalid bytes there must fail
    const bad = 'version: 1\nsurfaces: [\n';
    repo.write('.agents/gates.yaml', bad);
    repo.gitOk('add', '.agents/gates.yaml');
    const tree = repo.gitOk('write-tree');
    const commit = repo.gitOk('commit-tree', tree, '-p', 'HEAD', '-m', 'invalid config, hooks skipped');
    repo.gitOk('update-ref', 'HEAD', commit);
    try {
      const lock = await json(['lock', 'acquire', 'handoff/a.md', '--owner', 'agent']);
      expect(lock.code, lock.stderr).toBe(3);
      expect(lock.out.error.code).toBe('CONFIG_INVALID');
      repo.write('tools/build.sh', 'echo pwned\n');
      repo.gitOk('add', 'tools/build.sh');
      expect((await preCommit()).code).toBe(3);
    } finally {
      repo.gitOk('update-ref', 'HEAD', base);
    }
  });

  it('a stricter working-tree config adds its gates at once', async () => {
    repo.write('.agents/gates.yaml', CONFIG + '  - name: docs\n    paths: [docs/**]\n    tier: CONFIRM\n    self_reinforcing: false\n');
    repo.write('docs/x.md', '# x\n');
    repo.gitOk('add', 'docs/x.md');
    const s = await json(['status']);
    expect(tierOf(s.out, 'docs/x.md')).toBe('CONFIRM');
  });
});

describe('the index never weakens a gate either', () => {
  it('a staged weakening committed with a gated file: HEAD\'s tier still applies to the gated file', async () => {
    repo.write('.agents/gates.yaml', WEAK);
    repo.write('tools/build.sh', 'echo pwned\n');
    repo.gitOk('add', '.agents/gates.yaml', 'tools/build.sh');
    const s = await json(['status']);
    expect(tierOf(s.out, 'tools/build.sh')).toBe('CONFIRM');
    expect(tierOf(s.out, '.agents/gates.yaml')).toBe('DOUBLE_CONFIRM');
    expect((await preCommit()).code).toBe(1);
  });

  it('a staged deletion of the config with a working-tree copy lowered: HEAD\'s holds', async () => {
    repo.gitOk('rm', '-q', '--cached', '.agents/gates.yaml');
    repo.write('.agents/gates.yaml', WEAK);
    repo.write('tools/build.sh', 'echo pwned\n');
    repo.gitOk('add', 'tools/build.sh');
    const s = await json(['status']);
    expect(tierOf(s.out, 'tools/build.sh')).toBe('CONFIRM');
  });

  it('with `commit <path>` (a temporary GIT_INDEX_FILE) the hook reads that index, and still HEAD\'s config', async () => {
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
 * `gate lock status --json` shows the handoff globs in force (WEAK empties them) and how many git
 * processes ran: under GATE_PROFILE=json from the built CLI, else counted in process (countingGit).
 */
describe('the no-git path never lets a weaker config win (ADR 0025)', () => {
  type Seen = { handoff: string[]; git: number };
  /** The built CLI under GATE_PROFILE=json: the handoff globs in force and the profile's git calls. */
  const statusBin = (env: NodeJS.ProcessEnv = {}): Seen => {
    const r = repo.gate(['lock', 'status', '--json'], { env: { GATE_SESSION: 'agent-1', GATE_PROFILE: 'json', ...env } });
    expect(r.code, r.stderr).toBe(0);
    const profile = JSON.parse(r.stderr.trim().split('\n').pop()!).profile;
    return { handoff: JSON.parse(r.stdout).handoff as string[], git: profile.git.calls as number };
  };
  /** The same argv in process, the git processes it starts counted (countingGit). */
  const status = async (env: NodeJS.ProcessEnv = {}): Promise<Seen> => {
    if (GATE_IN_SPAWNS) return statusBin(env); // gateIn would spawn the binary: ask its profile
    const { result: r, git } = await countingGit(() => repo.gateIn(['lock', 'status', '--json'], { env: { GATE_SESSION: 'agent-1', ...env } }));
    expect(r.code, r.stderr).toBe(0);
    return { handoff: JSON.parse(r.stdout).handoff as string[], git };
  };
  const strict = (s: { handoff: string[] }) => expect(s.handoff).toContain('handoff/**');
  const commitAs = (text: string, message: string) => {
    repo.write('.agents/gates.yaml', text);
    repo.gitOk('add', '.agents/gates.yaml');
    repo.gitOk('commit', '-q', '-m', message); // no hooks installed in this repository
  };
  beforeEach(async () => {
    repo.gitOk('reset', '-q', '--hard', base);
    await status(); // remembers HEAD's blob id (if it was not already)
  });

  it('the common case starts no git process and HEAD\'s config is in force', async () => {
    const s = statusBin(); // the built CLI, exit 0: its own profile counts no git process
    expect(s.git).toBe(0);
    strict(s);
    // and the count in process says the same
    expect((await status()).git).toBe(0);
  });

  it('a working-tree edit of the same size and modification time (racy git) is seen: content is compared, not stat data', async () => {
    const file = join(repo.dir, '.agents/gates.yaml');
    const before = statSync(file);
    writeFileSync(file, WEAK_SAME_SIZE);
    utimesSync(file, before.atime, before.mtime);
    expect(statSync(file).size).toBe(before.size);
    const s = await status();
    strict(s);
    expect(s.git).toBeGreaterThan(0);
    // and after `git update-index --refresh` records the new stat data as clean for the old blob
    repo.git('update-index', '--refresh');
    strict(await status());
  });

  it('a staged weakening (index and working tree one text, HEAD another) asks git and keeps HEAD\'s', async () => {
    repo.write('.agents/gates.yaml', WEAK);
    repo.gitOk('add', '.agents/gates.yaml');
    strict(await status());
    for (const v of ['4', '3', '2']) {
      repo.gitOk('update-index', '--index-version', v);
      strict(await status());
    }
  });

  it('a weaker config committed, then HEAD moved back (reset --soft): the remembered id of the new commit is not the old one\'s', async () => {
    commitAs(WEAK, 'weaken');
    const weak = await status(); // the weaker commit is HEAD now: in force, and remembered
    expect(weak.handoff).toEqual([]);
    expect((await status()).git).toBe(0);
    repo.gitOk('reset', '-q', '--soft', base); // HEAD strict again, index and file still weak
    strict(await status());
    repo.gitOk('checkout', '-q', '-B', 'main', base);
    repo.gitOk('update-ref', 'refs/heads/main', repo.gitOk('rev-parse', 'HEAD@{1}')); // the branch at the weak commit, HEAD attached to it
    repo.gitOk('reset', '-q', '--soft', base);
    strict(await status());
  });

  it('a temporary index (commit <path>, GIT_INDEX_FILE) holding HEAD~1\'s stricter config is the one read', async () => {
    commitAs(WEAK, 'weaken');
    await status(); // HEAD (weak) remembered; .git/index and the file are weak too
    const tmpIndex = join(repo.dir, '.git', 'tmp-index');
    repo.gitOk('read-tree', `--index-output=${tmpIndex}`, base);
    strict(await status({ GIT_INDEX_FILE: tmpIndex }));
    strict(await status({ GIT_INDEX_FILE: '.git/tmp-index' })); // relative, as git may pass it
    rmSync(tmpIndex);
  });

  it('skip-worktree, a split index or a garbage cache file send the question to git', async () => {
    repo.gitOk('update-index', '--skip-worktree', '.agents/gates.yaml');
    repo.write('.agents/gates.yaml', WEAK_SAME_SIZE);
    strict(await status());
    repo.gitOk('update-index', '--no-skip-worktree', '.agents/gates.yaml');
    repo.gitOk('checkout', '--', '.agents/gates.yaml');
    repo.gitOk('update-index', '--split-index');
    repo.write('.agents/gates.yaml', WEAK);
    repo.gitOk('add', '.agents/gates.yaml');
    strict(await status());
    repo.gitOk('checkout', 'HEAD', '--', '.agents/gates.yaml');
    expect((await status()).git).toBeGreaterThan(0);
    repo.gitOk('update-index', '--no-split-index');
    for (const f of readdirSync(join(repo.dir, '.git')).filter((n) => n.startsWith('sharedindex.'))) rmSync(join(repo.dir, '.git', f));
    const cache = join(repo.commonDir(), 'agent-gates', 'cache', 'head-config.json');
    expect(readFileSync(cache, 'utf8')).toContain(base);
    writeFileSync(cache, '{not json');
    const s = await status();
    expect(s.git).toBeGreaterThan(0);
    strict(s);
    expect((await status()).git).toBe(0); // rewritten by the git answer
  });

  it('the pre-commit hook, warm, still refuses a gated file under a staged weakening', async () => {
    repo.write('.agents/gates.yaml', WEAK);
    repo.write('tools/build.sh', 'echo pwned\n');
    repo.gitOk('add', '.agents/gates.yaml', 'tools/build.sh');
    const r = await preCommit();
    expect(r.code).toBe(1);
    expect(codes(r)).toContain('B_NO_SIDECAR');
  });
});
