/**
 * lint-staged inside the gate process (`gate check --hook pre-commit --lint-staged <bin>`).
 *
 * Starting node costs ~60 ms, and a pre-commit that ran the lint-staged binary and then gate
 * started it twice. Here gate loads lint-staged's programmatic API from the package behind the
 * binary the hook found and calls it with the options its CLI passes by default, so its output,
 * its stash/revert behaviour and its verdict are the binary's. When the API cannot be located or
 * loaded (another layout, no default export, the import throws), the binary runs as a child
 * process instead: the same verdict, only slower.
 *
 * lint-staged must not be able to change what gate does next: whatever it sets on the process
 * (exit code, environment, cwd, signal and exit listeners) is put back before the gates run.
 * Only loaded when the option is given.
 */
import { importModule } from '../kernel/esm-import.js';
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GateError } from '../kernel/errors.js';

export type LintStagedVia = 'api' | 'process';

export interface LintStagedOutcome {
  ok: boolean;
  /** How it ran: its API in this process, or its binary as a child process. */
  via: LintStagedVia;
  /** Why the API was not used (via "process"). */
  fallback?: string;
  /** What went wrong when it did not simply report failure (it threw, or could not start). */
  error?: string;
}

/**
 * The options bin/lint-staged.js (lint-staged 16) passes when it is run without arguments.
 * `cwd` and `maxArgLength` are undefined there too (the API then uses process.cwd() and half the
 * platform's limit); `color` is not passed, so the API detects it from stdout as the binary does.
 */
export const CLI_DEFAULT_OPTIONS: Readonly<Record<string, unknown>> = Object.freeze({
  allowEmpty: false,
  concurrent: true,
  configPath: undefined,
  continueOnError: false,
  cwd: undefined,
  debug: false,
  diff: undefined,
  diffFilter: undefined,
  failOnChanges: false,
  hidePartiallyStaged: true,
  hideUnstaged: false,
  maxArgLength: undefined,
  quiet: false,
  relative: false,
  revert: true,
  stash: true,
  verbose: false,
});

type Json = Record<string, unknown>;

function readJson(p: string): Json | undefined {
  try {
    const v = JSON.parse(readFileSync(p, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
  } catch {
    return undefined;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The nearest directory at or above `from` whose package.json is named "lint-staged". */
export function lintStagedPackageRoot(from: string): { root: string; pkg: Json } | undefined {
  let dir = from;
  for (;;) {
    const pkg = readJson(join(dir, 'package.json'));
    if (pkg && pkg.name === 'lint-staged') return { root: dir, pkg };
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** An `exports` target for `import()`: the first of the import/node/default conditions, in key order. */
function exportTarget(v: unknown, depth = 0): string | undefined {
  if (depth > 8) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    for (const x of v) {
      const t = exportTarget(x, depth + 1);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  for (const [k, x] of Object.entries(v as Json)) {
    if (k === 'import' || k === 'node' || k === 'default') {
      const t = exportTarget(x, depth + 1);
      if (t !== undefined) return t;
    }
  }
  return undefined;
}

/** The main entry a package.json declares: `exports["."]` (or sugar for it), else `main`. */
export function packageEntry(root: string, pkg: Json): string | undefined {
  let target: string | undefined;
  const exp = pkg.exports;
  if (exp !== undefined && exp !== null) {
    const subpaths = typeof exp === 'object' && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith('.'));
    target = exportTarget(subpaths ? (exp as Json)['.'] : exp);
  } else if (typeof pkg.main === 'string' && pkg.main !== '') {
    target = pkg.main;
  }
  if (target === undefined) return undefined;
  const entry = resolve(root, target);
  if (entry !== root && !entry.startsWith(root + sep)) return undefined; // stays inside the package
  return isFile(entry) ? entry : undefined;
}

/** The binary's real path, or a clear error: the hook passes a path it found executable. */
function realBin(bin: string): string {
  try {
    const p = realpathSync(resolve(bin));
    if (statSync(p).isFile()) return p;
  } catch {
    // reported below
  }
  throw new GateError('TOOL_MISSING', `the lint-staged binary ${bin} given to --lint-staged was not found.`, {
    fix: 'npm install   (then commit again; the pre-commit hook passes ./node_modules/.bin/lint-staged)',
  });
}

type LintStagedFn = (options: Json) => Promise<unknown>;

/** lint-staged's API, or why it cannot be used. Importing it runs no task. */
async function loadApi(realPath: string): Promise<{ fn: LintStagedFn } | { fallback: string }> {
  const found = lintStagedPackageRoot(dirname(realPath));
  if (!found) return { fallback: 'no package.json named "lint-staged" above the binary' };
  const entry = packageEntry(found.root, found.pkg);
  if (!entry) return { fallback: `${join(found.root, 'package.json')} declares no main entry that exists` };
  let mod: Json;
  try {
    mod = (await importModule(pathToFileURL(entry).href)) as Json;
  } catch (e) {
    return { fallback: `importing ${entry} failed: ${e instanceof Error ? e.message : String(e)}` };
  }
  const d = mod.default as unknown;
  if (typeof d === 'function') return { fn: d as LintStagedFn };
  const inner = typeof d === 'object' && d !== null ? (d as Json).default : undefined;
  if (typeof inner === 'function') return { fn: inner as LintStagedFn };
  return { fallback: `${entry} has no default export function` };
}

const WATCHED_EVENTS = ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'uncaughtException', 'unhandledRejection'] as const;

/** What lint-staged could change on the process that gate relies on afterwards. */
function snapshotProcess() {
  const listeners = new Map<string, Function[]>(WATCHED_EVENTS.map((ev) => [ev, process.rawListeners(ev)]));
  return { exitCode: process.exitCode, env: { ...process.env }, cwd: process.cwd(), maxListeners: process.getMaxListeners(), listeners };
}

function restoreProcess(s: ReturnType<typeof snapshotProcess>): void {
  for (const [ev, before] of s.listeners) {
    for (const l of process.rawListeners(ev)) if (!before.includes(l)) process.removeListener(ev, l as (...a: unknown[]) => void);
  }
  process.setMaxListeners(s.maxListeners);
  for (const k of Object.keys(process.env)) if (!(k in s.env)) delete process.env[k];
  for (const [k, v] of Object.entries(s.env)) if (process.env[k] !== v) process.env[k] = v;
  if (process.cwd() !== s.cwd) process.chdir(s.cwd);
  process.exitCode = s.exitCode;
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`.split('\n')[0]!;
  return String(e);
}

/** The binary as a child process, stdio inherited (stdout onto stderr when stdout carries JSON). */
function runBinary(bin: string, fallback: string, stdoutToStderr: boolean): LintStagedOutcome {
  const r = spawnSync(bin, [], { stdio: stdoutToStderr ? ['inherit', 2, 'inherit'] : 'inherit' });
  if (r.error) return { ok: false, via: 'process', fallback, error: `${bin} could not be started: ${describe(r.error)}` };
  if (r.status === 0) return { ok: true, via: 'process', fallback };
  return { ok: false, via: 'process', fallback, ...(r.signal ? { error: `${bin} was killed by ${r.signal}` } : {}) };
}

/**
 * Run lint-staged as the binary at `bin` would run without arguments. Resolves to its verdict;
 * never rejects for anything lint-staged does (a throw is a failed run with `error` set).
 * `stdoutToStderr` (for --json, whose stdout is one JSON object) runs the binary as a child
 * process with its stdout sent to stderr.
 */
export async function runLintStaged(bin: string, opts: { stdoutToStderr?: boolean } = {}): Promise<LintStagedOutcome> {
  const realPath = realBin(bin);
  if (opts.stdoutToStderr) return runBinary(bin, 'stdout carries JSON (--json)', true);
  const saved = snapshotProcess();
  let api: Awaited<ReturnType<typeof loadApi>>;
  try {
    api = await loadApi(realPath);
  } finally {
    restoreProcess(saved);
  }
  if ('fallback' in api) return runBinary(bin, api.fallback, false);
  // As bin/lint-staged.js does: an interrupt must not end the process while lint-staged can still
  // restore the hidden unstaged changes; lint-staged aborts its tasks on SIGINT itself.
  process.on('SIGINT', () => {});
  try {
    const passed = await api.fn({ ...CLI_DEFAULT_OPTIONS });
    return { ok: passed === true, via: 'api' };
  } catch (e) {
    return { ok: false, via: 'api', error: describe(e) };
  } finally {
    restoreProcess(saved);
  }
}
