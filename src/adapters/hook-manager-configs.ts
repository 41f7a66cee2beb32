/**
 * The hook managers that keep their hooks in a config file and install them into .git/hooks:
 * lefthook (lefthook.yml), pre-commit (the Python framework, .pre-commit-config.yaml) and
 * simple-git-hooks (package.json or .simple-git-hooks.json). For each, gate adds one entry per
 * git hook in the manager's own idiom, running the committed script `.agents/hooks/<hook>`; never
 * touches the user's entries (commit-msg and the rest run as before); and removes exactly its own
 * entries on `gate uninstall`. YAML is edited as a document, so comments and order survive.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import { GateError } from '../kernel/errors.js';
import { writeFileAtomic } from './files.js';

/** Where gate keeps the hook scripts every manager's entry runs (committed; a gate-control surface). */
export const GATE_HOOKS_DIR = '.agents/hooks';
/** Hooks git feeds on stdin: an entry must pass stdin through. */
export const STDIN_HOOKS: ReadonlySet<string> = new Set(['pre-push', 'post-rewrite']);
/** Hooks git passes arguments to: an entry must pass them through. */
export const ARG_HOOKS: ReadonlySet<string> = new Set(['pre-push', 'post-rewrite', 'commit-msg', 'prepare-commit-msg', 'post-checkout', 'post-merge', 'pre-rebase']);
/** The option the pre-commit script takes when the manager already ran lint-staged before it. */
export const AFTER_LINT_STAGED = '--after-lint-staged';

/** The shell command an entry runs for `hook` (`args` is the manager's spelling of "the hook's arguments"). */
export function gateEntry(hook: string, opts: { afterLintStaged?: boolean; args?: string } = {}): string {
  const extra = hook === 'pre-commit' && opts.afterLintStaged ? ` ${AFTER_LINT_STAGED}` : ARG_HOOKS.has(hook) && opts.args ? ` ${opts.args}` : '';
  return `sh ${GATE_HOOKS_DIR}/${hook}${extra}`;
}

/** Whether a command runs our entry for `hook` (or calls `gate check --hook <hook>` itself). */
export function runsGateEntry(cmd: string, hook: string): boolean {
  return new RegExp(`(^|[\\s/'"])\\.?/?${GATE_HOOKS_DIR.replace(/\./g, '\\.').replace(/\//g, '\\/')}\\/${hook}(\\s|$|'|"|;|&|\\|)`).test(cmd) || new RegExp(`check\\s+--hook[= ]${hook}(\\s|$|;|\\||&)`).test(cmd);
}

/** A command that runs lint-staged itself (`npx lint-staged`, `pnpm exec lint-staged`, ...). */
export function runsLintStaged(cmd: string): boolean {
  if (/^\s*(echo|printf)\b/.test(cmd) || /agent_gates|\bag_/.test(cmd)) return false; // messages and gate's own lines
  return /(^|&&|;|\|\||\s)(?:(?:npx|bunx|pnpx)(?:\s+--\S+)*\s+|(?:pnpm|yarn|npm)\s+(?:exec\s+|run\s+)?|\.\/node_modules\/\.bin\/)?lint-staged(\s|$|;|&)/.test(cmd.replace(/#.*$/, ''));
}

export interface ConfigEdit {
  /** The file edited, relative to the root. */
  path: string;
  status: 'created' | 'updated' | 'already present' | 'skipped';
  note?: string;
  fix?: string;
  /** Hooks whose entry runs after lint-staged (so the script skips it). */
  afterLintStaged?: boolean;
}

// ---------------------------------------------------------------- lefthook

export const LEFTHOOK_CONFIGS = ['lefthook.yml', '.lefthook.yml', 'lefthook.yaml', '.lefthook.yaml', '.config/lefthook.yml', '.config/lefthook.yaml'];
/**
 * The command's name. lefthook runs a hook's commands (sequentially unless `parallel: true`) in
 * name order, so the gates, which must read the final index after formatters that restage
 * (`stage_fixed: true`), take a name that sorts last.
 */
export const LEFTHOOK_COMMAND = 'zz-agent-gates';

export function lefthookConfigPath(root: string): string | undefined {
  return LEFTHOOK_CONFIGS.find((f) => existsSync(join(root, f)));
}

function loadYaml(root: string, rel: string, text: string): Document {
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length) {
    throw new GateError('CANNOT_EVALUATE', `${rel} is not valid YAML (${doc.errors[0]!.message.split('\n')[0]}), so gate cannot add its hooks to it.`, {
      fix: `fix ${join(root, rel)}, then run the command again`,
    });
  }
  return doc;
}

function asMap(doc: Document, path: readonly (string | number)[]): YAMLMap | undefined {
  const n = doc.getIn(path, true);
  return isMap(n) ? n : undefined;
}

/** lefthook's view of one hook in its config: our command, the others' run lines, parallel. */
export function lefthookHook(doc: Document, hook: string): { ours?: string; runs: string[]; parallel: boolean; present: boolean } {
  const h = asMap(doc, [hook]);
  if (!h) return { runs: [], parallel: false, present: false };
  const runs: string[] = [];
  let ours: string | undefined;
  const cmds = h.get('commands', true);
  if (isMap(cmds)) {
    for (const it of cmds.items) {
      const name = String((it.key as { value?: unknown })?.value ?? it.key);
      const run = isMap(it.value) ? String(it.value.get('run') ?? '') : '';
      if (runsGateEntry(run, hook)) ours = name;
      else runs.push(run);
    }
  }
  const jobs = h.get('jobs', true);
  if (isSeq(jobs)) {
    for (const j of jobs.items) {
      const run = isMap(j) ? String(j.get('run') ?? '') : '';
      if (runsGateEntry(run, hook)) ours = isMap(j) ? String(j.get('name') ?? 'job') : 'job';
      else runs.push(run);
    }
  }
  return { ...(ours ? { ours } : {}), runs, parallel: h.get('parallel') === true, present: true };
}

export function readLefthook(root: string): { path: string; doc: Document } | undefined {
  const rel = lefthookConfigPath(root);
  if (!rel) return undefined;
  const text = readText(join(root, rel));
  return { path: rel, doc: loadYaml(root, rel, text) };
}

export function addToLefthook(root: string, hooks: readonly string[]): ConfigEdit {
  const rel = lefthookConfigPath(root) ?? 'lefthook.yml';
  const p = join(root, rel);
  const existed = existsSync(p);
  const doc = loadYaml(root, rel, existed ? readText(p) : '');
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as never;
  let changed = false;
  let after = false;
  for (const hook of hooks) {
    const cur = lefthookHook(doc, hook);
    const afterLs = hook === 'pre-commit' && cur.runs.some(runsLintStaged);
    after ||= afterLs;
    const want: Record<string, unknown> = { run: gateEntry(hook, { afterLintStaged: afterLs, args: '{0}' }) };
    if (STDIN_HOOKS.has(hook)) want.use_stdin = true;
    const name = cur.ours ?? LEFTHOOK_COMMAND;
    const existing = doc.getIn([hook, 'commands', name]);
    const same = isMap(existing) && existing.get('run') === want.run && (!want.use_stdin || existing.get('use_stdin') === true);
    if (same) continue;
    if (cur.ours && isSeq(doc.getIn([hook, 'jobs'], true))) continue; // a job the user placed: leave it where it is
    if (!cur.present) doc.setIn([hook], doc.createNode({ commands: {} }));
    if (!isMap(doc.getIn([hook, 'commands'], true))) doc.setIn([hook, 'commands'], doc.createNode({}));
    doc.setIn([hook, 'commands', name], doc.createNode(want));
    changed = true;
  }
  if (!changed) return { path: rel, status: 'already present', note: `runs ${GATE_HOOKS_DIR}/<hook> for ${hooks.join(', ')}`, afterLintStaged: after };
  writeFileAtomic(p, doc.toString());
  return { path: rel, status: existed ? 'updated' : 'created', note: `added command "${LEFTHOOK_COMMAND}" to ${hooks.join(', ')} (your commands are untouched)`, afterLintStaged: after };
}

export function removeFromLefthook(root: string, hooks: readonly string[]): ConfigEdit | undefined {
  const r = readLefthook(root);
  if (!r) return undefined;
  let changed = false;
  for (const hook of hooks) {
    const cur = lefthookHook(r.doc, hook);
    if (!cur.ours) continue;
    if (r.doc.hasIn([hook, 'commands', cur.ours])) r.doc.deleteIn([hook, 'commands', cur.ours]);
    else {
      const jobs = r.doc.getIn([hook, 'jobs'], true) as YAMLSeq | undefined;
      if (jobs) jobs.items = jobs.items.filter((j) => !(isMap(j) && runsGateEntry(String(j.get('run') ?? ''), hook)));
    }
    const cmds = r.doc.getIn([hook, 'commands'], true);
    if (isMap(cmds) && cmds.items.length === 0) r.doc.deleteIn([hook, 'commands']);
    const h = r.doc.getIn([hook], true);
    if (isMap(h) && h.items.length === 0) r.doc.deleteIn([hook]);
    changed = true;
  }
  if (!changed) return undefined;
  writeFileAtomic(join(root, r.path), r.doc.toString());
  return { path: r.path, status: 'updated', note: `removed the agent-gates command from ${hooks.join(', ')}` };
}

// ---------------------------------------------------------------- pre-commit (the framework)

export const PRE_COMMIT_CONFIG = '.pre-commit-config.yaml';
const ENTRY_ID = (hook: string) => `agent-gates-${hook}`;
/** pre-commit < 3.2 spells some stages differently (commit, merge-commit, push). */
const OLD_STAGE: Record<string, string> = { 'pre-commit': 'commit', 'pre-merge-commit': 'merge-commit', 'pre-push': 'push' };

export function stageNames(hook: string): string[] {
  return OLD_STAGE[hook] ? [hook, OLD_STAGE[hook]!] : [hook];
}

export interface PreCommitHookView {
  ours: boolean;
  /** entries of other hooks that run at this stage */
  entries: string[];
}

/** The hooks of `.pre-commit-config.yaml` that run at `hook`'s stage. */
export function preCommitStage(doc: Document, hook: string): PreCommitHookView {
  const names = stageNames(hook);
  const defaults = doc.get('default_stages');
  const defaultStages = isSeq(defaults) ? defaults.items.map((i) => String((i as { value?: unknown }).value ?? i)) : undefined;
  const entries: string[] = [];
  let ours = false;
  const repos = doc.get('repos', true);
  for (const repo of isSeq(repos) ? repos.items : []) {
    if (!isMap(repo)) continue;
    const hooks = repo.get('hooks', true);
    for (const h of isSeq(hooks) ? hooks.items : []) {
      if (!isMap(h)) continue;
      const st = h.get('stages', true);
      const stages = isSeq(st) ? st.items.map((i) => String((i as { value?: unknown }).value ?? i)) : defaultStages;
      // without stages, a hook runs at every stage it was installed for that has files (pre-commit, pre-push, ...)
      const at = stages ? stages.some((s) => names.includes(s)) : hook === 'pre-commit';
      if (!at) continue;
      const entry = String(h.get('entry') ?? h.get('id') ?? '');
      if (String(h.get('id') ?? '') === ENTRY_ID(hook) || runsGateEntry(entry, hook)) ours = true;
      else entries.push(`${String(h.get('id') ?? '')} ${entry}`);
    }
  }
  return { ours, entries };
}

export function readPreCommitConfig(root: string): Document | undefined {
  const p = join(root, PRE_COMMIT_CONFIG);
  if (!existsSync(p)) return undefined;
  return loadYaml(root, PRE_COMMIT_CONFIG, readText(p));
}

/** Stage names the installed pre-commit understands (old spellings before 3.2). */
export function addToPreCommit(root: string, hooks: readonly string[], opts: { oldStageNames?: boolean; alsoInstalled?: readonly string[] }): ConfigEdit & { hookTypes: string[] } {
  const p = join(root, PRE_COMMIT_CONFIG);
  const existed = existsSync(p);
  const doc = loadYaml(root, PRE_COMMIT_CONFIG, existed ? readText(p) : 'repos: []\n');
  if (!isMap(doc.contents)) doc.contents = doc.createNode({ repos: [] }) as never;
  if (!isSeq(doc.get('repos', true))) doc.set('repos', doc.createNode([]));
  const repos = doc.get('repos', true) as YAMLSeq;
  let local = repos.items.find((r) => isMap(r) && r.get('repo') === 'local' && isSeq(r.get('hooks', true)) && (r.get('hooks', true) as unknown as YAMLSeq).items.some((h) => isMap(h) && String(h.get('id') ?? '').startsWith('agent-gates-'))) as YAMLMap | undefined;
  let changed = false;
  let after = false;
  for (const hook of hooks) {
    const view = preCommitStage(doc, hook);
    const afterLs = hook === 'pre-commit' && view.entries.some(runsLintStaged);
    after ||= afterLs;
    const stage = opts.oldStageNames && OLD_STAGE[hook] ? OLD_STAGE[hook]! : hook;
    const want = {
      id: ENTRY_ID(hook),
      name: `agent-gates (${hook})`,
      entry: gateEntry(hook, { afterLintStaged: afterLs }),
      language: 'system',
      pass_filenames: false,
      always_run: true,
      stages: [stage],
    };
    if (!local) {
      // a repo of its own, last, so the gates run after every formatter of the other repos
      local = doc.createNode({ repo: 'local', hooks: [] }) as YAMLMap;
      repos.items.push(local);
    }
    const list = local.get('hooks', true) as unknown as YAMLSeq;
    const i = list.items.findIndex((h) => isMap(h) && h.get('id') === want.id);
    const cur = i >= 0 ? JSON.stringify((list.items[i] as YAMLMap).toJSON()) : undefined;
    if (cur === JSON.stringify(want)) continue;
    if (i >= 0) list.items[i] = doc.createNode(want);
    else list.items.push(doc.createNode(want));
    changed = true;
  }
  // pre-commit installs only default_install_hook_types (default: pre-commit) with a plain
  // `pre-commit install`: list ours there, keeping what was installed before (commit-msg, ...)
  const dit = doc.get('default_install_hook_types', true);
  const had = isSeq(dit) ? dit.items.map((i) => String((i as { value?: unknown }).value ?? i)) : ['pre-commit'];
  const hookTypes = [...new Set([...had, ...(opts.alsoInstalled ?? []), ...hooks])];
  if (!isSeq(dit) || hookTypes.length !== had.length) {
    doc.set('default_install_hook_types', doc.createNode(hookTypes, { flow: true }));
    changed = true;
  }
  if (!changed) return { path: PRE_COMMIT_CONFIG, status: 'already present', note: `a repo: local hook runs ${GATE_HOOKS_DIR}/<hook> for ${hooks.join(', ')}`, afterLintStaged: after, hookTypes };
  writeFileAtomic(p, doc.toString());
  return { path: PRE_COMMIT_CONFIG, status: existed ? 'updated' : 'created', note: `added a repo: local entry for ${hooks.join(', ')} (your hooks are untouched)`, afterLintStaged: after, hookTypes };
}

export function removeFromPreCommit(root: string, hooks: readonly string[]): (ConfigEdit & { hookTypes: string[] }) | undefined {
  const doc = readPreCommitConfig(root);
  if (!doc) return undefined;
  const repos = doc.get('repos', true);
  if (!isSeq(repos)) return undefined;
  let changed = false;
  for (const r of [...repos.items]) {
    if (!isMap(r) || r.get('repo') !== 'local') continue;
    const list = r.get('hooks', true);
    if (!isSeq(list)) continue;
    const before = list.items.length;
    list.items = list.items.filter((h) => !(isMap(h) && hooks.some((k) => h.get('id') === ENTRY_ID(k))));
    if (list.items.length !== before) changed = true;
    if (list.items.length === 0) repos.items.splice(repos.items.indexOf(r), 1);
  }
  // our hook types leave default_install_hook_types unless another hook still runs at that stage
  const dit = doc.get('default_install_hook_types', true);
  let hookTypes: string[] = [];
  if (isSeq(dit)) {
    const had = dit.items.map((i) => String((i as { value?: unknown }).value ?? i));
    hookTypes = had.filter((h) => h === 'pre-commit' || !hooks.includes(h) || preCommitStage(doc, h).entries.length > 0);
    if (hookTypes.length !== had.length) {
      changed = true;
      if (hookTypes.length === 1 && hookTypes[0] === 'pre-commit') doc.delete('default_install_hook_types');
      else doc.set('default_install_hook_types', doc.createNode(hookTypes, { flow: true }));
    }
  }
  if (!changed) return undefined;
  writeFileAtomic(join(root, PRE_COMMIT_CONFIG), doc.toString());
  return { path: PRE_COMMIT_CONFIG, status: 'updated', note: 'removed the agent-gates repo: local entries', hookTypes };
}

// ---------------------------------------------------------------- simple-git-hooks

const SGH_FILES = ['.simple-git-hooks.json', 'simple-git-hooks.json', '.simple-git-hooks.cjs', '.simple-git-hooks.js', '.simple-git-hooks.mjs', 'simple-git-hooks.cjs', 'simple-git-hooks.js', 'simple-git-hooks.mjs'];

/** Where simple-git-hooks' config lives: a JSON file, package.json's key, or a JS file (not editable). */
export function simpleGitHooksConfig(root: string): { path: string; json: boolean; config?: Record<string, unknown> } | undefined {
  for (const f of SGH_FILES) {
    const p = join(root, f);
    if (!existsSync(p)) continue;
    if (!f.endsWith('.json')) return { path: f, json: false };
    return { path: f, json: true, config: parseJsonObject(root, f, readText(p)) };
  }
  const pkgText = existsSync(join(root, 'package.json')) ? readText(join(root, 'package.json')) : undefined;
  if (pkgText === undefined) return undefined;
  const pkg = parseJsonObject(root, 'package.json', pkgText);
  const c = pkg['simple-git-hooks'];
  if (c && typeof c === 'object' && !Array.isArray(c)) return { path: 'package.json', json: true, config: c as Record<string, unknown> };
  return undefined;
}

export function editSimpleGitHooks(root: string, hooks: readonly string[], mode: 'add' | 'remove'): ConfigEdit | undefined {
  const where = simpleGitHooksConfig(root);
  if (!where) return undefined;
  if (!where.json) {
    const lines = hooks.map((h) => `"${h}": "${gateEntry(h, { args: '"$@"' }).replace(/"/g, '\\"')}"`).join(', ');
    return {
      path: where.path,
      status: 'skipped',
      note: `simple-git-hooks reads ${where.path}, a JavaScript file gate does not edit`,
      fix: mode === 'add' ? `add ${lines} to it (append \` && ${gateEntry('pre-commit', { afterLintStaged: true })}\` to an existing pre-commit command that runs lint-staged), then run ./node_modules/.bin/simple-git-hooks` : `remove the ${GATE_HOOKS_DIR}/ commands from it, then run ./node_modules/.bin/simple-git-hooks`,
    };
  }
  const p = join(root, where.path);
  const raw = readText(p);
  const whole = parseJsonObject(root, where.path, raw);
  const cfg = (where.path === 'package.json' ? whole['simple-git-hooks'] : whole) as Record<string, unknown>;
  let changed = false;
  let after = false;
  for (const hook of hooks) {
    const cur = typeof cfg[hook] === 'string' ? (cfg[hook] as string) : undefined;
    const parts = cur === undefined ? [] : cur.split(/\s*&&\s*/);
    const others = parts.filter((s) => !runsGateEntry(s, hook));
    if (mode === 'remove') {
      if (others.length === parts.length) continue;
      if (others.length) cfg[hook] = others.join(' && ');
      else delete cfg[hook];
      changed = true;
      continue;
    }
    const afterLs = hook === 'pre-commit' && others.some(runsLintStaged);
    after ||= afterLs;
    const want = [...others, gateEntry(hook, { afterLintStaged: afterLs, args: '"$@"' })].join(' && ');
    if (want === cur) continue;
    cfg[hook] = want;
    changed = true;
  }
  if (!changed) return mode === 'add' ? { path: where.path, status: 'already present', note: `simple-git-hooks runs ${GATE_HOOKS_DIR}/<hook> for ${hooks.join(', ')}`, afterLintStaged: after } : undefined;
  const indent = /^[ \t]+(?=")/m.exec(raw)?.[0] ?? '  ';
  writeFileAtomic(p, `${JSON.stringify(whole, null, indent)}\n`);
  return mode === 'add'
    ? { path: where.path, status: 'updated', note: `simple-git-hooks runs ${GATE_HOOKS_DIR}/<hook> for ${hooks.join(', ')}, after your commands`, afterLintStaged: after }
    : { path: where.path, status: 'updated', note: 'removed the agent-gates commands' };
}

// ---------------------------------------------------------------- shared

function readText(p: string): string {
  return readFileSync(p, 'utf8');
}

function parseJsonObject(root: string, rel: string, text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* below */
  }
  throw new GateError('CANNOT_EVALUATE', `${join(root, rel)} is not a JSON object, so gate cannot tell how hooks are installed here.`, { fix: `fix ${rel}, then run the command again` });
}

/** Whether any lefthook/pre-commit/simple-git-hooks config file is in the root (for detection). */
export function configFilesIn(root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  return names.filter((n) => LEFTHOOK_CONFIGS.includes(n) || n === PRE_COMMIT_CONFIG || SGH_FILES.includes(n));
}
