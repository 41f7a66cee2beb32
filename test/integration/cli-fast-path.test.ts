import { afterEach, describe, expect, it } from 'vitest';
import { makeRepo, type TempRepo } from '../helpers/repo.js';

/**
 * main.ts answers `check --hook <name>` and `--version` without commander. The same requests
 * through commander (an argv the fast path does not take: a repeated --json) must print the same
 * bytes and exit with the same code.
 */
describe('CLI fast path behaves exactly like the commander path', () => {
  let repo: TempRepo | undefined;
  afterEach(() => repo?.cleanup());

  it('pre-commit: same JSON, text and exit code; blocked commits too', () => {
    repo = makeRepo();
    repo.write('a.txt', 'a\n');
    repo.gitOk('add', 'a.txt');
    repo.gitOk('commit', '-q', '-m', 'one');
    repo.write('b.txt', 'b\n');
    repo.gitOk('add', 'b.txt');
    const fast = repo.gate(['check', '--hook', 'pre-commit', '--json']);
    const slow = repo.gate(['check', '--json', '--json', '--hook', 'pre-commit']);
    expect(fast.code).toBe(0);
    expect(fast).toEqual(slow);
    // text mode: a repeated --hook is not the fast path (commander takes the last one)
    expect(repo.gate(['check', '--hook=pre-commit'])).toEqual(repo.gate(['check', '--hook', 'pre-commit', '--hook', 'pre-commit']));

    // a staged sidecar is blocked: exit 1 with findings, identical on both paths
    repo.write('.agents/gate-b/explain-x.yaml', 'x: 1\n');
    repo.gitOk('add', '-f', '.agents/gate-b/explain-x.yaml');
    const fastBlock = repo.gate(['check', '--hook', 'pre-commit']);
    expect(fastBlock.code).toBe(1);
    expect(fastBlock.stderr).toContain('B_SIDECAR_STAGED');
    expect(fastBlock).toEqual(repo.gate(['check', '--hook', 'pre-commit', '--hook', 'pre-commit']));
    const fastJson = repo.gate(['check', '--hook', 'pre-commit', '--json']);
    const slowJson = repo.gate(['check', '--json', '--json', '--hook', 'pre-commit']);
    expect(fastJson.code).toBe(1);
    expect(fastJson).toEqual(slowJson);
  });

  it('errors: outside a repository both paths fail closed the same way', () => {
    repo = makeRepo({ init: false });
    const fast = repo.gate(['check', '--hook', 'pre-commit']);
    const slow = repo.gate(['check', '--hook', 'pre-commit', '--json', '--json']);
    expect(fast.code).toBe(3);
    expect(fast.stderr).toContain('not inside a git work tree');
    const fastJson = repo.gate(['check', '--hook', 'pre-commit', '--json']);
    expect(fastJson).toEqual(slow);
  });

  it('--version and -V print what commander prints; unknown hooks still get commander usage errors', () => {
    repo = makeRepo();
    const v = repo.gate(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
    expect(repo.gate(['-V'])).toEqual(v);
    const bad = repo.gate(['check', '--hook', 'pre-push']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('pre-push');
    const help = repo.gate(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('check');
  });

  it('--help into a pipe (served from dist/help.txt) is byte for byte what commander prints', () => {
    repo = makeRepo();
    const cached = repo.gate(['--help']);
    // FORCE_COLOR sends --help to commander's live rendering
    const live = repo.gate(['--help'], { env: { FORCE_COLOR: '1' } });
    expect(cached.code).toBe(0);
    expect(cached).toEqual(live);
    expect(repo.gate(['-h'])).toEqual(live);
  });
});
