/**
 * Gate A, the concurrency gate: pure policy over lease records.
 * No fs, no git, no clock, no env: callers pass the repository layout, resolved real paths,
 * the records they read and the current time in.
 */
import { posix } from 'node:path';
import type { FileChange } from '../kernel/changes.js';
import type { LeaseRecord } from '../schema/lease/schema.js';
import { compileGlobs, type GlobMatcher } from '../kernel/glob.js';
import type { Finding } from '../kernel/findings.js';

// ---------------------------------------------------------------------------------------------
// Path normalisation
// ---------------------------------------------------------------------------------------------

export interface PathEnv {
  /** Absolute, "/"-separated top level of the worktree. */
  root: string;
  /** Absolute directory the caller's relative paths are relative to. */
  cwd: string;
  /** realpath(root). */
  realRoot: string;
}

export type NormaliseResult =
  | { ok: true; path: string }
  | { ok: false; reason: 'empty' | 'outside' | 'symlink-escape' | 'not-handoff' | 'directory' | 'git-dir' | 'control'; message: string };

/** Quote a path for a POSIX shell only when it needs it. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9._/:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Lexical step: a user-supplied path (relative to cwd, or absolute) → repository-relative path,
 * or why it is not one. `..` and absolute paths are fine while they stay inside the worktree.
 */
export function lexicalRepoPath(input: string, env: Pick<PathEnv, 'root' | 'cwd'>): NormaliseResult {
  if (input.length === 0 || input.includes('\0')) return { ok: false, reason: 'empty', message: 'an empty path names no document' };
  const abs = posix.resolve(env.cwd, input);
  const rel = posix.relative(env.root, abs);
  if (rel === '') return { ok: false, reason: 'directory', message: `${input} is the repository root, not a document` };
  if (rel === '..' || rel.startsWith('../') || posix.isAbsolute(rel)) {
    return { ok: false, reason: 'outside', message: `${input} resolves to ${abs}, which is outside the repository (${env.root})` };
  }
  if (rel.split('/').some((c) => c.toLowerCase() === '.git')) {
    return { ok: false, reason: 'git-dir', message: `${JSON.stringify(rel)} is inside a .git directory (git's own files), not a document of the repository` };
  }
  // control characters (other than tab and newline, which git allows in names and tests use)
  // would reach terminals raw in every message that names the path
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0b-\x1f\x7f]/.test(rel)) {
    return { ok: false, reason: 'control', message: `${JSON.stringify(rel)} contains control characters; name the document without them` };
  }
  return { ok: true, path: rel };
}

/**
 * Full decision: lexical normalisation, then the symlink check (realTarget is realpath of the
 * document, or of its nearest existing ancestor joined with the rest), then the handoff globs.
 */
export function normaliseLeasePath(input: string, env: PathEnv, realTarget: string, handoffGlobs: readonly string[], isHandoff: GlobMatcher = compileGlobs(handoffGlobs)): NormaliseResult {
  const lex = lexicalRepoPath(input, env);
  if (!lex.ok) return lex;
  const realRel = posix.relative(env.realRoot, realTarget);
  if (realRel === '' || realRel === '..' || realRel.startsWith('../') || posix.isAbsolute(realRel)) {
    return { ok: false, reason: 'symlink-escape', message: `${input} goes through a symbolic link to ${realTarget}, which is outside the repository (${env.realRoot})` };
  }
  if (!isHandoff(lex.path)) {
    return {
      ok: false,
      reason: 'not-handoff',
      message: `${lex.path} is not a handoff document: it matches none of the handoff globs (${handoffGlobs.join(', ')}); only handoff documents are leased`,
    };
  }
  return lex;
}

// ---------------------------------------------------------------------------------------------
// Lease decisions
// ---------------------------------------------------------------------------------------------

export type LeaseState = 'held' | 'expired';

export function leaseState(rec: LeaseRecord, nowMs: number): LeaseState {
  return Date.parse(rec.expires) > nowMs ? 'held' : 'expired';
}

export type AcquireDecision =
  | { kind: 'grant' }
  | { kind: 'extend'; current: LeaseRecord }
  | { kind: 'takeover'; previous: LeaseRecord }
  | { kind: 'deny'; holder: LeaseRecord };

/** free → grant; own (live or expired) → extend; someone else's live → deny; expired → takeover. */
export function decideAcquire(existing: LeaseRecord | undefined, owner: string, nowMs: number): AcquireDecision {
  if (!existing) return { kind: 'grant' };
  if (existing.owner === owner) return { kind: 'extend', current: existing };
  if (leaseState(existing, nowMs) === 'held') return { kind: 'deny', holder: existing };
  return { kind: 'takeover', previous: existing };
}

export type ReleaseDecision = { kind: 'release'; current: LeaseRecord } | { kind: 'free' } | { kind: 'other'; holder: LeaseRecord };

export function decideRelease(existing: LeaseRecord | undefined, owner: string): ReleaseDecision {
  if (!existing) return { kind: 'free' };
  if (existing.owner === owner) return { kind: 'release', current: existing };
  return { kind: 'other', holder: existing };
}

export type RenewDecision = { kind: 'renew'; current: LeaseRecord } | { kind: 'free' } | { kind: 'other'; holder: LeaseRecord };

/** Only the holder renews; an expired lease nobody took over is still the holder's to renew. */
export function decideRenew(existing: LeaseRecord | undefined, owner: string): RenewDecision {
  if (!existing) return { kind: 'free' };
  if (existing.owner === owner) return { kind: 'renew', current: existing };
  return { kind: 'other', holder: existing };
}

/** The next fencing token: above the counter and above every token still on record. */
export function nextToken(counterLast: number, recordTokens: readonly number[]): number {
  let m = counterLast;
  for (const t of recordTokens) if (t > m) m = t;
  return m + 1;
}

export interface Holder {
  path: string;
  owner: string;
  worktree: string;
  branch: string | null;
  since: string;
  expires: string;
  token: number;
}

export function holderOf(rec: LeaseRecord): Holder {
  return { path: rec.path, owner: rec.owner, worktree: rec.worktree, branch: rec.branch, since: rec.acquired, expires: rec.expires, token: rec.token };
}

/** The exact command that takes the lease(s). */
export function acquireCommand(paths: readonly string[], owner?: string): string {
  return `gate lock acquire ${paths.map(shellQuote).join(' ')}${owner ? ` --owner ${shellQuote(owner)}` : ''} --reason '<why>'`;
}

/** Human one-liner about who holds a path. */
export function describeHolder(rec: LeaseRecord, nowMs: number): string {
  const state = leaseState(rec, nowMs);
  const left = Math.round((Date.parse(rec.expires) - nowMs) / 1000);
  return state === 'held'
    ? `held by ${rec.owner} since ${rec.acquired} (worktree ${rec.worktree}${rec.branch ? `, branch ${rec.branch}` : ''}), expires ${rec.expires} (in ${formatSeconds(left)})`
    : `its lease by ${rec.owner} expired at ${rec.expires}`;
}

export function formatSeconds(s: number): string {
  if (s < 0) return `${formatSeconds(-s)} ago`;
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

// ---------------------------------------------------------------------------------------------
// Pre-commit: staged handoff documents need a live lease held by the committing identity
// ---------------------------------------------------------------------------------------------

/** Every handoff path a staged change touches: both sides of a rename, the new side of a copy. */
export function stagedHandoffPaths(changes: readonly FileChange[], isHandoff: GlobMatcher): string[] {
  const out = new Set<string>();
  for (const c of changes) {
    if (isHandoff(c.path)) out.add(c.path);
    if (c.status === 'R' && c.oldPath !== undefined && isHandoff(c.oldPath)) out.add(c.oldPath);
  }
  return [...out].sort();
}

const VERB: Record<string, string> = { A: 'adds', M: 'modifies', D: 'deletes', R: 'renames', C: 'copies to', T: 'changes the type of' };

export interface LeaseFacts {
  changes: readonly FileChange[];
  isHandoff: GlobMatcher;
  /** The lease record of each path from stagedHandoffPaths (undefined = free). */
  leases: ReadonlyMap<string, LeaseRecord | undefined>;
  /** The committing identity: GATE_SESSION, or `human:<git email>`. */
  actor: string;
  nowMs: number;
}

/** A symbolic link's mode in a git tree. */
const LINK_MODE = '120000';

/**
 * A handoff document staged as a symbolic link: a lease covers the link's own path only, so after
 * it is committed once every edit of its target would change what the document reads with no lease
 * (the Gate A counterpart of Gate B's link escapes). Refused whatever the lease.
 */
export function handoffLinkFindings(changes: readonly FileChange[], isHandoff: GlobMatcher): Finding[] {
  const out: Finding[] = [];
  for (const c of changes) {
    if (c.newMode !== LINK_MODE || c.status === 'D' || !isHandoff(c.path)) continue;
    out.push({
      gate: 'A',
      code: 'A_LINK',
      severity: 'block',
      path: c.path,
      message: `the handoff document ${c.path} is staged as a symbolic link: a lease covers only the link's own path, so every later edit of the file it points to would change what ${c.path} reads with no lease. A handoff document must be a regular file.`,
      fix: `git rm --cached ${shellQuote(c.path)} && cp --remove-destination "$(realpath ${shellQuote(c.path)})" ${shellQuote(c.path)} && git add ${shellQuote(c.path)}   (replace the link with the file itself)`,
      data: { mode: c.newMode },
    });
  }
  return out;
}

export function leaseFindings(f: LeaseFacts): Finding[] {
  const findings: Finding[] = handoffLinkFindings(f.changes, f.isHandoff);
  const verbOf = new Map<string, string>();
  for (const c of f.changes) {
    verbOf.set(c.path, VERB[c.status] ?? 'changes');
    if (c.status === 'R' && c.oldPath !== undefined) verbOf.set(c.oldPath, 'renames away');
  }
  for (const path of stagedHandoffPaths(f.changes, f.isHandoff)) {
    const rec = f.leases.get(path);
    const fix = acquireCommand([path], f.actor);
    const verb = verbOf.get(path) ?? 'changes';
    if (!rec) {
      findings.push({
        gate: 'A',
        code: 'A_LEASE_FREE',
        severity: 'block',
        path,
        message: `this commit ${verb} the handoff document ${path}, but ${f.actor} holds no lease on it (it is free). Take the lease first so no other session rewrites it at the same time.`,
        fix,
        data: { state: 'free', actor: f.actor },
      });
      continue;
    }
    const state = leaseState(rec, f.nowMs);
    if (rec.owner === f.actor && state === 'held') continue;
    if (rec.owner === f.actor) {
      findings.push({
        gate: 'A',
        code: 'A_LEASE_EXPIRED',
        severity: 'block',
        path,
        message: `this commit ${verb} the handoff document ${path}, but your lease (${f.actor}) expired at ${rec.expires}; another session may already have taken it over.`,
        fix: `gate lock renew ${shellQuote(path)} --owner ${shellQuote(f.actor)}`,
        data: { state: 'expired', actor: f.actor, holder: holderOf(rec) },
      });
      continue;
    }
    findings.push({
      gate: 'A',
      code: state === 'held' ? 'A_LEASE_HELD' : 'A_LEASE_NOT_HELD',
      severity: 'block',
      path,
      message:
        state === 'held'
          ? `this commit ${verb} the handoff document ${path}, which is ${describeHolder(rec, f.nowMs)}; ${f.actor} may not change it now.`
          : `this commit ${verb} the handoff document ${path}; ${describeHolder(rec, f.nowMs)} and ${f.actor} holds no lease on it.`,
      fix: state === 'held' ? `wait for ${rec.owner} to release it, then: ${acquireCommand([path], f.actor)} --wait 10m` : fix,
      data: { state, actor: f.actor, holder: holderOf(rec) },
    });
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// Remote leases (handoff.remote, ADR 0023): expiry judged without trusting another machine's clock
// ---------------------------------------------------------------------------------------------

/** Slack added to a remote lease's lifetime before another clone may take it over (rate drift, the push's own duration). */
export const REMOTE_EXPIRY_MARGIN_MS = 2_000;

/** A record's lifetime: expires − renewed, both read off the holder's clock, so no offset between clocks enters. */
export function leaseTtlMs(rec: LeaseRecord): number {
  return Math.max(0, Date.parse(rec.expires) - Date.parse(rec.renewed));
}

/**
 * Whether another clone may take over a remote lease it first saw (this exact version, by its
 * commit id) at `seenAtMs` on its own clock: only once a whole lifetime (plus the margin) has passed
 * on that clock since. The holder wrote the version before it was seen, so its lease has ended by
 * then whatever the two clocks say (only their rates matter). `seenAtMs` undefined: never seen → live.
 */
export function remoteLeaseState(rec: LeaseRecord, seenAtMs: number | undefined, nowMs: number, marginMs = REMOTE_EXPIRY_MARGIN_MS): LeaseState {
  if (seenAtMs === undefined) return 'held';
  return nowMs - seenAtMs >= leaseTtlMs(rec) + marginMs ? 'expired' : 'held';
}

/** Like decideAcquire, with the expiry of someone else's lease judged by remoteLeaseState. */
export function decideRemoteAcquire(existing: LeaseRecord | undefined, owner: string, seenAtMs: number | undefined, nowMs: number): AcquireDecision {
  if (!existing) return { kind: 'grant' };
  if (existing.owner === owner) return { kind: 'extend', current: existing };
  if (remoteLeaseState(existing, seenAtMs, nowMs) === 'held') return { kind: 'deny', holder: existing };
  return { kind: 'takeover', previous: existing };
}
