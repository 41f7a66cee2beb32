/**
 * Where the suite's time goes, per test file, in CPU rather than wall time (on a shared 2-core
 * machine wall time says more about the neighbours than about the tests). Enabled by
 * `GATE_TEST_CPU=<log file> npx vitest run ...` (vitest.config.ts adds this setup file): one line per
 * file, tab-separated: path, CPU ms of the worker process (vitest start-up, transform, the tests),
 * CPU ms of the processes it waited for (git, node, npm, ssh-keygen: spawnSync and awaited spawns),
 * wall ms from the file's first hook to its last. Linux only (/proc/self/stat). A worker that runs
 * several files (the unit project, `isolate: false`) logs each file's CPU since the previous file
 * ended; its first file carries the worker's start-up, as every file of an isolated worker does.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime, cutime + cstime of this process, in clock ticks. */
function ticks(): { self: number; children: number } {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return { self: f[11]! + f[12]!, children: f[13]! + f[14]! };
}

/** Ticks at the end of the previous file in this process (kept across files when the worker is reused). */
const seen = globalThis as { gateCpuLast?: { self: number; children: number } };

let started = 0;
beforeAll(() => {
  started = Date.now();
});
// eslint-disable-next-line no-empty-pattern -- vitest passes the suite second, after the fixture context
afterAll(({}, suite) => {
  const now = ticks();
  const last = seen.gateCpuLast ?? { self: 0, children: 0 };
  seen.gateCpuLast = now;
  const file = 'filepath' in suite ? suite.filepath : suite.file.filepath;
  appendFileSync(process.env.GATE_TEST_CPU!, `${file}\t${(now.self - last.self) * TICK_MS}\t${(now.children - last.children) * TICK_MS}\t${Date.now() - started}\n`);
});
