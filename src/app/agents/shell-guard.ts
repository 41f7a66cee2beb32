/**
 * The shell-command guard: which commands an agent's shell tool would run that bypass or weaken
 * the gates. Reads the command line with shell-parse.ts (quotes, `&&`/`||`/`;`/pipes, `( )`,
 * `$( )`, backticks), unwraps `env`/`command`/`sudo`/`nice`/`timeout`/`xargs`/`VAR=x` prefixes and
 * `sh -c '…'`/`eval` (recursively), then judges each simple command:
 *  - git: `--no-verify` on any subcommand, `-n` on `git commit` (also inside `-anm`), a changed
 *    `core.hooksPath` (`git config`, `git -c`, `--config-env`, `GIT_CONFIG_*`), config includes;
 *  - `HUSKY=0` / `HUSKY_SKIP_HOOKS` assignments (prefix, `export`, `env`);
 *  - `gate approve`, `gate reject`, `gate lock break` (a person's commands);
 *  - writing or deleting git hooks (`.git/hooks`, `.husky/_`), the ledger or lease directory
 *    (`<git dir>/agent-gates`), `.git/config`, explain sidecars, and handoff documents the
 *    session does not lease, by redirection, `tee`, `sed -i`, `cp`, `mv`, `ln`, `rm`, `find -delete`…
 * Look-alikes stay allowed: `git log -n 3`, `git push -n`, `echo "--no-verify"`, `echo HUSKY=0`.
 *
 * What it cannot see (documented in docs/agents.md): values only known at run time (`$VAR`
 * command names), git aliases, interpreters writing files (`python -c`, `node -e`). The git hooks
 * and `gate check --range` in CI stay the backstop.
 *
 * Pure: paths are judged lexically against the zones passed in.
 */
import { isAbsolute, join, normalize, relative, resolve } from 'node:path';
import { parseCommandLine, type SimpleCommand, type Word } from './shell-parse.js';

export interface ShellFinding {
  rule:
    | 'no-verify'
    | 'husky-off'
    | 'hooks-path'
    | 'person-only'
    | 'hooks-dir'
    | 'gate-state'
    | 'git-config-file'
    | 'sidecar'
    | 'handoff'
    | 'unparsable';
  reason: string;
  fix: string;
  /** Repository-relative handoff paths (rule `handoff`). */
  paths?: string[];
}

export interface GuardEnv {
  cwd: string;
  home?: string;
  /** The repository the command runs in, when there is one. */
  repo?: { root: string; gitDir: string; commonDir: string; sidecarDir: string };
  /** Repository-relative path → is it a handoff document? */
  isHandoff?: (rel: string) => boolean;
  /** Repository-relative handoff path → does this session hold a live lease on it? */
  leased?: (rel: string) => boolean;
}

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'ash', 'busybox']);
const KEYWORDS = new Set(['{', '}', '!', 'if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', 'time', 'coproc']);
const ASSIGN = /^([A-Za-z_][A-Za-z0-9_]*)(\+?)=([\s\S]*)$/;
const MAX_DEPTH = 8;

const base = (p: string) => p.replace(/\/+$/, '').split('/').pop() ?? p;

function words(ws: Word[]): string[] {
  return ws.map((w) => w.text);
}

/** Judge one command line. An empty list means "nothing here weakens the gates". */
export function guardShell(command: string, env: GuardEnv): ShellFinding[] {
  const out: ShellFinding[] = [];
  const seen = new Set<string>();
  const add = (f: ShellFinding) => {
    const k = `${f.rule}\0${f.reason}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(f);
    }
  };
  walk(command, { ...env }, add, 0);
  return out;
}

type Add = (f: ShellFinding) => void;

function walk(command: string, env: GuardEnv, add: Add, depth: number): void {
  if (depth > MAX_DEPTH) {
    add({ rule: 'unparsable', reason: 'the command nests `sh -c`/`eval` too deeply to be judged.', fix: 'run the inner command directly' });
    return;
  }
  const parsed = parseCommandLine(command);
  if (parsed.error) {
    add({ rule: 'unparsable', reason: `the command cannot be read (${parsed.error}), so it cannot be judged.`, fix: 'fix the quoting and run it again' });
    return;
  }
  for (const cmd of parsed.commands) simple(cmd, env, add, depth);
}

function assignment(name: string, value: Word | string, add: Add): void {
  const v = typeof value === 'string' ? value : value.text;
  const dyn = typeof value !== 'string' && value.dynamic;
  if (name === 'HUSKY' && (v.trim() === '0' || dyn)) {
    add({ rule: 'husky-off', reason: '`HUSKY=0` switches husky\'s git hooks off, and with them every gate.', fix: 'run the command without HUSKY=0' });
  } else if (name === 'HUSKY_SKIP_HOOKS' || name === 'SKIP_SIMPLE_GIT_HOOKS' || (name === 'LEFTHOOK' && v.trim() === '0')) {
    add({ rule: 'husky-off', reason: `\`${name}\` switches the git hooks off, and with them every gate.`, fix: `run the command without ${name}` });
  } else if ((name === 'GIT_CONFIG_PARAMETERS' || /^GIT_CONFIG_(KEY|VALUE)_\d+$/.test(name)) && (/hookspath/i.test(v) || dyn)) {
    add(hooksPathFinding(`${name}=…`));
  } else if ((name === 'SKIP' || name === 'LEFTHOOK_EXCLUDE') && (/agent-gates|\bgate\b/.test(v) || dyn)) {
    // pre-commit's SKIP and lefthook's LEFTHOOK_EXCLUDE name the hooks to leave out
    add({ rule: 'husky-off', reason: `\`${name}=${v}\` leaves the agent-gates hook out, and with it every gate.`, fix: `run the command without ${name}` });
  } else if (name === 'LEFTHOOK_CONFIG') {
    add({ rule: 'husky-off', reason: '`LEFTHOOK_CONFIG=…` makes lefthook run another configuration than the one that calls the gates.', fix: 'run the command without LEFTHOOK_CONFIG' });
  } else if (name === 'GIT_CONFIG_GLOBAL' || name === 'GIT_CONFIG_SYSTEM') {
    // where the repository sets no core.hooksPath (hooks in .git/hooks: plain, lefthook,
    // pre-commit), the global or system config's core.hooksPath decides which hooks run
    add(hooksPathFinding(`\`${name}=…\` (another ${name === 'GIT_CONFIG_GLOBAL' ? 'global' : 'system'} git config)`));
  }
}

/** HOME and XDG_CONFIG_HOME decide where git reads its global config (and its core.hooksPath). */
const CONFIG_HOME = new Set(['HOME', 'XDG_CONFIG_HOME']);
function configHomeFinding(name: string): ShellFinding {
  return hooksPathFinding(`\`${name}=…\` for git (it reads another global git config)`);
}

function hooksPathFinding(how: string): ShellFinding {
  return {
    rule: 'hooks-path',
    reason: `${how} changes \`core.hooksPath\`, which decides which git hooks run: the gates' hooks would not.`,
    fix: 'leave core.hooksPath as `gate init` set it (`gate doctor` checks it)',
  };
}

/** Strip assignments and wrapper commands; returns the argv that really runs (maybe empty). */
function unwrap(ws: Word[], env: GuardEnv, add: Add, depth: number): Word[] | undefined {
  let i = 0;
  const homes: string[] = [];
  const flagHomes = () => homes.forEach((h) => add(configHomeFinding(h)));
  for (;;) {
    // leading keywords and assignments
    while (i < ws.length && KEYWORDS.has(ws[i]!.text) && !ws[i]!.dynamic) i++;
    while (i < ws.length) {
      const m = ASSIGN.exec(ws[i]!.text);
      if (!m) break;
      assignment(m[1]!, { text: m[3]!, dynamic: ws[i]!.dynamic }, add);
      if (CONFIG_HOME.has(m[1]!)) homes.push(m[1]!);
      i++;
    }
    if (i >= ws.length) return [];
    const name = base(ws[i]!.text);
    const next = () => ws[i]?.text ?? '';
    if (name === 'env') {
      i++;
      while (i < ws.length) {
        const a = next();
        if (a === '--') {
          i++;
          break;
        }
        if (a === '-u' || a === '--unset' || a === '-C' || a === '--chdir') i += 2;
        else if (a === '-S' || a === '--split-string' || a.startsWith('--split-string=') || /^-[a-zA-Z]*S/.test(a)) {
          // env -S 'cmd args' → one command line
          const inline = a.startsWith('--split-string=') ? a.slice(15) : a === '-S' || a === '--split-string' ? ws[i + 1]?.text ?? '' : a.slice(a.indexOf('S') + 1) || (ws[i + 1]?.text ?? '');
          const consumed = a.startsWith('--split-string=') || /^-[a-zA-Z]*S./.test(a) ? 1 : 2;
          const rest = ws.slice(i + consumed).map((w) => w.text);
          walk([inline, ...rest.map(quoteWord)].join(' '), env, add, depth + 1);
          return [];
        } else if (a.startsWith('-')) i++;
        else break;
      }
      continue;
    }
    if (name === 'command' || name === 'builtin') {
      i++;
      if (next() === '-v' || next() === '-V') return []; // a lookup, runs nothing
      while (next() === '-p' || next() === '--') i++;
      continue;
    }
    if (name === 'sudo' || name === 'doas') {
      i++;
      while (i < ws.length && next().startsWith('-')) {
        const a = next();
        i += /^-[ugCDhprtTU]$/.test(a) ? 2 : 1;
        if (a === '--') break;
      }
      continue;
    }
    if (['exec', 'nohup', 'time', 'stdbuf', 'nice', 'ionice', 'chronic', 'unbuffer', 'setsid', 'caffeinate', 'timeout'].includes(name)) {
      i++;
      while (i < ws.length && next().startsWith('-')) {
        const a = next();
        i += /^-(n|c|o|i|e|a|s|k)$/.test(a) || a === '--adjustment' || a === '--signal' || a === '--kill-after' ? 2 : 1;
        if (a === '--') break;
      }
      if (name === 'timeout' && i < ws.length) i++; // DURATION
      continue;
    }
    if (name === 'xargs') {
      i++;
      while (i < ws.length && next().startsWith('-')) {
        const a = next();
        i += /^-[IiLlnPsdEa]$/.test(a) ? 2 : 1;
        if (a === '--') break;
      }
      continue;
    }
    if (name === 'eval') {
      flagHomes();
      walk(words(ws.slice(i + 1)).join(' '), env, add, depth + 1);
      return [];
    }
    if (SHELLS.has(name)) {
      flagHomes();
      // sh -c 'script' [name args…]; -lc, -ec, -xc …
      let j = i + 1;
      if (name === 'busybox' && SHELLS.has(ws[j]?.text ?? '')) j++;
      while (j < ws.length) {
        const a = ws[j]!.text;
        if (a === '-o' || a === '+o') {
          j += 2;
          continue;
        }
        if (/^[-+][a-zA-Z]*c[a-zA-Z]*$/.test(a) && a.startsWith('-')) {
          const script = ws[j + 1];
          if (script) walk(script.text, env, add, depth + 1);
          return [];
        }
        if (a.startsWith('-') || a.startsWith('+')) {
          j++;
          continue;
        }
        break;
      }
      return ws.slice(i); // `bash script.sh`: runs a file we cannot read here
    }
    if (name === 'git') flagHomes();
    return ws.slice(i);
  }
}

function quoteWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function simple(cmd: SimpleCommand, env: GuardEnv, add: Add, depth: number): void {
  for (const r of cmd.redirects) {
    if (/^(>|>>|>\||&>|&>>|<>)$/.test(r.op)) pathRule(r.target, 'write', `redirection \`${r.op}\``, env, add);
  }
  const argv = unwrap(cmd.words, env, add, depth);
  if (!argv || !argv.length) return;
  const name = base(argv[0]!.text);
  const args = argv.slice(1);
  const a = words(args);
  if (argv[0]!.text === 'cd' && args.length === 1 && !args[0]!.dynamic) {
    env.cwd = resolve(env.cwd, expandHome(args[0]!.text, env));
    return;
  }
  if (name === 'git') return gitRule(a, env, add);
  const gateArgs = gateInvocation(argv);
  if (gateArgs) return gateRule(gateArgs, add);
  if (['export', 'declare', 'typeset', 'readonly', 'local'].includes(name)) {
    for (const w of args) {
      const m = ASSIGN.exec(w.text);
      if (m) assignment(m[1]!, { text: m[3]!, dynamic: w.dynamic }, add);
      if (m && CONFIG_HOME.has(m[1]!)) add(configHomeFinding(m[1]!)); // every later git reads it
    }
    return;
  }
  fileRule(name, args, env, add);
}

// ---------------------------------------------------------------------------------------------
// git
// ---------------------------------------------------------------------------------------------

/** git's global options that take a separate value. */
const GIT_GLOBAL_WITH_VALUE = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--config-env', '--exec-path', '--super-prefix', '--list-cmds', '--attr-source']);
/** Per subcommand: options whose value is the next word (so `-m --no-verify` is a message). */
const TAKES_VALUE: Record<string, Set<string>> = {
  commit: new Set(['-m', '--message', '-F', '--file', '-c', '--reedit-message', '-C', '--reuse-message', '-t', '--template', '--author', '--date', '--cleanup', '--fixup', '--squash', '--trailer', '--pathspec-from-file']),
  merge: new Set(['-m', '--message', '-F', '--file', '-s', '--strategy', '-X', '--strategy-option', '--into-name', '--cleanup']),
  pull: new Set(['-s', '--strategy', '-X', '--strategy-option', '-o', '--push-option', '--depth', '--deepen', '--shallow-since', '--shallow-exclude', '--upload-pack', '--negotiation-tip']),
  push: new Set(['-o', '--push-option', '--repo', '--receive-pack', '--exec']),
  rebase: new Set(['-s', '--strategy', '-X', '--strategy-option', '--onto', '-x', '--exec', '-C', '--whitespace']),
  am: new Set(['-C', '-p', '--whitespace', '--directory', '--exclude', '--include', '--patch-format', '--resolvemsg']),
  'cherry-pick': new Set(['-m', '--mainline', '-s', '--strategy', '-X', '--strategy-option']),
  revert: new Set(['-m', '--mainline', '-s', '--strategy', '-X', '--strategy-option']),
};
/** Short options of `git commit` whose value may follow in the same word (`-mmsg`, `-Skey`). */
const COMMIT_SHORT_VALUE = new Set(['m', 'F', 'c', 'C', 't', 'S', 'u']);

function isNoVerify(a: string): boolean {
  // git accepts any unambiguous prefix of a long option: --no-veri, --no-verif, --no-verify
  const v = a.split('=')[0]!;
  return v.length >= 9 && '--no-verify'.startsWith(v);
}

function gitRule(a: string[], env: GuardEnv, add: Add): void {
  let i = 0;
  while (i < a.length && a[i]!.startsWith('-')) {
    const o = a[i]!;
    if (o === '-c' || (o.startsWith('-c') && o.length > 2)) {
      const kv = o === '-c' ? a[i + 1] ?? '' : o.slice(2);
      const key = kv.split('=')[0]!.toLowerCase();
      if (key === 'core.hookspath') add(hooksPathFinding('`git -c core.hooksPath=…`'));
      if (/^include(if\..*)?\.path$/.test(key)) add(hooksPathFinding('`git -c include.path=…` (an included config can set it)'));
    }
    if (o === '--config-env' || o.startsWith('--config-env=')) {
      const kv = o === '--config-env' ? a[i + 1] ?? '' : o.slice(13);
      if (/^core\.hookspath=/i.test(kv)) add(hooksPathFinding('`git --config-env core.hooksPath=…`'));
    }
    if (o === '-C' && a[i + 1] !== undefined) env = { ...env, cwd: resolve(env.cwd, expandHome(a[i + 1]!, env)) };
    i += GIT_GLOBAL_WITH_VALUE.has(o) ? 2 : 1;
  }
  const sub = a[i];
  if (sub === undefined) return;
  const rest = a.slice(i + 1);
  const takes = TAKES_VALUE[sub] ?? new Set<string>();
  for (let k = 0; k < rest.length; k++) {
    const o = rest[k]!;
    if (o === '--') break;
    if (takes.has(o)) {
      k++;
      continue;
    }
    if (isNoVerify(o)) {
      add({
        rule: 'no-verify',
        reason: `\`git ${sub} ${o}\` skips the git hooks, and with them the gates.`,
        fix: `run \`git ${sub}\` without ${o}; if a gate says no, do what its message says (e.g. \`gate explain\`, \`gate lock acquire\`)`,
      });
      continue;
    }
    if (sub === 'commit' && /^-[^-]/.test(o)) {
      for (let c = 1; c < o.length; c++) {
        const ch = o[c]!;
        if (ch === 'n') {
          add({
            rule: 'no-verify',
            reason: `\`git commit ${o}\`: -n is --no-verify, which skips the git hooks, and with them the gates.`,
            fix: 'run `git commit` without -n; if a gate says no, do what its message says (e.g. `gate explain`, `gate lock acquire`)',
          });
          break;
        }
        if (COMMIT_SHORT_VALUE.has(ch)) {
          if (c === o.length - 1 && ch !== 'S' && ch !== 'u') k++; // the value is the next word
          break;
        }
      }
    }
  }
  if (sub === 'config') configRule(rest, add);
  if (sub === 'checkout' || sub === 'restore') {
    // `git checkout -- progress.md` / `git restore progress.md` rewrite the file in the work tree
    const dd = rest.indexOf('--');
    const files = dd >= 0 ? rest.slice(dd + 1) : sub === 'restore' ? operands(rest.map((text) => ({ text, dynamic: false })), new Set(['-s', '--source'])).map((w) => w.text) : [];
    for (const f of files) pathRule({ text: f, dynamic: false }, 'write', `\`git ${sub}\``, env, add);
  }
}

function configRule(rest: string[], add: Add): void {
  const READ = new Set(['--get', '--get-all', '--get-regexp', '--get-urlmatch', '-l', '--list', '--get-color', '--get-colorbool', 'get', 'list']);
  const WRITE_FLAGS = new Set(['--unset', '--unset-all', '--replace-all', '--add', '-e', '--edit', 'set', 'unset', 'edit', 'rename-section', 'remove-section', '--rename-section', '--remove-section']);
  const lower = rest.map((x) => x.toLowerCase());
  const keyIdx = lower.findIndex((x) => x === 'core.hookspath' || /^include(if\..*)?\.path$/.test(x));
  const editing = lower.some((x) => x === '-e' || x === '--edit' || x === 'edit');
  if (keyIdx < 0 && !editing) return;
  if (editing) {
    add(hooksPathFinding('`git config --edit`'));
    return;
  }
  if (lower.some((x) => READ.has(x))) return;
  const positional = rest.filter((x, k) => !x.startsWith('-') && !(k > 0 && ['--file', '-f', '--blob', '--type', '--default', '--comment'].includes(rest[k - 1]!)));
  const write = lower.some((x) => WRITE_FLAGS.has(x)) || positional.length >= 2;
  if (write) add(hooksPathFinding(`\`git config ${rest[keyIdx]}\``));
}

// ---------------------------------------------------------------------------------------------
// gate
// ---------------------------------------------------------------------------------------------

/** The arguments after `gate` when argv runs the gate CLI (directly, through npx/pnpm/yarn/node). */
function gateInvocation(argv: Word[]): string[] | undefined {
  const a = words(argv);
  const isGate = (x: string | undefined) => x !== undefined && ['gate', 'agent-gates'].includes(base(x));
  const n0 = base(a[0]!);
  if (isGate(a[0])) return a.slice(1);
  if (n0 === 'node' || n0 === 'bun' || n0 === 'deno') {
    const k = a.findIndex((x, j) => j > 0 && !x.startsWith('-'));
    if (k > 0 && /(^|\/)(gate(\.c?js)?|agent-gates\/bin\/gate\.js)$/.test(a[k]!)) return a.slice(k + 1);
    return undefined;
  }
  if (['npx', 'bunx', 'pnpx'].includes(n0) || (['npm', 'pnpm', 'yarn'].includes(n0) && ['exec', 'x', 'dlx', 'run'].includes(a[1] ?? '')) || n0 === 'yarn' || n0 === 'pnpm') {
    let k = ['npx', 'bunx', 'pnpx'].includes(n0) ? 1 : ['exec', 'x', 'dlx', 'run'].includes(a[1] ?? '') ? 2 : 1;
    while (k < a.length && a[k]!.startsWith('-')) k += a[k] === '-p' || a[k] === '--package' ? 2 : 1;
    if (isGate(a[k])) return a.slice(k + 1);
  }
  return undefined;
}

function gateRule(args: string[], add: Add): void {
  if (args.includes('--help') || args.includes('-h')) return;
  const pos = args.filter((x) => !x.startsWith('-'));
  const person = (what: string) =>
    add({
      rule: 'person-only',
      reason: `\`gate ${what}\` is a person's decision; an agent never runs it.`,
      fix: `ask the person to run \`gate ${what}\` in their own terminal`,
    });
  if (pos[0] === 'approve') person('approve');
  else if (pos[0] === 'reject') person('reject');
  else if (pos[0] === 'lock' && pos[1] === 'break') person('lock break');
}

// ---------------------------------------------------------------------------------------------
// files
// ---------------------------------------------------------------------------------------------

function expandHome(p: string, env: GuardEnv): string {
  return env.home && (p === '~' || p.startsWith('~/')) ? join(env.home, p.slice(1)) : p;
}

/** Non-option arguments (after `--`, everything), skipping the values of listed options. */
function operands(args: Word[], withValue: Set<string> = new Set()): Word[] {
  const out: Word[] = [];
  let dd = false;
  for (let k = 0; k < args.length; k++) {
    const w = args[k]!;
    if (!dd && w.text === '--') {
      dd = true;
      continue;
    }
    if (!dd && w.text.startsWith('-') && w.text !== '-') {
      if (withValue.has(w.text)) k++;
      continue;
    }
    out.push(w);
  }
  return out;
}

function fileRule(name: string, args: Word[], env: GuardEnv, add: Add): void {
  const del = (ws: Word[], how: string) => ws.forEach((w) => pathRule(w, 'delete', how, env, add));
  const write = (ws: Word[], how: string) => ws.forEach((w) => pathRule(w, 'write', how, env, add));
  switch (name) {
    case 'rm':
    case 'unlink':
    case 'rmdir':
    case 'shred':
    case 'srm':
    case 'trash':
    case 'trash-put':
      return del(operands(args), `\`${name}\``);
    case 'mv':
      return del(operands(args, new Set(['-t', '--target-directory', '-S', '--suffix'])), '`mv`');
    case 'cp':
    case 'install':
    case 'ln':
    case 'rsync': {
      const t = args.findIndex((w) => w.text === '-t' || w.text === '--target-directory');
      if (t >= 0 && args[t + 1]) return write([args[t + 1]!], `\`${name} -t\``);
      const ops = operands(args, new Set(['-S', '--suffix', '-m', '--mode', '-o', '--owner', '-g', '--group', '-e']));
      if (ops.length >= 2 || (name === 'ln' && ops.length === 1)) write([ops[ops.length - 1]!], `\`${name}\``);
      if (name === 'rsync' && args.some((w) => w.text.startsWith('--remove-source-files'))) del(ops.slice(0, -1), '`rsync --remove-source-files`');
      return;
    }
    case 'tee':
      return write(operands(args), '`tee`');
    case 'truncate':
      return write(operands(args, new Set(['-s', '--size', '-r', '--reference'])), '`truncate`');
    case 'chmod':
      // the mode may look like an option (`chmod -x f`)
      return write(args.filter((w) => !/^-[RvcfH]+$|^--/.test(w.text)).slice(1), '`chmod`');
    case 'chown':
    case 'chgrp':
    case 'chattr':
    case 'setfacl':
      return write(operands(args, new Set(['--reference'])).slice(1), `\`${name}\``);
    case 'dd':
      for (const w of args) if (w.text.startsWith('of=')) write([{ text: w.text.slice(3), dynamic: w.dynamic }], '`dd of=`');
      return;
    case 'sed':
    case 'gsed':
    case 'perl':
    case 'ruby': {
      const inPlace = args.some((w) => (/^-[a-zA-Z]*i/.test(w.text) && !w.text.startsWith('--')) || w.text.startsWith('--in-place'));
      if (!inPlace) return;
      const hasScriptOpt = args.some((w) => ['-e', '--expression', '-f', '--file'].includes(w.text));
      let ops = operands(args, new Set(['-e', '--expression', '-f', '--file', '-l', '-s']));
      if (!hasScriptOpt) ops = ops.slice(1); // the first operand is the script
      return write(ops, `\`${name} -i\``);
    }
    case 'find': {
      if (!args.some((w) => ['-delete', '-exec', '-execdir', '-ok', '-okdir'].includes(w.text))) return;
      const starts: Word[] = [];
      for (const w of args) {
        if (w.text.startsWith('-') || w.text === '(' || w.text === '!') break;
        starts.push(w);
      }
      // only what find starts in: `find . -name '*.tmp' -delete` filters, it does not remove `.`
      for (const w of starts.length ? starts : [{ text: '.', dynamic: false }]) pathRule(w, 'delete', '`find -delete/-exec`', env, add, false);
      return;
    }
    default:
      return;
  }
}

/** Judge one path the command writes (`write`) or deletes/moves (`delete`: also its ancestors). */
function pathRule(w: Word, kind: 'write' | 'delete', how: string, env: GuardEnv, add: Add, ancestors = kind === 'delete'): void {
  const raw = expandHome(w.text, env);
  if (raw === '' || /^\/dev\/(null|stdout|stderr|tty|fd\/\d+)$/.test(raw) || /^&?\d+$|^-$/.test(raw)) return;
  if (w.dynamic) {
    // only the literal text is known: judge it by name, conservatively
    if (/(^|\/)\.git\/(hooks|agent-gates|config(\.worktree)?)(\/|$)|(^|\/)\.husky\/_(\/|$)|\.agents\/gate-b(\/|$)|(^|\/)\.gitconfig$/.test(raw)) {
      add({ rule: 'hooks-dir', reason: `${how} writes ${w.text}, a path of the gates' own machinery.`, fix: 'leave the git hooks, the ledger, leases and sidecars to gate' });
    }
    return;
  }
  const abs = normalize(isAbsolute(raw) ? raw : resolve(env.cwd, raw));
  const inside = (zone: string) => {
    const r = relative(zone, abs);
    return r === '' || (!r.startsWith('..') && !isAbsolute(r));
  };
  /** A deletion or move of an ancestor takes the zone with it (`rm -rf .git`). */
  const covers = (zone: string) => {
    const r = relative(abs, zone);
    return ancestors && r !== '' && !r.startsWith('..') && !isAbsolute(r);
  };
  const hit = (zone: string) => inside(zone) || covers(zone);
  const segs = abs.split('/');
  const hasSeq = (a: string, b: string) => segs.some((s, k) => s === a && segs[k + 1] === b);

  const repo = env.repo;
  const hooksZones = repo ? [join(repo.commonDir, 'hooks'), join(repo.gitDir, 'hooks'), join(repo.root, '.husky', '_')] : [];
  if (hooksZones.some(hit) || hasSeq('.git', 'hooks') || hasSeq('.husky', '_')) {
    add({
      rule: 'hooks-dir',
      reason: `${how} ${kind === 'delete' ? 'deletes or moves' : 'writes'} ${w.text}: the git hooks that run the gates live there.`,
      fix: 'leave the git hooks to `gate init` (run `gate doctor` to check them)',
    });
    return;
  }
  // the hook managers' local switches: husky sources ~/.config/husky/init.sh before every hook,
  // lefthook merges lefthook-local.yml (usually not committed) over the committed config
  if ((base(abs) === 'init.sh' && segs[segs.length - 2] === 'husky') || /^\.?lefthook-local\.ya?ml$/.test(base(abs))) {
    add({
      rule: 'hooks-dir',
      reason: `${how} ${kind === 'delete' ? 'deletes or moves' : 'writes'} ${w.text}: the hook manager reads it before running the gates' hooks (it can switch them off).`,
      fix: 'leave the hook manager configuration to `gate init` (run `gate doctor` to check it)',
    });
    return;
  }
  const stateZones = repo ? [join(repo.commonDir, 'agent-gates')] : [];
  if (stateZones.some(hit) || hasSeq('.git', 'agent-gates')) {
    add({
      rule: 'gate-state',
      reason: `${how} ${kind === 'delete' ? 'deletes or moves' : 'writes'} ${w.text}: the ledger and the leases are written only by gate.`,
      fix: 'use `gate lock acquire|release|renew` for leases; the ledger is append-only and gate writes it',
    });
    return;
  }
  if (repo && kind === 'write' && [repo.commonDir, repo.gitDir].some((d) => inside(join(d, 'config')) || inside(join(d, 'config.worktree')))) {
    add(hooksPathFinding(`${how} into ${w.text}`));
    return;
  }
  // the global and system git config: their core.hooksPath counts where the repository sets none
  const globalConfigs = ['/etc/gitconfig', ...(env.home ? [join(env.home, '.gitconfig'), join(env.home, '.config', 'git', 'config')] : [])];
  if (kind === 'write' && (globalConfigs.some(inside) || base(abs) === '.gitconfig' || (hasSeq('.config', 'git') && base(abs) === 'config'))) {
    add(hooksPathFinding(`${how} into ${w.text} (a global git config)`));
    return;
  }
  if (repo && hit(repo.sidecarDir)) {
    add({
      rule: 'sidecar',
      reason: `${how} ${kind === 'delete' ? 'deletes or moves' : 'writes'} ${w.text}: explain sidecars are written by \`gate explain\`, and their approvals only by a person's \`gate approve\`.`,
      fix: "run `gate explain --intent … --alternative … --blast-radius … --reversibility … --rollback …`, then ask a person for `gate approve`",
    });
    return;
  }
  if (repo && env.isHandoff && inside(repo.root)) {
    const rel = relative(repo.root, abs).split('\\').join('/');
    if (rel && env.isHandoff(rel) && !(env.leased?.(rel) ?? false)) {
      add({
        rule: 'handoff',
        reason: `${how} ${kind === 'delete' ? 'deletes or moves' : 'writes'} ${rel}, a handoff document your session does not lease.`,
        fix: 'take the lease first',
        paths: [rel],
      });
    }
  }
}

/**
 * The path rules alone, for an edit tool writing `path` (absolute or relative to env.cwd):
 * git hooks, the ledger and leases, .git/config and sidecars. Handoff documents are judged by
 * the edit decision itself (it knows the holder), so env.isHandoff is ignored here.
 */
export function judgePath(path: string, how: string, env: GuardEnv): ShellFinding[] {
  const out: ShellFinding[] = [];
  pathRule({ text: path, dynamic: false }, 'write', how, { ...env, isHandoff: undefined }, (f) => out.push(f));
  return out;
}
