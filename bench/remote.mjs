/**
 * Rows R1–R2 of `npm run bench` (issue 18, ADR 0023): remote leases (handoff.remote) against a bare
 * repository on this machine.
 *
 *  R1   `gate lock acquire` by the holder (a renewal: one new lease version, one compare-and-swap
 *       push, the only git process gate starts) vs `git push` of one new ref to the same remote
 *       (a path). Target ≤ 2×. This includes node's start-up, which alone costs more than a push
 *       to a remote on the same disk: out of reach for any CLI written for node.
 *  R1b  the same minus node's start-up (`node -e 0`, measured in the same rounds), vs the push; the
 *       cpu column is (acquire cpu − node cpu) / push cpu, the least load-sensitive figure.
 *  R1c  what the remote adds to the same command with the lease in the clone: (`gate lock acquire`
 *       − the same in a repository without handoff.remote, both renewals, same rounds) vs the push.
 *  R1g, R1gb, R1gc  R1–R1c over git:// (git daemon on 127.0.0.1): the push is a network round trip.
 *       (Its cpu columns count the client only: the daemon's processes are not the push's children.)
 *  R2   contention: 3 clones × CONTENDERS/4 processes racing acquire → critical section → release
 *       through the remote; grants per second, and overlapping critical sections (must be 0).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CONTENDER_SOURCE } from './fixtures.mjs';

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });

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
  // the same document in a repository without handoff.remote: the lease lives in the clone (row 4a's command)
  const localRepo = makeRepo(tmp, 'remote-local-reference', 10, env);
  mkdirSync(join(localRepo, 'tasks', 't1'), { recursive: true });
  writeFileSync(join(localRepo, 'tasks', 't1', 'progress.md'), '# progress\n');
  git(localRepo, env, 'add', '-A');
  git(localRepo, env, 'commit', '-q', '-m', 'progress');
  const lenv = { ...env, GATE_SESSION: 'bench-holder' };
  const node = { name: 'node -e 0', cmd: NODE, args: ['-e', '0'], cwd: c1, env };
  verify(node);
  // R1 (a path) and R1g (git://): the holder re-acquires (a renewal through the remote) vs a plain push creating one ref
  const round = async (ids, what, dir, url) => {
    const acq = { name: `gate lock acquire (${what})`, cmd: NODE, args: [GATE_BIN, 'lock', 'acquire', doc], cwd: dir, env: lenv };
    const push = { name: `git push of one ref (${what})`, cmd: 'git', args: ['push', '-q', url, 'HEAD:refs/bench/one'], cwd: dir, env, prepare: () => git(bare, env, 'update-ref', '-d', 'refs/bench/one') };
    const local = { name: `gate lock acquire, leases in the clone (${what})`, cmd: NODE, args: [GATE_BIN, 'lock', 'acquire', doc], cwd: localRepo, env: lenv };
    verify(acq);
    verify(push);
    verify(local);
    const { samples, cpu } = await interleave([push, acq, node, local], { runs: RUNS });
    row(ids[0], `remote lease round trip (\`gate lock acquire\`, renewal: one CAS push) vs \`git push\` of one ref to the same remote (${what})`, pairedRatio(samples, push.name, acq.name), 2, '×', {}, pairedRatio(cpu, push.name, acq.name));
    // (acquire − node -e 0) / push, per round, wall and cpu
    const own = samples[acq.name].map((a, i) => Math.max(a - samples[node.name][i], 0.001));
    const ownCpu = cpu[acq.name].length ? cpu[acq.name].map((a, i) => Math.max(a - cpu[node.name][i], 0.001)) : [];
    row(ids[1], `remote lease round trip minus node start-up (\`gate lock acquire\` − \`node -e 0\`) vs \`git push\` of one ref (${what})`, pairedRatio({ push: samples[push.name], own }, 'push', 'own'), 2, '×', {}, ownCpu.length ? pairedRatio({ push: cpu[push.name], own: ownCpu }, 'push', 'own') : undefined);
    // what the remote adds to the same command with the lease in the clone: (acquire − local acquire) / push
    const extra = samples[acq.name].map((a, i) => Math.max(a - samples[local.name][i], 0.001));
    const extraCpu = cpu[acq.name].length ? cpu[acq.name].map((a, i) => Math.max(a - cpu[local.name][i], 0.001)) : [];
    if (ids[2]) row(ids[2], `what the remote adds: (\`gate lock acquire\` − the same without handoff.remote, both renewals) vs \`git push\` of one ref (${what})`, pairedRatio({ push: samples[push.name], extra }, 'push', 'extra'), 2, '×', {}, extraCpu.length ? pairedRatio({ push: cpu[push.name], extra: extraCpu }, 'push', 'extra') : undefined);
    verify({ name: 'release', cmd: NODE, args: [GATE_BIN, 'lock', 'release', doc], cwd: dir, env: lenv });
    verify({ name: 'release (clone)', cmd: NODE, args: [GATE_BIN, 'lock', 'release', doc], cwd: localRepo, env: lenv });
  };
  await round(['R1', 'R1b', 'R1c'], 'local path', c1, bare);
  const port = await freePort();
  const daemon = spawn('git', ['daemon', '--reuseaddr', `--base-path=${tmp}`, '--export-all', '--enable=receive-pack', '--listen=127.0.0.1', `--port=${port}`, tmp], { stdio: 'ignore', env });
  try {
    const url = `git://127.0.0.1:${port}/remote.git`;
    for (let i = 0; i < 100 && spawnSync('git', ['ls-remote', url], { env, stdio: 'ignore' }).status !== 0; i++) await new Promise((r) => setTimeout(r, 50));
    const cg = join(tmp, 'remote-git-daemon');
    git(tmp, env, 'clone', '-q', url, cg);
    await round(['R1g', 'R1gb', 'R1gc'], 'git:// on 127.0.0.1', cg, url);
  } finally {
    daemon.kill('SIGKILL');
  }

  // R2: contention through the remote
  const per = Math.max(2, Math.round(CONTENDERS / 4));
  log(`remote contention: 3 clones × ${per} contenders × ${CYCLES} cycles`);
  const marker = join(tmp, 'remote-critical-section');
  const script = join(tmp, 'remote-contender.mjs');
  writeFileSync(script, CONTENDER_SOURCE);
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
