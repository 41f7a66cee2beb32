/** What changed: the change and commit shapes every layer shares (git produces them, gates judge them). */

export type ChangeStatus = 'A' | 'M' | 'D' | 'R' | 'C' | 'T' | 'U' | 'X';

/** One staged (or committed) change, from `diff --raw --numstat -z`. */
export interface FileChange {
  status: ChangeStatus;
  path: string;
  /** For renames and copies: the path it came from. */
  oldPath?: string;
  oldMode: string;
  newMode: string;
  oldBlob: string;
  newBlob: string;
  /** Lines added/deleted; undefined for binary files. */
  added?: number;
  deleted?: number;
  similarity?: number;
}

/** One commit as `commitInfos` reports it; `time` is the committer time in ms. */
export interface CommitInfo {
  commit: string;
  tree: string;
  parents: string[];
  time: number;
  subject: string;
}

export interface RepoPaths {
  /** Top level of the current worktree. */
  root: string;
  /** This worktree's git dir (differs from commonDir in linked worktrees). */
  gitDir: string;
  /** The clone's shared git dir: leases, ledger and other state live below it. */
  commonDir: string;
}
