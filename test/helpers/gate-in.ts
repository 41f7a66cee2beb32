/**
 * `gate <args>` in process: the same argv → output → exit code path as the binary (bin/gate.js runs
 * the hot file's `run`, and the commander program's `runProgram` when `run` does not take the
 * command), inside the test worker instead of a node process of its own (about 0.15 to 0.3 CPU-s
 * each). What it does not cover is the launcher and the process boundary, so each test file keeps
 * real runs of the binary (`repo.gate`) for its exit-code classes and output shapes, and anything
 * about processes (signals, kills, concurrency, a terminal, stdin closed early) stays real.
 *
 * For the call, the worker takes the command's world: process.env is the repository's environment
 * (keys not in it removed), the working directory is `cwd`, stdin is `input` (a pipe that is not a
 * terminal, as `repo.gate` gives), stdout and stderr are captured (`console` too, as the binary's
 * writes to them: lint-staged's API logs through it), process.exitCode is the command's.
 * Everything is restored after it. Calls are serialised within a worker. Output of a child process
 * that inherits the worker's stdio is not captured: such runs stay runs of the binary.
 *
 * When the worker's own stdin, stdout or stderr is a terminal (vitest started from one), the
 * product would see a terminal the spawned binary would not, so the call spawns the binary instead.
 */
import { isTerminal } from '../../src/kernel/builtins.js';
import { run as hotRun } from '../../src/cli/fast/main.js';
import { stdout as cliStdout } from '../../src/cli/fast/stdout.js';
import { Console } from 'node:console';
import { Readable } from 'node:stream';
import { withEnv } from './range.js';
import type { RunResult } from './repo.js';

let queue: Promise<unknown> = Promise.resolve();
const onTerminal = isTerminal(0) || isTerminal(1) || isTerminal(2);

/** Whether `gateIn` spawns the binary instead (a terminal on the worker's stdio). */
export const GATE_IN_SPAWNS = onTerminal;

type Write = typeof process.stdout.write;

async function once(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, input: string): Promise<RunResult> {
  cliStdout(); // the CLI's writes go through process.stdout from now on (not fs.writeSync(1)), so they are captured
  const saved = { cwd: process.cwd(), exitCode: process.exitCode, out: process.stdout.write, err: process.stderr.write, console: globalThis.console };
  const stdinDesc = Object.getOwnPropertyDescriptor(process, 'stdin');
  let stdout = '';
  let stderr = '';
  const capture = (sink: (s: string) => void): Write =>
    ((chunk: string | Uint8Array, enc?: unknown, cb?: unknown) => {
      sink(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = typeof enc === 'function' ? enc : cb;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as Write;
  // no `fd`: code that read descriptor 0 would read the worker's own stdin, not `input`
  const stdin = Object.assign(Readable.from(input.length ? [Buffer.from(input)] : []), { isTTY: false });
  process.exitCode = undefined;
  process.stdout.write = capture((s) => (stdout += s));
  process.stderr.write = capture((s) => (stderr += s));
  globalThis.console = new Console({ stdout: process.stdout, stderr: process.stderr });
  Object.defineProperty(process, 'stdin', { configurable: true, enumerable: stdinDesc?.enumerable ?? true, get: () => stdin });
  try {
    process.chdir(cwd);
    await withEnv(env, async () => {
      const argv = [...args];
      if (await hotRun(argv)) return;
      const { runProgram } = await import('../../src/cli/program.js');
      await runProgram(argv);
    });
    const code = process.exitCode;
    return { code: typeof code === 'number' ? code : code === undefined ? 0 : Number(code), stdout, stderr };
  } catch (e) {
    // bin/gate.js: a command reports its own errors; reaching here is a bug (exit 70)
    return { code: 70, stdout, stderr: `${stderr}gate: internal error (a bug): ${(e as Error).stack ?? e}\n` };
  } finally {
    globalThis.console = saved.console;
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    if (stdinDesc) Object.defineProperty(process, 'stdin', stdinDesc);
    process.chdir(saved.cwd);
    process.exitCode = saved.exitCode;
  }
}

/** `gate <args>` in process in `cwd` under `env` with `input` on stdin: { code, stdout, stderr }; `spawn` runs the binary instead (a terminal on the worker's stdio). */
export function gateIn(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, input: string, spawn: () => RunResult): Promise<RunResult> {
  if (onTerminal) return Promise.resolve(spawn());
  const next = queue.then(() => once(args, cwd, env, input));
  queue = next.catch(() => undefined);
  return next;
}
