/**
 * Remote leases (handoff.remote, ADR 0023) on top of remote-refs.ts. For a leased path with id
 * <path-id> (the first 32 hex digits of its SHA-256, as the local record file):
 *
 *   refs/agent-gates/leases/<path-id>  the live lease: a commit whose message carries the record
 *                                      (absent: free)
 *   refs/agent-gates/fence/<path-id>   the last grant (or takeover) ever made on the path; its token
 *                                      is the fencing counter. Never deleted by gate.
 *
 * A grant moves both refs in one atomic compare-and-swap push; a renewal moves the lease ref; a
 * release or break deletes it. Besides the tracking refs (remote-refs.ts), this clone keeps one
 * small file, `<state dir>/remote/<remote>/seen.json`: when it first saw each lease version (its
 * commit id), on its own clock. That, not the holder's clock, decides when someone else's lease
 * has expired (gates/leases.ts remoteLeaseState). Losing the file only makes gate wait longer.
 */
import { join } from 'node:path';
import { GateError } from '../kernel/errors.js';
import { parseLeaseCommit, formatLeaseCommitMessage, type LeaseRecord, type RemoteLeaseOp } from '../schema/lease/schema.js';
import { readTextIfAny, writeFileAtomic } from './files.js';
import type { Git } from './git.js';
import { leaseFileName } from './lease-store.js';
import { REMOTE_NS, RemoteRefs, type CasResult, type RefUpdate } from './remote-refs.js';

export interface RemoteLeaseState {
  path: string;
  leaseRef: string;
  fenceRef: string;
  lease?: { oid: string; rec: LeaseRecord };
  fence?: { oid: string; token: number };
}

/** The path's id in ref names: the 32 hex digits its local record file starts with. */
export const remotePathId = (path: string): string => leaseFileName(path).slice(0, 32);
export const leaseRefOf = (path: string): string => `${REMOTE_NS}leases/${remotePathId(path)}`;
export const fenceRefOf = (path: string): string => `${REMOTE_NS}fence/${remotePathId(path)}`;

export class RemoteLeaseStore {
  readonly refs: RemoteRefs;
  private readonly git: Git;
  private readonly seenPath: string;
  private seen: Record<string, number> | undefined;

  constructor(git: Git, stateDir: string, remote: string, opts: { timeoutMs?: number } = {}) {
    this.git = git;
    this.refs = new RemoteRefs(git, remote, opts);
    this.seenPath = join(stateDir, 'remote', remote, 'seen.json');
  }

  get remote(): string {
    return this.refs.remote;
  }

  /**
   * The state of each path: from the remote (`fresh`, one fetch of just these refs) or from the
   * tracking refs this clone last saw. A record that cannot be parsed is LEASE_CORRUPT.
   */
  read(paths: readonly string[], fresh: boolean, nowMs: number): Map<string, RemoteLeaseState> {
    const prefixes = paths.flatMap((p) => [`leases/${remotePathId(p)}`, `fence/${remotePathId(p)}`]);
    const tips = fresh ? this.refs.fetch(prefixes) : this.refs.tracked(prefixes);
    const out = new Map<string, RemoteLeaseState>();
    const states = paths.map((path) => {
      const s: RemoteLeaseState = { path, leaseRef: leaseRefOf(path), fenceRef: fenceRefOf(path) };
      out.set(path, s);
      return s;
    });
    this.fill(states, tips);
    if (fresh) this.observe(states.flatMap((s) => (s.lease ? [s.lease.oid] : [])), nowMs);
    return out;
  }

  /** Every lease on the remote (one fetch of refs/agent-gates/leases/*), sorted by path. */
  list(nowMs: number): RemoteLeaseState[] {
    const tips = this.refs.fetch(['leases/']);
    const objs = this.git.readObjects([...tips.values()]);
    const out: RemoteLeaseState[] = [];
    for (const [ref, oid] of tips) {
      const rec = this.parse(ref, oid, objs.get(oid)?.body.toString('utf8'));
      if (leaseRefOf(rec.path) !== ref) throw corrupt(this.remote, ref, `it names ${rec.path}, whose lease ref would be ${leaseRefOf(rec.path)}`);
      out.push({ path: rec.path, leaseRef: ref, fenceRef: fenceRefOf(rec.path), lease: { oid, rec } });
    }
    this.observe(out.map((s) => s.lease!.oid), nowMs);
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  private fill(states: RemoteLeaseState[], tips: Map<string, string>): void {
    const want = states.flatMap((s) => [tips.get(s.leaseRef), tips.get(s.fenceRef)]).filter((x): x is string => !!x);
    const objs = this.git.readObjects(want);
    for (const s of states) {
      const l = tips.get(s.leaseRef);
      if (l) {
        const rec = this.parse(s.leaseRef, l, objs.get(l)?.body.toString('utf8'));
        if (rec.path !== s.path) throw corrupt(this.remote, s.leaseRef, `it should describe ${s.path} but names ${rec.path}`);
        s.lease = { oid: l, rec };
      }
      const f = tips.get(s.fenceRef);
      if (f) s.fence = { oid: f, token: this.parse(s.fenceRef, f, objs.get(f)?.body.toString('utf8')).token };
    }
  }

  private parse(ref: string, oid: string, body: string | undefined): LeaseRecord {
    if (body === undefined) throw corrupt(this.remote, ref, `its object ${oid} is not in this clone (fetch it: git fetch ${this.remote} '+${ref}:refs/agent-gates/remotes/${this.remote}/${ref.slice(REMOTE_NS.length)}')`);
    const r = parseLeaseCommit(body);
    if ('problem' in r) throw corrupt(this.remote, ref, r.problem);
    return r.rec;
  }

  /** When this clone first saw a lease version (its own clock), or undefined. */
  seenAt(oid: string): number | undefined {
    return this.loadSeen()[oid];
  }

  private loadSeen(): Record<string, number> {
    if (this.seen) return this.seen;
    let v: unknown;
    try {
      v = JSON.parse(readTextIfAny(this.seenPath) ?? '{}');
    } catch {
      v = {}; // unreadable: start over (only ever makes gate wait longer)
    }
    const seen: Record<string, number> = {};
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, t] of Object.entries(v)) if (/^[0-9a-f]{40,64}$/.test(k) && Number.isFinite(t)) seen[k] = t as number;
    return (this.seen = seen);
  }

  /** Record first sightings (keeps the earliest; forgets versions no longer seen after a day). */
  private observe(oids: readonly string[], nowMs: number): void {
    const seen = this.loadSeen();
    let changed = false;
    for (const oid of oids) {
      if (seen[oid] === undefined) {
        seen[oid] = nowMs;
        changed = true;
      }
    }
    if (!changed) return;
    for (const [k, t] of Object.entries(seen)) if (!oids.includes(k) && nowMs - t > 86_400_000) delete seen[k];
    writeFileAtomic(this.seenPath, `${JSON.stringify(seen)}\n`, undefined, { fsync: false });
  }

  /** A new lease version (a commit on the empty tree; the record in its message). */
  writeVersion(op: RemoteLeaseOp, rec: LeaseRecord, parent: string | undefined): string {
    const args = ['commit-tree', this.git.emptyTree(), ...(parent ? ['-p', parent] : []), '-F', '-'];
    const who = { GIT_AUTHOR_NAME: rec.owner, GIT_AUTHOR_EMAIL: 'lease@agent-gates', GIT_COMMITTER_NAME: 'agent-gates', GIT_COMMITTER_EMAIL: 'lease@agent-gates' };
    const r = this.git.exec(args, { input: formatLeaseCommitMessage(op, rec), env: who });
    if (r.code !== 0) throw new GateError('GIT_FAILED', `git commit-tree failed (exit ${r.code}): ${r.stderr.trim()}`);
    return r.stdout.toString('utf8').trim();
  }

  cas(updates: readonly RefUpdate[]): CasResult {
    return this.refs.casPush(updates);
  }
}

function corrupt(remote: string, ref: string, problem: string): GateError {
  return new GateError('LEASE_CORRUPT', `the lease ${ref} on the remote "${remote}" cannot be read (${problem}). A lease that cannot be read is never treated as free.`, {
    fix: `inspect it: git fetch ${remote} '${ref}' && git log -1 FETCH_HEAD; a person removes a broken one with: git push ${remote} ':${ref}'`,
  });
}
