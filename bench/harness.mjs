/**
 * A small interleaved benchmark harness. Every round runs each command of a group once, in an
 * order that alternates between rounds, so background load on a shared machine hits every
 * command alike. Ratios are paired: each round's subject time divided by the same round's
 * baseline time; the reported figure is the median of those paired ratios, with their min–max.
 *
 * Timing is wall-clock around spawnSync (stdio to /dev/null, like hyperfine -N). The harness's
 * own spawn cost (measured on /bin/true) is subtracted from every sample, so a ratio compares
 * the programs, not the parent's fork.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/**
 * The process runner (bench/runner.py: fork/exec + wait4, so each sample also carries the CPU
 * time of the command and its children). Falls back to spawnSync (wall time only) without python3.
 */
class Runner {
  constructor() {
    const script = join(dirname(fileURLToPath(import.meta.url)), 'runner.py');
    const py = spawnSync('python3', ['-c', 'import os; os.wait4'], { stdio: 'ignore' });
    this.ok = py.status === 0 && existsSync(script);
    if (!this.ok) return;
    this.proc = spawn('python3', [script], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.proc.unref();
    this.lines = createInterface({ input: this.proc.stdout });
    this.waiting = [];
    this.lines.on('line', (l) => this.waiting.shift()?.(JSON.parse(l)));
  }
  run(cmd) {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.proc.stdin.write(`${JSON.stringify({ cmd: cmd.cmd, args: cmd.args, cwd: cmd.cwd, env: cmd.env })}\n`);
    });
  }
  close() {
    this.proc?.stdin.end();
  }
}
let runner;
export const usesRunner = () => (runner ??= new Runner()).ok;
export const closeRunner = () => runner?.close();

/** Run once, output discarded: {ms, cpu, code} (cpu is undefined without the runner). */
export async function timeRun(cmd) {
  if (usesRunner()) {
    const r = await runner.run(cmd);
    return { ms: r.wall_ms, cpu: r.cpu_ms, code: r.code };
  }
  const r = timeOnce(cmd);
  return { ms: r.ms, cpu: undefined, code: r.code };
}

/** Run once with spawnSync and return {ms, code, stdout, stderr}. */
export function timeOnce(cmd, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd.cmd, cmd.args, {
    cwd: cmd.cwd,
    env: cmd.env,
    stdio: opts.capture ? ['ignore', 'pipe', 'pipe'] : 'ignore',
    maxBuffer: 64 * 1024 * 1024,
    input: cmd.input,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  return { ms, code: r.status ?? 128, stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '' };
}

let spawnOverhead;
/** Median wall cost of starting /bin/true through the runner (ms); subtracted from wall samples. */
export async function harnessOverhead() {
  if (spawnOverhead !== undefined) return spawnOverhead;
  const xs = [];
  for (let i = 0; i < 30; i++) xs.push((await timeRun({ cmd: 'true', args: [] })).ms);
  spawnOverhead = median(xs);
  return spawnOverhead;
}

/**
 * Check a command once (untimed) and throw with its output when the exit code is not the
 * expected one: a benchmark of a failing command measures nothing.
 */
export function verify(cmd) {
  if (cmd.prepare) cmd.prepare();
  const r = timeOnce(cmd, { capture: true });
  const want = cmd.expect ?? 0;
  if (r.code !== want) {
    throw new Error(`${cmd.name}: exit ${r.code}, expected ${want}\n${r.stdout}\n${r.stderr}`);
  }
  if (cmd.after) cmd.after();
  return r;
}

/**
 * Interleaved measurement. `cmds` is an array of {name, cmd, args, cwd, env, prepare?, after?};
 * `fixedOrder` keeps the listed order inside each round (for acquire→release), but still moves
 * the first command (the baseline) to the end on odd rounds.
 * Returns {samples: {name: wall ms[]}, cpu: {name: cpu ms[]}}.
 */
export async function interleave(cmds, { runs, warmup = 2, fixedOrder = false, subtractOverhead = true } = {}) {
  const over = subtractOverhead ? await harnessOverhead() : 0;
  const samples = Object.fromEntries(cmds.map((c) => [c.name, []]));
  const cpu = Object.fromEntries(cmds.map((c) => [c.name, []]));
  for (let round = -warmup; round < runs; round++) {
    let order;
    if (fixedOrder) order = round % 2 === 0 ? cmds : [...cmds.slice(1), cmds[0]];
    else order = round % 2 === 0 ? cmds : [...cmds].reverse();
    for (const c of order) {
      if (c.prepare) c.prepare();
      const r = await timeRun(c);
      if (c.after) c.after();
      if (r.code !== (c.expect ?? 0)) throw new Error(`${c.name}: exit ${r.code} during the benchmark (round ${round})`);
      if (round >= 0) {
        samples[c.name].push(Math.max(r.ms - over, 0.001));
        if (r.cpu !== undefined) cpu[c.name].push(Math.max(r.cpu, 0.001));
      }
    }
  }
  return { samples, cpu, overheadMs: over };
}

/** Paired ratios subject/baseline per round: {median, min, max, baseMs, subjMs, runs}. */
export function pairedRatio(samples, base, subject) {
  const a = samples[base];
  const b = samples[subject];
  if (!a?.length || !b?.length) return undefined;
  const rs = a.map((x, i) => b[i] / x);
  return {
    median: median(rs),
    min: Math.min(...rs),
    max: Math.max(...rs),
    baseMs: median(a),
    subjMs: median(b),
    runs: rs.length,
  };
}
