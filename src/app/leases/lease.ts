/**
 * `gate lock …`: the use-cases of Gate A. Combines the lease store (adapters/lease-store) with the
 * pure decisions (gates/leases). Every grant, extension, renewal, release, denial, takeover and
 * break is written to the ledger, inside the lease mutex and before the record changes, so the
 * ledger's order is the leases' order and a broken ledger grants nothing.
 */
import { exists, realPath } from '../../adapters/files.js';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { GateError } from '../../kernel/errors.js';
import { LeaseStore } from '../../adapters/lease-store.js';
import { compileGlobs } from '../../kernel/glob.js';
import {
  acquireCommand,
  decideAcquire,
  decideRelease,
  decideRenew,
  describeHolder,
  holderOf,
  leaseState,
  nextToken,
  normaliseLeasePath,
  shellQuote,
  type Holder,
} from '../../gates/leases.js';
import { DURATION_BOUNDS, durationProblem, parseDuration } from '../../schema/config/defaults.js';
import { LEASE_FORMAT, type LeaseRecord } from '../../schema/lease/schema.js';
import type { Actor, LedgerEventInput } from '../../schema/ledger/schema.js';
import type { Ctx } from '../context.js';
import { isInteractive, sessionId } from '../../adapters/identity.js';
import { humanId, isHumanId } from '../../kernel/actor.js';

// ---------------------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------------------

export interface Owner {
  id: string;
  source: 'option' | 'GATE_SESSION' | 'terminal';
}

export function validateOwnerId(id: string): string {
  const t = id.trim();
  if (t.length === 0 || t.length > 200 || /[\u0000-\u001f\u007f]/.test(t)) {
    throw new GateError('USAGE', `"${id.slice(0, 60)}" is not a usable lease owner: it must be 1-200 printable characters.`, {
      fix: 'pass a session id, e.g. `--owner agent-7` or `export GATE_SESSION=agent-7`',
    });
  }
  return t;
}

/** --owner, else GATE_SESSION, else (only at an interactive terminal) human:<git email>. */
export function resolveOwner(ctx: Ctx, explicit: string | undefined, interactive = isInteractive()): Owner {
  if (explicit !== undefined) return { id: validateOwnerId(explicit), source: 'option' };
  const s = sessionId();
  if (s) return { id: validateOwnerId(s), source: 'GATE_SESSION' };
  if (interactive) {
    const email = ctx.git.userEmail();
    if (!email) {
      throw new GateError('IDENTITY_MISSING', 'gate cannot tell who you are: no --owner, no GATE_SESSION, and git has no user.email.', {
        fix: 'git config user.email you@example.com   (or pass --owner <id>)',
      });
    }
    return { id: humanId(email, 'unknown'), source: 'terminal' };
  }
  throw new GateError('IDENTITY_MISSING', 'no lease owner: --owner is not given, GATE_SESSION is not set, and this is not an interactive terminal. Two agent sessions must never share one identity, so gate will not guess.', {
    fix: 'export GATE_SESSION=<your session id>   (or pass --owner <your session id>)',
  });
}

/**
 * The owner a release or renewal acts as. `--owner` may only name the caller itself (issue 14): a
 * session (GATE_SESSION) naming another owner, or a person at a terminal naming an agent, is
 * refused; taking another's lease is `gate lock break`, at a terminal, recorded.
 */
export function actingOwner(ctx: Ctx, explicit: string | undefined, interactive = isInteractive()): Owner {
  const o = resolveOwner(ctx, explicit, interactive);
  if (o.source !== 'option') return o;
  const session = sessionId();
  let self: string | undefined;
  if (session) self = validateOwnerId(session);
  else if (interactive) {
    const email = ctx.git.userEmail();
    if (email) self = humanId(email, 'unknown');
  }
  if (self !== undefined && self !== o.id) {
    throw new GateError('USAGE', `--owner ${o.id} names another owner than you (${self}): only a lease's owner releases or renews it.`, {
      fix: `a person at a terminal takes a lease over with \`gate lock break <path>\`; or drop --owner to act as ${self}`,
    });
  }
  return o;
}

export function ownerActor(owner: string): Actor {
  return isHumanId(owner) ? { kind: 'human', id: owner } : { kind: 'agent', id: owner, session: owner };
}

// ---------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------

/** realpath of the nearest existing ancestor, joined with the part that does not exist yet. */
export function realTargetOf(abs: string): string {
  let cur = abs;
  const rest: string[] = [];
  for (;;) {
    if (exists(cur)) {
      try {
        return rest.length ? join(realPath(cur), ...rest.reverse()) : realPath(cur);
      } catch (e) {
        // Unresolvable (a symlink loop, no permission): judging the unresolved path could let an
        // edit through a symlink escape the handoff check, so this cannot be evaluated.
        throw new GateError('CANNOT_EVALUATE', `${abs} cannot be resolved to a real path (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}), so it cannot be judged.`, {
          fix: `check the path and any symlinks on it: ls -l '${cur.replace(/'/g, `'\\''`)}'`,
        });
      }
    }
    const parent = dirname(cur);
    if (parent === cur) return abs;
    rest.push(basename(cur));
    cur = parent;
  }
}

/** Normalise every path (reporting all bad ones at once); sorted, de-duplicated. */
export async function leasePaths(ctx: Ctx, inputs: readonly string[], cwd: string = process.cwd()): Promise<string[]> {
  if (inputs.length === 0) throw new GateError('USAGE', 'no path given.', { fix: 'gate lock acquire <path...>, e.g. gate lock acquire progress.md' });
  const { config } = await ctx.config();
  const globs = config.handoff.paths;
  const isHandoff = compileGlobs(globs);
  const root = ctx.paths.root;
  const realRoot = realPath(root);
  const out = new Set<string>();
  const problems: string[] = [];
  for (const input of inputs) {
    const abs = resolve(cwd, input);
    const r = normaliseLeasePath(input, { root, cwd, realRoot }, realTargetOf(abs), globs, isHandoff);
    if (r.ok) out.add(r.path);
    else problems.push(r.message);
  }
  if (problems.length) {
    throw new GateError('USAGE', `${problems.length === 1 ? 'a path is' : `${problems.length} paths are`} not leasable. Leases cover handoff documents inside this repository, matched by handoff.paths in .agents/gates.yaml: ${globs.join(', ')}.`, {
      details: problems,
      fix: 'name handoff documents by their path inside the repository, e.g. `gate lock acquire progress.md` (or add a glob to handoff.paths)',
    });
  }
  return [...out].sort();
}

function ttlOf(text: string | undefined, fallback: string, what = '--ttl'): number {
  const bounds = what === '--wait' ? DURATION_BOUNDS.wait : DURATION_BOUNDS.lease_ttl;
  const problem = durationProblem(text ?? fallback, bounds);
  if (problem) {
    const field = text === undefined ? 'handoff.lease_ttl in .agents/gates.yaml' : what;
    throw new GateError(text === undefined ? 'CONFIG_INVALID' : 'USAGE', `${field} must be ${problem}.`, { fix: text === undefined ? 'set handoff.lease_ttl to a duration like 30m, then run `gate doctor`' : `use a duration like 30s, 30m or 2h, e.g. ${what} 30m` });
  }
  return parseDuration(text ?? fallback)!;
}

// ---------------------------------------------------------------------------------------------
// Views (what --json prints)
// ---------------------------------------------------------------------------------------------

export interface LeaseView {
  path: string;
  /** "held": a live lease; "expired": anyone may take it over; "free": no lease. */
  state: 'held' | 'expired' | 'free';
  owner: string | null;
  /** Whether the identity asking holds it (null when the caller has no identity). */
  mine: boolean | null;
  worktree: string | null;
  branch: string | null;
  host: string | null;
  pid: number | null;
  acquired: string | null;
  renewed: string | null;
  expires: string | null;
  expired: boolean;
  /** Seconds until expiry (negative once expired); null when free. */
  expiresInSeconds: number | null;
  reason: string | null;
  token: number | null;
  /** The command the caller runs next to hold this document. */
  next: string;
}

export function viewOf(path: string, rec: LeaseRecord | undefined, nowMs: number, me: string | undefined): LeaseView {
  if (!rec) {
    return {
      path, state: 'free', owner: null, mine: me ? false : null, worktree: null, branch: null, host: null, pid: null, acquired: null,
      renewed: null, expires: null, expired: false, expiresInSeconds: null, reason: null, token: null, next: acquireCommand([path], me),
    };
  }
  const state = leaseState(rec, nowMs);
  const mine = me ? rec.owner === me : null;
  return {
    path,
    state,
    owner: rec.owner,
    mine,
    worktree: rec.worktree,
    branch: rec.branch,
    host: rec.host,
    pid: rec.pid,
    acquired: rec.acquired,
    renewed: rec.renewed,
    expires: rec.expires,
    expired: state === 'expired',
    expiresInSeconds: Math.round((Date.parse(rec.expires) - nowMs) / 1000),
    reason: rec.reason,
    token: rec.token,
    next: mine
      ? `gate lock release ${shellQuote(path)}${me ? ` --owner ${shellQuote(me)}` : ''}   (or renew: gate lock renew ${shellQuote(path)}${me ? ` --owner ${shellQuote(me)}` : ''})`
      : state === 'expired'
        ? acquireCommand([path], me)
        : `${acquireCommand([path], me)} --wait 10m   (held by ${rec.owner} until ${rec.expires})`,
  };
}

// ---------------------------------------------------------------------------------------------
// acquire
// ---------------------------------------------------------------------------------------------

export interface AcquireOptions {
  paths: string[];
  owner?: string;
  ttl?: string;
  wait?: string;
  reason?: string;
  cwd?: string;
  /** Where the work happens (defaults to this worktree and its branch); `gate task start` sets these. */
  worktree?: string;
  branch?: string | null;
  interactive?: boolean;
  /** With handoff.remote set: decide on this clone's lease directory only (recorded in the ledger). */
  offline?: boolean;
}

/**
 * Where the leases live for this command: the remote named by handoff.remote, unless `--offline`
 * says to use this clone's lease directory (then every ledger event says `offline: true`).
 */
function leaseHome(remote: string | undefined, offline: boolean | undefined): { remote?: string; extra: Record<string, unknown> } {
  if (!remote) return { extra: {} };
  return offline ? { extra: { offline: true, remote } } : { remote, extra: {} };
}

export interface Granted {
  path: string;
  kind: 'grant' | 'extend' | 'takeover';
  token: number;
  acquired: string;
  expires: string;
  previous?: Holder;
}

export interface AcquireResult {
  ok: boolean;
  owner: string;
  granted: Granted[];
  denied: Holder[];
  /** How many times the lock was tried (1 without --wait). */
  attempts: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function acquire(ctx: Ctx, o: AcquireOptions): Promise<AcquireResult> {
  const owner = resolveOwner(ctx, o.owner, o.interactive).id;
  const { config } = await ctx.config();
  const ttlMs = ttlOf(o.ttl, config.handoff.lease_ttl);
  const waitMs = o.wait === undefined ? 0 : ttlOf(o.wait, '0s', '--wait');
  const paths = await leasePaths(ctx, o.paths, o.cwd);
  const reason = o.reason?.trim() ? o.reason.trim() : null;
  const store = new LeaseStore(ctx.stateDir);
  const worktree = o.worktree ?? ctx.paths.root;
  const branch = o.branch !== undefined ? o.branch : (ctx.git.currentBranch() ?? null);
  const actor = ownerActor(owner);
  const home = leaseHome(config.handoff.remote, o.offline);
  if (home.remote) {
    const { remoteAcquire } = await import('./remote.js');
    return remoteAcquire(ctx, home.remote, { paths, owner, ttlMs, waitMs, reason, worktree, branch, actor });
  }
  const deadline = ctx.now().getTime() + waitMs;
  let attempts = 0;
  let delay = 10;
  for (;;) {
    attempts += 1;
    const r = await store.locked(async () => {
      const now = ctx.now();
      const nowMs = now.getTime();
      const current = paths.map((p) => store.read(p));
      const decisions = paths.map((p, i) => decideAcquire(current[i], owner, nowMs));
      const denied = decisions.flatMap((d) => (d.kind === 'deny' ? [holderOf(d.holder)] : []));
      if (denied.length) return { granted: [] as Granted[], denied, recs: [] as LeaseRecord[], events: [] as LedgerEventInput[] };
      // fencing tokens come from the ledger (ADR 0011): above every entry in it, so above every
      // token ever granted (each grant is appended after this read), whatever happened to
      // fence.json or to a grant killed before its record was written
      let last = Math.max(store.readFence(), ctx.ledger.lastSeq());
      if (last === 0) last = Math.max(0, ...store.list().map((x) => x.token));
      const otherTokens = current.flatMap((c) => (c ? [c.token] : []));
      const iso = now.toISOString();
      const expires = new Date(nowMs + ttlMs).toISOString();
      const recs: LeaseRecord[] = [];
      const granted: Granted[] = [];
      const events: LedgerEventInput[] = [];
      let fenceMoved = false;
      decisions.forEach((d, i) => {
        const path = paths[i]!;
        let token: number;
        let acquired = iso;
        if (d.kind === 'extend') {
          token = d.current.token;
          acquired = d.current.acquired;
        } else {
          token = nextToken(last, otherTokens);
          last = token;
          fenceMoved = true;
        }
        const rec: LeaseRecord = { v: LEASE_FORMAT, path, owner, host: hostname(), pid: process.pid, worktree, branch, acquired, renewed: iso, expires, reason, token };
        recs.push(rec);
        const g: Granted = { path, kind: d.kind === 'deny' ? 'grant' : d.kind, token, acquired, expires };
        if (d.kind === 'takeover') g.previous = holderOf(d.previous);
        granted.push(g);
        const data: Record<string, unknown> = { token, expires, ttl_seconds: Math.round(ttlMs / 1000), reason, worktree, branch, ...home.extra };
        if (d.kind === 'takeover') data.previous = holderOf(d.previous);
        if (d.kind === 'extend') data.via = 'acquire';
        events.push({ event: d.kind === 'grant' ? 'lease.grant' : d.kind === 'takeover' ? 'lease.takeover' : 'lease.renew', actor, subject: { paths: [path] }, data });
      });
      await ctx.record(events); // first: a ledger that cannot be written grants nothing
      await store.writeRecords(recs, fenceMoved ? last : undefined);
      return { granted, denied: [] as Holder[], recs, events };
    });
    if (r.denied.length === 0) return { ok: true, owner, granted: r.granted, denied: [], attempts };
    if (ctx.now().getTime() >= deadline) {
      await ctx.record({
        event: 'lease.deny',
        actor,
        subject: { paths },
        data: { held: r.denied, waited_ms: waitMs, attempts, reason, ...home.extra },
      });
      return { ok: false, owner, granted: [], denied: r.denied, attempts };
    }
    await sleep(Math.min(delay + Math.random() * delay, Math.max(1, deadline - ctx.now().getTime())));
    delay = Math.min(delay * 2, 250);
  }
}

// ---------------------------------------------------------------------------------------------
// release / renew
// ---------------------------------------------------------------------------------------------

export interface ReleaseResult {
  ok: boolean;
  owner: string;
  released: { path: string; token: number }[];
  /** Paths that had no lease (nothing to do). */
  free: string[];
  /** Paths held by someone else: nothing was released. */
  denied: Holder[];
}

export async function release(ctx: Ctx, o: { paths: string[]; owner?: string; cwd?: string; interactive?: boolean; event?: Record<string, unknown>; offline?: boolean }): Promise<ReleaseResult> {
  const owner = actingOwner(ctx, o.owner, o.interactive).id;
  const paths = await leasePaths(ctx, o.paths, o.cwd);
  const store = new LeaseStore(ctx.stateDir);
  const actor = ownerActor(owner);
  const home = leaseHome((await ctx.config()).config.handoff.remote, o.offline);
  if (home.remote) {
    const { remoteRelease } = await import('./remote.js');
    return remoteRelease(ctx, home.remote, { paths, owner, actor, ...(o.event ? { event: o.event } : {}) });
  }
  return store.locked(async () => {
    const decisions = paths.map((p) => decideRelease(store.read(p), owner));
    const denied = decisions.flatMap((d) => (d.kind === 'other' ? [holderOf(d.holder)] : []));
    const free = paths.filter((_, i) => decisions[i]!.kind === 'free');
    if (denied.length) {
      await ctx.record({ event: 'lease.deny', actor, subject: { paths }, data: { op: 'release', held: denied, ...home.extra } });
      return { ok: false, owner, released: [], free, denied };
    }
    const released = decisions.flatMap((d) => (d.kind === 'release' ? [{ path: d.current.path, token: d.current.token }] : []));
    await ctx.record(released.map((r) => ({ event: 'lease.release' as const, actor, subject: { paths: [r.path] }, data: { token: r.token, ...home.extra, ...(o.event ?? {}) } })));
    for (const r of released) store.remove(r.path);
    return { ok: true, owner, released, free, denied: [] };
  });
}

export interface RenewResult {
  ok: boolean;
  owner: string;
  renewed: { path: string; token: number; expires: string }[];
  free: string[];
  denied: Holder[];
}

export async function renew(ctx: Ctx, o: { paths: string[]; owner?: string; ttl?: string; cwd?: string; interactive?: boolean; offline?: boolean }): Promise<RenewResult> {
  const owner = actingOwner(ctx, o.owner, o.interactive).id;
  const { config } = await ctx.config();
  const ttlMs = ttlOf(o.ttl, config.handoff.lease_ttl);
  const paths = await leasePaths(ctx, o.paths, o.cwd);
  const store = new LeaseStore(ctx.stateDir);
  const actor = ownerActor(owner);
  const home = leaseHome(config.handoff.remote, o.offline);
  if (home.remote) {
    const { remoteRenew } = await import('./remote.js');
    return remoteRenew(ctx, home.remote, { paths, owner, ttlMs, actor });
  }
  return store.locked(async () => {
    const now = ctx.now();
    const decisions = paths.map((p) => decideRenew(store.read(p), owner));
    const denied = decisions.flatMap((d) => (d.kind === 'other' ? [holderOf(d.holder)] : []));
    const free = paths.filter((_, i) => decisions[i]!.kind === 'free');
    if (denied.length || free.length) {
      await ctx.record({ event: 'lease.deny', actor, subject: { paths }, data: { op: 'renew', held: denied, free, ...home.extra } });
      return { ok: false, owner, renewed: [], free, denied };
    }
    const expires = new Date(now.getTime() + ttlMs).toISOString();
    const recs = decisions.flatMap((d) => (d.kind === 'renew' ? [{ ...d.current, renewed: now.toISOString(), expires, host: hostname(), pid: process.pid }] : []));
    await ctx.record(recs.map((r) => ({ event: 'lease.renew' as const, actor, subject: { paths: [r.path] }, data: { token: r.token, expires, ttl_seconds: Math.round(ttlMs / 1000), ...home.extra } })));
    await store.writeRecords(recs);
    return { ok: true, owner, renewed: recs.map((r) => ({ path: r.path, token: r.token, expires })), free: [], denied: [] };
  });
}

// ---------------------------------------------------------------------------------------------
// status
// ---------------------------------------------------------------------------------------------

export interface StatusResult {
  now: string;
  /** The identity asking (null when none could be determined without guessing). */
  identity: string | null;
  /** The configured handoff globs: only these documents are leased. */
  handoff: string[];
  leases: LeaseView[];
  /** Where the leases were read: the remote named by handoff.remote, or "local" (no remote, or --offline). */
  source?: string;
}

export async function status(ctx: Ctx, o: { paths?: string[]; owner?: string; cwd?: string; offline?: boolean } = {}): Promise<StatusResult> {
  let me: string | undefined;
  try {
    me = resolveOwner(ctx, o.owner).id;
  } catch {
    me = undefined;
  }
  const { config } = await ctx.config();
  const store = new LeaseStore(ctx.stateDir);
  const nowMs = ctx.now().getTime();
  let leases: LeaseView[];
  const home = leaseHome(config.handoff.remote, o.offline);
  if (home.remote) {
    const { remoteStore, remoteView, remoteTimeoutMs } = await import('./remote.js');
    const rs = remoteStore(ctx, home.remote, remoteTimeoutMs(config));
    const states = o.paths && o.paths.length ? [...rs.read(await leasePaths(ctx, o.paths, o.cwd), true, nowMs).values()] : rs.list(nowMs);
    leases = states.map((s) => remoteView(s, rs, nowMs, me, viewOf));
    return { now: new Date(nowMs).toISOString(), identity: me ?? null, handoff: config.handoff.paths, leases, source: `remote:${home.remote}` };
  }
  if (o.paths && o.paths.length) {
    const paths = await leasePaths(ctx, o.paths, o.cwd);
    leases = paths.map((p) => viewOf(p, store.read(p), nowMs, me));
  } else {
    leases = store.list().map((r) => viewOf(r.path, r, nowMs, me));
  }
  return { now: new Date(nowMs).toISOString(), identity: me ?? null, handoff: config.handoff.paths, leases, source: 'local' };
}

// ---------------------------------------------------------------------------------------------
// break
// ---------------------------------------------------------------------------------------------

export interface BreakResult {
  path: string;
  broken: boolean;
  previous: Holder | { corrupt: true; bytes: string } | null;
  by: string;
  reason: string;
  /** How the person was proven (terminal challenge, or a signature by an allowed signer). */
  proof?: import('./lease-break.js').BreakProof;
  /** Set when the challenge was not typed back: nothing was broken. */
  aborted?: string;
}

/**
 * Break a lease: a person at a terminal (GATE_SESSION unset) types a fresh challenge, and signs
 * when signatures are required (src/app/leases/lease-break.ts). The ledger records the proven breaker.
 */
export async function breakLease(
  ctx: Ctx,
  o: { path: string; reason?: string; cwd?: string; term: import('../approvals/approve.js').Terminal; challenge?: () => string; signing?: import('../approvals/signed.js').SigningOptions },
): Promise<BreakResult> {
  const { requirePerson, proveBreaker, breakerId } = await import('./lease-break.js');
  requirePerson(o.term, o.path);
  const reason = o.reason?.trim();
  if (!reason) throw new GateError('USAGE', 'breaking a lease needs a reason (it is recorded in the ledger).', { fix: `gate lock break ${shellQuote(o.path)} --reason "<why>"` });
  const [path] = await leasePaths(ctx, [o.path], o.cwd);
  const { config } = await ctx.config();
  if (config.handoff.remote !== undefined) return breakRemoteLease(ctx, config.handoff.remote, path!, reason, o);
  const store = new LeaseStore(ctx.stateDir);
  const readPrevious = (): BreakResult['previous'] => {
    try {
      const rec = store.read(path!);
      return rec ? holderOf(rec) : null;
    } catch (e) {
      if (!(e instanceof GateError) || e.code !== 'LEASE_CORRUPT') throw e;
      return { corrupt: true, bytes: (store.raw(path!) ?? '').slice(0, 2000) };
    }
  };
  const seen = readPrevious();
  if (seen === null) return { path: path!, broken: false, previous: null, by: '', reason };
  const proof = await proveBreaker(ctx, o.term, { path: path!, reason, previous: seen }, { ...(o.challenge ? { challenge: o.challenge } : {}), ...(o.signing ? { signing: o.signing } : {}) });
  if ('aborted' in proof) return { path: path!, broken: false, previous: seen, by: '', reason, aborted: `${proof.aborted}; the lease was not broken` };
  const by = breakerId(proof);
  return store.locked(async () => {
    const previous = readPrevious();
    if (JSON.stringify(previous) !== JSON.stringify(seen)) {
      throw new GateError('DENIED', `the lease on ${path} changed while you were confirming; nothing was broken.`, { fix: `gate lock status ${shellQuote(path!)}, then gate lock break ${shellQuote(path!)} --reason "<why>" again` });
    }
    await ctx.record({ event: 'lease.break', actor: { kind: 'human', id: by }, subject: { paths: [path!] }, data: { reason, previous, os_user: proof.os_user, host: proof.host, proof } });
    store.remove(path!);
    return { path: path!, broken: true, previous, by, reason, proof };
  });
}

/** `gate lock break` with handoff.remote: the same proof, then a compare-and-swap delete of the remote lease. */
async function breakRemoteLease(
  ctx: Ctx,
  remote: string,
  path: string,
  reason: string,
  o: { term: import('../approvals/approve.js').Terminal; challenge?: () => string; signing?: import('../approvals/signed.js').SigningOptions },
): Promise<BreakResult> {
  const { proveBreaker, breakerId } = await import('./lease-break.js');
  const { remoteStore, remoteTimeoutMs } = await import('./remote.js');
  const { config } = await ctx.config();
  const rs = remoteStore(ctx, remote, remoteTimeoutMs(config));
  const read = () => rs.read([path], true, ctx.now().getTime()).get(path)!;
  const first = read();
  if (!first.lease) return { path, broken: false, previous: null, by: '', reason };
  const seen = holderOf(first.lease.rec);
  const proof = await proveBreaker(ctx, o.term, { path, reason, previous: seen }, { ...(o.challenge ? { challenge: o.challenge } : {}), ...(o.signing ? { signing: o.signing } : {}) });
  if ('aborted' in proof) return { path, broken: false, previous: seen, by: '', reason, aborted: `${proof.aborted}; the lease was not broken` };
  const by = breakerId(proof);
  const now = read();
  const changed = () =>
    new GateError('DENIED', `the lease on ${path} changed on the remote "${remote}" while you were confirming; nothing was broken.`, { fix: `gate lock status ${shellQuote(path)}, then gate lock break ${shellQuote(path)} --reason "<why>" again` });
  if (!now.lease || JSON.stringify(holderOf(now.lease.rec)) !== JSON.stringify(seen)) throw changed();
  if (!rs.cas([{ ref: now.leaseRef, newOid: null, expect: now.lease.oid }]).ok) throw changed();
  await ctx.record({ event: 'lease.break', actor: { kind: 'human', id: by }, subject: { paths: [path] }, data: { reason, previous: seen, os_user: proof.os_user, host: proof.host, proof, remote, version: now.lease.oid } });
  new LeaseStore(ctx.stateDir).remove(path);
  return { path, broken: true, previous: seen, by, reason, proof };
}

export { describeHolder };
