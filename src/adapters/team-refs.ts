/**
 * Adapter: the team's ledger and pending approvals as refs on a shared git remote (ADR 0024).
 *
 * Two parts:
 *  - object building and reading in this clone (a commit whose tree holds a published ledger;
 *    reading a file out of a fetched commit; ancestry), and
 *  - a minimal transport (fetch a ref pattern into local refs, push one ref with a lease).
 *    The transport is a stand-in for the remote adapter owned by remote leases
 *    (src/adapters/remote-refs.ts once merged): swap `fetchRefs` / `pushRef` for it.
 *
 * Every network failure is GIT_FAILED (CANNOT_EVALUATE, exit 3) with the command that fixes it;
 * nothing here decides whether a ledger is sound (src/ledger/team.ts does, purely).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { GateError } from '../kernel/errors.js';
import type { Git } from './git.js';

export const TEAM_LEDGER_PREFIX = 'refs/agent-gates/ledger/';
export const TEAM_PENDING_PREFIX = 'refs/agent-gates/pending/';
export const TEAM_APPROVALS_PREFIX = 'refs/agent-gates/approvals/';
/** Where this clone keeps what it fetched from `remote` (overwritten on every fetch). */
export const fetchedPrefix = (remote: string, kind: 'ledger' | 'pending' | 'approvals'): string => `refs/agent-gates/team/${safeRemote(remote)}/${kind}/`;
/** Where this clone keeps the last published ledger it verified (only moved forward). */
export const seenPrefix = (remote: string): string => `refs/agent-gates/seen/${safeRemote(remote)}/ledger/`;

/** A remote name or URL as one ref component. */
function safeRemote(remote: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(remote) && !remote.includes('..') && !remote.endsWith('.lock') ? remote : `url-${Buffer.from(remote).toString('hex').slice(0, 40)}`;
}

/** Fixed committer for published objects: the ledger is the record, the commit only carries it. */
const COMMIT_ENV = {
  GIT_AUTHOR_NAME: 'agent-gates',
  GIT_AUTHOR_EMAIL: 'agent-gates@localhost',
  GIT_COMMITTER_NAME: 'agent-gates',
  GIT_COMMITTER_EMAIL: 'agent-gates@localhost',
};

function remoteFailure(what: string, remote: string, stderr: string, fix: string): GateError {
  const why = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' / ') || 'no message';
  return new GateError('GIT_FAILED', `${what} on remote "${remote}" failed: ${why}`, { fix });
}

// ---------------------------------------------------------------------------------------------
// transport (stand-in; swap for remote leases' adapter)

/**
 * Fetch every ref under `remotePrefix` on `remote` into `localPrefix` (forced: the local copy is
 * a mirror; what this clone trusted before is kept under the seen refs). Refs that vanished on
 * the remote are pruned locally. Returns the fetched refs (name below the prefix → commit).
 */
export function fetchRefs(git: Git, remote: string, remotePrefix: string, localPrefix: string, opts: { fix: string }): Map<string, string> {
  const r = git.exec(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--prune', '--no-recurse-submodules', remote, `+${remotePrefix}*:${localPrefix}*`], {
    env: { GIT_TERMINAL_PROMPT: '0' },
  });
  if (r.code !== 0) throw remoteFailure(`git fetch of ${remotePrefix}*`, remote, r.stderr, opts.fix);
  return localRefs(git, localPrefix);
}

/** Refs under `prefix` in this clone: name below the prefix → commit. */
export function localRefs(git: Git, prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const { ref, commit } of git.refTips([prefix])) out.set(ref.slice(prefix.length), commit);
  return out;
}

export type PushOutcome = { status: 'pushed' } | { status: 'stale'; message: string } | { status: 'rejected'; message: string };

/**
 * Push `commit` to `ref` on `remote` only if the remote still has `expectedOld` there (null: the
 * ref must not exist): `--force-with-lease=<ref>:<expectedOld>`, a compare-and-swap on the ref.
 * A lost race is `stale`; a refusal by the server (hooks, denyNonFastForwards, permissions) is
 * `rejected`; anything else (unreachable, authentication) throws GIT_FAILED.
 */
export function pushRef(git: Git, remote: string, ref: string, commit: string, expectedOld: string | null, opts: { fix: string }): PushOutcome {
  const r = git.exec(['push', '--quiet', '--no-verify', '--porcelain', `--force-with-lease=${ref}:${expectedOld ?? ''}`, remote, `${commit}:${ref}`], {
    env: { GIT_TERMINAL_PROMPT: '0' },
  });
  if (r.code === 0) return { status: 'pushed' };
  const out = `${r.stdout.toString('utf8')}\n${r.stderr}`;
  if (/stale info|\(fetch first\)|\[rejected\].*stale/.test(out)) return { status: 'stale', message: out.trim() };
  if (/^!\s/m.test(r.stdout.toString('utf8'))) return { status: 'rejected', message: out.trim() };
  throw remoteFailure(`git push of ${ref}`, remote, r.stderr, opts.fix);
}

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

/** Write a commit whose tree holds `files` (name → bytes), with `parent` when given. */
export function writeFilesCommit(git: Git, files: ReadonlyMap<string, Buffer>, parent: string | undefined, message: string, when: Date): string {
  const entries: string[] = [];
  for (const [name, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const blob = git.text(['hash-object', '-w', '--stdin'], { input: bytes });
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
