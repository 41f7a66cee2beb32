import type { Ctx } from '../context.js';
import type { FileChange } from '../../adapters/git.js';
import type { Finding } from '../../gates/types.js';
import type { GatesConfig } from '../../schema/defaults.js';

export const HOOK_NAMES = ['pre-commit', 'post-commit'] as const;
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
 * A gate as the hooks see it: the app-layer glue that gathers a gate's extra facts through
 * adapters and calls its pure `(facts, config) → findings` function.
 */
export interface HookGate {
  name: string;
  preCommit?(ctx: Ctx, staged: StagedFacts): Promise<Finding[]> | Finding[];
  postCommit?(ctx: Ctx, facts: CommitFacts): Promise<PostCommitResult> | PostCommitResult;
}
