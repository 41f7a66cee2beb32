/**
 * CLI glue for `gate lock acquire|release|renew|status`: runs the use-case and turns its result
 * into a Result. Shared by the commander actions (commands/lock.ts) and the lock fast path in
 * main.ts, and kept free of commander: agents call these constantly.
 */
import type { Result } from './output.js';
import { styleErr, styleOut } from './style.js';
// Static on purpose: this module is itself loaded lazily, only for these commands, and each
// needs both (one ESM chunk fewer to load per call).
import { openContext } from '../../app/context.js';
import * as lock from '../../app/leases/lease.js';

export { finish, failure } from './output.js';

export interface LockOpts {
  owner?: string;
  ttl?: string;
  wait?: string;
  reason?: string;
  /** With handoff.remote set: use this clone's lease directory only (recorded in the ledger). */
  offline?: boolean;
}

const off = (o: LockOpts) => (o.offline ? { offline: true } : {});

function holderLines(denied: { path: string; owner: string; since: string; expires: string; worktree: string; branch: string | null }[]): string[] {
  return denied.map((h) => `  ${h.path}: held by ${h.owner} since ${h.since}, expires ${h.expires} (worktree ${h.worktree}${h.branch ? `, branch ${h.branch}` : ''})`);
}

/** `remote` in --json when the leases live on a remote (handoff.remote). */
const remoteOf = (r: object): { remote?: string } => ('remote' in r && typeof r.remote === 'string' ? { remote: r.remote } : {});

export async function lockAcquireResult(paths: string[], opts: LockOpts): Promise<Result> {
  const r = await lock.acquire(openContext(), { paths, owner: opts.owner, ttl: opts.ttl, wait: opts.wait, reason: opts.reason, ...off(opts) });
  const json = { owner: r.owner, granted: r.granted, denied: r.denied, attempts: r.attempts, ...remoteOf(r) };
  if (!r.ok) {
    const s = styleErr();
    return {
      code: 1,
      json: { ...json, error: { code: 'LEASE_HELD', message: 'another owner holds a live lease; nothing was acquired', fix: `gate lock acquire ${paths.join(' ')} --owner ${r.owner} --wait 10m` } },
      errText: [
        `${s.red('gate: denied:')} nothing acquired (all or nothing); held by someone else:`,
        ...holderLines(r.denied),
        `${s.bold('fix:')} wait for the holder to release it: gate lock acquire ${paths.join(' ')} --owner ${r.owner} --wait 10m   (status: gate lock status)`,
      ],
    };
  }
  const s = styleOut();
  return {
    code: 0,
    json,
    text: r.granted.map(
      (g) =>
        `${s.green(g.kind === 'extend' ? 'extended' : g.kind === 'takeover' ? 'took over' : 'acquired')} ${g.path} for ${r.owner} until ${g.expires} (token ${g.token})${g.previous ? `; the lease of ${g.previous.owner} had expired at ${g.previous.expires}` : ''}`,
    ),
  };
}

export async function lockReleaseResult(paths: string[], opts: LockOpts): Promise<Result> {
  const r = await lock.release(openContext(), { paths, owner: opts.owner, ...off(opts) });
  const json = { owner: r.owner, released: r.released, free: r.free, denied: r.denied, ...remoteOf(r) };
  if (!r.ok) {
    return {
      code: 1,
      json: { ...json, error: { code: 'LEASE_HELD', message: 'you do not hold these leases; nothing was released' } },
      errText: [`${styleErr().red('gate: denied:')} nothing released; these are held by someone else:`, ...holderLines(r.denied)],
    };
  }
  return {
    code: 0,
    json,
    text: [...r.released.map((x) => `released ${x.path}`), ...r.free.map((p) => `${p} was not leased (nothing to release)`)],
  };
}

export async function lockRenewResult(paths: string[], opts: LockOpts): Promise<Result> {
  const r = await lock.renew(openContext(), { paths, owner: opts.owner, ttl: opts.ttl, ...off(opts) });
  const json = { owner: r.owner, renewed: r.renewed, free: r.free, denied: r.denied, ...remoteOf(r) };
  if (!r.ok) {
    return {
      code: 1,
      json: { ...json, error: { code: 'LEASE_NOT_HELD', message: 'you do not hold every one of these leases; nothing was renewed', fix: `gate lock acquire ${paths.join(' ')} --owner ${r.owner}` } },
      errText: [
        `${styleErr().red('gate: denied:')} nothing renewed:`,
        ...holderLines(r.denied),
        ...r.free.map((p) => `  ${p}: not leased by anyone`),
        `fix: gate lock acquire ${paths.join(' ')} --owner ${r.owner}`,
      ],
    };
  }
  return { code: 0, json, text: r.renewed.map((x) => `renewed ${x.path} until ${x.expires}`) };
}

export async function lockStatusResult(paths: string[], opts: LockOpts): Promise<Result> {
  const r = await lock.status(openContext(), { paths, owner: opts.owner, ...off(opts) });
  const s = styleOut();
  const text = r.leases.length
    ? r.leases.map((l) =>
        l.state === 'free'
          ? `${l.path}: ${s.green('free')}  → ${l.next}`
          : `${l.path}: ${l.state === 'held' ? s.yellow('held') : s.dim('expired')} by ${l.owner}${l.mine ? ' (you)' : ''}, worktree ${l.worktree}${l.branch ? ` [${l.branch}]` : ''}, acquired ${l.acquired}, expires ${l.expires}${l.reason ? `, reason: ${l.reason}` : ''}`,
      )
    : ['no leases on record'];
  return { code: 0, json: { ...r }, text };
}

export const LOCK_RESULTS = {
  acquire: lockAcquireResult,
  release: lockReleaseResult,
  renew: lockRenewResult,
  status: lockStatusResult,
} as const;
