#!/usr/bin/env node
// `npm run demo`: a guided tour of every gate in a throwaway sandbox repository. Builds nothing
// itself (the npm script builds first); runs this package's built CLI as `gate` (a PATH shim, like
// a global install) so the sandbox's hooks find it exactly as they would in a user's repository.
//
//   node scripts/demo.mjs [--fast] [--report <file.json>]
//     --fast    no pauses between sections (CI; pauses only happen when stdout is a terminal anyway)
//     --report  write every step's outcome (section, command, exit code, problem, output) as JSON
//   KEEP_DEMO=1 keeps the sandbox and prints where it is.
//
// Sections live in scripts/demo-steps/*.mjs (run in file-name order). Each exports `section`
// (a heading and one line of why) and `steps`: an array of { title, say?, do?(sb), cmd?, expect?,
// check?(result, sb) }:
//   do      runs before cmd (may be async); sb.approve() drives the real `gate approve` in a
//           pseudo-terminal and returns { code, screen }
//   cmd     a shell command run in the sandbox (printed with its output)
//   expect  'ok' (exit 0, the default), 'fail' (any non-zero exit) or an exact exit code
//   check   returns a problem string when the output is not what the step demonstrates
// Nothing waits for a key: approvals are typed by the demo into a tmux pseudo-terminal, as a
// person would type them, and the demo says so.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const fast = args.includes('--fast');
const reportAt = args.includes('--report') ? resolve(args[args.indexOf('--report') + 1] ?? 'demo-report.json') : undefined;
for (const a of args) {
  if (a.startsWith('-') && a !== '--fast' && a !== '--report') {
    console.error(`demo: unknown option ${a} (use --fast, --report <file>)`);
    process.exit(2);
  }
}
const tty = Boolean(process.stdout.isTTY);
const pauseMs = tty && !fast ? 1500 : 0;
const color = tty && !process.env.NO_COLOR;
const c = (n) => (s) => (color ? `\u001b[${n}m${s}\u001b[0m` : s);
const bold = c(1), dim = c(2), green = c(32), red = c(31), cyan = c(36);
const MAX_LINES = 14; // of one command's output; the rest is summarised, so a section fits a screen

const base = realpathSync(mkdtempSync(join(tmpdir(), 'agent-gates-demo-')));
const dir = join(base, 'sandbox');
const home = join(base, 'home');
const shim = join(base, 'bin');
mkdirSync(dir, { recursive: true });
mkdirSync(home, { recursive: true });
mkdirSync(shim, { recursive: true });
symlinkSync(join(root, 'bin', 'gate.js'), join(shim, 'gate'));

const env = {};
for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_') && k !== 'HUSKY' && !k.startsWith('GATE_') && k !== 'TMUX') env[k] = v;
Object.assign(env, { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1', PATH: `${shim}:${process.env.PATH}`, NO_COLOR: '1' });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const indent = (text, bar = true) => text.split('\n').map((l) => `   ${bar ? `${dim('│')} ` : ''}${l}`).join('\n');
function clip(text, max = MAX_LINES) {
  const lines = text.split('\n');
  if (lines.length <= max) return text;
  return [...lines.slice(0, max), dim(`… ${lines.length - max} more lines`)].join('\n');
}

/**
 * Run the real `gate approve` in a tmux pseudo-terminal (its stdin and stdout are TTYs, exactly as
 * for a person) and type back each challenge it shows. Returns its exit code and the screen.
 */
async function approve() {
  const sock = `agent-gates-demo-${process.pid}`;
  const tmux = (...a) => spawnSync('tmux', ['-L', sock, '-f', '/dev/null', ...a], { env: { ...env, TERM: 'xterm-256color' }, encoding: 'utf8' });
  if (spawnSync('tmux', ['-V']).status !== 0) return { code: -1, screen: '', problem: 'tmux is not installed: the demo drives `gate approve` in a tmux pseudo-terminal (apt-get install tmux / brew install tmux)' };
  const started = tmux('new-session', '-d', '-s', 'demo', '-x', '150', '-y', '50', `cd '${dir}' && gate approve; echo "[approve exited $?]"; sleep 60`);
  if (started.status !== 0) return { code: -1, screen: '', problem: `tmux new-session failed: ${started.stderr}` };
  tmux('set-option', '-t', 'demo', 'history-limit', '20000');
  const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'demo').stdout ?? '';
  const CH = /type ([A-Z0-9]{6}) and press Enter/g;
  let answered = 0;
  try {
    for (let i = 0; i < 600; i++) {
      const s = screen();
      const done = /\[approve exited (\d+)\]/.exec(s);
      if (done) {
        const r = { code: Number(done[1]), screen: s.slice(0, done.index).trimEnd(), answered };
        sb.lastScreen = r.screen;
        return r;
      }
      const codes = [...s.matchAll(CH)].map((m) => m[1]);
      if (codes.length > answered) {
        tmux('send-keys', '-t', 'demo', '-l', codes[codes.length - 1]);
        tmux('send-keys', '-t', 'demo', 'Enter');
        answered = codes.length;
      }
      await sleep(50);
    }
    return { code: -1, screen: screen(), problem: '`gate approve` did not finish in 30 s' };
  } finally {
    tmux('kill-server');
  }
}

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
  approve,
  /** Shown like a command's output (a pseudo-terminal's screen). */
  show: (text) => {
    // a screen: its head (the explanation, the first challenge) and its tail (the verdict)
    const lines = text.trimEnd().split('\n');
    const shown = lines.length <= 40 ? lines : [...lines.slice(0, 32), dim(`… ${lines.length - 36} more lines of the diff preview`), ...lines.slice(-4)];
    console.log(indent(shown.join('\n')));
  },
  note: (text) => console.log(indent(dim(text), false)),
};

const files = readdirSync(join(root, 'scripts', 'demo-steps')).filter((f) => f.endsWith('.mjs')).sort();
const sections = [];
for (const f of files) {
  const m = await import(pathToFileURL(join(root, 'scripts', 'demo-steps', f)).href);
  sections.push({ file: f, ...m.section, steps: m.steps });
}

console.log(bold('agent-gates demo: every gate, on a throwaway repository'));
console.log(dim(`sandbox: ${dir}  (gate = ${join(root, 'bin', 'gate.js')})`));
const report = { sandbox: dir, sections: [] };
const failures = [];
let n = 0;
const t0 = Date.now();
for (const [i, section] of sections.entries()) {
  if (i > 0 && pauseMs) await sleep(pauseMs);
  console.log(`\n${bold(cyan(`━━ ${i + 1}/${sections.length} ${section.title}`))}`);
  if (section.why) console.log(dim(`   ${section.why}`));
  const rec = { title: section.title, steps: [] };
  report.sections.push(rec);
  for (const step of section.steps) {
    n += 1;
    console.log(`\n ${bold(step.title)}`);
    if (step.say) console.log(dim(step.say.split('\n').map((l) => `   ${l}`).join('\n')));
    let problem;
    const started = Date.now();
    sb.lastScreen = undefined;
    if (step.do) problem = (await step.do(sb)) || undefined;
    const srec = { title: step.title, cmd: step.cmd, problem };
    rec.steps.push(srec);
    if (step.cmd) {
      console.log(`   ${bold('$')} ${step.cmd.length > 160 && step.show ? step.show : step.cmd}`);
      const r = sb.sh(step.cmd);
      const out = `${r.stdout}${r.stderr}`.trimEnd();
      if (out) console.log(indent(clip(out)));
      const want = step.expect ?? 'ok';
      const codeOk = want === 'ok' ? r.code === 0 : want === 'fail' ? r.code !== 0 : r.code === want;
      problem ??= !codeOk ? `exit ${r.code}, expected ${want === 'ok' ? 0 : want === 'fail' ? 'non-zero' : want}` : step.check?.(r, sb);
      Object.assign(srec, { code: r.code, stdout: r.stdout, stderr: r.stderr, problem });
      console.log(`   ${dim(`exit ${r.code}`)} ${problem ? red(`✖ ${problem}`) : green('✔ as expected')}`);
    } else if (problem) {
      console.log(`   ${red(`✖ ${problem}`)}`);
    }
    srec.ms = Date.now() - started;
    if (sb.lastScreen !== undefined) srec.screen = sb.lastScreen;
    if (problem) failures.push(`${n}. ${step.title}: ${problem}`);
  }
}
report.seconds = (Date.now() - t0) / 1000;
report.failures = failures;
if (reportAt) writeFileSync(reportAt, `${JSON.stringify(report, null, 2)}\n`);
console.log('');
if (process.env.KEEP_DEMO !== '1') rmSync(base, { recursive: true, force: true });
else console.log(dim(`kept ${base}`));
if (failures.length) {
  console.log(red(bold(`demo: ${failures.length} step(s) did not behave as shown:`)));
  for (const f of failures) console.log(red(`  - ${f}`));
  process.exit(1);
}
console.log(green(bold(`demo complete: ${sections.length} sections, ${n} steps, every gate shown`)));
