/**
 * Test helper for Gate C: write approval notes following the note contract
 * ({agent_gates: 1, commit_tree, tier, files, sidecar, sidecar_digest}) directly with
 * `git notes --ref refs/notes/agent-gates add`, as Gate B's post-commit hook would.
 */
import { explanationDigest } from '../../src/schema/sidecar/schema.js';
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
  // raw diff against the first parent: ":oldmode newmode oldblob newblob status\tpath"
  const raw = repo
    .gitOk('diff-tree', '--no-commit-id', '-r', '--root', '-M', '--abbrev=40', '--full-index', commit)
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [meta, ...paths] = l.split('\t');
      const [, , oldBlob, newBlob, status] = meta!.slice(1).split(' ') as [string, string, string, string, string];
      const path = paths[paths.length - 1]!;
      return { path, status: status[0]!, oldBlob, newBlob, ...(paths.length > 1 ? { oldPath: paths[0]! } : {}) };
    });
  const wanted = o.paths ? raw.filter((r) => o.paths!.includes(r.path)) : raw;
  const files = wanted.map((r) => ({
    path: r.path,
    status: r.status,
    ...(r.oldPath ? { old_path: r.oldPath } : {}),
    blob: r.newBlob,
    old_blob: r.oldBlob,
    tier,
    surfaces: [] as string[],
  }));
  const sidecar: Record<string, unknown> = {
    version: 1,
    tree,
    tier,
    files,
    intent: 'change the agent rules so reviews mention tests',
    alternatives: ['leave the rules alone'],
    risk: { blast_radius: 'agents in this repo', reversibility: 'git revert', rollback: 'revert the commit' },
    created_at: '2026-01-01T00:00:00.000Z',
    created_by: { kind: 'agent', id: 'agent-1' },
  };
  const digest = explanationDigest(sidecar as never);
  const steps = o.steps ?? (tier === 'DOUBLE_CONFIRM' ? ['intent', 'diff'] : ['confirm']);
  const person = { name: 'Test Human', email: 'human@example.com', os_user: 'tester', host: 'ci' };
  sidecar.approvals = steps.map((step, i) => ({
    step,
    tier,
    tree,
    digest: o.staleDigest ? 'f'.repeat(64) : digest,
    approver: person,
    method: 'terminal',
    at: '2026-01-01T00:01:00.000Z',
    ledger: { seq: i + 1, offset: i * 100, hash: 'a'.repeat(64) },
  }));
  sidecar.rejections = o.rejected
    ? [{ tier, tree, digest, reason: 'no', rejecter: person, at: '2026-01-01T00:02:00.000Z', ledger: { seq: 9, offset: 900, hash: 'b'.repeat(64) } }]
    : [];
  return JSON.stringify({
    agent_gates: 1,
    commit_tree: tree,
    tier,
    files: files.map((f) => ({ path: f.path, blob: f.status === 'D' ? ZERO : f.blob, tier })),
    sidecar,
    sidecar_digest: digest,
  });
}

const ZERO = '0000000000000000000000000000000000000000';

export function addNote(repo: TempRepo, commit: string, tier: NoteTier, o: NoteOptions = {}): void {
  repo.gitOk('notes', '--ref', 'refs/notes/agent-gates', 'add', '-f', '-m', noteBody(repo, commit, tier, o), commit);
}

/** Commit everything staged (no hooks installed in these repos, like `--no-verify`). */
export function commit(repo: TempRepo, message: string, ...extra: string[]): string {
  repo.gitOk('commit', '-q', '--no-verify', '-m', message, ...extra);
  return repo.gitOk('rev-parse', 'HEAD');
}
