/**
 * Scale: a 500-commit range, every commit changing a governed file and carrying its note, passes
 * `gate check --range` through the built CLI. Prints the wall time (no timing assertion; figures
 * live in docs/performance.md). GATE_RANGE_COMPARE=<other bin/gate.js> also times another build
 * on the same history (how the before/after figures were taken); N scales the range.
 */
import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, run, GATE_BIN } from '../helpers/repo.js';
import { noteV2 } from '../helpers/history.js';
import { createHash } from 'node:crypto';

const blobId = (c: string) => createHash('sha1').update(`blob ${Buffer.byteLength(c)}\0`).update(c).digest('hex');
it('a 500-commit range with a note on every commit passes in one batched pass', () => {
  const repo = makeRepo();
  const N = Number(process.env.N ?? 500);
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  let st = `commit refs/heads/main\nmark :1\ncommitter M <m@x> 1764590400 +0000\n${data('base')}M 100644 inline rules/r.yaml\n${data('v0\n')}M 100644 inline README.md\n${data('x\n')}\n`;
  for (let i = 1; i <= N; i++) {
    st += `commit refs/heads/main\nmark :${i + 1}\ncommitter M <m@x> 1764590400 +0000\n${data(`c${i}`)}from :${i}\nM 100644 inline rules/r.yaml\n${data(`v${i}\n`)}M 100644 inline src/f${i % 50}.ts\n${data(`${i}\n`)}\n`;
  }
  const marks = join(repo.dir, '..', 'marks');
  const r = run('git', ['fast-import', '--quiet', `--export-marks=${marks}`], { cwd: repo.dir, env: repo.env, input: st });
  if (r.code) throw new Error(r.stderr);
  const ids = new Map<number, string>();
  for (const l of readFileSync(marks, 'utf8').split('\n')) { const m = /^:(\d+) (\w+)/.exec(l); if (m) ids.set(Number(m[1]), m[2]!); }
  let ns = `commit refs/notes/agent-gates\ncommitter M <m@x> 1764590400 +0000\n${data('n')}`;
  for (let i = 1; i <= N; i++) {
    const body = JSON.parse(noteV2({ tier: 'CONFIRM', tree: 'e'.repeat(40), root: null, changes: [{ path: 'rules/r.yaml', status: 'M', oldMode: '100644', newMode: '100644', oldBlob: blobId(`v${i - 1}\n`), newBlob: blobId(`v${i}\n`) }] }));
    body.agent_gates = 1; delete body.transitions; body.commit_tree = body.sidecar.tree;
    ns += `N inline ${ids.get(i + 1)}\n${data(JSON.stringify(body))}`;
  }
  const r2 = run('git', ['fast-import', '--quiet'], { cwd: repo.dir, env: repo.env, input: ns + '\n' });
  if (r2.code) throw new Error(r2.stderr);
  const base = ids.get(1)!;
  const bins: Array<[string, string]> = [['this build', GATE_BIN], ...(process.env.GATE_RANGE_COMPARE ? [['compared build', process.env.GATE_RANGE_COMPARE] as [string, string]] : [])];
  for (const [name, bin] of bins) {
    const times: number[] = [];
    let code = -1;
    const rounds = process.env.GATE_RANGE_COMPARE ? 3 : 1;
    for (let k = 0; k < rounds; k++) {
      const t = process.hrtime.bigint();
      const x = run(process.execPath, [bin, 'check', '--range', `${base}..main`, '--json'], { cwd: repo.dir, env: repo.env, input: '' });
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
      code = x.code;
      if (k === 0 && x.code !== 0) console.log(name, x.stdout.slice(0, 300), x.stderr.slice(0, 300));
    }
    times.sort((a, b) => a - b);
    if (name === 'this build') expect(code).toBe(0);
    console.log(`${name}: ${N} commits, exit ${code}, median ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms (runs ${times.map((t) => t.toFixed(0)).join(', ')})`);
  }
  repo.cleanup();
}, 600_000);
