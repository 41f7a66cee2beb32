/**
 * Rows R1 and R2 of `npm run bench` (issue 18, ADR 0023): remote leases (handoff.remote) against a bare
 * repository on this machine.
 *
 *  R1  `gate lock acquire` by the holder (a renewal: one new lease version, one compare-and-swap
 *      push) vs `git push` of one new ref to the same remote. Target ≤ 2×.
 *  R1b the same minus node's start-up (`node -e 0`, measured in the same rounds), vs the push.
 *  R2  contention: 3 clones × CONTENDERS/2 processes racing acquire → critical section → release
 *      through the remote; grants per second, and overlapping critical sections (must be 0).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export async function remoteTargets({ tmp, env, RUNS, CYCLES, CONTENDERS, NODE, GATE_BIN, git, makeRepo, interleave, pairedRatio, verify, row, rows, log }) {
  log('fixture: a bare remote and three clones with handoff.remote: origin');
  const seed = makeRepo(tmp, 'remote-seed', 10, env);
  writeFileSync(join(seed, '.agents', 'gates.yaml'), 'version: 1\nhandoff:\n  remote: origin\n');
  mkdirSync(join(seed, 'tasks', 't1'), { recursive: true });
  writeFileSync(join(seed, 'tasks', 't1', 'progress.md'), '# progress\n');
  git(seed, env, 'add', '-A');
  git(seed, env, 'commit', '-q', '-m', 'remote leases');
  const bare = join(tmp, 'remote.git');
  git(tmp, env, 'init', '-q', '--bare', '-b', 'main', bare);
  git(seed, env, 'push', '-q', bare, 'main');
  const clones = ['c1', 'c2', 'c3'].map((n) => {
    const d = join(tmp, `remote-${n}`);
    git(tmp, env, 'clone', '-q', bare, d);
    git(d, env, 'config', 'user.email', 'bench@example.com');
    git(d, env, 'config', 'user.name', 'Bench');
    return d;
  });
  const doc = 'tasks/t1/progress.md';
  const [c1] = clones;
  const lenv = { ...env, GATE_SESSION: 'bench-holder' };
  // R1: the holder re-acquires (a renewal through the remote) vs a plain push creating one ref
  const acq = { name: 'gate lock acquire (remote)', cmd: NODE, args: [GATE_BIN, 'lock', 'acquire', doc], cwd: c1, env: lenv };
  const push = {
    name: 'git push of one ref',
    cmd: 'git',
    args: ['push', '-q', bare, 'HEAD:refs/bench/one'],
    cwd: c1,
    env,
    prepare: () => git(bare, env, 'update-ref', '-d', 'refs/bench/one'),
  };
  const node = { name: 'node -e 0', cmd: NODE, args: ['-e', '0'], cwd: c1, env };
  verify(acq);
  verify(push);
  verify(node);
  const { samples, cpu } = await interleave([push, acq, node], { runs: RUNS });
  row('R1', 'remote lease round trip (`gate lock acquire`, renewal: one CAS push) vs `git push` of one ref to the same local remote', pairedRatio(samples, push.name, acq.name), 2, '×', {}, pairedRatio(cpu, push.name, acq.name));
  // R1b: the same without node's start-up (what row 4a measures): (acquire − node -e 0) / push, per round
  const own = samples[acq.name].map((a, i) => Math.max(a - samples[node.name][i], 0.001));
  const ownRatio = pairedRatio({ push: samples[push.name], own }, 'push', 'own');
  row('R1b', 'remote lease round trip minus node start-up (`gate lock acquire` − `node -e 0`) vs `git push` of one ref', ownRatio, 2, '×');
  git(c1, lenv, 'rev-parse', 'HEAD');
  const rel = verify({ name: 'release', cmd: NODE, args: [GATE_BIN, 'lock', 'release', doc], cwd: c1, env: lenv });
  void rel;

  // R2: contention through the remote
  const per = Math.max(2, Math.round(CONTENDERS / 4));
  log(`remote contention: 3 clones × ${per} contenders × ${CYCLES} cycles`);
  const marker = join(tmp, 'remote-critical-section');
  const script = join(tmp, 'remote-contender.mjs');
  writeFileSync(script, contender);
  const started = Date.now();
  const results = await Promise.all(
    clones.flatMap((dir, ci) =>
      Array.from({ length: per }, (_, i) =>
        new Promise((resolve, reject) => {
          const p = spawn(NODE, [script, GATE_BIN, dir, marker, String(CYCLES), doc], { env: { ...env, GATE_SESSION: `rc-${ci}-${i}` }, stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          p.stdout.on('data', (d) => (out += d));
          p.on('error', reject);
          p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`remote contender ${ci}-${i} exited ${code}: ${out}`))));
        })),
    ),
  );
  const secs = (Date.now() - started) / 1000;
  const grants = results.reduce((s, r) => s + r.grants, 0);
  const overlaps = results.reduce((s, r) => s + r.overlaps, 0);
  const rate = grants / secs;
  rows.push({
    id: 'R2', target: `remote contention: 3 clones × ${per} processes × ${CYCLES} cycles through one remote: grants per second (overlapping critical sections must be 0)`,
    median: rate, min: rate, max: rate, threshold: null, unit: ' grants/s', pass: overlaps === 0 && grants === 3 * per * CYCLES,
    note: `${grants} grants in ${secs.toFixed(1)} s; ${overlaps} overlaps`,
  });
  log(`R2: ${grants} grants in ${secs.toFixed(1)} s (${rate.toFixed(2)}/s), ${overlaps} overlaps`);
}

const contender = `
import { spawnSync } from 'node:child_process';
import { openSync, closeSync, unlinkSync } from 'node:fs';
const [gateBin, dir, marker, cyclesText, doc] = process.argv.slice(2);
const cycles = Number(cyclesText);
let grants = 0, overlaps = 0;
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
while (grants < cycles) {
  const a = spawnSync(process.execPath, [gateBin, 'lock', 'acquire', doc, '--ttl', '5m', '--wait', '10m'], { cwd: dir, encoding: 'utf8' });
  if (a.status !== 0) { console.error('acquire failed', a.status, a.stderr); process.exit(2); }
  grants++;
  let fd;
  try { fd = openSync(marker, 'wx'); } catch { overlaps++; }
  sleep(1);
  if (fd !== undefined) { closeSync(fd); unlinkSync(marker); }
  const r = spawnSync(process.execPath, [gateBin, 'lock', 'release', doc], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) { console.error('release failed', r.status, r.stderr); process.exit(2); }
}
process.stdout.write(JSON.stringify({ grants, overlaps }));
`;
