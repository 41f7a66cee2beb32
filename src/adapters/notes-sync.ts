/**
 * Making approval notes (refs/notes/agent-gates) travel with ordinary git commands in every clone
 * (ADR 0018): git config is not cloned, so the hooks a project's install step activates set it up
 * here, idempotently, the first time they run in a clone.
 *
 *  - `notes.rewriteRef` includes refs/notes/agent-gates: amend and rebase copy the notes;
 *  - every remote fetches its notes into a remote-tracking notes ref,
 *    `+refs/notes/agent-gates:refs/notes/remotes/<remote>/agent-gates` (never into the local ref:
 *    a forced fetch there would drop approvals not pushed yet). `gate check --range` and
 *    `gate review` read the tracking refs too;
 *  - pushing is the pre-push hook's job (`pushNotes`): a push refspec would change what a plain
 *    `git push` pushes, so none is configured.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';
import { NOTES_REF, type Git } from './git.js';

export const TRACKING_PREFIX = 'refs/notes/remotes/';
/** Where `git fetch <remote>` keeps that remote's approval notes. */
export const trackingRef = (remote: string): string => `${TRACKING_PREFIX}${remote}/agent-gates`;
export const fetchRefspec = (remote: string): string => `+${NOTES_REF}:${trackingRef(remote)}`;
/** A remote name usable in a ref name and a config key (what `git remote add` accepts, roughly). */
const REMOTE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface CloneConfigReport {
  /** What was added to this clone's config (empty when everything was in place). */
  added: string[];
}

/** Read this clone's notes.rewriteRef and each remote's fetch refspecs in one git process. */
function readTravelConfig(git: Git): { rewrite: string[]; remotes: Map<string, string[]> } {
  const r = git.exec(['config', '--local', '--get-regexp', '^(notes\\.rewriteref|remote\\..*\\.(url|fetch))$']);
  const rewrite: string[] = [];
  const remotes = new Map<string, string[]>();
  if (r.code !== 0) return { rewrite, remotes };
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp < 0) continue;
    const key = line.slice(0, sp);
    const value = line.slice(sp + 1);
    if (key.toLowerCase() === 'notes.rewriteref') rewrite.push(value);
    const m = /^remote\.(.+)\.(url|fetch)$/i.exec(key);
    if (!m) continue;
    const list = remotes.get(m[1]!) ?? [];
    if (m[2]!.toLowerCase() === 'fetch') list.push(value);
    remotes.set(m[1]!, list);
  }
  return { rewrite, remotes };
}

/**
 * Ensure this clone's config carries approvals (idempotent): notes.rewriteRef, and a notes fetch
 * refspec for every remote (or only `onlyRemote`). Never removes or rewrites anything.
 */
export function ensureCloneConfig(git: Git, onlyRemote?: string): CloneConfigReport {
  const { rewrite, remotes } = readTravelConfig(git);
  const added: string[] = [];
  if (!rewrite.includes(NOTES_REF)) {
    git.configAdd('notes.rewriteRef', NOTES_REF);
    added.push(`notes.rewriteRef=${NOTES_REF}`);
  }
  for (const [remote, fetches] of remotes) {
    if (onlyRemote !== undefined && remote !== onlyRemote) continue;
    if (!REMOTE_NAME.test(remote)) continue;
    const spec = fetchRefspec(remote);
    if (fetches.includes(spec)) continue;
    git.configAdd(`remote.${remote}.fetch`, spec);
    added.push(`remote.${remote}.fetch=${spec}`);
  }
  return { added };
}

/**
 * post-rewrite: copy the approval notes of rewritten commits (git's "old new" lines on stdin) to
 * their new ids, whatever notes.rewriteRef says; a commit that has a note already keeps it.
 */
export function copyNotesForRewrite(git: Git, command: 'amend' | 'rebase', pairs: string): { ok: boolean; message: string } {
  const r = git.exec(['notes', 'copy', `--for-rewrite=${command}`], {
    input: pairs,
    env: { ...process.env, GIT_NOTES_REWRITE_REF: NOTES_REF, GIT_NOTES_REWRITE_MODE: 'ignore' },
  });
  return { ok: r.code === 0, message: r.stderr.trim() };
}

export interface PushNotesResult {
  status: 'pushed' | 'up to date' | 'no notes' | 'failed';
  /** Local and remote notes were merged (`git notes merge -s union`) before pushing. */
  merged: boolean;
  message?: string;
}

/** `git notes merge` writes a commit: a neutral identity where the clone has none. */
function mergeEnv(git: Git): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (!env.GIT_COMMITTER_NAME && !git.configGet('user.name')) env.GIT_COMMITTER_NAME = env.GIT_AUTHOR_NAME = 'agent-gates';
  if (!env.GIT_COMMITTER_EMAIL && !git.configGet('user.email')) env.GIT_COMMITTER_EMAIL = env.GIT_AUTHOR_EMAIL = 'agent-gates@localhost';
  return env;
}

/** Merge a notes ref into the local approval notes (fast-forward, or a union of both sides). */
function mergeInto(git: Git, from: string): boolean {
  const local = git.revParse(NOTES_REF);
  const theirs = git.revParse(from);
  if (!theirs || theirs === local) return false;
  if (!local) {
    git.run(['update-ref', NOTES_REF, theirs]);
    return true;
  }
  if (git.exec(['merge-base', '--is-ancestor', theirs, local]).code === 0) return false;
  const r = git.exec(['notes', '--ref', NOTES_REF, 'merge', '-q', '-s', 'union', from], { env: mergeEnv(git) });
  if (r.code !== 0) throw new Error(`git notes merge ${from} failed: ${r.stderr.trim()}`);
  return true;
}

/**
 * pre-push: push the approval notes to `remote` beside the branch. First the remote's notes are
 * fetched into the tracking ref and merged into the local notes (union), so the push is a
 * fast-forward; the nested push runs with --no-verify (it must not run this hook again).
 */
export function pushNotes(git: Git, remote: string): PushNotesResult {
  const tracking = REMOTE_NAME.test(remote) ? trackingRef(remote) : `${TRACKING_PREFIX}push-target/agent-gates`;
  const fetched = git.exec(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', remote, `+${NOTES_REF}:${tracking}`]);
  let merged = false;
  try {
    if (fetched.code === 0) merged = mergeInto(git, tracking);
  } catch (e) {
    return { status: 'failed', merged, message: (e as Error).message };
  }
  const local = git.revParse(NOTES_REF);
  if (!local) return { status: 'no notes', merged };
  if (fetched.code === 0 && git.revParse(tracking) === local) return { status: 'up to date', merged };
  const env = { ...process.env, AGENT_GATES_PRE_PUSH: '1' };
  const r = git.exec(['push', '--quiet', '--no-verify', remote, `${NOTES_REF}:${NOTES_REF}`], { env });
  if (r.code !== 0) return { status: 'failed', merged, message: r.stderr.trim() };
  return { status: 'pushed', merged };
}

/** The marker a clone's first hook run leaves once its config carries approvals. */
export const CLONE_CONFIG_MARKER = 'clone-config-v1';

/**
 * ensureCloneConfig once per clone: a stat when the marker is there (the pre-commit hot path pays
 * only that); otherwise one git process to read the config, the additions, and the marker.
 */
export function ensureCloneConfigOnce(git: Git, stateDir: string): CloneConfigReport | undefined {
  const marker = join(stateDir, CLONE_CONFIG_MARKER);
  if (existsSync(marker)) return undefined;
  const report = ensureCloneConfig(git);
  mkdirSync(stateDir, { recursive: true });
  writeFileAtomic(marker, `${report.added.join('\n')}\n`, undefined, { fsync: false });
  return report;
}
