/**
 * test/helpers/gate-in.ts against the binary: the same argv gives the same exit code, stdout and
 * stderr in process as from a node process of its own (each side on its own copy of the
 * repository, so commands that change state start from the same state), for hot commands, program
 * commands, a usage error, coded errors in both output modes and commands that read stdin; and the
 * worker's state (cwd, env, exitCode, stdin, stdout) is as it was afterwards.
 */
import { describe, expect, it } from 'vitest';
import { copyRepo, makeRepo } from '../helpers/repo.js';

const ISO = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g;
const norm = (s: string) => s.replace(ISO, 'T').replace(/\b\d+(\.\d+)? ?ms\b/g, 'N ms');

describe('gate in process (test/helpers/gate-in.ts) answers as the binary does', () => {
  const base = makeRepo({ files: { 'README.md': 'hi\n', 'progress.md': 'p\n' } });
  const cases: { args: string[]; input?: string; code: number }[] = [
    { args: ['--version'], code: 0 },
    { args: ['lock', 'status', '--json'], code: 0 },
    { args: ['lock', 'acquire', 'progress.md', '--owner', 's1'], code: 0 },
    { args: ['lock', 'release', 'progress.md', '--owner', 's1', '--json'], code: 0 },
    { args: ['lock', 'acquire', 'progress.md'], code: 2 },
    { args: ['status', '--json'], code: 0 },
    { args: ['adr', 'list'], code: 0 },
    { args: ['frobnicate'], code: 2 },
    { args: ['audit', 'verify', '--json'], code: 0 },
    { args: ['check', '--hook', 'pre-commit'], code: 0 },
    { args: ['explain', '--from', '-', '--json'], input: 'not: [valid', code: 2 },
    { args: ['hook', 'claude'], input: '{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"}}', code: 0 },
  ];
  for (const c of cases) {
    it(`gate ${c.args.join(' ')}`, async () => {
      const [a, b] = [copyRepo(base, { home: true }), copyRepo(base, { home: true })];
      const before = { cwd: process.cwd(), home: process.env.HOME, exitCode: process.exitCode, stdin: process.stdin, write: process.stdout.write };
      const spawned = a.gate(c.args, { input: c.input });
      const inProc = await b.gateIn(c.args, { input: c.input });
      const same = (r: typeof spawned, dir: string) => ({ code: r.code, stdout: norm(r.stdout.replaceAll(dir, 'REPO')), stderr: norm(r.stderr.replaceAll(dir, 'REPO')) });
      expect(same(inProc, b.dir)).toEqual(same(spawned, a.dir));
      expect(spawned.code).toBe(c.code);
      expect({ cwd: process.cwd(), home: process.env.HOME, exitCode: process.exitCode, stdin: process.stdin, write: process.stdout.write }).toEqual(before);
    });
  }
});
