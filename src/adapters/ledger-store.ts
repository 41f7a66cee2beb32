/**
 * The ledger on disk: `<git common dir>/agent-gates/ledger.jsonl` plus `ledger.head`
 * ({seq, hash, size} of the last append) and `repo-id` (the genesis input).
 * Appends take the mutex, check the tail against the head, write whole lines and fsync.
 *
 * Deferred commit records (ADR 0009): `pending/<commit>` files, left by the post-commit hook's
 * shell fast path, are folded into the ledger as `commit` events at the start of every append,
 * under the same mutex and in the same write, and each file is removed only once that write is
 * durable. A file that does not validate becomes a `commit.pending-invalid` event instead.
 *
 * Reads go through the read API below (verify, verifyForCommit, entries), which folds the pending
 * records into a ledger that verifies before it reads; the bytes are read by ledger-reader.ts
 * (the one line reader) and the verified point is kept by ledger-verified-point.ts.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, lstatSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeSync, ftruncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { nodeCrypto } from '../kernel/builtins.js';
import { GateError } from '../kernel/errors.js';
import { profiled } from '../kernel/profile.js';
import { genesisHash, linkHash, serializeEntry, type LedgerHead } from '../ledger/chain.js';
import type { LedgerEntry, LedgerEventInput } from '../schema/ledger/schema.js';
import { withMutex } from './mutex.js';
import { writeFileAtomic, writeFilesAtomic } from './files.js';
import { fsBoundary } from './fs-errors.js';
import { PENDING_DIR, PENDING_MAX_BYTES, pendingEvent, type CommitObject, type PendingFile } from '../ledger/pending.js';
import { isObjectId } from '../kernel/ids.js';
import { isGateError } from '../kernel/errors.js';
import { LedgerReader, ledgerLines, readLastLine, type LedgerVerification } from './ledger-reader.js';
import { VerifiedPointCache } from './ledger-verified-point.js';

/** Deferred commit records (ADR 0009) a read folded in, and those left pending (and why). */
export interface FoldReport {
  folded: number;
  pending: number;
  foldError?: string;
}

export interface AppendedEntry {
  entry: LedgerEntry;
  /** Byte offset of the line in the file. */
  offset: number;
  /** Link hash of the line (what the next entry chains to). */
  hash: string;
}

/** What git knows about the commits pending files name (missing ids absent). May throw. */
export type CommitLookup = (ids: readonly string[]) => ReadonlyMap<string, CommitObject>;

export class LedgerFile {
  readonly dir: string;
  readonly path: string;
  readonly headPath: string;
  readonly idPath: string;
  private readonly lockPath: string;
  private readonly now: () => Date;
  /** `pending/`: deferred commit records waiting to be folded in (ADR 0009). */
  readonly pendingDir: string;
  private readonly lookupCommits: CommitLookup | undefined;
  /** The one line reader of this file (ledger-reader.ts). */
  readonly reader: LedgerReader;
  /** What the first read of this LedgerFile folded (reads fold once; see foldForRead). */
  private lastFold: FoldReport | undefined;
  private readonly verified: VerifiedPointCache;

  /** Without `lookupCommits` pending records are never folded (they wait for a LedgerFile that can check them). */
  /** This worktree's HEAD reflog: commits made here whose post-commit died are found there. */
  private readonly reflogPath: string | undefined;

  constructor(stateDir: string, now: () => Date = () => new Date(), opts: { lookupCommits?: CommitLookup; reflog?: string } = {}) {
    this.reflogPath = opts.reflog;
    this.dir = stateDir;
    this.path = join(stateDir, 'ledger.jsonl');
    this.headPath = join(stateDir, 'ledger.head');
    this.idPath = join(stateDir, 'repo-id');
    this.lockPath = join(stateDir, 'ledger.lock');
    this.now = now;
    this.pendingDir = join(stateDir, PENDING_DIR);
    this.lookupCommits = opts.lookupCommits;
    this.reader = new LedgerReader(this.path, () => this.readHead(), () => this.genesis());
    this.verified = new VerifiedPointCache(stateDir);
  }

  /** Names in `pending/` (one readdir; temp files, which start with ".", are not records yet). */
  pendingNames(): string[] {
    try {
      return readdirSync(this.pendingDir).filter((n) => !n.startsWith('.'));
    } catch {
      return [];
    }
  }

  /**
   * Fold the pending commit records into the ledger now (an append of nothing but them).
   * Returns how many files were folded; 0 (and nothing written) when there are none.
   * Like every append it checks the tail against the head first and throws LEDGER_CORRUPT.
   */
  async foldPending(): Promise<number> {
    if (!this.lookupCommits || this.pendingNames().length === 0) return 0;
    return withMutex(this.lockPath, async () => (await this.appendLocked([])).folded, { what: 'the ledger' });
  }

  exists(): boolean {
    return existsSync(this.path);
  }

  /**
   * `<git common dir>/agent-gates.repo-id`: a copy of the repository id kept beside the state
   * directory, so a clone whose state directory (or ledger) was deleted is told so instead of
   * silently starting a new ledger.
   */
  get markerPath(): string {
    return `${this.dir}.repo-id`;
  }

  /** The repository id that seeds the genesis hash; created on first use. */
  repoId(create: boolean, opts: { restart?: boolean } = {}): string | undefined {
    if (existsSync(this.idPath)) {
      const id = readFileSync(this.idPath, 'utf8').trim();
      if (!/^[0-9a-f-]{36}$/.test(id)) {
        throw new GateError('LEDGER_CORRUPT', `${this.idPath} does not hold a repository id.`, {
          fix: 'restore it from a backup; without it the ledger cannot be verified',
        });
      }
      if (create && !existsSync(this.markerPath)) writeFileAtomic(this.markerPath, `${id}\n`);
      return id;
    }
    if (!create) return undefined;
    if (!opts.restart && existsSync(this.markerPath)) {
      let was = '';
      try {
        was = readFileSync(this.markerPath, 'utf8').trim().slice(0, 64);
      } catch {
        /* named below anyway */
      }
      throw new GateError('STATE_MISSING', `this clone had a ledger (repository id ${was || 'unknown'}) but ${existsSync(this.dir) ? `its repository id file ${this.idPath} is gone` : `its state directory ${this.dir} is gone`}: every lease and record in it is lost, so gate does not start a new one silently.`, {
        fix: `restore ${this.dir} from a backup; or start a new ledger that records the loss: gate audit repair --new-ledger`,
        data: { stateDir: this.dir, previousRepoId: was },
      });
    }
    if (this.exists() && statSync(this.path).size > 0) {
      throw new GateError('LEDGER_CORRUPT', `the ledger exists but its repository id (${this.idPath}) is missing.`, {
        fix: 'restore the repo-id file from a backup; the ledger cannot be verified without it',
      });
    }
    writeFileAtomic(this.idPath, `${nodeCrypto().randomUUID()}\n`);
    const id = readFileSync(this.idPath, 'utf8').trim();
    writeFileAtomic(this.markerPath, `${id}\n`);
    return id;
  }

  genesis(): string {
    const id = this.repoId(false);
    return genesisHash(id ?? 'uninitialised');
  }

  readHead(): LedgerHead | undefined {
    if (!existsSync(this.headPath)) return undefined;
    let v: unknown;
    try {
      v = JSON.parse(readFileSync(this.headPath, 'utf8'));
    } catch {
      throw new GateError('LEDGER_CORRUPT', `${this.headPath} is not valid JSON.`, { fix: 'run `gate audit verify` to see the state of the ledger' });
    }
    const h = v as Partial<LedgerHead>;
    if (!Number.isSafeInteger(h.seq) || typeof h.hash !== 'string' || !Number.isSafeInteger(h.size)) {
      throw new GateError('LEDGER_CORRUPT', `${this.headPath} does not hold {seq, hash, size}.`, { fix: 'run `gate audit verify` to see the state of the ledger' });
    }
    return h as LedgerHead;
  }

  /**
   * The seq of the last complete entry in the file (0 when empty or absent), read without the
   * mutex: a fencing token derived from it is never reused, since every grant is appended after.
   */
  lastSeq(): number {
    return fsBoundary('the ledger', () => this.reader.lastSeq(), this.path);
  }

  /**
   * `gate audit repair`'s part under the mutex: cut a torn tail; rebuild a missing head when the
   * whole chain verifies from the genesis (an interrupted first append, or a deleted head); a
   * lagging head is rolled forward by the append that records the repair. Never drops a complete
   * line.
   */
  async repairLocked(): Promise<{ cut: number; bytes?: string; headRebuilt?: number }> {
    return withMutex(this.lockPath, () => fsBoundary('the ledger', () => {
      if (!this.exists()) return { cut: 0 };
      const fd = openSync(this.path, 'r+');
      try {
        let size = fstatSync(fd).size;
        let cut = 0;
        let bytes: string | undefined;
        if (size > 0) {
          const last = readLastLine(fd, size);
          if (last.torn) {
            ftruncateSync(fd, size - last.line.length);
            fsyncSync(fd);
            cut = last.line.length;
            bytes = last.line.toString('utf8');
            size -= cut;
          }
        }
        let headRebuilt: number | undefined;
        if (size > 0 && !existsSync(this.headPath)) {
          const id = this.repoId(false);
          if (!id) throw new GateError('LEDGER_CORRUPT', `the ledger exists but its repository id (${this.idPath}) is missing.`, { fix: 'restore the repo-id file from a backup; the ledger cannot be verified without it' });
          const genesis = genesisHash(id);
          const r = rollForward(fd, this.path, size, { seq: 0, hash: genesis, size: 0 }, () => genesis);
          writeFileAtomic(this.headPath, `${JSON.stringify({ seq: r.seq, hash: r.hash, size })}\n`);
          headRebuilt = r.seq;
        }
        return { cut, ...(bytes !== undefined ? { bytes } : {}), ...(headRebuilt !== undefined ? { headRebuilt } : {}) };
      } finally {
        closeSync(fd);
      }
    }, this.path), { what: 'the ledger' });
  }

  /** Start a new ledger in a clone whose state was lost (`gate audit repair --new-ledger`). */
  restart(): { previous: string | undefined; id: string } {
    return fsBoundary('the ledger', () => {
      if (existsSync(this.idPath) || (this.exists() && statSync(this.path).size > 0)) {
        throw new GateError('USAGE', `the ledger of this clone is still there (${this.path}); --new-ledger only starts over after the state directory was lost.`, { fix: 'gate audit verify' });
      }
      let previous: string | undefined;
      try {
        previous = readFileSync(this.markerPath, 'utf8').trim().slice(0, 64);
      } catch {
        previous = undefined;
      }
      rmSync(this.headPath, { force: true }); // a head left from the lost ledger would not match
      const id = this.repoId(true, { restart: true })!;
      return { previous, id };
    }, this.path);
  }

  /** Append events as one atomic batch. */
  async append(events: readonly LedgerEventInput[]): Promise<AppendedEntry[]> {
    if (events.length === 0) return [];
    return profiled('ledger', () => withMutex(this.lockPath, async () => (await this.appendLocked(events)).out, { what: 'the ledger' }));
  }

  /**
   * The pending records to fold before `events`, under the mutex. A commit that `events`
   * records itself (the node post-commit ran for it) supersedes its pending file: removed, not
   * folded. When git cannot be asked, nothing is folded (the files wait for the next append).
   */
  private collectPending(events: readonly LedgerEventInput[], lastBatch: () => Set<string>): { fold: LedgerEventInput[]; remove: string[] } {
    const names = this.lookupCommits ? this.pendingNames() : [];
    if (names.length === 0) return { fold: [], remove: [] };
    // an append killed after its data write but before it removed the files it folded leaves
    // them behind: the last batch in the file already records them (exactly once, not twice)
    const recorded = lastBatch();
    for (const e of events) if (e.event === 'commit' && e.subject?.commit) recorded.add(e.subject.commit);
    const remove: string[] = [];
    const files: PendingFile[] = [];
    for (const name of [...new Set(names)].sort()) {
      if (recorded.has(name)) {
        remove.push(name);
        continue;
      }
      const abs = join(this.pendingDir, name);
      let st;
      try {
        st = lstatSync(abs);
      } catch {
        continue; // vanished
      }
      const f: PendingFile = { name, mtimeMs: st.mtimeMs };
      if (!st.isFile()) f.unreadable = 'not a regular file';
      else if (st.size > PENDING_MAX_BYTES) f.unreadable = `larger than ${PENDING_MAX_BYTES} bytes`;
      else {
        try {
          f.text = readFileSync(abs, 'utf8');
        } catch (e) {
          f.unreadable = `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
        }
      }
      files.push(f);
    }
    if (files.length === 0) return { fold: [], remove };
    let commits: ReadonlyMap<string, CommitObject>;
    try {
      commits = this.lookupCommits!(files.map((f) => f.name).filter(isObjectId));
    } catch {
      return { fold: [], remove };
    }
    // in commit order: commit time (seconds), then when the receipt was written (ms), then name
    const made = files.map((f) => {
      const ev = pendingEvent(f, commits);
      const at = Date.parse(String(ev.data?.committed_at ?? '')) || 0;
      return { name: f.name, ev, key: [at, f.mtimeMs ?? 0] as const };
    });
    made.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || (a.name < b.name ? -1 : 1));
    return { fold: made.map((m) => m.ev), remove: [...remove, ...made.map((m) => m.name)] };
  }

  private appendLocked(events: readonly LedgerEventInput[]): Promise<{ out: AppendedEntry[]; folded: number }> {
    return fsBoundary('the ledger', () => this.appendLockedRaw(events), this.path);
  }

  /**
   * The append protocol (ADR 0011). The data line is the commit point: an entry exists once its
   * complete line (with "\n") is in ledger.jsonl; `ledger.head` is derived from the file and may
   * lag it by any number of entries (a kill between the data write and the head's rename), which
   * the next append rolls forward after checking that the lagging lines chain from the head. A
   * trailing partial line was never acknowledged (the append that wrote it never returned): it is
   * cut and the cut recorded (`ledger.repair`) in the same write. A head AHEAD of the file, or one
   * that does not match its line, is tampering or media loss: LEDGER_CORRUPT.
   */
  private async appendLockedRaw(events: readonly LedgerEventInput[]): Promise<{ out: AppendedEntry[]; folded: number }> {
    const repoId = this.repoId(true)!;
    const fd = openSync(this.path, 'a+');
    try {
      let size = fstatSync(fd).size;
      let head = this.readHead();
      let tip: string;
      let seq: number;
      let repair: LedgerEventInput | undefined;
      if (size > 0) {
        const last = readLastLine(fd, size);
        if (last.torn) {
          // never acknowledged: cut it (fsync'd) and say so in the ledger
          ftruncateSync(fd, size - last.line.length);
          fsyncSync(fd);
          repair = { event: 'ledger.repair', actor: { kind: 'system', id: 'gate' }, data: { cut_bytes: last.line.length, cut_text: last.line.toString('utf8').slice(0, 2000), automatic: true } };
          size -= last.line.length;
        }
      }
      if (size === 0) {
        if (head && head.seq > 0) {
          throw new GateError('LEDGER_CORRUPT', `the ledger is empty but its head records ${head.seq} entries: it was truncated.`, {
            fix: 'run `gate audit verify`; restore the ledger from a backup',
          });
        }
        tip = genesisHash(repoId);
        seq = 0;
      } else {
        if (!head) {
          throw new GateError('LEDGER_CORRUPT', `the ledger has entries but its head file (${this.headPath}) is missing: it was deleted, or the first append was interrupted.`, {
            fix: 'run `gate audit repair` (it rebuilds the head when the whole chain verifies, and records that it did)',
          });
        }
        const r = rollForward(fd, this.path, size, head, () => genesisHash(repoId));
        tip = r.hash;
        seq = r.seq;
      }
      if (repair) events = [repair, ...events];
      // only now, with the tail checked: a corrupt ledger folds nothing in
      const pending = this.collectPending(events, () => lastBatchCommits(fd, size));
      const missed = this.collectMissed(events, pending.remove, () => lastBatchCommits(fd, size));
      if (missed.fold.length) pending.fold.push(...missed.fold);
      const all = pending.fold.length ? [...pending.fold, ...events] : events;
      if (all.length === 0) {
        this.removePending(pending.remove);
        return { out: [], folded: 0 };
      }
      const now = this.now().toISOString();
      let offset = size;
      const out: AppendedEntry[] = [];
      const chunks: string[] = [];
      for (const ev of all) {
        seq += 1;
        const entry: LedgerEntry = {
          seq,
          ts: now,
          event: ev.event,
          actor: ev.actor,
          subject: ev.subject ?? {},
          data: ev.data ?? {},
          prev: tip,
        };
        const line = serializeEntry(entry);
        const hash = linkHash(line);
        out.push({ entry, offset, hash });
        chunks.push(line, '\n');
        offset += Buffer.byteLength(line) + 1;
        tip = hash;
      }
      const data = Buffer.from(chunks.join(''));
      head = { seq, hash: tip, size: offset };
      try {
        let done = 0;
        while (done < data.length) done += writeSync(fd, data, done, data.length - done, size + done);
        // the lines and the next head are flushed side by side; the head is renamed into place only
        // once both flushes returned, so it is never ahead of the durable file (step 5 of ADR 0011)
        await writeFilesAtomic([{ path: this.headPath, data: `${JSON.stringify(head)}\n` }], { alsoFlush: fd });
      } catch (e) {
        // a short write (ENOSPC) or a failed flush must not leave a line behind that was never
        // acknowledged: roll the file back
        try {
          ftruncateSync(fd, size);
          fsyncSync(fd);
        } catch {
          /* the next append cuts the torn tail and records it */
        }
        throw e;
      }
      this.lastFold = undefined; // this write folded what was pending: a later read looks again
      // durable: the folded (and superseded) records can go
      this.removePending(pending.remove);
      missed.advance();
      return { out: out.slice(pending.fold.length), folded: pending.fold.length };
    } finally {
      closeSync(fd);
    }
  }

  /** `cache/reflog-seen.json`: how far each worktree's HEAD reflog has been looked through. */
  get reflogSeenPath(): string {
    return join(this.dir, 'cache', 'reflog-seen.json');
  }

  /**
   * Commits git reports as made (a `commit` line in this worktree's HEAD reflog since the last
   * ledger write) that neither a pending record nor the ledger's last batch nor this append
   * records: their post-commit died. They are recorded now as `commit` events marked
   * `recovered`. Lines younger than RECOVER_AFTER_MS wait (their post-commit may still be
   * running); `advance()` moves the mark only once the append is durable.
   */
  private collectMissed(events: readonly LedgerEventInput[], pendingNames: readonly string[], lastBatch: () => Set<string>): { fold: LedgerEventInput[]; advance: () => void } {
    const none = { fold: [], advance: () => undefined };
    const reflog = this.reflogPath;
    if (!reflog || !this.lookupCommits) return none;
    let size: number;
    try {
      size = statSync(reflog).size;
    } catch {
      return none;
    }
    let seen: Record<string, number> = {};
    try {
      const v = JSON.parse(readFileSync(this.reflogSeenPath, 'utf8')) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) seen = v as Record<string, number>;
    } catch {
      /* first look (or a lost cache): start from here */
    }
    const from = seen[reflog];
    const save = (to: number) => () => {
      try {
        writeFileAtomic(this.reflogSeenPath, `${JSON.stringify({ ...seen, [reflog]: to })}\n`, undefined, { fsync: false });
      } catch {
        /* a mark that cannot be written only means looking again */
      }
    };
    if (from === size) return none;
    if (typeof from !== 'number' || !Number.isSafeInteger(from) || from > size || size - from > (4 << 20)) return { fold: [], advance: save(size) };
    let text: string;
    try {
      const fd = openSync(reflog, 'r');
      try {
        const buf = Buffer.alloc(size - from);
        const n = readSync(fd, buf, 0, buf.length, from);
        text = buf.toString('utf8', 0, n);
      } finally {
        closeSync(fd);
      }
    } catch {
      return none;
    }
    const nowS = this.now().getTime() / 1000;
    const candidates: { id: string; at: number }[] = [];
    let to = from;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      const line = text.slice(start, nl);
      const m = /^[0-9a-f]+ ([0-9a-f]+) [^\t]*> (\d+) [+-]\d{4}\t(.*)$/.exec(line);
      if (m && /^commit( \((initial|amend)\))?:/.test(m[3]!) && isObjectId(m[1]!)) {
        const at = Number(m[2]);
        if (nowS - at < RECOVER_AFTER_MS / 1000) break; // too young: its post-commit may be running
        candidates.push({ id: m[1]!, at });
      }
      start = nl + 1;
      to = from + Buffer.byteLength(text.slice(0, start));
    }
    if (candidates.length === 0) return { fold: [], advance: to !== from ? save(to) : () => undefined };
    const known = lastBatch();
    for (const n of pendingNames) known.add(n);
    for (const n of this.pendingNames()) known.add(n);
    for (const e of events) if (e.subject?.commit) known.add(e.subject.commit);
    const want = [...new Set(candidates.map((c) => c.id))].filter((id) => !known.has(id));
    if (want.length === 0) return { fold: [], advance: save(to) };
    let commits: ReadonlyMap<string, CommitObject>;
    try {
      commits = this.lookupCommits(want);
    } catch {
      return none;
    }
    const fold: LedgerEventInput[] = [];
    for (const id of want) {
      const c = commits.get(id);
      if (!c) continue; // gone (amended away and pruned): nothing to record
      fold.push({
        event: 'commit',
        actor: { kind: 'system', id: 'agent-gates' },
        subject: { commit: id, tree: c.tree },
        data: { recovered: true, source: 'reflog', committed_at: new Date(c.time).toISOString(), parents: c.parents, reason: 'git made this commit but its post-commit hook did not record it' },
      });
    }
    return { fold, advance: save(to) };
  }

  private removePending(names: readonly string[]): void {
    for (const n of names) {
      try {
        rmSync(join(this.pendingDir, n), { force: true, recursive: true });
      } catch {
        /* a file that cannot be removed is folded again: `gate doctor` shows it */
      }
    }
  }

  /** Read one line at a byte offset (for approvals that cite their ledger entry). Folding only appends, so no fold. */
  readLineAt(offset: number): Buffer | undefined {
    return fsBoundary('the ledger', () => this.reader.lineAt(offset), this.path);
  }

  /**
   * The link hash after `n` entries of the file, for every n in `sizes` (undefined: fewer
   * complete lines). Folding only appends after them, so no fold.
   */
  hashesAt(sizes: Iterable<number>): Map<number, string | undefined> {
    return fsBoundary('the ledger', () => this.reader.hashesAt(sizes), this.path);
  }

  /*
   * The read API. Every read of the ledger as a record (verify, verifyForCommit, entries) first
   * folds the deferred commit records (ADR 0009) in, so no command has to remember to, and only
   * into a ledger that verifies: a ledger that does not verify gets nothing appended, and the read
   * reports the records left pending. `fold: false` opts out where the caller's own append folds
   * them in the same write (the commit hooks) or where they are only counted (`gate doctor`).
   */

  /**
   * Fold the pending records into a ledger that verifies (`verified`; when not given, verified
   * here from the last verified point). A GateError while folding leaves them pending and is
   * reported, never thrown.
   */
  private async foldForRead(verified?: boolean): Promise<FoldReport> {
    // once per command: a later read of the same LedgerFile (verify, then entries) does not try again
    if (this.lastFold) return this.lastFold;
    this.lastFold = await this.tryFold(verified);
    return this.lastFold;
  }

  private async tryFold(verified?: boolean): Promise<FoldReport> {
    const names = this.pendingNames().length;
    if (names === 0) return { folded: 0, pending: 0 };
    if (!this.lookupCommits) return { folded: 0, pending: names };
    if (!(verified ?? (await this.verifyIncremental(() => undefined)).ok)) return { folded: 0, pending: names };
    let folded = 0;
    let foldError: string | undefined;
    try {
      folded = await this.foldPending();
    } catch (e) {
      if (!isGateError(e)) throw e;
      foldError = e.message;
    }
    return { folded, pending: this.pendingNames().length, ...(foldError ? { foldError } : {}) };
  }

  /**
   * Verify the whole chain from the genesis (after folding the pending records into a ledger
   * that verifies, then verifying again). `observe` sees each well-formed entry of the final
   * pass as it is read (so a caller needing entries reads the file once); it only counts when
   * the result is ok. Never modifies anything but by the fold.
   */
  async verify(opts: { onProgress?: (bytes: number, total: number) => void; observe?: (value: unknown) => void; fold?: boolean } = {}): Promise<LedgerVerification & { fold: FoldReport }> {
    const pass = (observe?: (value: unknown) => void) => fsBoundary('the ledger', () => this.reader.verify(opts.onProgress, observe), this.path);
    const withhold = opts.fold !== false && this.pendingNames().length > 0;
    let r = pass(withhold ? undefined : opts.observe);
    if (!withhold) return { ...r, fold: { folded: 0, pending: opts.fold === false ? this.pendingNames().length : 0 } };
    const fold = await this.foldForRead(r.ok);
    if (r.ok && (fold.folded > 0 || opts.observe)) r = pass(opts.observe);
    return { ...r, fold };
  }

  /** Where `verifyForCommit` remembers the last point it verified (a cache: deleting it is safe). */
  get checkpointPath(): string {
    return this.verified.path;
  }

  /**
   * Verification for the commit path (a gated pre-commit, `gate status`, `gate approve`),
   * incremental when it can be: after a successful verification the point reached ({seq,
   * offset, hash}) is stored under the state dir; the next call checks that the line ending at
   * `offset` is still entry `seq` and still hashes to `hash`, then verifies only the lines after
   * it, in the same pass as it looks for `reject` entries in the earlier lines (see
   * LedgerReader.verifyFrom). Anything that does not match, and any failure, falls back to the
   * full verification from the start, whose result is returned: a bad or forged point can only
   * cost a full pass, never make a broken chain pass. `gate audit verify`, `gate doctor`, `gate
   * review` and CI always verify in full. `observe` sees the well-formed entries after the
   * point, and every `reject` entry before it (all entries on a full pass); it only counts when
   * the result is ok. Folds the pending records first unless `fold: false`.
   */
  async verifyForCommit(observe: (value: unknown) => void, opts: { fold?: boolean } = {}): Promise<LedgerVerification & { incremental: boolean; fold: FoldReport }> {
    const fold = opts.fold === false ? { folded: 0, pending: 0 } : await this.foldForRead();
    return { ...(await this.verifyIncremental(observe)), fold };
  }

  private async verifyIncremental(observe: (value: unknown) => void): Promise<LedgerVerification & { incremental: boolean }> {
    const seen: unknown[] = [];
    let r: LedgerVerification | undefined;
    try {
      const point = this.exists() ? this.verified.read() : undefined;
      r = point ? this.reader.verifyFrom(point, (v) => seen.push(v)) : undefined;
    } catch {
      r = undefined;
    }
    if (r?.ok) {
      for (const v of seen) observe(v);
      this.rememberPoint(r);
      return { ...r, incremental: true };
    }
    const full = fsBoundary('the ledger', () => this.reader.verify(undefined, observe), this.path);
    if (full.ok) this.rememberPoint(full);
    return { ...full, incremental: false };
  }

  private rememberPoint(r: LedgerVerification): void {
    if (r.entries === 0 || r.warnings.length) return;
    this.verified.write({ seq: r.entries, offset: r.size, hash: r.tip });
  }

  /**
   * Entries (parsed) in order, with their byte offsets, after folding the pending records into
   * a ledger that verifies (checked from the last verified point). Stops at the first
   * unparsable line: the chain verifier, not this, judges the lines.
   */
  async *entries(opts: { fold?: boolean } = {}): AsyncGenerator<{ entry: LedgerEntry; offset: number }> {
    if (opts.fold !== false) await this.foldForRead();
    yield* this.reader.entries();
  }

  /**
   * Cut a torn (unterminated) last line, and nothing else. Returns the number of bytes cut
   * (0 when the file already ends cleanly). The caller records the repair in the ledger.
   */
  async cutTornTail(): Promise<{ cut: number; bytes?: string }> {
    return withMutex(this.lockPath, () => {
      if (!this.exists()) return { cut: 0 };
      const fd = openSync(this.path, 'r+');
      try {
        const size = fstatSync(fd).size;
        if (size === 0) return { cut: 0 };
        const last = readLastLine(fd, size);
        if (!last.torn) return { cut: 0 };
        ftruncateSync(fd, size - last.line.length);
        fsyncSync(fd);
        return { cut: last.line.length, bytes: last.line.toString('utf8') };
      } finally {
        closeSync(fd);
      }
    }, { what: 'the ledger' });
  }
}

/** A commit's reflog line younger than this waits: its post-commit hook may still be running. */
const RECOVER_AFTER_MS = 30_000;

/**
 * Check that the complete lines after `head` (up to `size`, which ends a line) chain from it,
 * and return the real tip: the head rolled forward over entries an interrupted append wrote
 * before it could rename the head. Throws LEDGER_CORRUPT when they do not chain, when the head
 * does not match its own line, or when the head is ahead of the file (truncation).
 */
function rollForward(fd: number, path: string, size: number, head: LedgerHead, genesis: () => string): { seq: number; hash: string } {
  const corrupt = (why: string) =>
    new GateError('LEDGER_CORRUPT', `the ledger does not match its head (seq ${head.seq}): ${why}; it was truncated, edited or rewritten.`, {
      fix: 'run `gate audit verify` for details; restore the ledger from a backup',
    });
  // the usual case: the last line is the head (whatever happened to the bytes before it is the
  // verifier's business, as it always was)
  const last = readLastLine(fd, size);
  if (!last.torn && linkHash(last.line) === head.hash) {
    let seq: unknown;
    try {
      seq = (JSON.parse(last.line.toString('utf8')) as { seq?: unknown }).seq;
    } catch {
      seq = undefined;
    }
    if (seq === head.seq) return { seq: head.seq, hash: head.hash };
  }
  if (head.size > size) throw corrupt(`the head records ${head.size} bytes but the file has ${size}`);
  let hash: string;
  if (head.seq > 0 || head.size > 0) {
    if (head.size < 2) throw corrupt('the head names no line');
    const hl = readLastLine(fd, head.size);
    if (hl.torn) throw corrupt('the head does not end at a line');
    hash = linkHash(hl.line);
    if (hash !== head.hash) throw corrupt(`line ${head.seq} does not hash to the recorded head`);
    let at: unknown;
    try {
      at = (JSON.parse(hl.line.toString('utf8')) as { seq?: unknown }).seq;
    } catch {
      throw corrupt('the head line is not valid JSON');
    }
    if (at !== head.seq) throw corrupt(`the head line is entry ${String(at)}`);
  } else {
    hash = genesis();
    if (head.hash !== hash) throw corrupt('an empty head does not name the genesis');
  }
  let seq = head.seq;
  if (head.size === size) return { seq, hash };
  // the lag: usually one batch (bounded by what one append can write)
  for (const l of ledgerLines(path, { start: { offset: head.size, no: head.seq + 1 }, end: size })) {
    if (l.torn) throw corrupt('a partial line after the head');
    let e: { seq?: unknown; prev?: unknown };
    try {
      e = JSON.parse(l.bytes.toString('utf8')) as { seq?: unknown; prev?: unknown };
    } catch {
      throw corrupt(`the line after entry ${seq} is not valid JSON`);
    }
    if (e.seq !== seq + 1 || e.prev !== hash) throw corrupt(`the line after entry ${seq} does not chain from it`);
    seq += 1;
    hash = linkHash(l.bytes);
  }
  return { seq, hash };
}

/**
 * The commits recorded (`commit`, `commit.pending-invalid`) by the last batch in the file: the
 * trailing lines sharing the last line's timestamp (one append stamps every line alike). Reads at
 * most the last 1 MiB; only called when pending files exist.
 */
function lastBatchCommits(fd: number, size: number): Set<string> {
  const out = new Set<string>();
  if (size === 0) return out;
  const len = Math.min(size, 1 << 20);
  const buf = Buffer.alloc(len);
  readSync(fd, buf, 0, len, size - len);
  const lines = buf.toString('utf8').split('\n');
  lines.pop();
  if (len < size) lines.shift(); // possibly partial first line
  let ts: unknown;
  for (let i = lines.length - 1; i >= 0; i--) {
    let e: { ts?: unknown; event?: unknown; subject?: { commit?: unknown } };
    try {
      e = JSON.parse(lines[i]!) as typeof e;
    } catch {
      break;
    }
    if (ts === undefined) ts = e.ts;
    else if (e.ts !== ts) break;
    if ((e.event === 'commit' || e.event === 'commit.pending-invalid') && typeof e.subject?.commit === 'string') out.add(e.subject.commit);
  }
  return out;
}
