/**
 * Issue 14: the config in force for the pre-commit (and `gate lock`, `gate status`, `gate explain`)
 * is the strictest of HEAD's and the index's (and the working tree's, which may only add gates).
 * Each attack an agent could try with `.agents/gates.yaml` before a commit, through the built CLI.
 * HEAD's config gates `tools/**` (CONFIRM, not a default surface) and names `handoff/**` as handoff
 * documents, so falling back to the defaults would also show as a pass.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, rmSync } from 'node:fs';
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

let repo: TempRepo;

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
