/**
 * argv in; text, --json and an exit code out.
 *
 * Every commit runs `gate check --hook pre-commit|post-commit`, so those two invocations (and
 * `--version`, `--help` into a pipe, and `gate lock acquire|release|renew|status`, which agents
 * call constantly) take a fast path that never loads commander: the same use-case, the same output
 * and exit codes as the commander action (both go through cli/fast/hook.ts and cli/fast/output.ts).
 * Anything else, including any argv the fast path does not recognise exactly, goes to the
 * commander program in program.ts (help, usage errors, suggestions): `run` answers false and the
 * launcher (bin/gate.js) imports dist/program.js itself, so this file never imports the program
 * (ADR 0016).
 */
import { VERSION } from '../../kernel/version.js';
import { writeOut } from './stdout.js';
import { isTerminal } from '../../kernel/builtins.js';

const HOOKS: readonly string[] = ['pre-commit', 'post-commit', 'pre-merge-commit'];

/**
 * `check --hook <name>` / `check --hook=<name>`, optionally with one `--json` and, for
 * pre-commit, one `--lint-staged <path>` / `--lint-staged=<path>` (a non-empty path not starting
 * with "-"), in any order after `check`. Anything else (a repeated option, --lint-staged with
 * another hook, a value that looks like an option) goes to commander, which reports usage errors.
 */
export function hookFastPath(argv: readonly string[]): { hook: string; json: boolean; lintStaged?: string } | undefined {
  if (argv[0] !== 'check' || argv.length > 6) return undefined;
  let hook: string | undefined;
  let lintStaged: string | undefined;
  let json = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json' && !json) json = true;
    else if (a === '--hook' && hook === undefined && i + 1 < argv.length) hook = argv[++i];
    else if (a.startsWith('--hook=') && hook === undefined) hook = a.slice('--hook='.length);
    else if (a === '--lint-staged' && lintStaged === undefined && i + 1 < argv.length) lintStaged = argv[++i]!;
    else if (a.startsWith('--lint-staged=') && lintStaged === undefined) lintStaged = a.slice('--lint-staged='.length);
    else return undefined;
  }
  if (hook === undefined || !HOOKS.includes(hook)) return undefined;
  if (lintStaged === undefined) return { hook, json };
  return hook === 'pre-commit' && lintStaged !== '' && !lintStaged.startsWith('-') ? { hook, json, lintStaged } : undefined;
}

const LOCK_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  acquire: ['owner', 'ttl', 'wait', 'reason'],
  release: ['owner'],
  renew: ['owner', 'ttl'],
  status: ['owner'],
};

export interface LockFastPath {
  sub: 'acquire' | 'release' | 'renew' | 'status';
  paths: string[];
  opts: { owner?: string; ttl?: string; wait?: string; reason?: string };
  json: boolean;
}

/**
 * `lock acquire|release|renew|status`, parsed exactly as commander would for the shapes it
 * accepts here: paths (none starting with "-"), each of the subcommand's value options at most
 * once as `--name value` or `--name=value` (a non-empty value not starting with "-"), and
 * `--json` at most once, in any order. Anything else (help, `--`, unknown or repeated options,
 * a missing required path, values that look like options) returns undefined: commander handles it.
 */
export function lockFastPath(argv: readonly string[]): LockFastPath | undefined {
  if (argv[0] !== 'lock' || argv.length < 2) return undefined;
  const sub = argv[1]!;
  const allowed = Object.prototype.hasOwnProperty.call(LOCK_OPTIONS, sub) ? LOCK_OPTIONS[sub]! : undefined;
  if (!allowed) return undefined;
  const paths: string[] = [];
  const opts: Record<string, string> = {};
  let json = false;
  const okValue = (v: string | undefined): v is string => v !== undefined && v !== '' && !v.startsWith('-');
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) {
      paths.push(a);
      continue;
    }
    if (a === '--json') {
      if (json) return undefined;
      json = true;
      continue;
    }
    if (!a.startsWith('--')) return undefined;
    const eq = a.indexOf('=');
    const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
    if (!allowed.includes(name) || Object.prototype.hasOwnProperty.call(opts, name)) return undefined;
    const value = eq === -1 ? argv[++i] : a.slice(eq + 1);
    if (!okValue(value)) return undefined;
    opts[name] = value;
  }
  if (sub !== 'status' && paths.length === 0) return undefined;
  return { sub: sub as LockFastPath['sub'], paths, opts, json };
}

/**
 * `gate --help` printed into a pipe (how agents read it) is commander's output for 80 columns
 * without colour; the build renders exactly that into dist/help.txt from the same command table
 * (scripts/build.mjs). At a terminal, or when colour is forced, commander renders it live.
 */
async function cachedHelp(): Promise<string | undefined> {
  const env = process.env;
  if (isTerminal(1) || env.FORCE_COLOR !== undefined || env.CLICOLOR_FORCE !== undefined) return undefined;
  try {
    return process.getBuiltinModule('node:fs').readFileSync(new URL('./help.txt', import.meta.url), 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Run `argv` if it is one of the hot commands and answer true; false hands it to the commander
 * program (bin/gate.js loads dist/program.js and calls its `runProgram`).
 */
export async function run(argv: string[]): Promise<boolean> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    writeOut(`${VERSION}\n`);
    process.exitCode = 0;
    return true;
  }
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
    const help = await cachedHelp();
    if (help !== undefined) {
      writeOut(help);
      process.exitCode = 0;
      return true;
    }
  }
  const fast = hookFastPath(argv);
  if (fast) {
    const { checkHookResult, finish, failure } = await import('./hook.js');
    try {
      finish(await checkHookResult(fast.hook, { ...(fast.lintStaged !== undefined ? { lintStaged: fast.lintStaged } : {}), json: fast.json }), { json: fast.json });
    } catch (e) {
      failure(e, fast.json);
    }
    return true;
  }
  const lock = lockFastPath(argv);
  if (lock) {
    const { LOCK_RESULTS, finish, failure } = await import('./lock.js');
    try {
      finish(await LOCK_RESULTS[lock.sub](lock.paths, lock.opts), { json: lock.json });
    } catch (e) {
      failure(e, lock.json);
    }
    return true;
  }
  return false;
}
