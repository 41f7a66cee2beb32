// `npm test` after the build: the typecheck (tsc --noEmit), the linter (eslint .) and the suite
// (vitest run) side by side. The suite's budget is 5 minutes on 2 cores and it is bound by CPU,
// but not every moment of it: while a worker waits on a real npm install or on a browser, or when
// the last heavy file runs alone, a core idles. The two static checks (about 40 s of CPU together)
// run at a lower priority (nice 10), so they take those gaps instead of running first, alone, and
// never slow a test that is waiting for its turn on a core.
//
// Arguments go to vitest (`npm test -- test/unit` runs the unit tier and still both checks).
// vitest's output streams as usual; each check's output is printed whole after the suite ends.
// The exit code is vitest's, or 1 when a check failed and vitest passed.
import { spawn } from 'node:child_process';
import { constants, setPriority } from 'node:os';

const node = process.execPath;

function check(name, args) {
  return new Promise((resolve) => {
    const p = spawn(node, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      setPriority(p.pid, 10);
    } catch {
      // not permitted or not supported here: it runs at the normal priority
    }
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', (e) => resolve({ name, code: 1, out: `${out}${e.message}\n` }));
    p.on('close', (code, signal) => resolve({ name, code: code ?? 1, out: signal ? `${out}(ended by ${signal})\n` : out }));
  });
}

const checks = Promise.all([
  check('typecheck (tsc --noEmit)', ['node_modules/typescript/bin/tsc', '--noEmit']),
  check('lint (eslint .)', ['node_modules/eslint/bin/eslint.js', '.']),
]);

const suite = new Promise((resolve) => {
  const p = spawn(node, ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
  p.on('error', (e) => {
    process.stderr.write(`vitest could not start: ${e.message}\n`);
    resolve(1);
  });
  p.on('close', (code, signal) => resolve(signal ? 128 + (constants.signals[signal] ?? 1) : (code ?? 1)));
});

const [results, vitestCode] = await Promise.all([checks, suite]);
for (const r of results) process.stdout.write(`${r.code === 0 ? '✔' : '✖'} ${r.name}\n${r.out}`);
const failed = results.filter((r) => r.code !== 0).map((r) => r.name);
if (failed.length) process.stderr.write(`npm test: failed: ${failed.join(', ')}\n`);
process.exit(vitestCode !== 0 ? vitestCode : failed.length ? 1 : 0);
