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
 *
 * The round trip (issue 18): an uncontended acquire, a renewal and a release start exactly one git
 * process, the compare-and-swap `git push`.
 * - `versions.json` beside seen.json is the guess they start from: the lease and fence refs' values
 *   this clone last saw (or pushed), and each of those versions' message. A version is a commit, so
 *   its message can never change under its id; a stale ref value only costs one rejected push, and
 *   every "no" (held by someone else, not yours) is asked again of the remote before it is answered.
 *   Missing or unreadable, the tracking refs are read instead (one `git for-each-ref`).
 * - A new version is written here as git's own loose object (the bytes `git commit-tree` writes),
 *   when the repository is the plain kind (see looseObjectTarget); otherwise `git commit-tree`.
 * - A fresh read is one `git ls-remote` of exactly the path's two refs; it fetches only when the
 *   remote names a version this clone has not seen. Waiters poll that way, so a long wait costs an
 *   ls-remote per poll and one fetch per change of holder.
 */
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GateError } from '../kernel/errors.js';
import { parseLeaseMessage, formatLeaseCommitMessage, type LeaseRecord, type RemoteLeaseOp } from '../schema/lease/schema.js';
import { readTextIfAny, writeFileAtomic } from './files.js';
import { EMPTY_TREE_SHA256, type Git } from './git.js';
import { EMPTY_TREE, isObjectId } from '../kernel/ids.js';
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

/** What versions.json holds: ref → last value seen (null: absent), version id → its commit message. */
interface Versions {
  refs: Record<string, string | null>;
  messages: Record<string, string>;
}

type Tip = { oid: string; message: string | undefined };

export class RemoteLeaseStore {
  readonly refs: RemoteRefs;
  private readonly git: Git;
  private readonly seenPath: string;
  private readonly versionsPath: string;
  private readonly commonDir: string;
  private seen: Record<string, number> | undefined;
  private versions: Versions | undefined;
  /** Messages of the versions written by this process, until a won push records them. */
  private readonly written = new Map<string, string>();
  /** Length of the object ids seen (40: SHA-1, 64: SHA-256), to name the empty tree without asking git. */
  private oidLength: number | undefined;

  constructor(git: Git, stateDir: string, remote: string, opts: { timeoutMs?: number } = {}) {
    this.git = git;
    this.refs = new RemoteRefs(git, remote, opts);
    this.seenPath = join(stateDir, 'remote', remote, 'seen.json');
    this.versionsPath = join(stateDir, 'remote', remote, 'versions.json');
    this.commonDir = dirname(stateDir);
  }

  get remote(): string {
    return this.refs.remote;
  }

  /**
   * The state of each path: from the remote (`fresh`: one ls-remote of just these refs, plus a fetch
   * when it names a version this clone has not seen) or from what this clone last saw (versions.json,
   * else the tracking refs). A record that cannot be parsed is LEASE_CORRUPT.
   */
  read(paths: readonly string[], fresh: boolean, nowMs: number): Map<string, RemoteLeaseState> {
    const prefixes = paths.flatMap((p) => [`leases/${remotePathId(p)}`, `fence/${remotePathId(p)}`]);
    const names = paths.flatMap((p) => [leaseRefOf(p), fenceRefOf(p)]);
    let tips: Map<string, Tip> | undefined;
    if (fresh) {
      const remote = this.refs.peek(names);
      const valueOf = (ref: string) => remote.get(ref) ?? null;
      tips = this.known(names, valueOf);
      if (!tips) {
        // a version not seen yet: fetch it (a few objects arrive as loose objects, read here without
        // git); had the ref moved on meanwhile and the version not come along, the tracking refs say what is there now
        this.refs.fetchOnly(prefixes);
        tips = this.known(names, valueOf) ?? this.refs.trackedMessages(prefixes);
      }
    } else {
      tips = this.known(names, (ref) => this.loadVersions().refs[ref]);
      tips ??= this.refs.trackedMessages(prefixes);
    }
    this.remember(names, tips);
    const out = new Map<string, RemoteLeaseState>();
    for (const path of paths) {
      const s: RemoteLeaseState = { path, leaseRef: leaseRefOf(path), fenceRef: fenceRefOf(path) };
      const l = tips.get(s.leaseRef);
      if (l) {
        const rec = this.parse(s.leaseRef, l.oid, l.message);
        if (rec.path !== s.path) throw corrupt(this.remote, s.leaseRef, `it should describe ${s.path} but names ${rec.path}`);
        s.lease = { oid: l.oid, rec };
      }
      const f = tips.get(s.fenceRef);
      if (f) s.fence = { oid: f.oid, token: this.parse(s.fenceRef, f.oid, f.message).token };
      this.oidLength ??= (l ?? f)?.oid.length;
      out.set(path, s);
    }
    if (fresh) this.observe([...out.values()].flatMap((s) => (s.lease ? [s.lease.oid] : [])), nowMs);
    return out;
  }

  /** Every lease on the remote (one fetch of refs/agent-gates/leases/*), sorted by path. */
  list(nowMs: number): RemoteLeaseState[] {
    const tips = this.refs.fetchMessages(['leases/']);
    const out: RemoteLeaseState[] = [];
    for (const [ref, { oid, message }] of tips) {
      const rec = this.parse(ref, oid, message);
      if (leaseRefOf(rec.path) !== ref) throw corrupt(this.remote, ref, `it names ${rec.path}, whose lease ref would be ${leaseRefOf(rec.path)}`);
      out.push({ path: rec.path, leaseRef: ref, fenceRef: fenceRefOf(rec.path), lease: { oid, rec } });
    }
    this.observe(out.map((s) => s.lease!.oid), nowMs);
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * The tips of `names` when every value (`valueOf`: an id, null for absent, undefined for not
   * known) is a version whose message is at hand: in versions.json, written by this process, or a
   * loose commit in this repository's object store (checked against its id); else undefined (the
   * caller asks git).
   */
  private known(names: readonly string[], valueOf: (ref: string) => string | null | undefined): Map<string, Tip> | undefined {
    const v = this.loadVersions();
    const out = new Map<string, Tip>();
    for (const ref of names) {
      const oid = valueOf(ref);
      if (oid === undefined) return undefined;
      if (oid === null) continue;
      if (!isObjectId(oid)) return undefined;
      const message = v.messages[oid] ?? this.written.get(oid) ?? this.looseMessage(oid);
      if (message === undefined) return undefined;
      out.set(ref, { oid, message });
    }
    return out;
  }

  private target: ReturnType<typeof looseObjectTarget> | null = null;

  /** The message of a loose commit `oid` in this repository, or undefined (packed, absent, another kind of repository). */
  private looseMessage(oid: string): string | undefined {
    if (this.target === null) this.target = looseObjectTarget(this.commonDir, process.env);
    const t = this.target;
    if (!t || oid.length !== (t.format === 'sha256' ? 64 : 40)) return undefined;
    return readLooseCommitMessage(t.objects, t.format, oid);
  }

  private loadVersions(): Versions {
    if (this.versions) return this.versions;
    const v: Versions = { refs: {}, messages: {} };
    try {
      const j = JSON.parse(readTextIfAny(this.versionsPath) ?? '{}') as Partial<Versions>;
      for (const [k, o] of Object.entries(j.refs ?? {})) if (k.startsWith(REMOTE_NS) && (o === null || (typeof o === 'string' && isObjectId(o)))) v.refs[k] = o;
      for (const [k, m] of Object.entries(j.messages ?? {})) if (isObjectId(k) && typeof m === 'string') v.messages[k] = m;
    } catch {
      /* unreadable: start over (the tracking refs are read instead) */
    }
    return (this.versions = v);
  }

  /** Record what `names` are now (absent when not in `tips`) and their messages; keeps only messages still referenced. */
  private remember(names: readonly string[], tips: ReadonlyMap<string, Tip>): void {
    const v = this.loadVersions();
    let changed = false;
    for (const ref of names) {
      const t = tips.get(ref);
      const oid = t && t.message !== undefined ? t.oid : t ? undefined : null;
      if (oid === undefined) {
        // not a commit: never a guess to start from
        if (ref in v.refs) {
          delete v.refs[ref];
          changed = true;
        }
        continue;
      }
      if (v.refs[ref] !== oid) {
        v.refs[ref] = oid;
        changed = true;
      }
      if (oid !== null && v.messages[oid] === undefined) {
        v.messages[oid] = t!.message!;
        changed = true;
      }
    }
    if (!changed) return;
    const live = new Set(Object.values(v.refs));
    for (const k of Object.keys(v.messages)) if (!live.has(k)) delete v.messages[k];
    try {
      writeFileAtomic(this.versionsPath, `${JSON.stringify(v)}\n`, undefined, { fsync: false });
    } catch {
      /* a guess only: losing it costs one git process next time */
    }
  }

  private parse(ref: string, oid: string, message: string | undefined): LeaseRecord {
    if (message === undefined) throw corrupt(this.remote, ref, `it points at ${oid}, which is not a commit`);
    const r = parseLeaseMessage(message);
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
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, t] of Object.entries(v)) if (isObjectId(k) && Number.isFinite(t)) seen[k] = t as number;
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
    const message = formatLeaseCommitMessage(op, rec);
    if (this.target === null) this.target = looseObjectTarget(this.commonDir, process.env);
    const target = this.target;
    const format = target && (this.oidLength === 64 ? 'sha256' : this.oidLength === 40 ? 'sha1' : target.format);
    if (target && format === target.format && identOk(rec.owner)) {
      // the empty tree too (git only pretends it exists; written, `git fsck` finds every version whole)
      const tree = writeLooseObject(target.objects, format, 'tree', Buffer.alloc(0));
      const oid = writeLooseCommit(target.objects, format, leaseCommitBody(tree, parent, rec.owner, Math.floor(Date.now() / 1000), message));
      this.written.set(oid, message);
      return oid;
    }
    const empty = this.oidLength === 40 ? EMPTY_TREE : this.oidLength === 64 ? EMPTY_TREE_SHA256 : this.git.emptyTree();
    const args = ['commit-tree', empty, ...(parent ? ['-p', parent] : []), '-F', '-'];
    const who = { GIT_AUTHOR_NAME: rec.owner, GIT_AUTHOR_EMAIL: 'lease@agent-gates', GIT_COMMITTER_NAME: 'agent-gates', GIT_COMMITTER_EMAIL: 'lease@agent-gates' };
    const r = this.git.exec(args, { input: message, env: who });
    if (r.code !== 0) throw new GateError('GIT_FAILED', `git commit-tree failed (exit ${r.code}): ${r.stderr.trim()}`);
    const oid = r.stdout.toString('utf8').trim();
    this.written.set(oid, message);
    return oid;
  }

  /** The compare-and-swap push; when won, versions.json learns the new values (one process in all). */
  cas(updates: readonly RefUpdate[], opts: { retryUnsure?: boolean } = {}): CasResult {
    const r = this.refs.casPush(updates, opts);
    if (r.ok) {
      // every new id comes from writeVersion in this process; one that did not stays a stale guess
      const known = updates.filter((u) => u.newOid === null || this.written.has(u.newOid));
      this.remember(known.map((u) => u.ref), new Map(known.flatMap((u) => (u.newOid ? [[u.ref, { oid: u.newOid, message: this.written.get(u.newOid) }] as const] : []))));
    }
    return r;
  }
}

// ---------------------------------------------------------------------------------------------
// a lease version as a loose object, written without git

/**
 * Where and how to write a loose object without git: the objects directory of a repository with
 * nothing that changes what git would do there (an object directory moved by the environment,
 * shared-repository permissions, includes, an object format other than sha1/sha256); else undefined.
 */
export function looseObjectTarget(commonDir: string, env: NodeJS.ProcessEnv): { objects: string; format: 'sha1' | 'sha256' } | undefined {
  if (['GIT_OBJECT_DIRECTORY', 'GIT_DIR', 'GIT_COMMON_DIR', 'GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT', 'GIT_AUTHOR_DATE', 'GIT_COMMITTER_DATE', 'GIT_QUARANTINE_PATH'].some((k) => env[k] !== undefined)) return undefined;
  let config: string;
  try {
    config = readFileSync(join(commonDir, 'config'), 'utf8');
  } catch {
    return undefined;
  }
  if (/^\s*(?:\[\s*include|sharedrepository\s*=|compression\s*=|loosecompression\s*=)/im.test(config)) return undefined;
  const f = /^\s*objectformat\s*=\s*(\S+)/im.exec(config)?.[1]?.toLowerCase();
  if (f !== undefined && f !== 'sha1' && f !== 'sha256') return undefined;
  const objects = join(commonDir, 'objects');
  if (!existsSync(objects)) return undefined;
  return { objects, format: f === 'sha256' ? 'sha256' : 'sha1' };
}

const CRUD = /[\x00-\x20.,:;<>"\\']/;
/** A name git's ident code keeps byte for byte (no crud at the ends, no <, >, newline or NUL): else commit-tree decides. */
export function identOk(name: string): boolean {
  return name.length > 0 && !CRUD.test(name[0]!) && !CRUD.test(name[name.length - 1]!) && !/[<>\n\0]/.test(name);
}

/** The body `git commit-tree <tree> [-p parent] -F -` writes with the lease identities, at `secs` in UTC. */
export function leaseCommitBody(tree: string, parent: string | undefined, owner: string, secs: number, message: string): string {
  return `tree ${tree}\n${parent ? `parent ${parent}\n` : ''}author ${owner} <lease@agent-gates> ${secs} +0000\ncommitter agent-gates <lease@agent-gates> ${secs} +0000\n\n${message}`;
}

/**
 * The message of the loose commit `oid` (inflated, its hash checked against the id, its header
 * checked), or undefined when it is not a loose object here or not a sound commit.
 */
export function readLooseCommitMessage(objects: string, format: 'sha1' | 'sha256', oid: string): string | undefined {
  let raw: Buffer;
  try {
    raw = process.getBuiltinModule('node:zlib').inflateSync(readFileSync(join(objects, oid.slice(0, 2), oid.slice(2))));
  } catch {
    return undefined;
  }
  if (process.getBuiltinModule('node:crypto').createHash(format).update(raw).digest('hex') !== oid) return undefined;
  const nul = raw.indexOf(0);
  const m = /^commit (\d+)$/.exec(raw.subarray(0, nul).toString('latin1'));
  if (nul < 0 || !m || Number(m[1]) !== raw.length - nul - 1) return undefined;
  const body = raw.subarray(nul + 1).toString('utf8');
  const at = body.indexOf('\n\n');
  return at < 0 ? '' : body.slice(at + 2);
}

/** Write a commit as a loose object; returns its id. */
export function writeLooseCommit(objects: string, format: 'sha1' | 'sha256', body: string): string {
  return writeLooseObject(objects, format, 'commit', Buffer.from(body, 'utf8'));
}

/** Write a loose object (zlib of "<type> <size>\0<data>", named by its hash) unless it exists; returns its id. */
export function writeLooseObject(objects: string, format: 'sha1' | 'sha256', type: 'commit' | 'tree', data: Buffer): string {
  const { createHash } = process.getBuiltinModule('node:crypto');
  const { deflateSync } = process.getBuiltinModule('node:zlib');
  const raw = Buffer.concat([Buffer.from(`${type} ${data.length}\0`), data]);
  const oid = createHash(format).update(raw).digest('hex');
  const dir = join(objects, oid.slice(0, 2));
  const file = join(dir, oid.slice(2));
  if (existsSync(file)) return oid;
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `tmp_obj_gate_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2)}`);
  const fd = openSync(tmp, 'wx', 0o444);
  try {
    writeSync(fd, deflateSync(raw));
  } finally {
    closeSync(fd);
  }
  // as git does: link, never replace an object that exists; then drop the temporary name
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      unlinkSync(tmp);
      throw e;
    }
  }
  unlinkSync(tmp);
  return oid;
}

function corrupt(remote: string, ref: string, problem: string): GateError {
  return new GateError('LEASE_CORRUPT', `the lease ${ref} on the remote "${remote}" cannot be read (${problem}). A lease that cannot be read is never treated as free.`, {
    fix: `inspect it: git fetch ${remote} '${ref}' && git log -1 FETCH_HEAD; a person removes a broken one with: git push ${remote} ':${ref}'`,
  });
}
