import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FORMATTER } from '../helpers/consumer.js';
import { makeRepo, PKG_ROOT, type TempRepo } from '../helpers/repo.js';

/**
 * main.ts answers `check --hook <name>` and `--version` without commander. The same requests
 * through commander (an argv the fast path does not take: a repeated --json) must print the same
 * bytes and exit with the same code.
 *
 * What is about the launcher (bin/gate.js) and the hot file as a process runs the binary
 * (`repo.gate`): --version, --help from dist/help.txt, lint-staged's binary under --json, and per
 * test a pair of each exit code and output shape it compares. The other comparisons run both paths
 * in process (`repo.gateIn`: the hot file's `run`, then the commander program, as the launcher does).
 */
describe('CLI fast path behaves exactly like the commander path', () => {
  let repo: TempRepo | undefined;
  afterEach(() => repo?.cleanup());

  it('pre-commit: same JSON, text and exit code; blocked commits too', async () => {
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
    expect(await repo.gateIn(['check', '--hook=pre-commit'])).toEqual(await repo.gateIn(['check', '--hook', 'pre-commit', '--hook', 'pre-commit']));

    // a staged sidecar is blocked: exit 1 with findings, identical on both paths
    repo.write('.agents/gate-b/explain-x.yaml', 'x: 1\n');
    repo.gitOk('add', '-f', '.agents/gate-b/explain-x.yaml');
    const fastBlock = repo.gate(['check', '--hook', 'pre-commit']);
    expect(fastBlock.code).toBe(1);
    expect(fastBlock.stderr).toContain('B_SIDECAR_STAGED');
    expect(fastBlock).toEqual(repo.gate(['check', '--hook', 'pre-commit', '--hook', 'pre-commit']));
    const fastJson = await repo.gateIn(['check', '--hook', 'pre-commit', '--json']);
    const slowJson = await repo.gateIn(['check', '--json', '--json', '--hook', 'pre-commit']);
    expect(fastJson.code).toBe(1);
    expect(fastJson).toEqual(slowJson);
  });

  it('--lint-staged: same bytes and exit codes on both paths (restaged, failed task, --json, errors); usage errors from commander', async () => {
    repo = makeRepo();
    const r = repo;
    const LS = join(PKG_ROOT, 'node_modules', '.bin', 'lint-staged'); // the real lint-staged 16
    r.write('package.json', `${JSON.stringify({ name: 'x', private: true, 'lint-staged': { '*.txt': 'node format.cjs' } }, null, 2)}\n`);
    r.write('format.cjs', FORMATTER);
    r.gitOk('add', '-A');
    r.gitOk('commit', '-q', '-m', 'one');
    // the stash lint-staged backs up to is named by its hash, which carries the time
    const norm = (x: { code: number; stdout: string; stderr: string }) => ({ ...x, stdout: x.stdout.replace(/\([0-9a-f]{7,40}\)/g, '(H)'), stderr: x.stderr.replace(/\([0-9a-f]{7,40}\)/g, '(H)') });
    const stage = () => {
      r.write('a.txt', 'a   \n\n');
      r.gitOk('add', 'a.txt');
    };
    // commander path: a repeated --hook (commander takes the last one). `real`: both runs are the
    // binary's; otherwise both in process (lint-staged's API then runs in the test worker; with
    // --json lint-staged is a child process writing to the inherited stderr, so those stay real).
    const both = async (extra: string[], slowExtra: string[] = ['--hook', 'pre-commit'], real = false) => {
      const gate = (argv: string[]) => r.gateIn(argv, { binary: real });
      stage();
      const fast = await gate(['check', '--hook', 'pre-commit', ...extra]);
      const fastIndex = r.gitOk('ls-files', '-s', 'a.txt');
      stage();
      const slow = await gate(['check', '--hook', 'pre-commit', ...slowExtra, ...extra]);
      expect(r.gitOk('ls-files', '-s', 'a.txt')).toBe(fastIndex);
      expect(norm(fast)).toEqual(norm(slow));
      return fast;
    };
    const ok = await both(['--lint-staged', LS], undefined, true);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('node format.cjs');
    expect(r.git('show', ':a.txt').stdout).toBe('a\n'); // restaged by lint-staged
    expect((await both([`--lint-staged=${LS}`])).code).toBe(0);
    const json = await both(['--json', '--lint-staged', LS], ['--json'], true);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, hook: 'pre-commit', lintStaged: { ok: true, via: 'process' } });
    expect(json.stderr).toContain('node format.cjs'); // stdout carries the JSON only

    // a task that fails blocks the commit before the gates run
    r.write('package.json', `${JSON.stringify({ name: 'x', private: true, 'lint-staged': { '*.txt': 'node -e process.exit(3)' } }, null, 2)}\n`);
    r.gitOk('add', 'package.json');
    const failed = await both(['--lint-staged', LS]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('agent-gates: lint-staged failed, so the commit is blocked (its output is above).');
    const failedJson = await both(['--lint-staged', LS, '--json'], ['--json'], true);
    expect(failedJson.code).toBe(1);
    expect(JSON.parse(failedJson.stdout)).toEqual({ ok: false, exitCode: 1, hook: 'pre-commit', lintStaged: { ok: false, via: 'process', fallback: 'stdout carries JSON (--json)' }, findings: [] });

    // a binary that is not there: exit 3 with the fix, the same on both paths
    const missing = await both(['--lint-staged', join(r.dir, 'nope', 'lint-staged')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('nope/lint-staged given to --lint-staged was not found');
    expect(missing.stderr).toContain('npm install');
    expect(missing.stderr).not.toContain('    at ');

    // only with --hook pre-commit: usage errors (exit 2), from commander
    for (const argv of [
      ['check', '--hook', 'post-commit', '--lint-staged', LS],
      ['check', '--lint-staged', LS],
      ['check', '--range', 'HEAD~1..HEAD', '--lint-staged', LS],
      ['check', '--hook', 'pre-commit', '--lint-staged='],
      ['check', '--hook', 'pre-commit', '--lint-staged'],
    ]) {
      const u = argv.length === 3 ? r.gate(argv) : await r.gateIn(argv); // (check --lint-staged LS: the binary)
      expect(u.code, argv.join(' ')).toBe(2);
      expect(u.stderr, argv.join(' ')).toContain('--lint-staged');
      expect(u.stdout).toBe('');
    }
  }, 180_000); // ten lint-staged runs, each a dozen git processes: over a minute on a loaded 2-core machine

  it('errors: outside a repository both paths fail closed the same way', async () => {
    repo = makeRepo({ init: false });
    const fast = repo.gate(['check', '--hook', 'pre-commit']);
    const slow = repo.gate(['check', '--hook', 'pre-commit', '--json', '--json']);
    expect(fast.code).toBe(3);
    expect(fast.stderr).toContain('not inside a git work tree');
    const fastJson = await repo.gateIn(['check', '--hook', 'pre-commit', '--json']);
    expect(fastJson).toEqual(slow);
  });

  it('--version and -V print what commander prints; unknown hooks still get commander usage errors', async () => {
    repo = makeRepo();
    const v = repo.gate(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
    expect(repo.gate(['-V'])).toEqual(v);
    const bad = await repo.gateIn(['check', '--hook', 'pre-push']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('pre-push');
    const help = await repo.gateIn(['--help']);
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

  it('gate lock acquire|release|renew|status: same bytes and exit codes as commander (success, denial, --json, errors)', async () => {
    repo = makeRepo();
    repo.write('progress.md', '# p\n');
    repo.write('todos.md', '# t\n');
    repo.gitOk('add', '-A');
    repo.gitOk('commit', '-q', '-m', 'handoff docs');
    const r = repo;
    // the binary (`real`) or in process
    const gate = (argv: string[], real = false) => r.gateIn(argv, { binary: real });
    // `--` ends the options: commander parses the same request, the fast path does not take it
    const viaCommander = (argv: string[], real = false) => {
      const sub = argv.slice(0, 2);
      const rest = argv.slice(2);
      const paths = rest.filter((a, i) => !a.startsWith('-') && !(i > 0 && /^--(owner|ttl|wait|reason)$/.test(rest[i - 1]!)));
      const opts = rest.filter((a) => !paths.includes(a));
      return gate([...sub, ...opts, '--', ...paths], real);
    };
    // timestamps, seconds left and tokens differ between two runs; everything else must be identical
    const norm = (x: { code: number; stdout: string; stderr: string }) => ({
      ...x,
      stdout: x.stdout.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T').replace(/"expiresInSeconds": -?\d+/g, 'S').replace(/"token": \d+|token \d+/g, 'token N'),
      stderr: x.stderr.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T'),
    });

    // acquire (text and --json), released in between so both grants are fresh (both pairs real)
    for (const json of [[], ['--json']]) {
      const fast = r.gate(['lock', 'acquire', 'progress.md', '--owner', 'a', '--reason', 'resume point', ...json]);
      expect(fast.code).toBe(0);
      expect((await r.gateIn(['lock', 'release', 'progress.md', '--owner', 'a'])).code).toBe(0);
      const slow = await viaCommander(['lock', 'acquire', 'progress.md', '--owner', 'a', '--reason', 'resume point', ...json], true);
      expect(norm(fast)).toEqual(norm(slow));
      expect((await r.gateIn(['lock', 'release', 'progress.md', '--owner', 'a'])).code).toBe(0);
    }
    expect((await r.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'a'])).code).toBe(0);
    // a is holding progress.md now: status, denial, renew, release of a free path
    // (`real`: both paths through the binary: a denial in text, a use-case error in --json)
    const same = async (argv: string[], code: number, real = false) => {
      const fast = await gate(argv, real);
      expect(fast.code).toBe(code);
      // (status --json carries the current time)
      expect(norm(fast)).toEqual(norm(await viaCommander(argv, real)));
      return fast;
    };
    await same(['lock', 'status'], 0);
    await same(['lock', 'status', '--json', '--owner', 'a'], 0);
    await same(['lock', 'status', 'todos.md', 'progress.md', '--owner', 'b'], 0);
    expect((await same(['lock', 'acquire', 'progress.md', 'todos.md', '--owner', 'b'], 1, true)).stderr).toContain('held by a');
    await same(['lock', 'acquire', 'progress.md', '--owner', 'b', '--json'], 1);
    await same(['lock', 'release', 'progress.md', '--owner', 'b'], 1);
    await same(['lock', 'release', 'progress.md', '--owner', 'b', '--json'], 1);
    await same(['lock', 'renew', 'progress.md', '--owner', 'b', '--json'], 1);
    await same(['lock', 'renew', 'todos.md', '--owner', 'a'], 1);
    await same(['lock', 'release', 'todos.md', '--owner', 'a'], 0);
    await same(['lock', 'release', 'todos.md', '--owner', 'a', '--json'], 0);
    // errors from the use-case: no owner known (no GATE_SESSION, no terminal), a bad duration
    await same(['lock', 'acquire', 'todos.md'], 2);
    await same(['lock', 'acquire', 'todos.md', '--json'], 2, true);
    await same(['lock', 'acquire', 'todos.md', '--owner', 'a', '--ttl', 'soon'], 2);
    const renew = await r.gateIn(['lock', 'renew', 'progress.md', '--owner', 'a', '--ttl', '2h']);
    expect(renew.code).toBe(0);
    expect(norm(renew)).toEqual(norm(await viaCommander(['lock', 'renew', 'progress.md', '--owner', 'a', '--ttl', '2h'])));
    const rel = r.gate(['lock', 'release', 'progress.md', '--owner', 'a']);
    expect(rel).toEqual({ code: 0, stdout: 'released progress.md\n', stderr: '' });

    // usage errors still come from commander
    const missing = r.gate(['lock', 'acquire']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing required argument');
    const unknown = await r.gateIn(['lock', 'acquire', 'progress.md', '--bogus', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown option');
    const noValue = await r.gateIn(['lock', 'acquire', 'progress.md', '--owner']);
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toContain('--owner');
    expect((await r.gateIn(['lock', 'acquire', '--help'])).stdout).toContain('Usage: gate lock acquire');
  });
});
