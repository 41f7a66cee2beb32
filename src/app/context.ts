/**
 * Composition root: builds {git, paths, state dir, ledger, clock, config} for a use-case.
 * The only place that decides where state lives.
 */
import { join } from 'node:path';
import { openGit, otherWorktreeEnv, type Git } from '../adapters/git.js';
import { type RepoPaths } from '../kernel/changes.js';
import { LedgerFile } from '../adapters/ledger-store.js';
import { parseCommitObject, type CommitObject } from '../ledger/pending.js';
import type { LoadedConfig } from '../adapters/config-file.js';
import { loadConfigInForce } from '../adapters/config-in-force.js';
import type { Actor, LedgerEventInput } from '../schema/ledger/schema.js';
import { committingActor } from '../adapters/identity.js';
import { exists, readTextIfAny } from '../adapters/files.js';

export interface Ctx {
  git: Git;
  paths: RepoPaths;
  /** `<git common dir>/agent-gates`: shared by every worktree of the clone, never committed. */
  stateDir: string;
  ledger: LedgerFile;
  now: () => Date;
  config(): Promise<LoadedConfig>;
  /** True once `gate init` ran here (or the committed hooks call gate). */
  initialised(): boolean;
  actor(): Actor;
  record(events: LedgerEventInput | readonly LedgerEventInput[]): ReturnType<LedgerFile['append']>;
  /**
   * HEAD's commit as read when the context was opened (undefined commit: unborn branch). Only
   * present with `openContext(cwd, { head: true })`: the commit hooks read it in the same git
   * process that locates the repository.
   */
  openedHead?: { commit: string | undefined };
}

export function openContext(cwd: string = process.cwd(), opts: { now?: () => Date; configCache?: boolean; head?: boolean; otherWorktree?: boolean } = {}): Ctx {
  // another worktree of this clone is read without the GIT_DIR / GIT_INDEX_FILE this process inherited
  const { git, paths, head } = openGit(cwd, { head: opts.head === true, ...(opts.otherWorktree ? { env: otherWorktreeEnv() } : {}) });
  const stateDir = join(paths.commonDir, 'agent-gates');
  const now = opts.now ?? (() => new Date());
  // pending commit records (ADR 0009) are checked against git before they are folded in
  const ledger = new LedgerFile(stateDir, now, {
    reflog: join(paths.gitDir, 'logs', 'HEAD'),
    lookupCommits: (ids) => {
      const commits = new Map<string, CommitObject>();
      for (const [id, o] of git.readObjects(ids)) {
        const c = o.type === 'commit' ? parseCommitObject(o.body.toString('utf8')) : undefined;
        if (c) commits.set(id, c);
      }
      return commits;
    },
  });
  let cfg: Promise<LoadedConfig> | undefined;
  let actor: Actor | undefined;
  const initialised = (): boolean => {
    if (exists(join(stateDir, 'initialised'))) return true;
    if (readTextIfAny(join(paths.root, '.husky', 'pre-commit'))?.includes('gate check')) return true;
    // a clone of a project whose hook manager runs the committed .agents/hooks/ scripts (lefthook, pre-commit, ...)
    return exists(join(paths.root, '.agents', 'hooks', 'pre-commit'));
  };
  return {
    git,
    paths,
    stateDir,
    ledger,
    now,
    initialised,
    // the strictest of HEAD's, the index's and the working tree's config (issue 14): no edit weakens a gate before it is committed
    config: () => (cfg ??= loadConfigInForce(git, paths.root, stateDir, initialised(), { cache: opts.configCache !== false })),
    actor: () => (actor ??= committingActor(git)),
    record: (events) => ledger.append(Array.isArray(events) ? events : [events as LedgerEventInput]),
    ...(head ? { openedHead: head } : {}),
  };
}
