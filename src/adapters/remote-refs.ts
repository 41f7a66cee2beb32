/**
 * gate's refs on a git remote (issue 18): `refs/agent-gates/*` read with ls-remote or fetch and
 * changed with compare-and-swap pushes (`git push --atomic --force-with-lease=<ref>:<expect>`).
 * Works with any transport git speaks (a path, file://, git://, ssh://, http(s)://).
 *
 * - Every network call has a timeout (git is killed; REMOTE_UNREACHABLE) and never prompts
 *   (GIT_TERMINAL_PROMPT=0, ssh BatchMode): a remote that cannot be reached is CANNOT_EVALUATE,
 *   never "nothing there".
 * - A lost compare-and-swap is not an error: `casPush` returns the refs whose expected value did
 *   not hold (checked by the client against what the remote advertised AND by the remote's own
 *   ref transaction, which compares the old value under its lock), and the caller re-reads and
 *   decides again.
 * - What the remote refuses for good (a hook, a hosting rule, refs outside refs/heads hidden or
 *   denied) is REMOTE_REFUSED, so callers do not retry it.
 * - Fetched refs land in local tracking refs, `refs/agent-gates/remotes/<remote>/<rest>`, which
 *   are the cache a caller may start from (a wrong guess only costs a rejected push).
 */
import { GateError } from '../kernel/errors.js';
import { isObjectId } from '../kernel/ids.js';
import { join } from 'node:path';
import type { Git, GitResult } from './git.js';
import { readTextIfAny } from './files.js';
import { locateFromFiles } from './git-files.js';

/** gate's namespace on a remote. */
export const REMOTE_NS = 'refs/agent-gates/';
/** What a compare-and-swap push is called in errors (a timed-out one may have landed). */
const PUSH = 'a push';

/** Where this clone keeps what it fetched from `remote`. Never pushed. */
export const trackingPrefix = (remote: string): string => `${REMOTE_NS}remotes/${remote}/`;
/** A remote name usable inside a ref name (what `git remote add` accepts, roughly). */
export const REMOTE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const DEFAULT_REMOTE_TIMEOUT_MS = 10_000;

export interface RefUpdate {
  /** Full remote ref name under refs/agent-gates/ (never under remotes/). */
  ref: string;
  /** The object to point it at, or null to delete it. */
  newOid: string | null;
  /** The value the ref must have on the remote now, or null when it must not exist. */
  expect: string | null;
}

/**
 * `unsure`: the push timed out and one look at the remote found it not (yet) applied; it may still
 * land (the server may be finishing it), so a caller that retries must recognise its own versions.
 */
export type CasResult = { ok: true; afterTimeout?: true } | { ok: false; stale: string[]; unsure?: true };

/** Why a remote call failed, from git's exit and stderr (pure, tested on its own). */
export function classifyRemoteFailure(r: Pick<GitResult, 'code' | 'stderr' | 'timedOut'>): 'timeout' | 'refused' | 'unreachable' {
  if (r.timedOut) return 'timeout';
  const e = r.stderr.toLowerCase();
  if (/funny refname|hook declined|refusing to|deny|not allowed|forbidden|protected|permission to .* denied|hidden ref/.test(e) && !/could not read from remote|does not appear to be a git repository|connection refused/.test(e)) {
    return 'refused';
  }
  return 'unreachable';
}

/** Reasons a remote gives in `[remote rejected] (<reason>)` that a retry will not change. */
const PERMANENT_REJECT = /hook declined|funny refname|deny|denied|not allowed|forbidden|protected|hidden|shallow|missing necessary objects|unpacker error/i;

export interface PushLine {
  flag: string;
  src: string;
  dst: string;
  summary: string;
}

/** `git push --porcelain` lines (`<flag>\t<from>:<to>\t<summary>`). */
export function parsePorcelainPush(stdout: string): PushLine[] {
  const out: PushLine[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^([ +\-*!=])\t([^\t]*)\t(.*)$/.exec(line);
    if (!m) continue;
    const colon = m[2]!.lastIndexOf(':');
    out.push({ flag: m[1]!, src: m[2]!.slice(0, colon), dst: m[2]!.slice(colon + 1), summary: m[3]! });
  }
  return out;
}

/** git fetch failed only because a concurrent fetch in this clone moved a tracking ref (a local race). */
export function isTrackingRefRace(stderr: string): boolean {
  const lines = stderr.split('\n').filter((l) => /^(error|fatal):/.test(l));
  return lines.length > 0 && lines.every((l) => /cannot lock ref '[^']*refs\/agent-gates\/remotes\/|unable to update local ref|some local refs could not be updated/.test(l));
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export class RemoteRefs {
  readonly git: Git;
  readonly remote: string;
  readonly timeoutMs: number;

  constructor(git: Git, remote: string, opts: { timeoutMs?: number } = {}) {
    if (!REMOTE_NAME_RE.test(remote)) {
      throw new GateError('CONFIG_INVALID', `"${remote.slice(0, 80)}" is not a git remote name gate can use (letters, digits, ".", "_", "-").`, {
        fix: 'name a configured remote, e.g. `handoff.remote: origin` (see `git remote -v`)',
      });
    }
    this.git = git;
    this.remote = remote;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS;
  }

  private netEnv: NodeJS.ProcessEnv | undefined;

  /**
   * Environment for network git: no prompt may wait for a person. ssh runs in BatchMode unless the
   * person chose the ssh command (GIT_SSH_COMMAND, GIT_SSH, or core.sshCommand in a config file
   * git reads: a deploy key's command must not be replaced); the timeout still kills a prompt.
   */
  private env(): NodeJS.ProcessEnv {
    if (this.netEnv) return this.netEnv;
    const e = process.env;
    const home = e.HOME ?? '';
    const own = locateFromFiles(this.git.cwd)?.paths.commonDir;
    const files = [own && join(own, 'config'), home && join(home, '.gitconfig'), join(e.XDG_CONFIG_HOME || join(home, '.config'), 'git', 'config'), '/etc/gitconfig'];
    const chosen = e.GIT_SSH_COMMAND !== undefined || e.GIT_SSH !== undefined || files.some((f) => f && /^\s*sshcommand\s*=/im.test(readTextIfAny(f) ?? ''));
    return (this.netEnv = {
      ...e,
      GIT_TERMINAL_PROMPT: '0',
      ...(chosen ? {} : { GIT_SSH_COMMAND: `ssh -o BatchMode=yes -o ConnectTimeout=${Math.max(1, Math.ceil(this.timeoutMs / 1000))}` }),
    });
  }

  private netExec(args: string[]): GitResult {
    return this.git.exec(args, { env: this.env(), timeoutMs: this.timeoutMs });
  }

  private fail(what: string, r: GitResult): never {
    const kind = classifyRemoteFailure(r);
    const msg = r.stderr.trim().split('\n').filter(Boolean).slice(-3).join(' / ').replace(/\.$/, '') || `exit ${r.code}`;
    if (kind === 'refused') {
      throw new GateError('REMOTE_REFUSED', `the remote "${this.remote}" refused ${what}: ${msg}. gate keeps its records under refs/agent-gates/ on the remote, and this remote does not accept them.`, {
        fix: `allow refs/agent-gates/* on the remote (see docs/gate-a.md, "Across machines"), or point handoff.remote at a remote that accepts them`,
        data: { remote: this.remote, kind },
      });
    }
    // a push that timed out may still have landed: what it asked for may now be held in the caller's name
    const landed = what === PUSH && kind === 'timeout';
    throw new GateError(
      'REMOTE_UNREACHABLE',
      (kind === 'timeout'
        ? `the remote "${this.remote}" did not answer ${what} within ${this.timeoutMs} ms. Without it the leases cannot be judged, and a lease that cannot be judged is never free.`
        : `the remote "${this.remote}" could not be reached for ${what}: ${msg}. Without it the leases cannot be judged, and a lease that cannot be judged is never free.`) +
        (landed ? ' The push may still have reached the remote, so a lease it asked for may now be held in your name there until you run the command again or it expires.' : ''),
      {
        fix: landed
          ? `once the remote answers, \`gate lock status <path>\` shows whether it landed; run the same gate lock command again either way (an acquire that landed is then a renewal of your own lease)`
          : `check the connection: git ls-remote ${this.remote} 'refs/agent-gates/*'   (to work on the local leases only, say so: --offline, recorded in the ledger)`,
        data: { remote: this.remote, kind, ...(landed ? { mayHaveLanded: true } : {}) },
      },
    );
  }

  /** ls-remote of refs under the given prefixes (full names, e.g. refs/agent-gates/ledger/): ref → oid. */
  list(prefixes: readonly string[]): Map<string, string> {
    const r = this.netExec(['ls-remote', '--refs', this.remote, ...prefixes.map((p) => `${p}*`)]);
    if (r.code !== 0) this.fail('ls-remote', r);
    const out = new Map<string, string>();
    for (const line of r.stdout.toString('utf8').split('\n')) {
      const tab = line.indexOf('\t');
      if (tab > 0) out.set(line.slice(tab + 1), line.slice(0, tab));
    }
    return out;
  }

  /**
   * The remote's value of exactly these refs (full names), from one `git ls-remote`: no objects, no
   * local refs written. What a waiter polls, and what a fresh read starts from (it fetches only when
   * a value is one this clone has not seen). A ref missing from the map is absent on the remote.
   */
  peek(refs: readonly string[]): Map<string, string> {
    const r = this.netExec(['ls-remote', '--refs', this.remote, ...refs]);
    if (r.code !== 0) this.fail('ls-remote', r);
    const want = new Set(refs);
    const out = new Map<string, string>();
    for (const line of r.stdout.toString('utf8').split('\n')) {
      const tab = line.indexOf('\t');
      // ls-remote matches patterns against the tail of ref names: keep exact names only
      if (tab > 0 && want.has(line.slice(tab + 1))) out.set(line.slice(tab + 1), line.slice(0, tab));
    }
    return out;
  }

  /**
   * Fetch refs/agent-gates/<p>* for each prefix p (relative, e.g. "leases/") into the tracking refs,
   * objects included, pruning what the remote no longer has. Returns remote ref → oid.
   */
  fetch(prefixes: readonly string[]): Map<string, string> {
    this.fetchOnly(prefixes);
    return this.tracked(prefixes);
  }

  /** Fetch into the tracking refs (objects included, pruned) without reading anything back. */
  fetchOnly(prefixes: readonly string[]): void {
    const track = trackingPrefix(this.remote);
    const specs = prefixes.map((p) => `+${REMOTE_NS}${p}*:${track}${p}*`);
    const args = ['-c', 'fetch.writeCommitGraph=false', 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--prune', '--no-auto-maintenance', '--no-auto-gc', this.remote, ...specs];
    for (let attempt = 1; ; attempt++) {
      const r = this.netExec(args);
      if (r.code === 0) break;
      // another process of this clone moved the same tracking ref meanwhile: the objects are here,
      // only the local cache update lost a race; fetch again (the refs are read back below)
      if (attempt < 8 && !r.timedOut && isTrackingRefRace(r.stderr)) {
        sleepSync(1 + Math.random() * 20 * attempt);
        continue;
      }
      this.fail('fetch', r);
    }
  }

  /** fetch(), then trackedMessages() (objects are local after the fetch). */
  fetchMessages(prefixes: readonly string[]): Map<string, { oid: string; message: string | undefined }> {
    this.fetchOnly(prefixes);
    return this.trackedMessages(prefixes);
  }

  /**
   * The tracking refs with each one's commit message, in ONE git process (for-each-ref):
   * remote ref → {oid, message}; a ref to something other than a commit has message undefined.
   */
  trackedMessages(prefixes: readonly string[]): Map<string, { oid: string; message: string | undefined }> {
    const track = trackingPrefix(this.remote);
    const r = this.git.exec(['for-each-ref', '--format=%(objectname) %(objecttype) %(refname)%00%(contents)%00', ...prefixes.map((p) => `${track}${p}`)]);
    if (r.code !== 0) throw new GateError('GIT_FAILED', `git for-each-ref ${track} failed (exit ${r.code}): ${r.stderr.trim()}`);
    const out = new Map<string, { oid: string; message: string | undefined }>();
    const parts = r.stdout.toString('utf8').split('\0');
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const head = parts[i]!.replace(/^\n/, '');
      const m = /^(\S+) (\w+) (.+)$/.exec(head);
      if (!m || !isObjectId(m[1]!)) continue;
      out.set(`${REMOTE_NS}${m[3]!.slice(track.length)}`, { oid: m[1]!, message: m[2] === 'commit' ? parts[i + 1]! : undefined });
    }
    return out;
  }

  /** What the last fetch or push left in the tracking refs (local only): remote ref → oid. */
  tracked(prefixes: readonly string[]): Map<string, string> {
    const track = trackingPrefix(this.remote);
    const out = new Map<string, string>();
    for (const t of this.git.refTips(prefixes.map((p) => `${track}${p}`))) out.set(`${REMOTE_NS}${t.ref.slice(track.length)}`, t.commit);
    return out;
  }

  /**
   * One atomic compare-and-swap push of every update (all or nothing on the remote). On success the
   * tracking refs are moved to the new values by the push itself (a fetch refspec given for this
   * push only: git moves the tracking ref of every ref it pushed, so no second git process). A lost
   * race returns the refs whose expectation failed.
   */
  casPush(updates: readonly RefUpdate[], opts: { retryUnsure?: boolean } = {}): CasResult {
    if (updates.length === 0) return { ok: true };
    const args = ['-c', `remote.${this.remote}.fetch=+${REMOTE_NS}*:${trackingPrefix(this.remote)}*`, 'push', '--porcelain', '--atomic', '--no-verify', '--quiet'];
    for (const u of updates) {
      if (!u.ref.startsWith(REMOTE_NS) || u.ref.startsWith(`${REMOTE_NS}remotes/`)) throw new Error(`casPush: ${u.ref} is outside gate's remote namespace`);
      args.push(`--force-with-lease=${u.ref}:${u.expect ?? ''}`);
    }
    args.push(this.remote, ...updates.map((u) => `${u.newOid ?? ''}:${u.ref}`));
    const r = this.netExec(args);
    const lines = parsePorcelainPush(r.stdout.toString('utf8'));
    if (r.code === 0 && !r.timedOut) return { ok: true };
    if (r.timedOut) return this.afterTimeout(updates, r, opts.retryUnsure === true);
    if (lines.length === 0) this.fail(PUSH, r);
    const rejected = lines.filter((l) => l.flag === '!');
    const permanent = rejected.find((l) => /remote rejected/.test(l.summary) && PERMANENT_REJECT.test(l.summary));
    if (permanent) this.fail(`the update of ${permanent.dst}`, { ...r, stderr: `${permanent.summary} hook declined` });
    const stale = rejected.filter((l) => /stale info|fetch first|non-fast-forward|failed to update|failed to lock|cannot lock|incorrect old value|reference already exists/.test(l.summary)).map((l) => l.dst);
    // an atomic push fails as a whole: when no line names its cause, every ref is suspect
    return { ok: false, stale: stale.length ? stale : updates.map((u) => u.ref) };
  }

  /**
   * A push that timed out may have landed (the server may have applied it before, or after, git was
   * killed). One look at the remote (ls-remote of the pushed refs, with its own timeout): every ref
   * at its new value means it landed (the new values are this process's own versions, so no one else
   * put them there; a deletion found absent is done either way). Otherwise it is unsure: a caller
   * that asked to retry gets `unsure` (and must recognise its versions if they land later), any
   * other caller the error that says the push may have landed. Unanswered, that error too.
   */
  private afterTimeout(updates: readonly RefUpdate[], r: GitResult, retry: boolean): CasResult {
    let now: Map<string, string>;
    try {
      now = this.peek(updates.map((u) => u.ref));
    } catch (e) {
      if (e instanceof GateError) this.fail(PUSH, r);
      throw e;
    }
    if (updates.every((u) => (now.get(u.ref) ?? null) === u.newOid)) return { ok: true, afterTimeout: true };
    if (retry) return { ok: false, stale: updates.map((u) => u.ref), unsure: true };
    this.fail(PUSH, r);
  }
}
