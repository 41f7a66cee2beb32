/**
 * Making the git hooks active in a worktree, and inspecting whether they are. Shared by
 * `gate init`, `gate doctor` and (for new task worktrees) `gate task start`.
 *
 * Two modes, both running the same `.husky/pre-commit` / `.husky/post-commit` scripts:
 *  - husky: `husky` sets core.hooksPath=.husky/_ and generates `.husky/_` (ignored, so every
 *    worktree needs its own run, or its hooks silently do not run);
 *  - direct (no husky): core.hooksPath=.husky and the scripts themselves are executable.
 * The hooks find gate like `findBin` does: ./node_modules/.bin, then the main worktree's
 * node_modules/.bin, then (in the agent-gates repository itself) ./bin/gate.js, then PATH.
 */
import { EARLIER_HOOK_VERSIONS } from './hook-history.js';
import { nodeCrypto } from '../kernel/builtins.js';
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { GateError } from '../kernel/errors.js';
import { Git } from './git.js';
import { writeFileAtomic } from './files.js';
import { packageRoot, readTemplate } from './package-files.js';

export const HOOKS = ['pre-commit', 'post-commit'] as const;
export type InstalledHook = (typeof HOOKS)[number];
export const HUSKY_DIR = '.husky';

export type FileStatus = 'created' | 'already present' | 'overwritten' | 'updated' | 'skipped';
export interface FileReport {
  path: string;
  status: FileStatus;
  note?: string;
  fix?: string;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Where the hooks would find a binary, in the hooks' order; undefined when nowhere.
 * `name` is "gate", "lint-staged" or "husky".
 */
export function findBin(worktreeRoot: string, commonDir: string, name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const local = join(worktreeRoot, 'node_modules', '.bin', name);
  if (isExecutable(local)) return local;
  const main = join(commonDir, '..', 'node_modules', '.bin', name);
  if (isExecutable(main)) return resolve(main);
  if (name !== 'gate') return undefined;
  const self = join(worktreeRoot, 'bin', 'gate.js');
  if (existsSync(self) && /"name": *"agent-gates"/.test(safeRead(join(worktreeRoot, 'package.json')) ?? '')) return self;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

/** A file's text, or undefined when it cannot be read (absence is the caller's question). */
export function safeRead(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

export function readPackageJson(root: string): Record<string, any> | undefined {
  const t = safeRead(join(root, 'package.json'));
  if (t === undefined) return undefined;
  try {
    const v = JSON.parse(t) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, any>) : undefined;
  } catch {
    throw new GateError('CANNOT_EVALUATE', `${join(root, 'package.json')} is not valid JSON, so gate cannot tell how hooks are installed here.`, {
      fix: 'fix package.json (npm would fail on it too), then run the command again',
    });
  }
}

/** Whether this repository uses lint-staged: a config (package.json key or config file) and an installed binary. */
export function lintStagedInfo(root: string, commonDir: string): { configured: boolean; bin?: string } {
  const pkg = readPackageJson(root);
  let configured = Boolean(pkg && pkg['lint-staged']);
  if (!configured) {
    try {
      configured = readdirSync(root).some((f) => f === '.lintstagedrc' || f.startsWith('.lintstagedrc.') || f.startsWith('lint-staged.config.'));
    } catch {
      configured = false;
    }
  }
  const bin = findBin(root, commonDir, 'lint-staged');
  return { configured, ...(bin ? { bin } : {}) };
}

/** husky: installed (a runnable binary) and/or declared in package.json. */
export function huskyInfo(root: string, commonDir: string): { bin?: string; declared: boolean } {
  const pkg = readPackageJson(root);
  const declared = Boolean(pkg && (pkg.devDependencies?.husky || pkg.dependencies?.husky));
  const bin = findBin(root, commonDir, 'husky');
  return { declared, ...(bin ? { bin } : {}) };
}

/** Our hook script for `hook` (from templates/hooks/). */
export function hookTemplate(hook: InstalledHook): string {
  return readTemplate('templates', 'hooks', hook);
}

/** The script is exactly a hook an earlier agent-gates version wrote (see hook-history.ts). */
export function isEarlierTemplate(hook: InstalledHook, text: string): boolean {
  return EARLIER_HOOK_VERSIONS[hook].includes(nodeCrypto().createHash('sha256').update(text).digest('hex'));
}

function codeLines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

/** Whether a hook script runs `gate check --hook <hook>` (outside comments). */
export function callsGate(text: string, hook: InstalledHook): boolean {
  const re = new RegExp(`check\\s+--hook[= ]${hook}(\\s|$|;|\\|)`);
  return codeLines(text).some((l) => re.test(l));
}

export interface InstallHooksReport {
  worktree: string;
  mode: 'husky' | 'direct';
  hooksPath: string;
  files: FileReport[];
  actions: string[];
}

/**
 * Make the hooks active in one worktree: hook scripts present and executable, core.hooksPath
 * set, husky's `.husky/_` generated where husky is used. Idempotent; never overwrites a
 * hook script that is not ours unless `force`.
 */
export function installHooks(worktreeRoot: string, opts: { force?: boolean } = {}): InstallHooksReport {
  const git = new Git(resolve(worktreeRoot));
  const paths = git.paths();
  const root = paths.root;
  const files: FileReport[] = [];
  const actions: string[] = [];

  for (const hook of HOOKS) {
    const rel = `${HUSKY_DIR}/${hook}`;
    const p = join(root, rel);
    const tpl = hookTemplate(hook);
    const cur = safeRead(p);
    if (cur === undefined) {
      writeFileAtomic(p, tpl, 0o755);
      files.push({ path: rel, status: 'created' });
    } else if (cur !== tpl && isEarlierTemplate(hook, cur)) {
      writeFileAtomic(p, tpl, 0o755);
      files.push({ path: rel, status: 'updated', note: "an earlier agent-gates version of this hook, never changed: replaced by this version's" });
    } else if (cur === tpl || callsGate(cur, hook)) {
      files.push({ path: rel, status: 'already present', ...(cur === tpl ? {} : { note: 'your own script; it calls gate' }) });
    } else if (opts.force) {
      writeFileAtomic(p, tpl, 0o755);
      files.push({ path: rel, status: 'overwritten' });
    } else {
      files.push({
        path: rel,
        status: 'skipped',
        note: `it exists and does not call \`gate check --hook ${hook}\`, so the gates do not run on ${hook}`,
        fix: `add the agent-gates lines from ${join(packageRoot(), 'templates', 'hooks', hook)} to it, or replace it: gate init --force`,
      });
    }
    if (existsSync(p) && !isExecutable(p)) {
      chmodSync(p, statSync(p).mode | 0o111);
      actions.push(`made ${rel} executable`);
    }
  }

  const current = git.configGet('core.hooksPath');
  const husky = huskyInfo(root, paths.commonDir);
  const ours = current === undefined || current === HUSKY_DIR || current === `${HUSKY_DIR}/` || current === `${HUSKY_DIR}/_` || current === `${HUSKY_DIR}/_/`;
  if (!ours && !opts.force) {
    throw new GateError('CANNOT_EVALUATE', `core.hooksPath is set to "${current}" (not .husky or .husky/_), so the agent-gates hooks would not run, and gate will not take over another tool's hooks silently.`, {
      fix: `move your hooks into .husky/, then run: gate init --force   (it sets core.hooksPath)`,
    });
  }
  let mode: 'husky' | 'direct';
  if (husky.bin) {
    const env = { ...process.env };
    delete env.HUSKY; // HUSKY=0 would make husky skip the install and leave the hooks inactive
    const r = spawnSync(husky.bin, [], { cwd: root, env, encoding: 'utf8' });
    const h = join(root, HUSKY_DIR, '_', 'h');
    if (r.status !== 0 || !existsSync(h) || git.configGet('core.hooksPath')?.replace(/\/$/, '') !== `${HUSKY_DIR}/_`) {
      throw new GateError('CANNOT_EVALUATE', `running husky (${husky.bin}) in ${root} did not install the hooks: ${(r.stdout + r.stderr).trim() || `exit ${r.status}`}`, {
        fix: `cd '${root}' && '${husky.bin}'   (then run \`gate doctor\`)`,
      });
    }
    actions.push(`ran husky: core.hooksPath=.husky/_, generated .husky/_ in ${root}`);
    mode = 'husky';
  } else {
    if (current?.replace(/\/$/, '') !== HUSKY_DIR) {
      git.configSet('core.hooksPath', HUSKY_DIR);
      actions.push('set core.hooksPath=.husky (husky is not installed; git runs the scripts directly)');
    }
    mode = 'direct';
  }
  return { worktree: root, mode, hooksPath: git.configGet('core.hooksPath') ?? '', files, actions };
}

export interface HookHealth {
  hook: InstalledHook;
  ok: boolean;
  /** The file git runs (after core.hooksPath). */
  gitRuns: string;
  /** The script with the gate call (differs from gitRuns under husky). */
  script?: string;
  problems: string[];
}

const HUSKY_WRAPPER = /^\.\s+"\$\(dirname\s+(?:--\s+)?"\$0"\)\/h"$/;

/** Inspect whether git will run our hooks in a worktree. Never modifies anything. */
export function inspectHooks(worktreeRoot: string, commonDir: string): { hooksDir: string; hooks: HookHealth[]; gateBin?: string } {
  const git = new Git(worktreeRoot);
  const hooksDir = git.gitPath('hooks');
  const hooks: HookHealth[] = [];
  for (const hook of HOOKS) {
    const gitRuns = join(hooksDir, hook);
    const problems: string[] = [];
    let script: string | undefined;
    const text = safeRead(gitRuns);
    if (text === undefined) {
      problems.push(
        hooksDir.endsWith(`${HUSKY_DIR}/_`) || hooksDir.endsWith(`${HUSKY_DIR}/_/`)
          ? `${rel(worktreeRoot, gitRuns)} is missing: husky was never installed in this worktree (.husky/_ is not committed), so git runs no ${hook} hook here`
          : `${rel(worktreeRoot, gitRuns)} is missing, so git runs no ${hook} hook here`,
      );
    } else {
      if (!isExecutable(gitRuns)) problems.push(`${rel(worktreeRoot, gitRuns)} is not executable, so git ignores it`);
      const code = codeLines(text);
      if (code.some((l) => HUSKY_WRAPPER.test(l))) {
        if (!existsSync(join(hooksDir, 'h'))) problems.push(`${rel(worktreeRoot, join(hooksDir, 'h'))} (husky's runner) is missing`);
        script = join(dirname(hooksDir), hook);
        const s = safeRead(script);
        if (s === undefined) problems.push(`${rel(worktreeRoot, script)} is missing: husky silently skips the ${hook} hook`);
        else checkScript(s, hook, rel(worktreeRoot, script), problems);
      } else {
        script = gitRuns;
        checkScript(text, hook, rel(worktreeRoot, gitRuns), problems);
      }
    }
    hooks.push({ hook, ok: problems.length === 0, gitRuns, ...(script ? { script } : {}), problems });
  }
  const gateBin = findBin(worktreeRoot, commonDir, 'gate');
  return { hooksDir, hooks, ...(gateBin ? { gateBin } : {}) };
}

function checkScript(text: string, hook: InstalledHook, label: string, problems: string[]): void {
  const code = codeLines(text);
  if (!callsGate(text, hook)) {
    problems.push(`${label} does not run \`gate check --hook ${hook}\`, so the gates do not run on ${hook}`);
    return;
  }
  if (code.some((l) => /\bnpx\b[^#]*\b(gate|agent-gates)\b/.test(l))) {
    problems.push(`${label} calls gate through npx, which can resolve or download another package; hooks must call the installed binary`);
  }
  if (hook === 'pre-commit') {
    const gateAt = code.findIndex((l) => /check\s+--hook[= ]pre-commit/.test(l));
    const lsAfter = code.slice(gateAt + 1).some((l) => /lint-staged/.test(l));
    if (lsAfter) problems.push(`${label} runs lint-staged after gate: gate must check the final index, after lint-staged restages its changes`);
  }
}

function rel(root: string, p: string): string {
  const r = relative(root, p);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
}
