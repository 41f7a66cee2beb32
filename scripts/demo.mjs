#!/usr/bin/env node
// `npm run demo`: a guided tour in a throwaway sandbox repository. Builds nothing itself (the npm
// script builds first); runs this package's built CLI as `gate` (a PATH shim, like a global
// install) so the sandbox's hooks find it exactly as they would in a user's repository.
//
// Steps live in scripts/demo-steps/*.mjs (run in file-name order). Each exports
// `steps`: an array of { title, say?, do?(sb), cmd?, expect?, check?(result, sb) }:
//   cmd     a shell command run in the sandbox (printed with its output)
//   expect  'ok' (exit 0, the default), 'fail' (any non-zero exit) or an exact exit code
//   check   returns a problem string when the output is not what the step demonstrates
// Add your gate's steps as a new file (e.g. 20-gate-a.mjs, 30-gate-b.mjs).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const c = (n) => (s) => (color ? `\u001b[${n}m${s}\u001b[0m` : s);
const bold = c(1), dim = c(2), green = c(32), red = c(31), cyan = c(36);

const base = realpathSync(mkdtempSync(join(tmpdir(), 'agent-gates-demo-')));
const dir = join(base, 'sandbox');
const home = join(base, 'home');
const shim = join(base, 'bin');
mkdirSync(dir, { recursive: true });
mkdirSync(home, { recursive: true });
mkdirSync(shim, { recursive: true });
symlinkSync(join(root, 'bin', 'gate.js'), join(shim, 'gate'));

const env = {};
for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_') && k !== 'HUSKY' && !k.startsWith('GATE_')) env[k] = v;
Object.assign(env, { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1', PATH: `${shim}:${process.env.PATH}`, NO_COLOR: '1' });

/** What a step gets to work with. */
const sb = {
  dir,
  env,
  write(path, content) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  },
  read: (path) => readFileSync(join(dir, path), 'utf8'),
  sh: (cmd) => {
    const r = spawnSync('sh', ['-c', cmd], { cwd: dir, env, encoding: 'utf8', input: '' });
    return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  },
  ledgerPath: () => join(dir, '.git', 'agent-gates', 'ledger.jsonl'),
};

const files = readdirSync(join(root, 'scripts', 'demo-steps')).filter((f) => f.endsWith('.mjs')).sort();
const steps = [];
for (const f of files) steps.push(...(await import(pathToFileURL(join(root, 'scripts', 'demo-steps', f)).href)).steps);

console.log(bold('agent-gates demo'));
console.log(dim(`sandbox: ${dir}  (gate = ${join(root, 'bin', 'gate.js')})\n`));
const failures = [];
let n = 0;
for (const step of steps) {
  n += 1;
  console.log(bold(cyan(`── ${n}. ${step.title}`)));
  if (step.say) console.log(step.say.split('\n').map((l) => `   ${l}`).join('\n'));
  if (step.do) step.do(sb);
  if (step.cmd) {
    console.log(`   ${bold('$')} ${step.cmd}`);
    const r = sb.sh(step.cmd);
    const out = `${r.stdout}${r.stderr}`.trimEnd();
    if (out) console.log(out.split('\n').map((l) => `   ${dim('│')} ${l}`).join('\n'));
    const want = step.expect ?? 'ok';
    const codeOk = want === 'ok' ? r.code === 0 : want === 'fail' ? r.code !== 0 : r.code === want;
    const problem = !codeOk ? `exit ${r.code}, expected ${want === 'ok' ? 0 : want === 'fail' ? 'non-zero' : want}` : step.check?.(r, sb);
    console.log(`   ${dim(`exit ${r.code}`)} ${problem ? red(`✖ ${problem}`) : green('✔ as expected')}`);
    if (problem) failures.push(`${n}. ${step.title}: ${problem}`);
  }
  console.log('');
}
if (process.env.KEEP_DEMO !== '1') rmSync(base, { recursive: true, force: true });
else console.log(dim(`kept ${base}`));
if (failures.length) {
  console.log(red(bold(`demo: ${failures.length} step(s) did not behave as shown:`)));
  for (const f of failures) console.log(red(`  - ${f}`));
  process.exit(1);
}
console.log(green(bold(`demo complete: ${steps.length} steps`)));
