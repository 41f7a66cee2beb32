/**
 * Test helper for Gate C: write approval notes following the note contract
 * ({agent_gates: 1, commit_tree, tier, files, sidecar, sidecar_digest}) directly with
 * `git notes --ref refs/notes/agent-gates add`, as Gate B's post-commit hook would.
 */
import { explanationDigest } from '../../src/app/range.js';
import type { TempRepo } from './repo.js';

export type NoteTier = 'CONFIRM' | 'DOUBLE_CONFIRM';

export interface NoteOptions {
  /** Paths to list in the note's `files` (default: every path the commit changes). */
  paths?: string[];
  /** Approval steps to record (default: what the tier requires). */
  steps?: string[];
  /** Corrupt the approvals' digest (explanation edited after approval). */
  staleDigest?: boolean;
  rejected?: boolean;
  /** Override the recorded tree (default: the commit's tree). */
  tree?: string;
}

export function noteBody(repo: TempRepo, commit: string, tier: NoteTier, o: NoteOptions = {}): string {
  const tree = o.tree ?? repo.gitOk('rev-parse', `${commit}^{tree}`);
  const paths =
    o.paths ??
    repo
      .gitOk('diff-tree', '--no-commit-id', '--name-only', '-r', '--root', commit)
      .split('\n')
      .filter(Boolean);
  const files = paths.map((path) => {
    const r = repo.git('rev-parse', '--verify', '--quiet', `${commit}:${path}`);
    return { path, blob: r.code === 0 ? r.stdout.trim() : null, tier };
  });
  const sidecar: Record<string, unknown> = {
    version: 1,
    tree,
    tier,
    files: files.map((f) => f.path),
    intent: 'change the agent rules so reviews mention tests',
    alternatives: ['leave the rules alone'],
    risk: { blast_radius: 'agents in this repo', reversibility: 'git revert', rollback: 'revert the commit' },
    created_at: '2026-01-01T00:00:00.000Z',
    created_by: 'agent-1',
  };
  const digest = explanationDigest(sidecar);
  const steps = o.steps ?? (tier === 'DOUBLE_CONFIRM' ? ['intent', 'diff'] : ['confirm']);
  sidecar.approvals = steps.map((step) => ({
    step,
    digest: o.staleDigest ? 'f'.repeat(64) : digest,
    tree,
    by: { name: 'Test Human', email: 'human@example.com' },
    at: '2026-01-01T00:01:00.000Z',
    method: 'terminal',
  }));
  if (o.rejected) sidecar.rejections = [{ reason: 'no', at: '2026-01-01T00:02:00.000Z' }];
  return JSON.stringify({ agent_gates: 1, commit_tree: tree, tier, files, sidecar, sidecar_digest: digest });
}

export function addNote(repo: TempRepo, commit: string, tier: NoteTier, o: NoteOptions = {}): void {
  repo.gitOk('notes', '--ref', 'refs/notes/agent-gates', 'add', '-f', '-m', noteBody(repo, commit, tier, o), commit);
}

/** Commit everything staged (no hooks installed in these repos, like `--no-verify`). */
export function commit(repo: TempRepo, message: string, ...extra: string[]): string {
  repo.gitOk('commit', '-q', '--no-verify', '-m', message, ...extra);
  return repo.gitOk('rev-parse', 'HEAD');
}
