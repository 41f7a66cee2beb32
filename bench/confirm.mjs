/**
 * Target 2's fixture: a CONFIRM commit (10 files, one of them under rules/, the agent-rules
 * surface) with a valid approved sidecar, produced through the real flow: `gate explain` by the
 * agent (GATE_SESSION set), then `gate approve` by a person at a terminal, driven through a
 * pseudo-terminal (util-linux `script`): read the challenge it prints, type it back.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATE_BIN, git, makeRepo, stageEdits, gateHas } from './fixtures.mjs';

const shq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** Run `gate approve` in a pty; answer every challenge it shows. Resolves {code, output}. */
function approveInPty(dir, env, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const cmd = `${shq(process.execPath)} ${shq(GATE_BIN)} approve`;
    const p = spawn('script', ['-q', '-f', '-e', '-c', cmd, '/dev/null'], { cwd: dir, env: { ...env, TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const answered = new Set();
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`gate approve did not finish in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d) => {
      out += d.toString('utf8');
      // eslint-disable-next-line no-control-regex
      const plain = out.replace(/\u001b\[[0-9;]*m/g, '');
      for (const m of plain.matchAll(/type (\S+) and press Enter/g)) {
        const key = `${m.index}:${m[1]}`;
        if (answered.has(key)) continue;
        answered.add(key);
        p.stdin.write(`${m[1]}\r`);
      }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: out, challenges: answered.size });
    });
  });
}

export async function confirmFixture(tmp, env, log) {
  if (!gateHas(env, 'explain') || !gateHas(env, 'approve')) return { missing: 'n/a (command missing: gate explain / gate approve)' };
  if (spawnSync('script', ['--version'], { stdio: 'ignore' }).status !== 0) return { missing: 'n/a (util-linux `script` missing: approve needs a terminal)' };
  log('fixture: 2,000-file repo with a CONFIRM change (rules/) explained and approved through gate explain / gate approve');
  const dir = makeRepo(tmp, 'repo-confirm', 2000, env);
  mkdirSync(join(dir, 'rules'), { recursive: true });
  writeFileSync(join(dir, 'rules', 'team.txt'), 'be kind\n');
  git(dir, env, 'add', '-A');
  git(dir, env, 'commit', '-q', '--no-verify', '-m', 'rules');
  stageEdits(dir, env, 9, 'confirm');
  writeFileSync(join(dir, 'rules', 'team.txt'), 'be kind\nreview every agent rule change\n');
  git(dir, env, 'add', '-A');
  const agentEnv = { ...env, GATE_SESSION: 'bench-agent' };
  const ex = spawnSync(process.execPath, [GATE_BIN, 'explain', '--json',
    '--intent', 'ask reviewers to look at every agent rule change',
    '--alternative', 'leave the rules as they are',
    '--blast-radius', 'agents reading rules/team.txt',
    '--reversibility', 'fully reversible',
    '--rollback', 'git revert the commit'], { cwd: dir, env: agentEnv, encoding: 'utf8' });
  if (ex.status !== 0) throw new Error(`gate explain failed (${ex.status}):\n${ex.stdout}\n${ex.stderr}`);
  const tier = JSON.parse(ex.stdout).tier;
  if (tier !== 'CONFIRM') throw new Error(`expected a CONFIRM change, gate explain says ${tier}`);
  const ap = await approveInPty(dir, env);
  if (ap.code !== 0) throw new Error(`gate approve failed (${ap.code}):\n${ap.output}`);
  const chk = spawnSync(process.execPath, [GATE_BIN, 'check', '--hook', 'pre-commit', '--json'], { cwd: dir, env, encoding: 'utf8' });
  if (chk.status !== 0) throw new Error(`the approved CONFIRM change does not pass pre-commit (${chk.status}):\n${chk.stdout}\n${chk.stderr}`);
  return { dir, how: `gate explain + gate approve in a pty, ${ap.challenges} challenge${ap.challenges === 1 ? '' : 's'}` };
}
