/**
 * Making the gates' git hooks run, beside whatever hook manager the project uses, and inspecting
 * whether they do. Shared by `gate init`, `gate doctor`, `gate uninstall` and (for new task
 * worktrees) `gate task start`.
 *
 * Each git hook gate uses (`hooks`, a list the caller passes: src/app/hooks/registry.ts) runs a
 * script from templates/hooks/<hook>. Where the script goes and what runs it is the manager's idiom:
 *  - husky: `.husky/<hook>` is the script (husky sets core.hooksPath=.husky/_); when the project
 *    has its own `.husky/<hook>`, one line running `.agents/hooks/<hook>` is added to it, after
 *    its lint-staged line;
 *  - direct (no manager at all): `.husky/<hook>` scripts with core.hooksPath=.husky;
 *  - lefthook, pre-commit (the Python framework), simple-git-hooks: an entry in their config runs
 *    the committed `.agents/hooks/<hook>`; the manager installs it into .git/hooks;
 *  - git (hand-written hooks in .git/hooks or a custom core.hooksPath): a small wrapper runs the
 *    hook that was there (kept as `<hook>.agent-gates-chained`), then `.agents/hooks/<hook>`.
 * gate never sets core.hooksPath where another manager's hooks live in .git/hooks (it would switch
 * them off); it unsets a core.hooksPath of its own (.husky) when moving to such a manager.
 * The hooks find gate like `findBin` does: ./node_modules/.bin, then the main worktree's
 * node_modules/.bin, then (in the agent-gates repository itself) ./bin/gate.js, then PATH.
 */
import { EARLIER_HOOK_VERSIONS } from './hook-history.js';
import { nodeCrypto } from '../kernel/builtins.js';
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { GateError } from '../kernel/errors.js';
import { Git } from './git.js';
import { moveFile, writeFileAtomic } from './files.js';
import { packageRoot, readTemplate } from './package-files.js';
import {
  addToLefthook,
  addToPreCommit,
  AFTER_LINT_STAGED,
  editSimpleGitHooks,
  GATE_HOOKS_DIR,
  gateEntry,
  lefthookConfigPath,
  lefthookHook,
  PRE_COMMIT_CONFIG,
  preCommitStage,
  readLefthook,
  readPreCommitConfig,
  removeFromLefthook,
  removeFromPreCommit,
  runsGateEntry,
  runsLintStaged,
  simpleGitHooksConfig,
  STDIN_HOOKS,
  type ConfigEdit,
} from './hook-manager-configs.js';

export { GATE_HOOKS_DIR } from './hook-manager-configs.js';

/** The hooks `inspectHooks` looks at when the caller names none (task worktrees). */
export const HOOKS = ['pre-commit', 'post-commit'] as const;
/** A git hook name (pre-commit, post-commit, pre-merge-commit, post-rewrite, pre-push, ...). */
export type InstalledHook = string;
export const HUSKY_DIR = '.husky';

/** The hook managers gate installs into, each in its own idiom (see the header). */
export const HOOK_MANAGERS = ['husky', 'lefthook', 'pre-commit', 'simple-git-hooks', 'git', 'direct'] as const;
export type HookManager = (typeof HOOK_MANAGERS)[number];

export type FileStatus = 'created' | 'already present' | 'overwritten' | 'updated' | 'skipped' | 'removed' | 'restored';
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
  return (EARLIER_HOOK_VERSIONS[hook] ?? []).includes(nodeCrypto().createHash('sha256').update(text).digest('hex'));
}

function codeLines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

/** Whether a hook script runs `gate check --hook <hook>` (outside comments). */
export function callsGate(text: string, hook: InstalledHook): boolean {
  const re = new RegExp(`check\\s+--hook[= ]${hook}(\\s|$|;|\\|)`);
  return codeLines(text).some((l) => re.test(l) || runsGateEntry(l, hook));
}

// ---------------------------------------------------------------- detection

/** Who wrote a hook file in a hooks directory. */
export type HookGenerator = 'husky' | 'lefthook' | 'pre-commit' | 'simple-git-hooks' | 'agent-gates' | 'user';
export interface HookFileState {
  hook: string;
  generator: HookGenerator;
}

/** The first line of the wrapper gate writes into a plain hooks directory (manager `git`). */
export const CHAIN_MARK = '# agent-gates: chained hook wrapper';
export const CHAINED_SUFFIX = '.agent-gates-chained';
/** The comment on the line gate adds to a project's own hook script. */
export const LINE_MARK = '# agent-gates (gate init)';

export function generatorOf(text: string): HookGenerator {
  if (text.includes(CHAIN_MARK)) return 'agent-gates';
  if (/File generated by pre-commit|pre-commit\.com/.test(text)) return 'pre-commit';
  if (/\blefthook\b/.test(text) && /call_lefthook|LEFTHOOK/.test(text)) return 'lefthook';
  if (text.includes('SKIP_SIMPLE_GIT_HOOKS')) return 'simple-git-hooks';
  // husky 9's generated wrapper in .husky/_ (husky 8's scripts source husky.sh and are the project's own)
  if (codeLines(text).some((l) => HUSKY_WRAPPER.test(l))) return 'husky';
  return 'user';
}

/** Hook files in a hooks directory (no *.sample, no chained originals). */
export function listHookFiles(dir: string): HookFileState[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: HookFileState[] = [];
  for (const n of names.sort()) {
    if (n.endsWith('.sample') || n.endsWith(CHAINED_SUFFIX) || n.endsWith('.legacy') || n.startsWith('.') || n === 'h' || n === '_') continue;
    const p = join(dir, n);
    try {
      if (!statSync(p).isFile()) continue;
    } catch {
      continue;
    }
    out.push({ hook: n, generator: generatorOf(safeRead(p) ?? '') });
  }
  return out;
}

export interface HookSetup {
  root: string;
  commonDir: string;
  /** core.hooksPath as configured (undefined: unset). */
  hooksPath?: string;
  /** Where git runs hooks from (absolute). */
  hooksDir: string;
  /** `<git common dir>/hooks`, where lefthook, pre-commit and simple-git-hooks install. */
  defaultHooksDir: string;
  /** Hook files in defaultHooksDir. */
  installed: HookFileState[];
  /** Config files of managers found in the root. */
  configs: Array<{ manager: HookManager; path: string }>;
  /** The manager in use: where `gate init` installs. */
  inUse: HookManager;
  why: string;
  /** Hooks in defaultHooksDir that git never runs because core.hooksPath points elsewhere. */
  shadowed: HookFileState[];
}

const OWN_HOOKS_PATHS = [HUSKY_DIR, `${HUSKY_DIR}/`, `${HUSKY_DIR}/_`, `${HUSKY_DIR}/_/`];

/** Which hook managers this repository uses, and which one `gate init` installs into. */
export function detectHookSetup(worktreeRoot: string): HookSetup {
  const git = new Git(resolve(worktreeRoot));
  const { root, commonDir } = git.paths();
  const hooksPath = git.configGet('core.hooksPath');
  const hooksDir = git.gitPath('hooks');
  const defaultHooksDir = resolve(commonDir, 'hooks');
  const installed = listHookFiles(defaultHooksDir);
  const configs: HookSetup['configs'] = [];
  const lh = lefthookConfigPath(root);
  if (lh) configs.push({ manager: 'lefthook', path: lh });
  if (existsSync(join(root, PRE_COMMIT_CONFIG))) configs.push({ manager: 'pre-commit', path: PRE_COMMIT_CONFIG });
  const sgh = simpleGitHooksConfig(root);
  if (sgh) configs.push({ manager: 'simple-git-hooks', path: sgh.path });
  const husky = huskyInfo(root, commonDir);
  const shadowed = resolve(hooksDir) === defaultHooksDir ? [] : installed;
  let inUse: HookManager;
  let why: string;
  if (configs.length) {
    inUse = configs[0]!.manager;
    why = `${configs[0]!.path} configures ${inUse}`;
  } else if (husky.declared || husky.bin || hooksPath?.replace(/\/$/, '') === `${HUSKY_DIR}/_`) {
    inUse = 'husky';
    why = husky.declared ? 'husky is in package.json' : husky.bin ? 'husky is installed' : 'core.hooksPath=.husky/_';
  } else if (hooksPath !== undefined && !OWN_HOOKS_PATHS.includes(hooksPath)) {
    inUse = 'git';
    why = `core.hooksPath=${hooksPath}: git runs the hooks in that directory`;
  } else if (installed.some((h) => h.generator === 'user' || h.generator === 'agent-gates')) {
    inUse = 'git';
    why = `hand-written hooks in ${rel(root, defaultHooksDir)} (${installed.filter((h) => h.generator === 'user' || h.generator === 'agent-gates').map((h) => h.hook).join(', ')})`;
  } else {
    inUse = 'direct';
    why = 'no hook manager: git runs the .husky/ scripts directly (core.hooksPath=.husky)';
  }
  return { root, commonDir, ...(hooksPath !== undefined ? { hooksPath } : {}), hooksDir: resolve(hooksDir), defaultHooksDir, installed, configs, inUse, why, shadowed };
}

// ---------------------------------------------------------------- installing

export interface InstallHooksReport {
  worktree: string;
  /** The manager gate installed into. */
  manager: HookManager;
  /** Same as `manager` (kept for readers of earlier versions' --json). */
  mode: HookManager;
  hooksPath: string;
  hooks: string[];
  files: FileReport[];
  actions: string[];
  /** Steps left to the person (a manager's binary missing, a config gate does not edit). */
  next: string[];
}

export interface InstallOptions {
  /** Install into this manager instead of the one detected. */
  manager?: HookManager;
  /** Overwrite hook scripts that differ from the templates (and take over a foreign core.hooksPath). */
  force?: boolean;
}

/** `which`: a binary on PATH. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function spawnIn(root: string, bin: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): { ok: boolean; out: string } {
  const r = spawnSync(bin, args, { cwd: root, env, encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

/** `git config --unset-all <key> [value-regex]` in the repository's config; true when something was removed. */
export function unsetGitConfig(root: string, key: string, exactValue?: string): boolean {
  const args = ['config', '--local', '--unset-all', key];
  if (exactValue !== undefined) args.push(`^${exactValue.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  if (r.status === 0) return true;
  if (r.status === 5) return false; // nothing to unset
  throw new GateError('GIT_FAILED', `git ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr ?? '').trim()}`);
}

/** Write one of gate's hook scripts (templates/hooks/<hook>) at `relPath`, never clobbering an edited one without force. */
function writeScript(root: string, relPath: string, hook: string, force: boolean): FileReport {
  const p = join(root, relPath);
  const tpl = hookTemplate(hook);
  const cur = safeRead(p);
  let report: FileReport;
  if (cur === undefined) {
    writeFileAtomic(p, tpl, 0o755);
    report = { path: relPath, status: 'created' };
  } else if (cur === tpl) report = { path: relPath, status: 'already present' };
  else if (isEarlierTemplate(hook, cur)) {
    writeFileAtomic(p, tpl, 0o755);
    report = { path: relPath, status: 'updated', note: "an earlier agent-gates version of this hook, never changed: replaced by this version's" };
  } else if (force) {
    writeFileAtomic(p, tpl, 0o755);
    report = { path: relPath, status: 'overwritten' };
  } else if (callsGate(cur, hook)) report = { path: relPath, status: 'already present', note: 'changed by hand; it calls gate' };
  else {
    report = {
      path: relPath,
      status: 'skipped',
      note: `it exists and does not call \`gate check --hook ${hook}\`, so the gates do not run on ${hook}`,
      fix: `restore it from ${join(packageRoot(), 'templates', 'hooks', hook)}, or replace it: gate init --force`,
    };
  }
  if (existsSync(p) && !isExecutable(p)) chmodSync(p, statSync(p).mode | 0o111);
  return report;
}

/**
 * Make gate's hooks (`hooks`: git hook names, each with a script in templates/hooks/) run in one
 * worktree, in the idiom of the hook manager in use (or `opts.manager`). Idempotent; never removes
 * or reorders a user's hooks; never sets core.hooksPath where another manager uses .git/hooks.
 */
export function installGateHooks(worktreeRoot: string, hooks: readonly string[], opts: InstallOptions = {}): InstallHooksReport {
  const setup = detectHookSetup(worktreeRoot);
  const manager = opts.manager ?? setup.inUse;
  const { root } = setup;
  const git = new Git(root);
  const files: FileReport[] = [];
  const actions: string[] = [];
  const next: string[] = [];
  const force = Boolean(opts.force);
  if (manager === 'husky' || manager === 'direct') {
    installHuskyIdiom(setup, manager, hooks, force, files, actions);
  } else {
    releaseHooksPath(setup, manager, force, actions);
    for (const hook of hooks) files.push(writeScript(root, `${GATE_HOOKS_DIR}/${hook}`, hook, force));
    if (manager === 'git') installChained(setup, hooks, files, actions);
    else {
      const edit: ConfigEdit =
        manager === 'lefthook'
          ? addToLefthook(root, hooks)
          : manager === 'pre-commit'
            ? addToPreCommit(root, hooks, { oldStageNames: preCommitIsOld(root), alsoInstalled: setup.installed.filter((h) => h.generator === 'pre-commit').map((h) => h.hook) })
            : (editSimpleGitHooks(root, hooks, 'add') ?? { path: 'package.json', status: 'skipped', note: 'no simple-git-hooks config found', fix: 'gate init --hooks simple-git-hooks   (after adding a "simple-git-hooks" key to package.json)' });
      files.push({ path: edit.path, status: edit.status, ...(edit.note ? { note: edit.note } : {}), ...(edit.fix ? { fix: edit.fix } : {}) });
      activateManager(setup, manager, next, actions);
    }
  }
  return { worktree: root, manager, mode: manager, hooksPath: git.configGet('core.hooksPath') ?? '', hooks: [...hooks], files, actions, next };
}

/** Managers that install into .git/hooks need core.hooksPath unset: drop ours, refuse to drop another tool's silently. */
function releaseHooksPath(setup: HookSetup, manager: HookManager, force: boolean, actions: string[]): void {
  const cur = setup.hooksPath;
  if (cur === undefined) return;
  if (manager === 'git') return; // the wrappers go wherever git runs hooks from
  const norm = cur.replace(/\/$/, '');
  const husky = huskyInfo(setup.root, setup.commonDir);
  const oursToDrop = norm === HUSKY_DIR || (norm === `${HUSKY_DIR}/_` && !husky.declared);
  if (!oursToDrop && !force) {
    throw new GateError('CANNOT_EVALUATE', `core.hooksPath is set to "${cur}", so git never runs the hooks ${manager} installs in .git/hooks, and gate will not switch off another tool's hooks silently.`, {
      fix: norm === `${HUSKY_DIR}/_` ? `this project uses both husky and ${manager}: use one. To keep husky: gate init --hooks husky; to move to ${manager}: gate init --hooks ${manager} --force   (unsets core.hooksPath)` : `gate init --hooks ${manager} --force   (unsets core.hooksPath)`,
    });
  }
  unsetGitConfig(setup.root, 'core.hooksPath');
  actions.push(`unset core.hooksPath (was ${cur}): it hid the hooks ${manager} installs in .git/hooks`);
}

function preCommitIsOld(root: string): boolean {
  const bin = onPath('pre-commit');
  if (!bin) return false;
  const m = /(\d+)\.(\d+)/.exec(spawnIn(root, bin, ['--version']).out);
  return m ? Number(m[1]) < 3 || (Number(m[1]) === 3 && Number(m[2]) < 2) : false;
}

/** Run the manager's own install so .git/hooks runs the new entries now. */
function activateManager(setup: HookSetup, manager: HookManager, next: string[], actions: string[]): void {
  const { root, commonDir } = setup;
  const env = { ...process.env };
  delete env.LEFTHOOK; // LEFTHOOK=0 skips hooks, not installs, but keep the install honest
  delete env.SKIP_INSTALL_SIMPLE_GIT_HOOKS;
  const run = (bin: string | undefined, args: string[], missing: string) => {
    if (!bin) {
      next.push(missing);
      return;
    }
    const r = spawnIn(root, bin, args, env);
    if (!r.ok) {
      throw new GateError('CANNOT_EVALUATE', `running ${manager} (${bin} ${args.join(' ')}) did not install the hooks: ${r.out || 'no output'}`, {
        fix: `cd '${root}' && '${bin}' ${args.join(' ')}   (then run \`gate doctor\`)`,
      });
    }
    actions.push(`ran ${bin} ${args.join(' ')}`.trim());
  };
  if (manager === 'lefthook') run(findBin(root, commonDir, 'lefthook') ?? onPath('lefthook'), ['install'], 'lefthook is not installed here: run `npm install` (or `lefthook install`) so .git/hooks runs the new commands');
  else if (manager === 'simple-git-hooks') run(findBin(root, commonDir, 'simple-git-hooks') ?? onPath('simple-git-hooks'), [], 'simple-git-hooks is not installed here: run `npm install`, then ./node_modules/.bin/simple-git-hooks');
  else if (manager === 'pre-commit') run(onPath('pre-commit'), ['install'], 'pre-commit is not installed here: install it (pip install pre-commit), then run `pre-commit install`');
}

/** husky and direct mode: `.husky/<hook>` scripts (or a line in the project's own), then core.hooksPath. */
function installHuskyIdiom(setup: HookSetup, manager: 'husky' | 'direct', hooks: readonly string[], force: boolean, files: FileReport[], actions: string[]): void {
  const { root, commonDir } = setup;
  const git = new Git(root);
  const ls = lintStagedInfo(root, commonDir);
  for (const hook of hooks) {
    const relPath = `${HUSKY_DIR}/${hook}`;
    const p = join(root, relPath);
    const cur = safeRead(p);
    if (cur === undefined || cur === hookTemplate(hook) || isEarlierTemplate(hook, cur) || force) {
      files.push(writeScript(root, relPath, hook, force));
      continue;
    }
    let text = cur;
    let note: string | undefined;
    if (!callsGate(text, hook)) {
      text = insertGateLine(text, hook);
      note = `added one line running ${GATE_HOOKS_DIR}/${hook}${hook === 'pre-commit' && runsLintStagedIn(cur) ? ', after its lint-staged' : ''}; your lines are untouched`;
    } else if (hook === 'pre-commit' && ls.configured) {
      const fixed = repairDoubleLintStaged(text);
      if (fixed !== text) {
        text = fixed;
        note = 'lint-staged ran twice per commit (your line and the agent-gates lines): the gate now runs after your lint-staged only';
      }
    }
    if (text !== cur) {
      writeFileAtomic(p, text, 0o755);
      files.push({ path: relPath, status: 'updated', ...(note ? { note } : {}) });
    } else files.push({ path: relPath, status: 'already present', note: 'your own script; it calls gate' });
    if (!isExecutable(p)) {
      chmodSync(p, statSync(p).mode | 0o111);
      actions.push(`made ${relPath} executable`);
    }
    if (referencesGateScript(text, hook)) files.push(writeScript(root, `${GATE_HOOKS_DIR}/${hook}`, hook, force));
  }

  const current = setup.hooksPath;
  const husky = huskyInfo(root, commonDir);
  const ours = current === undefined || OWN_HOOKS_PATHS.includes(current);
  if (!ours && !force) {
    throw new GateError('CANNOT_EVALUATE', `core.hooksPath is set to "${current}" (not .husky or .husky/_), so the agent-gates hooks would not run, and gate will not take over another tool's hooks silently.`, {
      fix: `gate init --hooks git   (chains to the hooks in ${current}), or move them into .husky/ and run: gate init --force`,
    });
  }
  // only setting core.hooksPath where it is unset can hide hooks in .git/hooks: refuse to do that
  // silently when a person or a configured manager put hooks there (stale ones of an unconfigured
  // manager have nothing left to run)
  const configured = new Set(setup.configs.map((c) => c.manager as string));
  const others = current === undefined ? setup.installed.filter((h) => h.generator === 'user' || (h.generator !== 'agent-gates' && h.generator !== 'husky' && configured.has(h.generator))) : [];
  if (others.length && !force) {
    throw new GateError('CANNOT_EVALUATE', `${rel(root, setup.defaultHooksDir)} holds hooks ${others.map((h) => `${h.hook} (${h.generator})`).join(', ')}; setting core.hooksPath for ${manager} would switch them off silently.`, {
      fix: `gate init --hooks ${others[0]!.generator === 'user' ? 'git' : others[0]!.generator}   (installs beside them), or move them into .husky/ and run: gate init --hooks ${manager} --force`,
    });
  }
  if (manager === 'husky' && husky.bin) {
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
  } else if (current?.replace(/\/$/, '') !== HUSKY_DIR) {
    git.configSet('core.hooksPath', HUSKY_DIR);
    actions.push(`set core.hooksPath=.husky (${manager === 'husky' ? 'husky is not installed yet' : 'no hook manager'}; git runs the scripts directly)`);
  }
}

function runsLintStagedIn(text: string): boolean {
  return codeLines(text).some((l) => runsLintStaged(l));
}

function referencesGateScript(text: string, hook: string): boolean {
  return codeLines(text).some((l) => l.includes(`${GATE_HOOKS_DIR}/${hook}`));
}

/** The project's own hook with one line added: after its last lint-staged line, else at the end (before a final `exit`). */
export function insertGateLine(text: string, hook: string): string {
  const lines = text.replace(/\n$/, '').split('\n');
  let at = -1;
  for (let i = 0; i < lines.length; i++) if (hook === 'pre-commit' && !lines[i]!.trim().startsWith('#') && runsLintStaged(lines[i]!)) at = i + 1;
  const after = at >= 0;
  if (!after) {
    at = lines.length;
    while (at > 0 && (/^\s*$/.test(lines[at - 1]!) || /^\s*exit(\s+0)?\s*$/.test(lines[at - 1]!))) at--;
  }
  const line = `${gateEntry(hook, { afterLintStaged: after, args: '"$@"' })} || exit 1   ${LINE_MARK}: the gates, on the final index`;
  lines.splice(at, 0, line);
  return `${lines.join('\n')}\n`;
}

/**
 * A pre-commit that runs lint-staged itself and also runs the agent-gates lines that run it
 * again: our entry line gets --after-lint-staged; where the template's lines were merged into the
 * project's script, the project's lint-staged line is commented out (the template runs it, once,
 * before the gate).
 */
export function repairDoubleLintStaged(text: string): string {
  const lines = text.split('\n');
  const userLs = lines.map((l, i) => (!l.trim().startsWith('#') && runsLintStaged(l) ? i : -1)).filter((i) => i >= 0);
  if (userLs.length === 0) return text;
  const entry = lines.findIndex((l) => !l.trim().startsWith('#') && l.includes(`${GATE_HOOKS_DIR}/pre-commit`));
  if (entry >= 0) {
    if (lines[entry]!.includes(AFTER_LINT_STAGED)) return text;
    lines[entry] = lines[entry]!.replace(`${GATE_HOOKS_DIR}/pre-commit`, `${GATE_HOOKS_DIR}/pre-commit ${AFTER_LINT_STAGED}`);
    return lines.join('\n');
  }
  if (!text.includes('agent_gates_uses_lint_staged')) return text;
  for (const i of userLs) lines[i] = `# ${lines[i]}   ${LINE_MARK}: the agent-gates lines below run lint-staged once, before the gates`;
  return lines.join('\n');
}

function chainedWrapper(hook: string): string {
  const stdin = STDIN_HOOKS.has(hook);
  return [
    '#!/bin/sh',
    CHAIN_MARK,
    `# Written by \`gate init\`: runs the ${hook} hook that was here (kept as ${hook}${CHAINED_SUFFIX}), then the`,
    `# agent-gates hook (${GATE_HOOKS_DIR}/${hook}). \`gate uninstall\` removes this file and puts the original back.`,
    `ag_chained="$(dirname "$0")/${hook}${CHAINED_SUFFIX}"`,
    ...(stdin
      ? [
          'ag_in=$(cat; printf x); ag_in=${ag_in%x}',
          `if [ -x "$ag_chained" ]; then printf '%s' "$ag_in" | "$ag_chained" "$@" || exit $?; fi`,
          `printf '%s' "$ag_in" | sh ${GATE_HOOKS_DIR}/${hook} "$@"`,
        ]
      : [
          // a chained pre-commit that runs lint-staged: the gate runs after it, without running it again
          `ag_after=""`,
          ...(hook === 'pre-commit' ? [`if [ -f "$ag_chained" ] && grep -Eq '(^|[[:space:]/])lint-staged([[:space:]]|$)' "$ag_chained" 2>/dev/null; then ag_after=${AFTER_LINT_STAGED}; fi`] : []),
          `if [ -x "$ag_chained" ]; then "$ag_chained" "$@" || exit $?; fi`,
          `exec sh ${GATE_HOOKS_DIR}/${hook} $ag_after "$@"`,
        ]),
    '',
  ].join('\n');
}

/** Plain hooks directory: a wrapper per hook, chaining to the hook that was there. */
function installChained(setup: HookSetup, hooks: readonly string[], files: FileReport[], actions: string[]): void {
  const dir = setup.hooksDir;
  for (const hook of hooks) {
    const p = join(dir, hook);
    const label = rel(setup.root, p);
    const want = chainedWrapper(hook);
    const cur = safeRead(p);
    if (cur === want) {
      files.push({ path: label, status: 'already present' });
      continue;
    }
    if (cur !== undefined && !cur.includes(CHAIN_MARK)) {
      if (existsSync(p + CHAINED_SUFFIX)) {
        files.push({ path: label, status: 'skipped', note: `both ${hook} and ${hook}${CHAINED_SUFFIX} exist`, fix: `merge or remove ${label}${CHAINED_SUFFIX}, then run: gate init --hooks git` });
        continue;
      }
      moveFile(p, p + CHAINED_SUFFIX);
      actions.push(`kept your ${hook} hook as ${label}${CHAINED_SUFFIX}; it runs first`);
    }
    writeFileAtomic(p, want, 0o755);
    files.push({ path: label, status: cur === undefined ? 'created' : 'updated', ...(cur !== undefined && !cur.includes(CHAIN_MARK) ? { note: `chains to your hook (${hook}${CHAINED_SUFFIX})` } : {}) });
  }
}

// ---------------------------------------------------------------- uninstalling

export interface UninstallHooksReport {
  worktree: string;
  files: FileReport[];
  actions: string[];
  next: string[];
}

/**
 * Remove what `installGateHooks` wrote, in every idiom (whatever manager is in use now), and put
 * back what it moved: scripts equal to a shipped template are deleted, lines and entries gate
 * added are removed, chained hooks are restored, a core.hooksPath of gate's own is unset. A file a
 * person changed is left in place and named.
 */
export function uninstallGateHooks(worktreeRoot: string, hooks: readonly string[]): UninstallHooksReport {
  const setup = detectHookSetup(worktreeRoot);
  const { root } = setup;
  const files: FileReport[] = [];
  const actions: string[] = [];
  const next: string[] = [];
  const husky = huskyInfo(root, setup.commonDir);
  const removeFile = (relPath: string, hook: string, what: string) => {
    const p = join(root, relPath);
    const cur = safeRead(p);
    if (cur === undefined) return;
    if (cur === hookTemplate(hook) || isEarlierTemplate(hook, cur)) {
      rmSync(p, { force: true });
      files.push({ path: relPath, status: 'removed' as FileStatus, note: what });
      return;
    }
    if (cur.includes(LINE_MARK)) {
      const kept = cur
        .split('\n')
        .filter((l) => !(l.includes(LINE_MARK) && runsGateEntry(l, hook)))
        .map((l) => (l.includes(LINE_MARK) && l.trimStart().startsWith('# ') ? l.replace(/^(\s*)# /, '$1').replace(new RegExp(`\\s+${LINE_MARK.replace(/[()]/g, '\\$&')}.*$`), '') : l))
        .join('\n');
      writeFileAtomic(p, kept, 0o755);
      files.push({ path: relPath, status: 'updated', note: 'removed the line gate added' });
      return;
    }
    if (callsGate(cur, hook)) files.push({ path: relPath, status: 'skipped', note: 'changed by hand and calls gate: left as is', fix: `remove the agent-gates lines from ${relPath}` });
  };
  for (const hook of hooks) removeFile(`${HUSKY_DIR}/${hook}`, hook, 'the agent-gates hook script');
  // config-file managers: their entries, then their own install so .git/hooks follows
  const lh = removeFromLefthook(root, hooks);
  if (lh) files.push({ path: lh.path, status: lh.status, ...(lh.note ? { note: lh.note } : {}) });
  const pc = removeFromPreCommit(root, hooks);
  if (pc) files.push({ path: pc.path, status: pc.status, ...(pc.note ? { note: pc.note } : {}) });
  const sg = editSimpleGitHooks(root, hooks, 'remove');
  if (sg) files.push({ path: sg.path, status: sg.status, ...(sg.note ? { note: sg.note } : {}), ...(sg.fix ? { fix: sg.fix } : {}) });
  // chained wrappers, wherever git runs hooks from and in .git/hooks
  for (const dir of new Set([setup.hooksDir, setup.defaultHooksDir])) {
    for (const hook of hooks) {
      const p = join(dir, hook);
      const cur = safeRead(p);
      if (cur === undefined || !cur.includes(CHAIN_MARK)) continue;
      rmSync(p, { force: true });
      if (existsSync(p + CHAINED_SUFFIX)) {
        moveFile(p + CHAINED_SUFFIX, p);
        files.push({ path: rel(root, p), status: 'restored' as FileStatus, note: `your ${hook} hook, as it was before gate init` });
      } else files.push({ path: rel(root, p), status: 'removed' as FileStatus, note: 'the agent-gates wrapper' });
    }
  }
  // hooks the config-file managers installed for gate's hooks only now run nothing of ours; re-sync them
  const syncSetup = { ...setup };
  if (pc && onPath('pre-commit')) {
    for (const hook of hooks) {
      if (pc.hookTypes.includes(hook) || hook === 'pre-commit') continue;
      const p = join(setup.defaultHooksDir, hook);
      if (generatorOf(safeRead(p) ?? '') !== 'pre-commit') continue;
      const r = spawnIn(root, onPath('pre-commit')!, ['uninstall', '--hook-type', hook]);
      if (r.ok) actions.push(`ran pre-commit uninstall --hook-type ${hook}`);
    }
  }
  if (sg && sg.status === 'updated') activateManager(syncSetup, 'simple-git-hooks', next, actions);
  if (lh) {
    // lefthook leaves a hook file whose config section is gone: remove those it wrote for gate's hooks only
    const r = readLefthook(root);
    for (const hook of hooks) {
      const p = join(setup.defaultHooksDir, hook);
      if (generatorOf(safeRead(p) ?? '') === 'lefthook' && r && !lefthookHook(r.doc, hook).present) {
        rmSync(p, { force: true });
        actions.push(`removed ${rel(root, p)} (lefthook's, for the agent-gates command only)`);
      }
    }
  }
  // the committed scripts every manager's entry ran
  for (const hook of hooks) removeFile(`${GATE_HOOKS_DIR}/${hook}`, hook, 'the agent-gates hook script');
  try {
    if (readdirSync(join(root, GATE_HOOKS_DIR)).length === 0) rmSync(join(root, GATE_HOOKS_DIR), { recursive: true });
  } catch {
    /* absent */
  }
  // core.hooksPath gate set for direct mode; husky's own (.husky/_) stays with husky
  const hp = setup.hooksPath?.replace(/\/$/, '');
  if (hp === HUSKY_DIR || (hp === `${HUSKY_DIR}/_` && !husky.declared && !husky.bin)) {
    unsetGitConfig(root, 'core.hooksPath');
    actions.push(`unset core.hooksPath (was ${setup.hooksPath}): git runs the hooks in ${rel(root, setup.defaultHooksDir)} again`);
  }
  return { worktree: root, files, actions, next };
}

export interface HookHealth {
  hook: InstalledHook;
  ok: boolean;
  /** The file git runs (after core.hooksPath). */
  gitRuns: string;
  /** Who wrote that file (husky's wrapper, lefthook, pre-commit, simple-git-hooks, gate's chain wrapper, a person). */
  runner?: HookGenerator;
  /** The script with the gate call (differs from gitRuns under husky and the managers). */
  script?: string;
  problems: string[];
  warnings: string[];
  /** pre-commit: how often one commit runs lint-staged on this path (the project's lines + the agent-gates script). */
  lintStaged?: { runs: number };
}

const HUSKY_WRAPPER = /^\.\s+"\$\(dirname\s+(?:--\s+)?"\$0"\)\/h"$/;

/** Inspect whether git will run gate's hooks in a worktree, whatever manager runs them. Never modifies anything. */
export function inspectHooks(worktreeRoot: string, commonDir: string, hooks: readonly string[] = HOOKS): { hooksDir: string; hooks: HookHealth[]; gateBin?: string } {
  const git = new Git(worktreeRoot);
  const hooksDir = git.gitPath('hooks');
  const lsConfigured = lintStagedInfo(worktreeRoot, commonDir).configured;
  const out: HookHealth[] = [];
  for (const hook of hooks) {
    const gitRuns = join(hooksDir, hook);
    const problems: string[] = [];
    const warnings: string[] = [];
    let script: string | undefined;
    let runner: HookGenerator | undefined;
    let lsRuns = 0;
    const text = safeRead(gitRuns);
    if (text === undefined) {
      problems.push(
        hooksDir.endsWith(`${HUSKY_DIR}/_`) || hooksDir.endsWith(`${HUSKY_DIR}/_/`)
          ? `${rel(worktreeRoot, gitRuns)} is missing: husky was never installed in this worktree (.husky/_ is not committed), so git runs no ${hook} hook here`
          : `${rel(worktreeRoot, gitRuns)} is missing, so git runs no ${hook} hook here`,
      );
    } else {
      if (!isExecutable(gitRuns)) problems.push(`${rel(worktreeRoot, gitRuns)} is not executable, so git ignores it`);
      runner = generatorOf(text);
      const viaEntry = (entries: string[], others: string[], where: string) => {
        const entry = entries[0];
        lsRuns += others.filter((c) => runsLintStaged(c)).length;
        if (entry === undefined) {
          problems.push(`${where} has no agent-gates entry for ${hook}: ${runner} runs ${hook} without the gates`);
          return;
        }
        script = join(worktreeRoot, GATE_HOOKS_DIR, hook);
        const s = checkGateScript(worktreeRoot, hook, problems);
        if (s && hook === 'pre-commit' && lsConfigured && s.includes('agent_gates_uses_lint_staged') && !entry.includes(AFTER_LINT_STAGED)) lsRuns++;
      };
      if (runner === 'husky') {
        if (!existsSync(join(hooksDir, 'h')) && codeLines(text).some((l) => HUSKY_WRAPPER.test(l))) problems.push(`${rel(worktreeRoot, join(hooksDir, 'h'))} (husky's runner) is missing`);
        script = join(dirname(hooksDir), hook);
        const s = safeRead(script);
        if (s === undefined) problems.push(`${rel(worktreeRoot, script)} is missing: husky silently skips the ${hook} hook`);
        else lsRuns += checkScript(s, hook, rel(worktreeRoot, script), worktreeRoot, lsConfigured, problems);
      } else if (runner === 'lefthook') {
        const cfg = readLefthook(worktreeRoot);
        if (!cfg) problems.push(`${rel(worktreeRoot, gitRuns)} runs lefthook, but no lefthook config is in ${worktreeRoot}`);
        else {
          const v = lefthookHook(cfg.doc, hook);
          const entryRun = v.ours ? String((cfg.doc.getIn([hook, 'commands', v.ours]) as { get?: (k: string) => unknown } | undefined)?.get?.('run') ?? gateEntry(hook)) : undefined;
          viaEntry(entryRun ? [entryRun] : [], v.runs, cfg.path);
          if (v.parallel && hook === 'pre-commit' && v.ours) warnings.push(`${cfg.path} runs pre-commit's commands in parallel: a formatter that restages (stage_fixed) may finish after the gates read the index; set parallel: false (the gates' command sorts last)`);
        }
      } else if (runner === 'pre-commit') {
        const doc = readPreCommitConfig(worktreeRoot);
        if (!doc) problems.push(`${rel(worktreeRoot, gitRuns)} runs pre-commit, but ${PRE_COMMIT_CONFIG} is missing`);
        else {
          const v = preCommitStage(doc, hook);
          viaEntry(v.ours ? [preCommitEntry(doc, hook)] : [], v.entries, PRE_COMMIT_CONFIG);
        }
      } else if (runner === 'agent-gates') {
        const chained = safeRead(gitRuns + CHAINED_SUFFIX);
        const chainedLs = chained !== undefined && codeLines(chained).some((l) => runsLintStaged(l));
        viaEntry([`${gateEntry(hook)}${chainedLs ? ` ${AFTER_LINT_STAGED}` : ''}`], chained === undefined ? [] : codeLines(chained), `${rel(worktreeRoot, gitRuns)}`);
      } else {
        script = gitRuns;
        lsRuns += checkScript(text, hook, rel(worktreeRoot, gitRuns), worktreeRoot, lsConfigured, problems);
      }
    }
    out.push({ hook, ok: problems.length === 0, gitRuns, ...(runner ? { runner } : {}), ...(script ? { script } : {}), problems, warnings, ...(hook === 'pre-commit' ? { lintStaged: { runs: lsRuns } } : {}) });
  }
  const gateBin = findBin(worktreeRoot, commonDir, 'gate');
  return { hooksDir, hooks: out, ...(gateBin ? { gateBin } : {}) };
}

function preCommitEntry(doc: ReturnType<typeof readPreCommitConfig> & object, hook: string): string {
  const repos = doc.toJS() as { repos?: Array<{ hooks?: Array<{ id?: string; entry?: string }> }> };
  for (const r of repos.repos ?? []) for (const h of r.hooks ?? []) if (h.id === `agent-gates-${hook}` || (h.entry && runsGateEntry(h.entry, hook))) return h.entry ?? gateEntry(hook);
  return gateEntry(hook);
}

/** `.agents/hooks/<hook>` exists and calls gate; its text (undefined when it does not). */
function checkGateScript(root: string, hook: string, problems: string[]): string | undefined {
  const relPath = `${GATE_HOOKS_DIR}/${hook}`;
  const s = safeRead(join(root, relPath));
  if (s === undefined) {
    problems.push(`${relPath} is missing: the ${hook} entry runs a script that is not there, so every ${hook} fails`);
    return undefined;
  }
  if (!new RegExp(`check\\s+--hook[= ]${hook}(\\s|$|;|\\|)`).test(codeLines(s).join('\n'))) problems.push(`${relPath} does not run \`gate check --hook ${hook}\`, so the gates do not run on ${hook}`);
  return s;
}

/** Checks a hook script; returns how many times it runs lint-staged (its own lines, plus the agent-gates lines'). */
function checkScript(text: string, hook: InstalledHook, label: string, root: string, lsConfigured: boolean, problems: string[]): number {
  const code = codeLines(text);
  const userLs = code.map((l, i) => (runsLintStaged(l) ? i : -1)).filter((i) => i >= 0);
  if (!callsGate(text, hook)) {
    problems.push(`${label} does not run \`gate check --hook ${hook}\`, so the gates do not run on ${hook}`);
    return userLs.length;
  }
  if (code.some((l) => /\bnpx\b[^#]*\b(gate|agent-gates)\b/.test(l))) {
    problems.push(`${label} calls gate through npx, which can resolve or download another package; hooks must call the installed binary`);
  }
  let runs = userLs.length;
  const entryAt = code.findIndex((l) => l.includes(`${GATE_HOOKS_DIR}/${hook}`));
  if (entryAt >= 0) {
    const s = checkGateScript(root, hook, problems);
    if (hook === 'pre-commit' && lsConfigured && s?.includes('agent_gates_uses_lint_staged') && !code[entryAt]!.includes(AFTER_LINT_STAGED)) runs++;
  } else if (hook === 'pre-commit' && lsConfigured && text.includes('agent_gates_uses_lint_staged')) runs++;
  if (hook === 'pre-commit') {
    const gateAt = code.findIndex((l) => /check\s+--hook[= ]pre-commit/.test(l) || l.includes(`${GATE_HOOKS_DIR}/pre-commit`));
    if (userLs.some((i) => i > gateAt)) problems.push(`${label} runs lint-staged after gate: gate must check the final index, after lint-staged restages its changes`);
  }
  return runs;
}

function rel(root: string, p: string): string {
  const r = relative(root, p);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
}
