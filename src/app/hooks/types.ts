import type { Ctx } from '../context.js';
import type { FileChange } from '../../kernel/changes.js';
import type { Finding } from '../../kernel/findings.js';
import type { GatesConfig } from '../../schema/config/defaults.js';

/** pre-merge-commit runs the pre-commit gates on a clean merge's index. */
export const HOOK_NAMES = ['pre-commit', 'post-commit', 'pre-merge-commit'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** What the pre-commit hook knows about the commit being made (the final index). */
export interface StagedFacts {
  tree: string;
  head: string | undefined;
  changes: FileChange[];
  config: GatesConfig;
}

/** What the post-commit hook knows about the commit just made. */
export interface CommitFacts {
  commit: string;
  tree: string;
  parent: string | undefined;
  changes: FileChange[];
  config: GatesConfig;
}

export interface PostCommitResult {
  findings: Finding[];
  /** Merged into the one `commit` ledger event the post-commit hook writes. */
  data?: Record<string, unknown>;
}

/**
 * A gate's answer at pre-commit to "can your post-commit for this commit be deferred?" (ADR 0009).
 * `deferrable: true` promises that, for a commit of exactly these staged facts on HEAD, the gate's
 * postCommit would return exactly `data` (merged into the `commit` event), no findings, and have
 * no side effects (no note, no file removed).
 */
export type DeferredPostCommit = { deferrable: true; data?: Record<string, unknown> } | { deferrable: false; reason: string };

/**
 * A gate as the hooks see it: the app-layer glue that gathers a gate's extra facts through
 * adapters and calls its pure `(facts, config) → findings` function.
 */
export interface HookGate {
  name: string;
  preCommit?(ctx: Ctx, staged: StagedFacts): Promise<Finding[]> | Finding[];
  postCommit?(ctx: Ctx, facts: CommitFacts): Promise<PostCommitResult> | PostCommitResult;
  /**
   * Called at pre-commit, only when no gate blocks. A gate without this method disables the
   * receipt, so the post-commit hook starts node for every commit (the safe default for a new gate).
   */
  deferPostCommit?(ctx: Ctx, staged: StagedFacts): Promise<DeferredPostCommit> | DeferredPostCommit;
}
