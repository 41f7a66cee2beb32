/**
 * Adapter: the team's ledger and pending approvals as refs on a shared git remote (ADR 0024).
 *
 * The objects in this clone: a commit whose tree holds a published ledger, reading a file out of
 * a fetched commit, ancestry, the local refs that keep what this clone verified before. The
 * network goes through the one git-remote adapter, remote-refs.ts (fetch, compare-and-swap push).
 * Nothing here decides whether a ledger is sound (src/ledger/team.ts does, purely).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { GateError } from '../kernel/errors.js';
import type { Git } from './git.js';

/** Below refs/agent-gates/ on the remote (remote-refs.ts's REMOTE_NS). */
export const TEAM_LEDGER_NS = 'ledger/';
/**
 * Where this clone keeps the last published ledger of each clone it verified (local only, moved
 * forward only over a publication that verifies and extends it): what a forced push is judged
 * against. Not under refs/agent-gates/remotes/, which every fetch overwrites.
 */
export const seenPrefix = (remote: string): string => `refs/agent-gates/seen/${remote}/ledger/`;

/** Fixed committer for published objects: the ledger is the record, the commit only carries it. */
const COMMIT_ENV = {
  GIT_AUTHOR_NAME: 'agent-gates',
  GIT_AUTHOR_EMAIL: 'agent-gates@localhost',
  GIT_COMMITTER_NAME: 'agent-gates',
  GIT_COMMITTER_EMAIL: 'agent-gates@localhost',
};

// ---------------------------------------------------------------------------------------------
// objects in this clone

/** The first `size` bytes of a file (the ledger up to its head), read once. */
export function readPrefix(path: string, size: number): Buffer {
  const buf = Buffer.alloc(size);
  if (size === 0) return buf;
  const fd = openSync(path, 'r');
  try {
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n <= 0) throw new GateError('LEDGER_CORRUPT', `${path} ends before byte ${size}, where its head says it does.`, { fix: 'gate audit verify' });
      off += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

/**
 * Write a commit whose tree holds `files` (name → bytes), with `parent` when given. `trees`: tree
 * entries (name → tree id) carried beside the files, so a fetch of the commit brings their objects.
 */
export function writeFilesCommit(git: Git, files: ReadonlyMap<string, Buffer>, parent: string | undefined, message: string, when: Date, trees: ReadonlyMap<string, string> = new Map()): string {
  const entries: string[] = [];
  const all: Array<[string, Buffer | string]> = [...files, ...trees];
  for (const [name, v] of all.sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (typeof v === 'string') {
      entries.push(`040000 tree ${v}\t${name}`);
      continue;
    }
    const blob = git.text(['hash-object', '-w', '--stdin'], { input: v });
    entries.push(`100644 blob ${blob}\t${name}`);
  }
  const tree = git.text(['mktree'], { input: `${entries.join('\n')}\n` });
  const date = `${Math.floor(when.getTime() / 1000)} +0000`;
  const r = git.exec(['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', message], {
    env: { ...COMMIT_ENV, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
  if (r.code !== 0) throw new GateError('GIT_FAILED', `git commit-tree failed: ${r.stderr.trim()}`);
  return r.stdout.toString('utf8').trim();
}

/** A file of a commit's tree, or undefined when absent. */
export function readCommitFile(git: Git, commit: string, name: string): Buffer | undefined {
  return git.readBlob(`${commit}:${name}`);
}

/** The first-parent chain from `tip` back to the root, newest first. */
export function firstParentChain(git: Git, tip: string, limit = 10_000): string[] {
  const r = git.exec(['rev-list', '--first-parent', `--max-count=${limit}`, tip]);
  if (r.code !== 0) throw new GateError('GIT_FAILED', `git rev-list ${tip} failed: ${r.stderr.trim()}`);
  return r.stdout.toString('utf8').split('\n').filter(Boolean);
}

export function isAncestor(git: Git, ancestor: string, descendant: string): boolean {
  return git.exec(['merge-base', '--is-ancestor', ancestor, descendant]).code === 0;
}

/** Point a local ref at `commit` (or delete it with null). */
export function setLocalRef(git: Git, ref: string, commit: string | null): void {
  const r = commit === null ? git.exec(['update-ref', '-d', ref]) : git.exec(['update-ref', ref, commit]);
  if (r.code !== 0) throw new GateError('GIT_FAILED', `git update-ref ${ref} failed: ${r.stderr.trim()}`);
}

/** Refs under `prefix` in this clone: name below the prefix → commit. */
export function localRefs(git: Git, prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const { ref, commit } of git.refTips([prefix])) out.set(ref.slice(prefix.length), commit);
  return out;
}
