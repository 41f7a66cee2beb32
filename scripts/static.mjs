// `npm test`'s static checks: the typecheck (tsc --noEmit) and the linter (eslint) at the same
// time, since each is one process and the suite's budget is 5 minutes on 2 cores. Fails when
// either fails; each one's output is printed whole, in turn, after both end.
import { spawn } from 'node:child_process';

const run = (name, args) =>
  new Promise((resolve) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ name, code: code ?? 1, out }));
  });

const results = await Promise.all([
  run('typecheck (tsc --noEmit)', ['node_modules/typescript/bin/tsc', '--noEmit']),
  run('lint (eslint .)', ['node_modules/eslint/bin/eslint.js', '.']),
]);
for (const r of results) {
  process.stdout.write(`${r.code === 0 ? '✔' : '✖'} ${r.name}\n${r.out}`);
}
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
