/**
 * `gate task start|finish|list`: worktree isolation for a task. start leases the task's progress
 * document, creates branch task/<id> and a worktree for it, and makes sure git really runs the
 * gate hooks there (husky's `.husky/_` is per worktree and ignored, so a new worktree has none
 * until it is regenerated). finish releases the task's leases and removes the worktree if clean.
 */
import { copyTree, exists } from '../../adapters/files.js';
import { runProgram } from '../../adapters/programs.js';
import { basename, isAbsolute, relative, resolve } from 'node:path';
import { GateError } from '../../kernel/errors.js';
import { Git } from '../../adapters/git.js';
import { LeaseStore } from '../../adapters/lease-store.js';
import { compileGlobs } from '../../kernel/glob.js';
import { shellQuote, type Holder } from '../../gates/leases.js';
import type { Ctx } from '../context.js';
import { acquire, ownerActor, release, resolveOwner, viewOf, type Granted, type LeaseView } from './lease.js';
import { findBin, inspectHooks, type HookHealth } from '../../adapters/hook-managers.js';

export const TASK_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function validateTaskId(id: string): string {
  if (!TASK_ID_RE.test(id) || id.includes('..') || id.endsWith('.lock') || id.endsWith('.')) {
    throw new GateError('USAGE', `"${id}" is not a usable task id: it names a branch (task/<id>) and a directory.`, {
      fix: 'use letters, digits, ".", "_" and "-" (start with a letter or digit, at most 64), e.g. gate task start 42-login-form',
    });
  }
  return id;
}

/** The main worktree (first in `git worktree list`), where relative task paths are anchored. */
function mainRoot(ctx: Ctx): string {
  const w = ctx.git.worktrees().find((x) => !x.bare);
  return w ? w.path : ctx.paths.root;
}

export interface TaskPaths {
  id: string;
  branch: string;
  worktree: string;
  progress: string;
}

export async function taskPaths(ctx: Ctx, id: string): Promise<TaskPaths> {
  validateTaskId(id);
  const { config } = await ctx.config();
  const root = mainRoot(ctx);
  const progress = config.handoff.task_progress.replaceAll('{id}', id);
  const worktree = resolve(root, config.handoff.task_worktree.replaceAll('{repo}', basename(root)).replaceAll('{id}', id));
  return { id, branch: `task/${id}`, worktree, progress };
}

/** Paths (repository-relative) with uncommitted changes in a worktree, untracked included. */
function dirtyPaths(git: Git): string[] {
  const out = git.run(['-c', 'core.quotePath=false', 'status', '--porcelain=v1', '-z', '--untracked-files=all']).toString('utf8').split('\0');
  const paths: string[] = [];
  for (let i = 0; i < out.length; i++) {
    const rec = out[i]!;
    if (rec.length < 4) continue;
    const xy = rec.slice(0, 2);
    paths.push(rec.slice(3));
    if (xy[0] === 'R' || xy[0] === 'C') {
      i += 1; // the original path follows
      if (out[i]) paths.push(out[i]!);
    }
  }
  return paths;
}

export interface WorktreeHooks {
  ok: boolean;
  hooksDir: string;
  /** What gate did to make them run. */
  actions: string[];
  hooks: HookHealth[];
  warning?: string;
}

const inside = (root: string, p: string) => {
  const r = relative(root, p);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
};

/**
 * Make every gate hook that works in the main worktree work in `newRoot` too: regenerate a
 * per-worktree hooks folder with husky when husky is used, else copy it; then verify.
 */
export function ensureWorktreeHooks(main: string, newRoot: string, commonDir: string): WorktreeHooks {
  const want = inspectHooks(main, commonDir).hooks.filter((h) => h.ok).map((h) => h.hook);
  let now = inspectHooks(newRoot, commonDir);
  const missing = () => now.hooks.filter((h) => want.includes(h.hook) && !h.ok);
  const actions: string[] = [];
  if (missing().length && inside(newRoot, now.hooksDir)) {
    const husky = /\.husky\/_\/?$/.test(now.hooksDir) ? findBin(newRoot, commonDir, 'husky') : undefined;
    if (husky) {
      const env = { ...process.env };
      delete env.HUSKY; // HUSKY=0 would skip the install and leave the worktree without hooks
      const status = runProgram(husky, [], { cwd: newRoot, env });
      actions.push(`ran husky in ${newRoot} (exit ${status})`);
      now = inspectHooks(newRoot, commonDir);
    }
    if (missing().length) {
      const from = inspectHooks(main, commonDir).hooksDir;
      if (exists(from) && from !== now.hooksDir) {
        copyTree(from, now.hooksDir);
        actions.push(`copied ${from} to ${now.hooksDir}`);
        now = inspectHooks(newRoot, commonDir);
      }
    }
  }
  const bad = missing();
  return {
    ok: bad.length === 0,
    hooksDir: now.hooksDir,
    actions,
    hooks: now.hooks,
    ...(want.length === 0 ? { warning: 'the main worktree runs no gate hooks either, so commits are not checked anywhere: run `gate init`' } : {}),
  };
}

export interface TaskStartResult {
  ok: boolean;
  id: string;
  owner: string;
  branch: string;
  worktree: string;
  base: string;
  progress: string;
  lease?: Granted;
  denied?: Holder[];
  hooks?: WorktreeHooks;
  /** What to do next, as commands. */
  next: string[];
}

export async function taskStart(ctx: Ctx, o: { id: string; base?: string; owner?: string; ttl?: string; reason?: string; interactive?: boolean }): Promise<TaskStartResult> {
  const t = await taskPaths(ctx, o.id);
  const owner = resolveOwner(ctx, o.owner, o.interactive).id;
  const { config } = await ctx.config();
  const isHandoff = compileGlobs(config.handoff.paths);
  const dirty = dirtyPaths(ctx.git).filter((p) => isHandoff(p));
  if (dirty.length) {
    throw new GateError('DENIED', `handoff documents have uncommitted changes in this worktree (${ctx.paths.root}); a task started now would fork them.`, {
      details: dirty,
      fix: `commit them (holding their leases) or set them aside: git stash push -- ${dirty.map(shellQuote).join(' ')}`,
    });
  }
  const baseRef = o.base ?? 'HEAD';
  const base = ctx.git.revParse(`${baseRef}^{commit}`);
  if (!base) throw new GateError('USAGE', `--base ${baseRef} does not name a commit.`, { fix: 'pass a branch, tag or commit, e.g. --base main' });
  if (exists(t.worktree)) {
    throw new GateError('USAGE', `${t.worktree} already exists, so task ${t.id} cannot get a fresh worktree there.`, {
      fix: `work there (cd ${shellQuote(t.worktree)}), or finish the task first: gate task finish ${t.id}`,
    });
  }
  const branchExists = ctx.git.revParse(`refs/heads/${t.branch}`) !== undefined;
  if (branchExists && o.base !== undefined) {
    throw new GateError('USAGE', `branch ${t.branch} already exists, so --base ${o.base} would be ignored.`, {
      fix: `resume it without --base: gate task start ${t.id}   (or delete the branch first: git branch -D ${t.branch})`,
    });
  }
  const lease = await acquire(ctx, {
    paths: [t.progress],
    owner,
    cwd: ctx.paths.root,
    worktree: t.worktree,
    branch: t.branch,
    reason: o.reason ?? `task ${t.id}`,
    ...(o.ttl ? { ttl: o.ttl } : {}),
    ...(o.interactive !== undefined ? { interactive: o.interactive } : {}),
  });
  const res: TaskStartResult = { ok: false, id: t.id, owner, branch: t.branch, worktree: t.worktree, base, progress: t.progress, next: [] };
  if (!lease.ok) {
    res.denied = lease.denied;
    res.next = [`gate lock status ${shellQuote(t.progress)}`, `gate task start ${t.id} --owner ${shellQuote(owner)}   (once it is released)`];
    return res;
  }
  res.lease = lease.granted[0]!;
  const rollback = async () => {
    ctx.git.exec(['worktree', 'remove', '--force', t.worktree]);
    if (!branchExists) ctx.git.exec(['branch', '-D', t.branch]);
    await release(ctx, { paths: [t.progress], owner, cwd: ctx.paths.root, event: { via: 'task.start rollback' } });
  };
  const add = ctx.git.exec(branchExists ? ['worktree', 'add', t.worktree, t.branch] : ['worktree', 'add', '-b', t.branch, t.worktree, base]);
  if (add.code !== 0) {
    await release(ctx, { paths: [t.progress], owner, cwd: ctx.paths.root, event: { via: 'task.start rollback' } });
    throw new GateError('GIT_FAILED', `git worktree add ${t.worktree} failed: ${add.stderr.trim()}`, { fix: `fix the problem above, then: gate task start ${t.id}` });
  }
  let hooks: WorktreeHooks;
  try {
    hooks = ensureWorktreeHooks(mainRoot(ctx), t.worktree, ctx.paths.commonDir);
  } catch (e) {
    await rollback();
    throw e;
  }
  if (!hooks.ok) {
    await rollback();
    throw new GateError('CANNOT_EVALUATE', `the gate hooks would not run in the new worktree ${t.worktree}, so commits there would go unchecked; the task was not started.`, {
      details: hooks.hooks.flatMap((h) => h.problems),
      fix: `make the hooks work here first (gate doctor), then: gate task start ${t.id}`,
    });
  }
  res.hooks = hooks;
  // dependencies (issue 14): the agent hook and the project's lint-staged need node_modules there
  try {
    const { linkNodeModules } = await import('../../adapters/worktree-deps.js');
    const { Git } = await import('../../adapters/git.js');
    const wtGit = new Git(t.worktree);
    const linked = linkNodeModules(mainRoot(ctx), t.worktree, ctx.paths.commonDir, (p) => wtGit.isIgnored(p));
    if (linked) hooks.actions.push(linked);
  } catch (e) {
    hooks.actions.push(`node_modules not linked (${(e as Error).message}); run your package manager's install in ${t.worktree}`);
  }
  await ctx.record({
    event: 'task.start',
    actor: ownerActor(owner),
    subject: { paths: [t.progress] },
    data: { id: t.id, branch: t.branch, worktree: t.worktree, base, token: res.lease.token, hooks: hooks.actions },
  });
  res.ok = true;
  res.next = [`cd ${shellQuote(t.worktree)}`, `export GATE_SESSION=${shellQuote(owner)}   (so commits there are attributed to the lease holder)`, `gate task finish ${t.id}   (when done)`];
  return res;
}

export interface TaskFinishResult {
  ok: boolean;
  id: string;
  owner: string;
  released: string[];
  /** Leases of the task held by someone else: left alone. */
  kept: Holder[];
  worktree: { path: string; existed: boolean; removed: boolean; dirty: string[] };
  branch: string;
  next: string[];
}

export async function taskFinish(ctx: Ctx, o: { id: string; owner?: string; interactive?: boolean }): Promise<TaskFinishResult> {
  const t = await taskPaths(ctx, o.id);
  const owner = resolveOwner(ctx, o.owner, o.interactive).id;
  const store = new LeaseStore(ctx.stateDir);
  const mine = store.list().filter((r) => r.worktree === t.worktree || r.path === t.progress);
  const toRelease = mine.filter((r) => r.owner === owner).map((r) => r.path);
  const kept = mine.filter((r) => r.owner !== owner).map((r) => ({ path: r.path, owner: r.owner, worktree: r.worktree, branch: r.branch, since: r.acquired, expires: r.expires, token: r.token }));
  let released: string[] = [];
  if (toRelease.length) {
    const r = await release(ctx, { paths: toRelease, owner, cwd: mainRoot(ctx), event: { task: t.id } });
    released = r.released.map((x) => x.path);
  }
  const existed = exists(t.worktree);
  let dirty: string[] = [];
  let removed = false;
  if (existed) {
    dirty = dirtyPaths(new Git(t.worktree));
    if (dirty.length === 0) {
      new Git(mainRoot(ctx)).run(['worktree', 'remove', t.worktree]);
      removed = true;
    }
  }
  await ctx.record({
    event: 'task.finish',
    actor: ownerActor(owner),
    subject: { paths: released },
    data: { id: t.id, branch: t.branch, worktree: t.worktree, removed, dirty: dirty.slice(0, 50), kept },
  });
  const ok = !existed || removed;
  return {
    ok,
    id: t.id,
    owner,
    released,
    kept,
    worktree: { path: t.worktree, existed, removed, dirty },
    branch: t.branch,
    next: ok
      ? [`git merge ${t.branch}   (or open a pull request; the branch is kept)`]
      : [`cd ${shellQuote(t.worktree)} && git status   (commit or discard the changes)`, `gate task finish ${t.id}`],
  };
}

export interface TaskInfo {
  id: string;
  branch: string;
  worktree: string | null;
  head: string | null;
  progress: string;
  lease: LeaseView;
}

export async function taskList(ctx: Ctx): Promise<{ tasks: TaskInfo[] }> {
  const wts = ctx.git.worktrees();
  const branches = ctx.git
    .text(['for-each-ref', '--format=%(refname:short)', 'refs/heads/task/'])
    .split('\n')
    .filter(Boolean);
  const ids = new Set<string>();
  for (const b of branches) ids.add(b.slice('task/'.length));
  for (const w of wts) if (w.branch?.startsWith('task/')) ids.add(w.branch.slice('task/'.length));
  const store = new LeaseStore(ctx.stateDir);
  let me: string | undefined;
  try {
    me = resolveOwner(ctx, undefined).id;
  } catch {
    me = undefined;
  }
  const nowMs = ctx.now().getTime();
  const tasks: TaskInfo[] = [];
  for (const id of [...ids].sort()) {
    if (!TASK_ID_RE.test(id)) continue;
    const t = await taskPaths(ctx, id);
    const w = wts.find((x) => x.branch === t.branch);
    tasks.push({ id, branch: t.branch, worktree: w?.path ?? null, head: w?.head ?? null, progress: t.progress, lease: viewOf(t.progress, store.read(t.progress), nowMs, me) });
  }
  return { tasks };
}
