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

  it('gate lock acquire|release|renew|status: same bytes and exit codes as commander (success, denial, --json, errors)', () => {
    repo = makeRepo();
    repo.write('progress.md', '# p\n');
    repo.write('todos.md', '# t\n');
    repo.gitOk('add', '-A');
    repo.gitOk('commit', '-q', '-m', 'handoff docs');
    const r = repo;
    // `--` ends the options: commander parses the same request, the fast path does not take it
    const viaCommander = (argv: string[]) => {
      const sub = argv.slice(0, 2);
      const rest = argv.slice(2);
      const paths = rest.filter((a, i) => !a.startsWith('-') && !(i > 0 && /^--(owner|ttl|wait|reason)$/.test(rest[i - 1]!)));
      const opts = rest.filter((a) => !paths.includes(a));
      return r.gate([...sub, ...opts, '--', ...paths]);
    };
    // timestamps, seconds left and tokens differ between two runs; everything else must be identical
    const norm = (x: { code: number; stdout: string; stderr: string }) => ({
      ...x,
      stdout: x.stdout.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T').replace(/"expiresInSeconds": -?\d+/g, 'S').replace(/"token": \d+|token \d+/g, 'token N'),
      stderr: x.stderr.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T'),
    });

    // acquire (text and --json), released in between so both grants are fresh
    for (const json of [[], ['--json']]) {
      const fast = r.gate(['lock', 'acquire', 'progress.md', '--owner', 'a', '--reason', 'resume point', ...json]);
      expect(fast.code).toBe(0);
      expect(r.gate(['lock', 'release', 'progress.md', '--owner', 'a']).code).toBe(0);
      const slow = viaCommander(['lock', 'acquire', 'progress.md', '--owner', 'a', '--reason', 'resume point', ...json]);
      expect(norm(fast)).toEqual(norm(slow));
      expect(r.gate(['lock', 'release', 'progress.md', '--owner', 'a']).code).toBe(0);
    }
    expect(r.gate(['lock', 'acquire', 'progress.md', '--owner', 'a']).code).toBe(0);
    // a is holding progress.md now: status, denial, renew, release of a free path
    const same = (argv: string[], code: number) => {
      const fast = r.gate(argv);
      expect(fast.code).toBe(code);
      // (status --json carries the current time)
      expect(norm(fast)).toEqual(norm(viaCommander(argv)));
      return fast;
    };
    same(['lock', 'status'], 0);
    same(['lock', 'status', '--json', '--owner', 'a'], 0);
    same(['lock', 'status', 'todos.md', 'progress.md', '--owner', 'b'], 0);
    expect(same(['lock', 'acquire', 'progress.md', 'todos.md', '--owner', 'b'], 1).stderr).toContain('held by a');
    same(['lock', 'acquire', 'progress.md', '--owner', 'b', '--json'], 1);
    same(['lock', 'release', 'progress.md', '--owner', 'b'], 1);
    same(['lock', 'release', 'progress.md', '--owner', 'b', '--json'], 1);
    same(['lock', 'renew', 'progress.md', '--owner', 'b', '--json'], 1);
    same(['lock', 'renew', 'todos.md', '--owner', 'a'], 1);
    same(['lock', 'release', 'todos.md', '--owner', 'a'], 0);
    same(['lock', 'release', 'todos.md', '--owner', 'a', '--json'], 0);
    // errors from the use-case: no owner known (no GATE_SESSION, no terminal), a bad duration
    same(['lock', 'acquire', 'todos.md'], 2);
    same(['lock', 'acquire', 'todos.md', '--json'], 2);
    same(['lock', 'acquire', 'todos.md', '--owner', 'a', '--ttl', 'soon'], 2);
    const renew = r.gate(['lock', 'renew', 'progress.md', '--owner', 'a', '--ttl', '2h']);
    expect(renew.code).toBe(0);
    expect(norm(renew)).toEqual(norm(viaCommander(['lock', 'renew', 'progress.md', '--owner', 'a', '--ttl', '2h'])));
    const rel = r.gate(['lock', 'release', 'progress.md', '--owner', 'a']);
    expect(rel).toEqual({ code: 0, stdout: 'released progress.md\n', stderr: '' });

    // usage errors still come from commander
    const missing = r.gate(['lock', 'acquire']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing required argument');
    const unknown = r.gate(['lock', 'acquire', 'progress.md', '--bogus', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown option');
    const noValue = r.gate(['lock', 'acquire', 'progress.md', '--owner']);
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toContain('--owner');
    expect(r.gate(['lock', 'acquire', '--help']).stdout).toContain('Usage: gate lock acquire');
  });
});
