/**
 * Gate A across clones (handoff.remote, ADR 0023): acquire, renew, release, status and break as
 * compare-and-swap pushes of refs/agent-gates/leases/<path-id> (+ the fencing ref) on the remote.
 *
 * Each operation decides from what this clone last saw of the remote (versions.json, else its
 * tracking refs) when that decision is the action asked for (the push's compare-and-swap proves the
 * guess right or wrong), and from a fresh read otherwise (an ls-remote of the path's refs, plus a
 * fetch only for a version this clone has not seen; remote-lease-store.ts). A lost race is re-read and decided again, with jittered backoff,
 * a bounded number of times. The remote is the commit point: the ledger line follows a won push (it
 * names the remote's lease version), and the local lease directory is written through as the cache
 * `--offline` reads. A remote that cannot be reached is REMOTE_UNREACHABLE (exit 3), never "free".
 */
import { hostname } from 'node:os';
import { GateError } from '../../kernel/errors.js';
import { LeaseStore } from '../../adapters/lease-store.js';
import { RemoteLeaseStore, type RemoteLeaseState } from '../../adapters/remote-lease-store.js';
import type { RefUpdate } from '../../adapters/remote-refs.js';
import { decideRelease, decideRemoteAcquire, decideRenew, holderOf, leaseTtlMs, nextToken, remoteLeaseState } from '../../gates/leases.js';
import { LEASE_FORMAT, type LeaseRecord, type RemoteLeaseOp } from '../../schema/lease/schema.js';
import type { LedgerEventInput } from '../../schema/ledger/schema.js';
import type { Ctx } from '../context.js';
import { parseDuration, type GatesConfig } from '../../schema/config/defaults.js';
import type { AcquireResult, Granted, LeaseView, ReleaseResult, RenewResult } from './lease.js';
import { acquireCommand } from '../../gates/leases.js';
import type { LeaseEvidence } from '../../gates/range-leases.js';

/**
 * How many compare-and-swaps in a row one operation may lose while every fresh read says "go ahead"
 * before it gives up (each loss is someone else's win; seeing a holder resets the count, so
 * `--wait` waits through any number of others' grants).
 */
export const MAX_CAS_LOSSES = 40;
/**
 * How many of an acquire's pushes may time out unresolved (not found applied on the remote when
 * looked at again) before it gives up with "may have landed"; each one is retried, and a later
 * read that finds one of them applied ends the acquire as that grant.
 */
export const MAX_UNSURE_PUSHES = 2;
/** Timeout of each remote call made by `gate lock` (the pre-commit hook uses HOOK_REMOTE_TIMEOUT_MS). */
export const LOCK_REMOTE_TIMEOUT_MS = 15_000;
export const HOOK_REMOTE_TIMEOUT_MS = 5_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The timeout of one remote call: handoff.remote_timeout (default 15s); the hook caps it at 5s. */
export function remoteTimeoutMs(config: GatesConfig, hook = false): number {
  const t = config.handoff.remote_timeout !== undefined ? (parseDuration(config.handoff.remote_timeout) ?? LOCK_REMOTE_TIMEOUT_MS) : LOCK_REMOTE_TIMEOUT_MS;
  return hook ? Math.min(t, HOOK_REMOTE_TIMEOUT_MS) : t;
}

export function remoteStore(ctx: Ctx, remote: string, timeoutMs: number): RemoteLeaseStore {
  return new RemoteLeaseStore(ctx.git, ctx.stateDir, remote, { timeoutMs });
}

function contention(what: string, paths: readonly string[]): GateError {
  return new GateError('CANNOT_EVALUATE', `${what} lost the race on the remote ${MAX_CAS_LOSSES} times in a row (others kept changing these leases); nothing was changed by this command.`, {
    fix: `try again: ${acquireCommand(paths)} --wait 1m`,
  });
}

/** Jittered backoff after a lost compare-and-swap (10 ms doubling to 200 ms, full jitter). */
function backoff(losses: number): Promise<void> {
  const cap = Math.min(200, 10 * 2 ** Math.min(losses, 5));
  return sleep(1 + Math.random() * cap);
}

/**
 * How long a waiter sleeps before its next look at a held lease: 50–100 ms, growing ×1.5 per look
 * up to 0.5–1 s (the upper half jittered), whoever holds it meanwhile. A long wait costs each waiter
 * about one ls-remote a second (over ssh each look is a connection: polling faster starves the
 * holder), and with N waiters a release is seen within ~1/N s.
 */
export function waitPollMs(polls: number): number {
  const cap = Math.min(1000, 100 * 1.5 ** Math.min(polls, 10));
  return cap / 2 + Math.random() * (cap / 2);
}

/** Write-through to the local lease directory (the cache `--offline` reads); a failure here never undoes the remote. */
function cacheWrite(ctx: Ctx, recs: readonly LeaseRecord[], removed: readonly string[] = []): void {
  try {
    const local = new LeaseStore(ctx.stateDir);
    for (const r of recs) local.write(r, { fsync: false }); // the remote holds the truth: no flush
    for (const p of removed) local.remove(p);
  } catch {
    /* the cache is best effort */
  }
}

export interface RemoteAcquireArgs {
  paths: string[];
  owner: string;
  ttlMs: number;
  waitMs: number;
  reason: string | null;
  worktree: string;
  branch: string | null;
  actor: LedgerEventInput['actor'];
}

export async function remoteAcquire(ctx: Ctx, remote: string, a: RemoteAcquireArgs): Promise<AcquireResult & { remote: string }> {
  const store = remoteStore(ctx, remote, remoteTimeoutMs((await ctx.config()).config));
  const deadline = ctx.now().getTime() + a.waitMs;
  let attempts = 0;
  let losses = 0;
  let fresh = false;
  let polls = 0;
  /** Pushes that timed out and were not found applied: each may still land, as this process's own versions. */
  const unsure: { versions: string[]; granted: Granted[]; events: LedgerEventInput[]; recs: LeaseRecord[] }[] = [];
  /** A won push: the remote is the commit point; this clone's ledger follows it. */
  const won = async (w: { granted: Granted[]; events: LedgerEventInput[]; recs: LeaseRecord[] }, late: boolean) => {
    await ctx.record(late ? w.events.map((e) => ({ ...e, data: { ...e.data, landed_after_timeout: true } })) : w.events);
    cacheWrite(ctx, w.recs);
    return { ok: true, owner: a.owner, granted: w.granted, denied: [], attempts, remote };
  };
  for (;;) {
    attempts += 1;
    const now = ctx.now();
    const nowMs = now.getTime();
    const states = store.read(a.paths, fresh, nowMs);
    // an earlier push that timed out landed after all: that is the grant (a later one could not, its expectation failed)
    const landed = unsure.find((u) => a.paths.every((p, i) => states.get(p)!.lease?.oid === u.versions[i]));
    if (landed) return won(landed, true);
    const decisions = a.paths.map((p) => {
      const s = states.get(p)!;
      return decideRemoteAcquire(s.lease?.rec, a.owner, s.lease ? store.seenAt(s.lease.oid) : undefined, nowMs);
    });
    const denied = decisions.flatMap((d) => (d.kind === 'deny' ? [holderOf(d.holder)] : []));
    if (denied.length) {
      losses = 0; // the races lost so far were lost to the holder seen now: waiting for it is not livelock
      if (!fresh) {
        fresh = true; // the cache said no: ask the remote before answering
        attempts -= 1;
        continue;
      }
      if (ctx.now().getTime() >= deadline) {
        await ctx.record({ event: 'lease.deny', actor: a.actor, subject: { paths: a.paths }, data: { held: denied, waited_ms: a.waitMs, attempts, reason: a.reason, remote } });
        return { ok: false, owner: a.owner, granted: [], denied, attempts, remote };
      }
      // the next fresh read is one ls-remote, and a fetch only for a version this clone has not seen
      await sleep(Math.min(waitPollMs(polls++), Math.max(1, deadline - ctx.now().getTime())));
      continue;
    }
    const iso = now.toISOString();
    const expires = new Date(nowMs + a.ttlMs).toISOString();
    const updates: RefUpdate[] = [];
    const recs: LeaseRecord[] = [];
    const granted: Granted[] = [];
    const events: LedgerEventInput[] = [];
    const versions: string[] = [];
    decisions.forEach((d, i) => {
      const path = a.paths[i]!;
      const s: RemoteLeaseState = states.get(path)!;
      const extend = d.kind === 'extend';
      const token = extend ? d.current.token : nextToken(s.fence?.token ?? 0, s.lease ? [s.lease.rec.token] : []);
      const acquired = extend ? d.current.acquired : iso;
      const rec: LeaseRecord = { v: LEASE_FORMAT, path, owner: a.owner, host: hostname(), pid: process.pid, worktree: a.worktree, branch: a.branch, acquired, renewed: iso, expires, reason: a.reason, token };
      const op: RemoteLeaseOp = d.kind === 'takeover' ? 'takeover' : extend ? 'renew' : 'grant';
      const oid = store.writeVersion(op, rec, s.lease?.oid ?? s.fence?.oid);
      versions.push(oid);
      updates.push({ ref: s.leaseRef, newOid: oid, expect: s.lease?.oid ?? null });
      if (!extend) updates.push({ ref: s.fenceRef, newOid: oid, expect: s.fence?.oid ?? null });
      recs.push(rec);
      const g: Granted = { path, kind: extend ? 'extend' : d.kind === 'takeover' ? 'takeover' : 'grant', token, acquired, expires };
      if (d.kind === 'takeover') g.previous = holderOf(d.previous);
      granted.push(g);
      const data: Record<string, unknown> = { token, expires, ttl_seconds: Math.round(a.ttlMs / 1000), reason: a.reason, worktree: a.worktree, branch: a.branch, remote, version: oid };
      if (d.kind === 'takeover') data.previous = holderOf(d.previous);
      if (extend) data.via = 'acquire';
      events.push({ event: d.kind === 'takeover' ? 'lease.takeover' : extend ? 'lease.renew' : 'lease.grant', actor: a.actor, subject: { paths: [path] }, data });
    });
    const r = store.cas(updates, { retryUnsure: unsure.length < MAX_UNSURE_PUSHES });
    if (r.ok) return won({ granted, events, recs }, r.afterTimeout === true);
    if (r.unsure) {
      // timed out, not applied when looked at: read again and decide again, recognising this version if it lands
      unsure.push({ versions, granted, events, recs });
      fresh = true;
      continue;
    }
    losses += 1;
    if (losses >= MAX_CAS_LOSSES) throw contention('gate lock acquire', a.paths);
    fresh = true;
    await backoff(losses);
  }
}

export async function remoteRelease(ctx: Ctx, remote: string, o: { paths: string[]; owner: string; actor: LedgerEventInput['actor']; event?: Record<string, unknown> }): Promise<ReleaseResult & { remote: string }> {
  const store = remoteStore(ctx, remote, remoteTimeoutMs((await ctx.config()).config));
  let fresh = false;
  let losses = 0;
  for (;;) {
    const states = store.read(o.paths, fresh, ctx.now().getTime());
    const decisions = o.paths.map((p) => decideRelease(states.get(p)!.lease?.rec, o.owner));
    const denied = decisions.flatMap((d) => (d.kind === 'other' ? [holderOf(d.holder)] : []));
    const free = o.paths.filter((_, i) => decisions[i]!.kind === 'free');
    if ((denied.length || free.length) && !fresh) {
      fresh = true;
      continue;
    }
    if (denied.length) {
      await ctx.record({ event: 'lease.deny', actor: o.actor, subject: { paths: o.paths }, data: { op: 'release', held: denied, remote } });
      return { ok: false, owner: o.owner, released: [], free, denied, remote };
    }
    const mine = o.paths.flatMap((p) => {
      const s = states.get(p)!;
      return s.lease && s.lease.rec.owner === o.owner ? [s] : [];
    });
    const r = store.cas(mine.map((s) => ({ ref: s.leaseRef, newOid: null, expect: s.lease!.oid })));
    if (r.ok) {
      const released = mine.map((s) => ({ path: s.path, token: s.lease!.rec.token }));
      await ctx.record(released.map((x, i) => ({ event: 'lease.release' as const, actor: o.actor, subject: { paths: [x.path] }, data: { token: x.token, remote, version: mine[i]!.lease!.oid, ...(o.event ?? {}) } })));
      cacheWrite(ctx, [], released.map((x) => x.path));
      return { ok: true, owner: o.owner, released, free, denied: [], remote };
    }
    losses += 1;
    if (losses >= MAX_CAS_LOSSES) throw contention('gate lock release', o.paths);
    fresh = true;
    await backoff(losses);
  }
}

export async function remoteRenew(ctx: Ctx, remote: string, o: { paths: string[]; owner: string; ttlMs: number; actor: LedgerEventInput['actor'] }): Promise<RenewResult & { remote: string }> {
  const store = remoteStore(ctx, remote, remoteTimeoutMs((await ctx.config()).config));
  let fresh = false;
  let losses = 0;
  for (;;) {
    const now = ctx.now();
    const states = store.read(o.paths, fresh, now.getTime());
    const decisions = o.paths.map((p) => decideRenew(states.get(p)!.lease?.rec, o.owner));
    const denied = decisions.flatMap((d) => (d.kind === 'other' ? [holderOf(d.holder)] : []));
    const free = o.paths.filter((_, i) => decisions[i]!.kind === 'free');
    if (denied.length || free.length) {
      if (!fresh) {
        fresh = true;
        continue;
      }
      await ctx.record({ event: 'lease.deny', actor: o.actor, subject: { paths: o.paths }, data: { op: 'renew', held: denied, free, remote } });
      return { ok: false, owner: o.owner, renewed: [], free, denied, remote };
    }
    const expires = new Date(now.getTime() + o.ttlMs).toISOString();
    const updates: RefUpdate[] = [];
    const recs: LeaseRecord[] = [];
    for (const p of o.paths) {
      const s = states.get(p)!;
      const rec: LeaseRecord = { ...s.lease!.rec, renewed: now.toISOString(), expires, host: hostname(), pid: process.pid };
      updates.push({ ref: s.leaseRef, newOid: store.writeVersion('renew', rec, s.lease!.oid), expect: s.lease!.oid });
      recs.push(rec);
    }
    const r = store.cas(updates);
    if (r.ok) {
      await ctx.record(recs.map((x, i) => ({ event: 'lease.renew' as const, actor: o.actor, subject: { paths: [x.path] }, data: { token: x.token, expires, ttl_seconds: Math.round(o.ttlMs / 1000), remote, version: updates[i]!.newOid } })));
      cacheWrite(ctx, recs);
      return { ok: true, owner: o.owner, renewed: recs.map((x) => ({ path: x.path, token: x.token, expires })), free: [], denied: [], remote };
    }
    losses += 1;
    if (losses >= MAX_CAS_LOSSES) throw contention('gate lock renew', o.paths);
    fresh = true;
    await backoff(losses);
  }
}

/** The view of a remote lease: someone else's expires by this clone's observation, one's own by its record. */
export function remoteView(s: RemoteLeaseState, store: RemoteLeaseStore, nowMs: number, me: string | undefined, viewOf: (path: string, rec: LeaseRecord | undefined, nowMs: number, me: string | undefined) => LeaseView): LeaseView {
  const rec = s.lease?.rec;
  const v = viewOf(s.path, rec, nowMs, me);
  if (!rec || rec.owner === me) return v;
  const seen = store.seenAt(s.lease!.oid);
  const state = remoteLeaseState(rec, seen, nowMs);
  const until = (seen ?? nowMs) + leaseTtlMs(rec);
  return { ...v, state, expired: state === 'expired', expiresInSeconds: Math.round((until - nowMs) / 1000), next: state === 'expired' ? acquireCommand([s.path], me) : `${acquireCommand([s.path], me)} --wait 10m   (held by ${rec.owner}; free here at the latest ${new Date(until).toISOString()} by this clone's clock)` };
}

/**
 * The lease evidence of a commit just made (ADR 0026), from what the pre-commit's fetch left in the
 * tracking refs (no network): per path, the grant on the fence ref of the lease the committing
 * identity holds. Paths without such a lease are left out (the range check then reports them).
 */
export function leaseEvidence(ctx: Ctx, remote: string, paths: readonly string[], owner: string): LeaseEvidence[] {
  const states = remoteStore(ctx, remote, LOCK_REMOTE_TIMEOUT_MS).read(paths, false, ctx.now().getTime());
  const out: LeaseEvidence[] = [];
  for (const p of paths) {
    const s = states.get(p);
    if (!s?.lease || !s.fence || s.lease.rec.owner !== owner || s.fence.token !== s.lease.rec.token) continue;
    out.push({ path: p, remote, version: s.fence.oid, token: s.fence.token, owner });
  }
  return out;
}
