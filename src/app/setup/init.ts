/**
 * `gate init`: scaffold agent-gates into the current repository, idempotently. Never overwrites
 * a user's file without `force`; reports what happened to each file.
 */
import { join, resolve } from 'node:path';
import { GateError } from '../../kernel/errors.js';
import { CONFIG_PATH } from '../../adapters/config-file.js';
import { NOTES_REF } from '../../adapters/git.js';
import { exists, listDir, readText, writeFileAtomic } from '../../adapters/files.js';
import { VERSION } from '../../kernel/version.js';
import type { Ctx } from '../context.js';
import { HOOK_MANAGERS, huskyInfo, installGateHooks, lintStagedInfo, readPackageJson, type FileReport, type HookManager, type InstallHooksReport, type InstallOptions } from '../../adapters/hook-managers.js';
import { GIT_HOOKS } from '../hooks/registry.js';
import { packageRoot, readTemplate } from '../../adapters/package-files.js';
import { SIDECAR_IGNORE } from '../../kernel/paths.js';
import { ignoreBlock } from '../../adapters/scaffold-files.js';
import { agentRuntimes, installAgents } from '../agents/install.js';

/** Make gate's git hooks (GIT_HOOKS) run in one worktree, in the idiom of the hook manager in use. */
export function installHooks(worktreeRoot: string, opts: InstallOptions = {}): InstallHooksReport {
  return installGateHooks(worktreeRoot, GIT_HOOKS, opts);
}

/** `--hooks <manager>`: checked here so a typo is a usage error, not a detection. */
export function parseManager(name: string | undefined): HookManager | undefined {
  if (name === undefined) return undefined;
  if ((HOOK_MANAGERS as readonly string[]).includes(name)) return name as HookManager;
  throw new GateError('USAGE', `--hooks takes ${HOOK_MANAGERS.join(', ')}, not "${name}".`, { fix: 'gate init --hooks lefthook   (or leave it out: gate init detects the manager in use)' });
}

export interface InitOptions {
  force?: boolean;
  /** Only make the hooks active (in `worktree`, default: the current one). */
  hooksOnly?: boolean;
  worktree?: string;
  /** The hook manager to install into (default: the one detected; see `gate doctor`). */
  hooks?: string;
  /** Also write a CI workflow that runs the range check without running the head's code. */
  ci?: string;
  /** Also configure agent runtimes: claude, cursor, gemini, codex, aider or all (src/app/agents/install.ts). */
  agent?: string;
}

/** Where `gate init --ci <host>` writes each host's workflow, and what the host must enforce. */
export const CI_TARGETS: Record<string, { template: string; path: string; host: string }> = {
  github: {
    template: 'github.yml',
    path: '.github/workflows/agent-gates.yml',
    host: 'make the "agent-gates / range-check" job a required status check of the protected branch (Settings > Branches or Rulesets); see docs/gate-c.md',
  },
  gitlab: {
    template: 'gitlab.yml',
    path: '.gitlab-ci.yml',
    host: 'make the job unchangeable by a merge request (pipeline execution policy, compliance pipeline, or a CI/CD configuration file in a protected project) and require pipelines to succeed; see docs/gate-c.md',
  },
};

export interface InitReport {
  root: string;
  files: FileReport[];
  hooks: InstallHooksReport;
  notesRewriteRef: 'configured' | 'already present' | 'skipped';
  lintStaged: { configured: boolean; installed: boolean };
  husky: { installed: boolean; declared: boolean };
  firstRun: boolean;
  recorded: boolean;
  next: string[];
}

function writeIfAbsent(root: string, rel: string, content: string, force: boolean, mode?: number): FileReport {
  const p = join(root, rel);
  if (!exists(p)) {
    writeFileAtomic(p, content, mode);
    return { path: rel, status: 'created' };
  }
  const cur = readText(p);
  if (cur === content) return { path: rel, status: 'already present' };
  if (force) {
    writeFileAtomic(p, content, mode);
    return { path: rel, status: 'overwritten' };
  }
  return { path: rel, status: 'skipped', note: 'it exists and differs from the template; kept as is', fix: `compare with the template, or replace it: gate init --force` };
}

/** Resolve --worktree to one of this clone's worktrees. */
function resolveWorktree(ctx: Ctx, path: string): string {
  const want = resolve(path);
  const wts = ctx.git.worktrees().filter((w) => !w.bare);
  const hit = wts.find((w) => resolve(w.path) === want);
  if (!hit) {
    throw new GateError('USAGE', `${path} is not a worktree of this repository.`, {
      details: wts.map((w) => `worktree: ${w.path}`),
      fix: 'pass one of the worktrees listed above (see `git worktree list`)',
    });
  }
  return hit.path;
}

export async function runInit(ctx: Ctx, opts: InitOptions = {}): Promise<InitReport | { hooks: InstallHooksReport; hooksOnly: true }> {
  const force = Boolean(opts.force);
  const manager = parseManager(opts.hooks);
  const hookOpts: InstallOptions = { force, ...(manager ? { manager } : {}) };
  if (opts.hooksOnly) {
    const wt = opts.worktree ? resolveWorktree(ctx, opts.worktree) : ctx.paths.root;
    return { hooks: installHooks(wt, hookOpts), hooksOnly: true };
  }
  if (opts.worktree) throw new GateError('USAGE', '--worktree only applies with --hooks-only.', { fix: 'gate init --hooks-only --worktree <path>' });
  const ci = opts.ci === undefined ? undefined : CI_TARGETS[opts.ci];
  if (opts.ci !== undefined && !ci) {
    throw new GateError('USAGE', `--ci takes ${Object.keys(CI_TARGETS).join(' or ')}, not "${opts.ci}".`, { fix: 'gate init --ci github' });
  }
  const agents = opts.agent === undefined ? [] : agentRuntimes(opts.agent);

  const root = ctx.paths.root;
  const files: FileReport[] = [];
  const next: string[] = [];
  const firstRun = !exists(join(ctx.stateDir, 'initialised'));

  // 1. configuration
  files.push(writeIfAbsent(root, CONFIG_PATH, readTemplate('templates', 'gates.yaml'), force));

  // 2. the sidecar directory is never committed
  files.push(ensureIgnored(ctx, root));

  // 3. agent-facing rules
  const rulesDir = join(packageRoot(), 'rules');
  for (const f of listDir(rulesDir).filter((n) => /^gate-.*\.md$/.test(n)).sort()) {
    files.push(writeIfAbsent(root, `rules/${f}`, readText(join(rulesDir, f)), force));
  }

  // 4. hooks (+ husky), and package.json's prepare script
  const husky = huskyInfo(root, ctx.paths.commonDir);
  const pkg = readPackageJson(root);
  const hooks = installHooks(root, hookOpts);
  if (pkg && hooks.manager === 'husky' && (husky.bin || husky.declared)) files.push(ensurePrepare(root, pkg));
  files.push(...hooks.files);
  next.push(...hooks.next);
  if (hooks.manager === 'husky' && husky.declared && !husky.bin) next.push('husky is in package.json but not installed: run `npm install` (its prepare script then takes over the hooks)');

  // 4b. the CI workflow (never runs the head's code before the verdict; templates/ci/)
  if (ci) {
    const f = writeIfAbsent(root, ci.path, readTemplate('templates', 'ci', ci.template), force);
    if (f.status === 'skipped') f.fix = `merge the job from ${join(packageRoot(), 'templates', 'ci', ci.template)} into ${ci.path}, or replace it: gate init --ci ${opts.ci} --force`;
    files.push(f);
    next.push(`CI host: ${ci.host}`);
  }

  // 4c. the agent runtimes' settings (merged, never clobbering the user's)
  if (agents.length) {
    const a = installAgents(root, agents);
    files.push(...a.files);
    next.push(...a.next);
  }

  // 5. notes survive rebase and amend
  let notesRewriteRef: InitReport['notesRewriteRef'] = 'already present';
  if (!ctx.git.configGetAll('notes.rewriteRef').includes(NOTES_REF)) {
    ctx.git.configAdd('notes.rewriteRef', NOTES_REF);
    notesRewriteRef = 'configured';
  }

  const ls = lintStagedInfo(root, ctx.paths.commonDir);
  if (ls.configured && !ls.bin) next.push('lint-staged is configured but not installed: run `npm install`; the pre-commit hook skips it until then');

  // 6. marker + ledger
  const changed = files.some((f) => f.status === 'created' || f.status === 'overwritten' || f.status === 'updated') || notesRewriteRef === 'configured' || hooks.actions.length > 0;
  if (firstRun) writeFileAtomic(join(ctx.stateDir, 'initialised'), `${JSON.stringify({ version: VERSION, at: ctx.now().toISOString() })}\n`);
  let recorded = false;
  if (firstRun || changed) {
    await ctx.record({
      event: 'init',
      actor: ctx.actor(),
      subject: { paths: files.filter((f) => f.status !== 'already present' && f.status !== 'skipped').map((f) => f.path) },
      data: { version: VERSION, firstRun, force, mode: hooks.mode, files: Object.fromEntries(files.map((f) => [f.path, f.status])), notesRewriteRef },
    });
    recorded = true;
  }
  for (const f of files) if (f.status === 'skipped' && f.fix) next.push(`${f.path}: ${f.fix}`);
  const toCommit = files.filter((f) => f.status === 'created' || f.status === 'overwritten' || f.status === 'updated').map((f) => f.path);
  if (toCommit.length) {
    // The scaffold holds the gate config, the hooks and the gate rules: self-reinforcing surfaces, so
    // committing it is itself a DOUBLE_CONFIRM change. Say so up front and give the whole sequence.
    next.push(`stage the scaffold: git add ${toCommit.map(shq).join(' ')}`);
    next.push(
      'explain it (the scaffold defines the ceremony, so it goes through Gate B like any later change to it): ' +
        'gate explain --intent "Install agent-gates: gate config, agent rules and hooks" ' +
        '--alternative "hooks without approvals (husky + lint-staged alone)" ' +
        '--blast-radius "every commit in this repository runs the gates" ' +
        '--reversibility "easy: gate uninstall removes the hooks" ' +
        '--rollback "git revert the commit; gate uninstall"',
    );
    next.push('approve it, as a person at a terminal (two steps: intent, then the diff): gate approve');
    next.push('commit: git commit -m "chore: add agent-gates"');
  }
  next.push('check the installation: gate doctor');

  return {
    root,
    files,
    hooks,
    notesRewriteRef,
    lintStaged: { configured: ls.configured, installed: Boolean(ls.bin) },
    husky: { installed: Boolean(husky.bin), declared: husky.declared },
    firstRun,
    recorded,
    next,
  };
}

function shq(s: string): string {
  return /^[\w./@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function ensureIgnored(ctx: Ctx, root: string): FileReport {
  if (ctx.git.isIgnored(`${SIDECAR_IGNORE}explain-0.yaml`)) return { path: '.gitignore', status: 'already present', note: `${SIDECAR_IGNORE} is ignored` };
  const p = join(root, '.gitignore');
  const cur = exists(p) ? readText(p) : undefined;
  const add = ignoreBlock(SIDECAR_IGNORE);
  if (cur === undefined) {
    writeFileAtomic(p, add);
    return { path: '.gitignore', status: 'created' };
  }
  writeFileAtomic(p, `${cur}${cur === '' || cur.endsWith('\n') ? '' : '\n'}${add}`);
  if (!ctx.git.isIgnored(`${SIDECAR_IGNORE}explain-0.yaml`)) {
    throw new GateError('CANNOT_EVALUATE', `added ${SIDECAR_IGNORE} to .gitignore, but git still does not ignore it (a later negation rule?).`, {
      fix: `remove the rule that re-includes ${SIDECAR_IGNORE} from your ignore files (git check-ignore -v ${SIDECAR_IGNORE}x)`,
    });
  }
  return { path: '.gitignore', status: 'updated', note: `added ${SIDECAR_IGNORE}` };
}

function ensurePrepare(root: string, pkg: Record<string, any>): FileReport {
  const prepare = pkg.scripts?.prepare as string | undefined;
  if (typeof prepare === 'string' && /\bhusky\b/.test(prepare)) return { path: 'package.json', status: 'already present', note: 'scripts.prepare runs husky' };
  if (prepare !== undefined) {
    return {
      path: 'package.json',
      status: 'skipped',
      note: `scripts.prepare ("${prepare}") does not run husky, so a fresh clone's \`npm install\` will not activate the hooks`,
      fix: `append husky to it: npm pkg set scripts.prepare="${prepare} && husky"`,
    };
  }
  const p = join(root, 'package.json');
  const raw = readText(p);
  const indent = /^[ \t]+(?=")/m.exec(raw)?.[0] ?? '  ';
  pkg.scripts = { ...(pkg.scripts ?? {}), prepare: 'husky' };
  writeFileAtomic(p, `${JSON.stringify(pkg, null, indent)}\n`);
  return { path: 'package.json', status: 'updated', note: 'added "prepare": "husky" (a fresh clone\'s `npm install` activates the hooks)' };
}
