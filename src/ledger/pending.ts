/**
 * Deferred commit records (ADR 0009). Pure: formats the receipt the pre-commit hook leaves for
 * the post-commit shell script, and turns a pending file (a receipt the post-commit moved to
 * `<git common dir>/agent-gates/pending/<commit>`) plus what git says about that commit into the
 * `commit` ledger event the node post-commit would have written, or into a
 * `commit.pending-invalid` event that says why it could not be (never silently dropped).
 *
 * Receipt / pending file: one line `<tree> <parent>\t<json>\n`, json = {actor, paths, data}.
 * `actor` is the agent session ({kind: "agent", id, session}, from GATE_SESSION), or "committer"
 * for a person: the fold then attributes the event to `human:<committer email>` as recorded in
 * the commit, which is the `user.email` the node post-commit would read (a receipt must cost the
 * pre-commit no git process). They differ only when committer.email, GIT_COMMITTER_EMAIL or EMAIL
 * override user.email.
 */
import type { Actor, LedgerEventInput } from '../schema/ledger/schema.js';
import { isObjectId } from '../kernel/ids.js';
import { humanId } from '../kernel/actor.js';

/** The receipt, in this worktree's git dir. */
export const RECEIPT_FILE = 'agent-gates-receipt';
/** Under the state dir (`<git common dir>/agent-gates`). */
export const PENDING_DIR = 'pending';
/** A pending file larger than this is not a receipt (200 paths of 4 KiB each fit). */
export const PENDING_MAX_BYTES = 1 << 20;
/** How much of an invalid pending file is kept in its ledger event. */
const KEEP_BYTES = 2000;


/** What the pre-commit knows about the `commit` event the post-commit would record. */
export interface DeferredRecord {
  tree: string;
  parent: string;
  /** The agent session, or "committer": a person, named from the commit at the fold. */
  actor: Actor | 'committer';
  /** The first 200 changed paths. */
  paths: string[];
  /** The event's data: {files, gate_b, ...} exactly as the node post-commit records it. */
  data: Record<string, unknown>;
}

export function formatReceipt(r: DeferredRecord): string {
  return `${r.tree} ${r.parent}\t${JSON.stringify({ actor: r.actor, paths: r.paths, data: r.data })}\n`;
}

/** What git says about a commit named by a pending file (absent: git does not know it). */
export interface CommitObject {
  tree: string;
  parents: string[];
  /** Committer time, ms since the epoch. */
  time: number;
  /** Committer email (may be empty). */
  committerEmail?: string;
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'agent-gates' };

function problem(name: string, reason: string, text: string | undefined, mtimeMs: number | undefined): LedgerEventInput {
  return {
    event: 'commit.pending-invalid',
    actor: SYSTEM_ACTOR,
    subject: isObjectId(name) ? { commit: name } : {},
    data: {
      file: name.slice(0, 200),
      reason,
      ...(text !== undefined ? { bytes: text.slice(0, KEEP_BYTES) } : {}),
      ...(mtimeMs !== undefined && Number.isFinite(mtimeMs) ? { written_at: new Date(mtimeMs).toISOString() } : {}),
    },
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function actorProblem(a: unknown): string | undefined {
  if (a === 'committer') return undefined;
  if (!isRecord(a)) return 'actor is not an object';
  if (!['human', 'agent', 'system'].includes(a.kind as string)) return 'actor.kind is not human, agent or system';
  if (typeof a.id !== 'string' || a.id === '' || a.id.length > 500) return 'actor.id is not a non-empty string';
  if (a.session !== undefined && typeof a.session !== 'string') return 'actor.session is not a string';
  const extra = Object.keys(a).filter((k) => k !== 'kind' && k !== 'id' && k !== 'session');
  if (extra.length) return `actor has unexpected fields (${extra.join(', ')})`;
  return undefined;
}

/** The parsed line of a pending file, or the reason it does not parse. */
export function parsePendingText(text: string): { ok: true; tree: string; parent: string; actor: Actor | 'committer'; paths: string[]; data: Record<string, unknown> } | { ok: false; reason: string } {
  if (!text.endsWith('\n') || text.indexOf('\n') !== text.length - 1) return { ok: false, reason: 'not exactly one newline-terminated line' };
  const m = /^([0-9a-f]+) ([0-9a-f]+)\t(.*)\n$/.exec(text);
  if (!m) return { ok: false, reason: 'not "<tree> <parent>\\t<json>"' };
  const [, tree, parent, json] = m as unknown as [string, string, string, string];
  if (!isObjectId(tree) || !isObjectId(parent)) return { ok: false, reason: 'tree or parent is not a full object id' };
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return { ok: false, reason: 'the record is not valid JSON' };
  }
  if (!isRecord(v)) return { ok: false, reason: 'the record is not a JSON object' };
  const ap = actorProblem(v.actor);
  if (ap) return { ok: false, reason: ap };
  if (!Array.isArray(v.paths) || v.paths.length > 200 || !v.paths.every((p) => typeof p === 'string' && p !== '')) {
    return { ok: false, reason: 'paths is not a list of at most 200 paths' };
  }
  const data = v.data;
  if (!isRecord(data)) return { ok: false, reason: 'data is not an object' };
  if (!Number.isSafeInteger(data.files) || Math.min(data.files as number, 200) !== v.paths.length) {
    return { ok: false, reason: 'data.files does not match paths' };
  }
  // Only AUTO commits are deferred (a gated commit needs its approval note attached by node).
  const gb = data.gate_b;
  if (!isRecord(gb) || gb.tier !== 'AUTO') return { ok: false, reason: 'data.gate_b.tier is not AUTO: only AUTO commits are recorded deferred' };
  if ('deferred' in data || 'committed_at' in data) return { ok: false, reason: 'data carries fields only the fold may set' };
  const extra = Object.keys(v).filter((k) => k !== 'actor' && k !== 'paths' && k !== 'data');
  if (extra.length) return { ok: false, reason: `unexpected fields (${extra.join(', ')})` };
  return { ok: true, tree, parent, actor: v.actor as Actor | 'committer', paths: v.paths as string[], data };
}

export interface PendingFile {
  /** The file name: the commit id. */
  name: string;
  /** Its contents (undefined: not a regular file, too large, or unreadable; `unreadable` says why). */
  text?: string;
  unreadable?: string;
  mtimeMs?: number;
}

/**
 * The ledger event for one pending file. `commits` is what git knows about the named commits
 * (undefined when the caller could not ask git: every file is then left for a later fold).
 */
export function pendingEvent(f: PendingFile, commits: ReadonlyMap<string, CommitObject>): LedgerEventInput {
  if (!isObjectId(f.name)) return problem(f.name, 'the file name is not a full object id', f.text, f.mtimeMs);
  if (f.text === undefined) return problem(f.name, f.unreadable ?? 'unreadable', undefined, f.mtimeMs);
  const p = parsePendingText(f.text);
  if (!p.ok) return problem(f.name, p.reason, f.text, f.mtimeMs);
  const c = commits.get(f.name);
  if (!c) return problem(f.name, 'git does not know this commit', f.text, f.mtimeMs);
  if (c.tree !== p.tree || c.parents.length !== 1 || c.parents[0] !== p.parent) {
    return problem(f.name, `the record is for tree ${p.tree.slice(0, 12)} on parent ${p.parent.slice(0, 12)}, but the commit has tree ${c.tree.slice(0, 12)} and parents [${c.parents.map((x) => x.slice(0, 12)).join(', ')}]`, f.text, f.mtimeMs);
  }
  return {
    event: 'commit',
    actor: p.actor === 'committer' ? { kind: 'human', id: humanId(c.committerEmail, 'unknown') } : p.actor,
    subject: { commit: f.name, tree: p.tree, paths: p.paths },
    data: { ...p.data, deferred: true, committed_at: new Date(c.time).toISOString() },
  };
}

/** A commit object's tree, parents, committer time and email; undefined when it is not one. */
export function parseCommitObject(body: string): CommitObject | undefined {
  const end = body.indexOf('\n\n');
  const head = end === -1 ? body : body.slice(0, end);
  let tree: string | undefined;
  const parents: string[] = [];
  let time = Number.NaN;
  let committerEmail = '';
  for (const line of head.split('\n')) {
    if (line.startsWith('tree ')) tree = line.slice(5);
    else if (line.startsWith('parent ')) parents.push(line.slice(7));
    else if (line.startsWith('committer ')) {
      const t = /<([^<>]*)> (\d+) [+-]\d{4}$/.exec(line);
      if (t) {
        committerEmail = t[1]!;
        time = Number(t[2]) * 1000;
      }
    }
  }
  return tree && Number.isFinite(time) ? { tree, parents, time, committerEmail } : undefined;
}
