/**
 * The team's ledger (ADR 0024): each clone publishes its ledger on the shared remote under
 * refs/agent-gates/ledger/<repo-id> as a chain of commits (each holding the whole ledger up to
 * its head, so a publish is a fast-forward), and any clone fetches them all to review or audit
 * the whole team.
 *
 *  - `publishLedger`: `gate ledger publish`. Refuses a publish that would not extend what is
 *    published (the published ledger must be a byte prefix of this clone's), and pushes with a
 *    lease on the old tip (`--force-with-lease`), so two publishers cannot overwrite each other.
 *  - `collectTeam`: `gate audit verify --team` and `gate review --team`. Verifies every published
 *    chain from its clone's genesis, every earlier published version against the newest, what
 *    this clone fetched and verified before (kept in local refs, so a forced push that rewrote a
 *    ledger is named with its clone and line), and the signed points (approval signatures in the
 *    ledgers and the notes, checkpoints seen) of each clone.
 *
 * Trust: a published ledger is positive evidence only. A clone's own ledger is read locally.
 */
import type { Ctx } from '../context.js';
import { GateError } from '../../kernel/errors.js';
import { TEAM_LEDGER_NS, firstParentChain, isAncestor, localRefs, readCommitFile, readPrefix, seenPrefix, setLocalRef, writeFilesCommit } from '../../adapters/team-refs.js';
import { REMOTE_NAME_RE, REMOTE_NS, RemoteRefs } from '../../adapters/remote-refs.js';
import {
  checkPublishedHistory,
  firstDifference,
  hashesAtBytes,
  parsePublishedHead,
  serializePublishedHead,
  verifyPublished,
  type TeamProblem,
} from '../../ledger/team.js';
import type { LedgerEntry } from '../../schema/ledger/schema.js';
import { CheckpointStore } from '../../adapters/checkpoint-store.js';
import { ledgerOrigin, verifyCheckpoint } from '../../signing/checkpoint.js';
import { checkpointVerifiers } from './checkpoint.js';
import { evaluateSignedPoints, type SignedPoint } from '../../signing/signed-points.js';
import type { AllowedSigner } from '../../signing/allowed-signers.js';
import { parsePayload } from '../../signing/payload.js';
import { noteSignatures, pointFromSignature, trustedSigners, type TrustOptions } from './signed-points.js';

export const REPO_ID = /^[0-9a-f-]{36}$/;
/** Published versions whose heads are checked against the newest (the rest are covered by the seen refs). */
const HISTORY_LIMIT = 1000;

export interface TeamOptions extends TrustOptions {
  /** The remote (default: handoff.remote in the config, else "origin"). */
  remote?: string;
  /** Progress lines for long fetches and verifications. */
  onProgress?: (text: string) => void;
}

/** The remote to use: --remote, else handoff.remote in the config, else origin. */
export async function teamRemote(ctx: Ctx, remote: string | undefined): Promise<string> {
  if (remote !== undefined) {
    if (!REMOTE_NAME_RE.test(remote)) throw new GateError('USAGE', `--remote "${remote.slice(0, 80)}" is not the name of a remote (gate uses named remotes only).`, { fix: `git remote add shared <url>, then: --remote shared` });
    return remote;
  }
  try {
    const { config } = await ctx.config();
    const configured = (config as { handoff?: { remote?: unknown } }).handoff?.remote;
    if (typeof configured === 'string' && configured !== '') return configured;
  } catch {
    /* no usable config: the default remote */
  }
  return 'origin';
}

const TEAM_LEDGER_PREFIX = `${REMOTE_NS}${TEAM_LEDGER_NS}`;
/** Fetching every clone's ledger can take longer than a lease round trip. */
const TEAM_TIMEOUT_MS = 120_000;

/**
 * Run a network step; the adapter's failures (REMOTE_UNREACHABLE, REMOTE_REFUSED: exit 3) are
 * reworded for the ledger, with the fix.
 */
function network<T>(remote: string, what: string, fn: () => T): T {
  try {
    const v = fn();
    // an async step: reword its rejection the same way
    if (v instanceof Promise) return v.catch((e: unknown) => reword(remote, what, e)) as T;
    return v;
  } catch (e) {
    return reword(remote, what, e);
  }
}

function reword(remote: string, what: string, e: unknown): never {
  if (!(e instanceof GateError) || (e.code !== 'REMOTE_UNREACHABLE' && e.code !== 'REMOTE_REFUSED')) throw e;
  const refused = e.code === 'REMOTE_REFUSED';
  throw new GateError(e.code, `${what}: ${e.message.replace(/ Without it the leases cannot be judged.*$/, '')}${refused ? '' : " The team's ledger cannot be judged without the remote; nothing was decided."}`, {
    fix: refused
      ? `allow refs/agent-gates/* on the remote (docs/gate-a.md, "Across machines", lists what hosting services accept), or choose another: --remote <name>`
      : `check that the remote is reachable (git ls-remote ${remote} 'refs/agent-gates/*'), then run the command again`,
    ...(e.data ? { data: e.data } : {}),
    cause: e,
  });
}

// -------------------------------------------------------------------------------------------
// publish

export interface PublishReport {
  status: 'published' | 'up to date' | 'empty';
  remote: string;
  ref?: string;
  repoId?: string;
  entries: number;
  commit?: string;
  previous?: string;
  /** Entries already published before this run. */
  publishedBefore?: number;
  /** This worktree's waiting explanation published, and stale ones withdrawn (refs/agent-gates/pending/). */
  pending?: import('../approvals/remote-pending.js').PendingPublishReport;
}

/** `gate ledger publish`: the ledger, then this worktree's pending approval. */
export async function publishLedger(ctx: Ctx, opts: TeamOptions = {}): Promise<PublishReport> {
  const remote = await teamRemote(ctx, opts.remote);
  const r = await publishChain(ctx, remote, opts);
  if (!r.repoId) return r;
  const { publishPending } = await import('../approvals/remote-pending.js');
  const rr = new RemoteRefs(ctx.git, remote, { timeoutMs: TEAM_TIMEOUT_MS });
  opts.onProgress?.(`publishing this worktree's pending approval to ${remote}…`);
  const pending = network(remote, 'gate ledger publish (pending approvals)', () => publishPending(ctx, rr, r.repoId!));
  return { ...r, pending: await pending };
}

async function publishChain(ctx: Ctx, remote: string, opts: TeamOptions): Promise<PublishReport> {
  const repoId = ctx.ledger.repoId(false);
  if (!repoId) return { status: 'empty', remote, entries: 0 };
  // the read API folds the deferred commit records first; a ledger that does not verify is not published
  const v = await ctx.ledger.verify();
  if (!v.ok) {
    throw new GateError('LEDGER_CORRUPT', `this clone's ledger does not verify (line ${v.problem?.line}: ${v.problem?.reason}), so it is not published.`, { fix: 'gate audit verify' });
  }
  const head = ctx.ledger.readHead();
  if (!head || head.seq === 0) return { status: 'empty', remote, repoId, entries: 0 };
  const bytes = readPrefix(ctx.ledger.path, head.size);
  const ref = `${TEAM_LEDGER_PREFIX}${repoId}`;
  const rr = new RemoteRefs(ctx.git, remote, { timeoutMs: TEAM_TIMEOUT_MS });
  for (let attempt = 1; ; attempt++) {
    opts.onProgress?.(`fetching the published ledger of this clone from ${remote}…`);
    // `<id>*` matches this clone's ref only (ids have a fixed length); absent is not an error
    const fetched = network(remote, 'gate ledger publish', () => rr.fetch([`${TEAM_LEDGER_NS}${repoId}`])).get(ref);
    let publishedBefore = 0;
    if (fetched) {
      const old = readCommitFile(ctx.git, fetched, 'ledger.jsonl') ?? Buffer.alloc(0);
      const oldHead = parsePublishedHead(readCommitFile(ctx.git, fetched, 'head.json'));
      publishedBefore = typeof oldHead === 'string' ? 0 : oldHead.seq;
      const d = firstDifference(old, bytes);
      if (d) {
        throw new GateError(
          'DENIED',
          `publishing would not be a fast-forward: the ledger published for this clone (${ref} on ${remote}, ${publishedBefore} entries) ${d.kind === 'cut' ? `has line ${d.line}, which this clone's ledger does not` : `holds a different line ${d.line} than this clone's ledger`}. A published ledger is append-only; gate does not overwrite it.`,
          {
            fix: `gate audit verify --team --remote ${remote}   (find out which side was rewritten; a clone whose state was copied from another needs its own ledger: move the copied state aside, then gate audit repair --new-ledger)`,
            data: { repoId, line: d.line, remote, ref },
          },
        );
      }
      if (old.length === bytes.length) {
        setLocalRef(ctx.git, `${seenPrefix(remote)}${repoId}`, fetched);
        return { status: 'up to date', remote, ref, repoId, entries: head.seq, commit: fetched, publishedBefore };
      }
    }
    const files = new Map<string, Buffer>([
      ['ledger.jsonl', bytes],
      ['head.json', Buffer.from(serializePublishedHead({ ...head, repoId }))],
    ]);
    const commit = writeFilesCommit(ctx.git, files, fetched, `ledger ${repoId}: ${head.seq} entries`, ctx.now());
    opts.onProgress?.(`publishing ${head.seq} entries to ${remote}…`);
    // compare-and-swap on the old tip: a concurrent publisher of this ledger makes it stale
    const pushed = network(remote, 'gate ledger publish', () => rr.casPush([{ ref, newOid: commit, expect: fetched ?? null }]));
    if (pushed.ok) {
      setLocalRef(ctx.git, `${seenPrefix(remote)}${repoId}`, commit);
      return { status: 'published', remote, ref, repoId, entries: head.seq, commit, ...(fetched ? { previous: fetched } : {}), publishedBefore };
    }
    if (attempt >= 3) {
      throw new GateError('CANNOT_EVALUATE', `${ref} on ${remote} kept moving while this clone published (3 attempts).`, { fix: 'gate ledger publish' });
    }
  }
}

// -------------------------------------------------------------------------------------------
// fetch and verify every clone's ledger

export interface CloneLedger {
  repoId: string;
  /** This clone (its ledger is read locally, and compared with what it published). */
  local: boolean;
  /** The published tip (absent for this clone when it never published). */
  commit?: string;
  entries: number;
  ok: boolean;
  problems: TeamProblem[];
  signed: { checked: number; newest?: { size: number; source: string; principal: string }; untrusted: string[] };
  warnings: string[];
}

export interface TeamReport {
  remote: string;
  ok: boolean;
  clones: CloneLedger[];
  /** Every problem, each naming its clone (repo id) and line. */
  problems: TeamProblem[];
  entries: number;
}

interface Loaded {
  clone: CloneLedger;
  bytes: Buffer;
}

export async function collectTeam(ctx: Ctx, opts: TeamOptions = {}): Promise<{ report: TeamReport; ledgers: Loaded[] }> {
  const remote = await teamRemote(ctx, opts.remote);
  opts.onProgress?.(`fetching the team's ledgers from ${remote}…`);
  const rr = new RemoteRefs(ctx.git, remote, { timeoutMs: TEAM_TIMEOUT_MS });
  const fetched = new Map<string, string>();
  for (const [ref, oid] of network(remote, "fetching the team's ledgers", () => rr.fetch([TEAM_LEDGER_NS]))) fetched.set(ref.slice(TEAM_LEDGER_PREFIX.length), oid);
  const seen = localRefs(ctx.git, seenPrefix(remote));
  const localId = ctx.ledger.repoId(false);
  const ids = [...new Set([...fetched.keys(), ...seen.keys(), ...(localId ? [localId] : [])])].sort();
  const signers = await trustedSigners(ctx, opts);
  const notePoints = signers.ok ? notesPointsByClone(ctx, signers.signers) : new Map<string, { points: SignedPoint[]; untrusted: string[] }>();
  const ledgers: Loaded[] = [];
  let i = 0;
  for (const id of ids) {
    i += 1;
    opts.onProgress?.(`verifying ledger ${i}/${ids.length} (${id})…`);
    ledgers.push(await verifyClone(ctx, remote, id, { tip: fetched.get(id), seen: seen.get(id), local: id === localId, signers, notePoints: notePoints.get(id) }));
  }
  const problems = ledgers.flatMap((l) => l.clone.problems);
  return {
    report: { remote, ok: problems.length === 0, clones: ledgers.map((l) => l.clone), problems, entries: ledgers.reduce((n, l) => n + l.clone.entries, 0) },
    ledgers,
  };
}

async function verifyClone(
  ctx: Ctx,
  remote: string,
  id: string,
  o: { tip: string | undefined; seen: string | undefined; local: boolean; signers: Awaited<ReturnType<typeof trustedSigners>>; notePoints: { points: SignedPoint[]; untrusted: string[] } | undefined },
): Promise<Loaded> {
  const problems: TeamProblem[] = [];
  const warnings: string[] = [];
  const clone: CloneLedger = { repoId: id, local: o.local, entries: 0, ok: false, problems, signed: { checked: 0, untrusted: [] }, warnings, ...(o.tip ? { commit: o.tip } : {}) };
  const problem = (line: number, reason: TeamProblem['reason'], message: string) => problems.push({ repoId: id, line, reason, message });
  if (!REPO_ID.test(id)) {
    problem(0, 'edited', `${TEAM_LEDGER_PREFIX}${id} is not named by a repository id`);
    return { clone, bytes: Buffer.alloc(0) };
  }
  let bytes: Buffer = Buffer.alloc(0);
  let publishedOk = false;
  if (o.tip) {
    const head = parsePublishedHead(readCommitFile(ctx.git, o.tip, 'head.json'));
    const published = readCommitFile(ctx.git, o.tip, 'ledger.jsonl');
    if (typeof head === 'string' || !published) {
      problem(0, 'edited', `the published ledger (${o.tip.slice(0, 12)}) is malformed: ${typeof head === 'string' ? head : 'ledger.jsonl is missing'}`);
    } else if (head.repoId !== id) {
      problem(1, 'genesis_mismatch', `the ledger published under ${id} says it belongs to ${head.repoId}: a copy of another clone's ledger`);
    } else {
      bytes = published;
      const v = verifyPublished(id, published, head);
      clone.entries = v.entries;
      if (!v.ok) problem(v.problem!.line, v.problem!.reason, `published ledger: ${v.problem!.message}`);
      else {
        publishedOk = true;
        const h = checkPublishedHistory(id, published, publishedHeads(ctx, o.tip));
        if (h) {
          problems.push(h);
          publishedOk = false;
        }
      }
    }
    // what this clone fetched and verified before must still be there, byte for byte
    if (o.seen && o.seen !== o.tip) {
      const before = readCommitFile(ctx.git, o.seen, 'ledger.jsonl');
      if (before) {
        const d = firstDifference(before, bytes);
        if (d) {
          problem(d.line, 'rewritten', `forced push: line ${d.line} of the ledger as this clone fetched it before (${o.seen.slice(0, 12)}) was ${d.kind === 'cut' ? 'cut off' : 'rewritten'} in the ledger published now (${o.tip.slice(0, 12)})`);
          publishedOk = false;
        } else if (!isAncestor(ctx.git, o.seen, o.tip)) {
          warnings.push(`the published chain was force-pushed (${o.tip.slice(0, 12)} does not descend from ${o.seen.slice(0, 12)}, seen before), but the ledger still extends what was seen`);
        }
      }
    }
  } else if (o.seen) {
    problem(0, 'withdrawn', `the published ledger of this clone was deleted from ${remote} (this clone fetched it before at ${o.seen.slice(0, 12)})`);
    bytes = readCommitFile(ctx.git, o.seen, 'ledger.jsonl') ?? Buffer.alloc(0);
  }

  if (o.local) {
    // this clone: the local ledger is the record; what was published must be a prefix of it
    const v = await ctx.ledger.verify();
    const head = ctx.ledger.readHead();
    if (!v.ok) problem(v.problem!.line, v.problem!.reason, `this clone's ledger: ${v.problem!.message}`);
    const mine: Buffer = v.ok && head ? readPrefix(ctx.ledger.path, head.size) : Buffer.alloc(0);
    if (v.ok && o.tip && bytes.length > 0) {
      const d = firstDifference(bytes, mine);
      if (d) problem(d.line, 'diverged', `the ledger published for this clone (${o.tip.slice(0, 12)}) ${d.kind === 'cut' ? `has line ${d.line}, which this clone's ledger does not` : `holds a different line ${d.line} than this clone's ledger`}: it was rewritten on the remote, or this clone's ledger was`);
    }
    if (v.ok) {
      bytes = mine;
      clone.entries = v.entries;
    }
    if (!o.tip) warnings.push(`this clone's ledger is not published on ${remote} yet (gate ledger publish)`);
  }

  // signed points of this clone: approve entries in its ledger, notes, checkpoints seen
  if (o.signers.ok && bytes.length > 0) {
    const pts = signedPointsOf(ctx, id, bytes, o.signers.signers);
    const fromNotes = o.notePoints ?? { points: [], untrusted: [] };
    const points = [...pts.points, ...fromNotes.points];
    const verdict = evaluateSignedPoints(points, hashesAtBytes(bytes, points.map((p) => p.size)));
    clone.signed = { checked: verdict.checked, untrusted: [...pts.untrusted, ...fromNotes.untrusted], ...(verdict.newest ? { newest: { size: verdict.newest.size, source: verdict.newest.source, principal: verdict.newest.principal } } : {}) };
    if (verdict.problem) problem(verdict.problem.line, verdict.problem.reason, verdict.problem.message);
  } else if (!o.signers.ok) {
    warnings.push(o.signers.note);
  }

  clone.ok = problems.length === 0;
  // move the seen ref forward only over a publication that verified and extends it
  if (o.tip && publishedOk && clone.ok) setLocalRef(ctx.git, `${seenPrefix(remote)}${id}`, o.tip);
  return { clone, bytes };
}

/** Heads of the earlier publications of a chain (newest first, bounded), read in one git process. */
function publishedHeads(ctx: Ctx, tip: string): Array<{ commit: string; head: { seq: number; hash: string; size: number } }> {
  const commits = firstParentChain(ctx.git, tip, HISTORY_LIMIT).slice(1);
  const blobs = ctx.git.readBlobs(commits.map((c) => `${c}:head.json`));
  const out: Array<{ commit: string; head: { seq: number; hash: string; size: number } }> = [];
  for (const c of commits) {
    const h = parsePublishedHead(blobs.get(`${c}:head.json`));
    if (typeof h !== 'string') out.push({ commit: c, head: h });
  }
  return out;
}

// -------------------------------------------------------------------------------------------
// signed points per clone

function signedPointsOf(ctx: Ctx, id: string, bytes: Buffer, signers: readonly AllowedSigner[]): { points: SignedPoint[]; untrusted: string[] } {
  const points: SignedPoint[] = [];
  const untrusted: string[] = [];
  for (const e of entriesOf(bytes)) {
    if (e.event !== 'approve' || !e.data || typeof e.data !== 'object' || !('signature' in e.data)) continue;
    const p = pointFromSignature(e.data.signature, signers, id, `clone ${id.slice(0, 8)} ledger #${e.seq} (approve)`);
    if (typeof p === 'string') untrusted.push(p);
    else points.push(p);
  }
  // checkpoints this clone has seen for that clone's ledger (verified against allowed_signers)
  const origin = ledgerOrigin(id);
  const verifiers = checkpointVerifiers(signers);
  for (const seen of new CheckpointStore(ctx.stateDir).seen(origin)) {
    const v = verifyCheckpoint(seen.note, verifiers, { origin });
    if (!v.ok) untrusted.push(`checkpoint ${seen.size}: ${v.reason}`);
    else points.push({ size: v.checkpoint.size, head: v.checkpoint.root.toString('hex'), source: `checkpoint of ${v.checkpoint.size}`, principal: v.signedBy.join(', ') });
  }
  return { points, untrusted };
}

/** Approval signatures in the notes, grouped by the clone whose ledger they vouch for. */
function notesPointsByClone(ctx: Ctx, signers: readonly AllowedSigner[]): Map<string, { points: SignedPoint[]; untrusted: string[] }> {
  const out = new Map<string, { points: SignedPoint[]; untrusted: string[] }>();
  for (const { sig, source } of noteSignatures(ctx)) {
    const payload = typeof sig === 'object' && sig !== null && typeof (sig as { payload?: unknown }).payload === 'string' ? parsePayload((sig as { payload: string }).payload) : 'no payload';
    if (typeof payload === 'string') continue; // malformed notes are reported by the local audit
    const id = payload.repo.id;
    const p = pointFromSignature(sig, signers, id, source);
    if (typeof p === 'string') continue; // untrusted notes are reported by the local audit
    const slot = out.get(id) ?? { points: [], untrusted: [] };
    slot.points.push(p);
    out.set(id, slot);
  }
  return out;
}

/** The entries of a ledger held in memory (lenient: the chain verifier judges the lines). */
export function* entriesOf(bytes: Buffer): Generator<LedgerEntry> {
  let start = 0;
  while (start < bytes.length) {
    const nl = bytes.indexOf(0x0a, start);
    if (nl === -1) break;
    try {
      yield JSON.parse(bytes.subarray(start, nl).toString('utf8')) as LedgerEntry;
    } catch {
      /* counted by the verifier */
    }
    start = nl + 1;
  }
}

/** `gate ledger pending`: what agents on other clones wait for (the inbox's remote source). */
export async function teamPending(ctx: Ctx, opts: TeamOptions & { includeOwn?: boolean; diff?: boolean } = {}): Promise<Awaited<ReturnType<typeof import('../approvals/remote-pending.js').remotePendingCards>>> {
  const remote = await teamRemote(ctx, opts.remote);
  const { remotePendingCards } = await import('../approvals/remote-pending.js');
  opts.onProgress?.(`fetching the pending approvals from ${remote}…`);
  return network(remote, 'fetching the pending approvals', () => remotePendingCards(ctx, { remote, ...(opts.includeOwn ? { includeOwn: true } : {}), ...(opts.diff ? { diff: true } : {}) }));
}

/** `gate audit verify --team`. */
export async function teamAuditVerify(ctx: Ctx, opts: TeamOptions = {}): Promise<TeamReport> {
  return (await collectTeam(ctx, opts)).report;
}
