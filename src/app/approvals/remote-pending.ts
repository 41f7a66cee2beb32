/**
 * Pending approvals on the shared remote (ADR 0024): what an agent in this worktree waits for
 * (the explanation of the staged tree and its staged diff) is published under
 * refs/agent-gates/pending/<repo-id>/<card-id>, so the inbox of any clone can show it. The card id
 * is the inbox's: sha256(worktree realpath \0 tree), first 8 hex characters.
 *
 *  - `publishPending`: part of `gate ledger publish`. One atomic compare-and-swap push puts this
 *    worktree's waiting explanation and withdraws the ones it published before that no longer
 *    wait (committed, re-staged, or abandoned).
 *  - `remotePendingCards`: the source the inbox calls for other machines' cards (and
 *    `gate ledger pending`). A published card is positive evidence only: it shows what waits, it
 *    approves nothing. A decision on it is a signed commit beside it (remote-decision.ts, ADR
 *    0027); the card says whether one waits. The card's commit carries the staged tree (entry
 *    `staged`) and has the clone's HEAD as its parent, so the approver reads the diff from objects.
 */
import type { Ctx } from '../context.js';
import { nodeCrypto } from '../../kernel/builtins.js';
import { readTextIfAny, realPath } from '../../adapters/files.js';
import { REMOTE_NS, RemoteRefs } from '../../adapters/remote-refs.js';
import { readCommitFile, writeFilesCommit } from '../../adapters/team-refs.js';
import { sidecarPath } from '../../schema/sidecar/fast.js';
import { join } from 'node:path';

export const PENDING_NS = 'pending/';
/** A staged diff larger than this is cut (the card says so); the person reads the rest on that machine. */
const DIFF_LIMIT = 1 << 20;

export interface RemoteCard {
  /** The clone that waits (its ledger's repository id) and the inbox card id there. */
  repoId: string;
  id: string;
  remote: string;
  ref: string;
  commit: string;
  worktree: string;
  branch?: string;
  tree: string;
  tier: string;
  intent: string;
  asker: { kind: string; id: string; session?: string };
  files: Array<{ path: string; status: string; old_path?: string }>;
  created_at: string;
  published_at: string;
  age_s: number;
  /** The explanation's digest (what an approval binds). */
  digest: string;
  /** The staged diff, computed from the card commit's parent and explained tree (cut at 1 MiB: `diffCut`); the published staged.diff is not read. */
  diff?: string;
  diffCut?: boolean;
  /** The waiting clone's HEAD, its first-parent root and a ledger point (ADR 0027; absent on cards published before). */
  parent?: string | null;
  root?: string | null;
  ledger?: { size: number; head: string };
  /** A decision (refs/agent-gates/approvals/<repo-id>/<card id>) waits on the remote for the waiting clone to fetch. */
  decision?: 'approve' | 'reject' | 'unreadable';
}

/** The inbox's card id for a worktree and tree. */
export function cardId(worktreeRealpath: string, tree: string): string {
  return nodeCrypto().createHash('sha256').update(`${worktreeRealpath}\0${tree}`).digest('hex').slice(0, 8);
}

export interface PendingPublishReport {
  published: string[];
  withdrawn: string[];
}

/** Publish this worktree's waiting explanation (if any) and withdraw its stale ones; one atomic push. */
export async function publishPending(ctx: Ctx, rr: RemoteRefs, repoId: string): Promise<PendingPublishReport> {
  const prefix = `${REMOTE_NS}${PENDING_NS}${repoId}/`;
  const existing = rr.fetch([`${PENDING_NS}${repoId}/`]);
  const worktree = realPath(ctx.paths.root);
  const tree = ctx.git.writeTree();
  const text = readTextIfAny(join(ctx.paths.root, sidecarPath(tree)));
  const updates: Array<{ ref: string; newOid: string | null; expect: string | null }> = [];
  let current: string | undefined;
  if (text !== undefined) {
    const { parseSidecarText } = await import('../../schema/sidecar/fast.js');
    const parsed = await parseSidecarText(text);
    if (parsed.ok && parsed.sidecar.tier !== 'AUTO') {
      const s = parsed.sidecar;
      const id = cardId(worktree, tree);
      current = `${prefix}${id}`;
      const head = ctx.git.head();
      const d = ctx.git.exec(['diff', '--cached', '--no-color', '--no-ext-diff', '--no-renames', head ?? ctx.git.emptyTree()]);
      const diff = d.code === 0 ? d.stdout : Buffer.from('');
      // what an approver on another clone signs for this clone (ADR 0027): the parent, the
      // repository's first-parent root and a point of this clone's ledger; the commit carries the
      // staged tree and has HEAD as its parent, so a fetch brings every object the diff is read from
      const { ledgerPoint } = await import('./signed.js');
      const card = {
        repoId,
        id,
        worktree,
        parent: head ?? null,
        root: head ? ctx.git.firstParentRoot(head) ?? null : null,
        ledger: ledgerPoint(ctx),
        ...(ctx.git.currentBranch() ? { branch: ctx.git.currentBranch() } : {}),
        tree,
        tier: s.tier,
        intent: s.intent,
        asker: s.created_by,
        files: s.files.map((f) => ({ path: f.path, status: f.status, ...(f.old_path ? { old_path: f.old_path } : {}) })),
        created_at: s.created_at,
        published_at: ctx.now().toISOString(),
        digest: parsed.digest,
        ...(diff.length > DIFF_LIMIT ? { diffCut: true } : {}),
      };
      const files = new Map<string, Buffer>([
        ['card.json', Buffer.from(`${JSON.stringify(card, null, 2)}\n`)],
        ['sidecar.yaml', Buffer.from(text)],
        ['staged.diff', diff.length > DIFF_LIMIT ? diff.subarray(0, DIFF_LIMIT) : diff],
      ]);
      const old = existing.get(current);
      // the same explanation and diff already published: nothing to push
      const same = old !== undefined && readCommitFile(ctx.git, old, 'sidecar.yaml')?.toString('utf8') === text && readCommitFile(ctx.git, old, 'staged.diff')?.equals(files.get('staged.diff')!);
      if (!same) updates.push({ ref: current, newOid: writeFilesCommit(ctx.git, files, head, `pending ${repoId}/${id}`, ctx.now(), new Map([['staged', tree]])), expect: old ?? null });
    }
  }
  // withdraw what this worktree published before and no longer waits for
  for (const [ref, oid] of existing) {
    if (ref === current) continue;
    const card = parseCard(readCommitFile(ctx.git, oid, 'card.json'));
    if (card && card.worktree === worktree) updates.push({ ref, newOid: null, expect: oid });
  }
  if (updates.length === 0) return { published: [], withdrawn: [] };
  const r = rr.casPush(updates);
  if (!r.ok) {
    const { GateError } = await import('../../kernel/errors.js');
    throw new GateError('CANNOT_EVALUATE', `the pending approvals of this clone moved on ${rr.remote} while they were published (${r.stale.join(', ')}).`, { fix: 'gate ledger publish' });
  }
  return { published: updates.filter((u) => u.newOid).map((u) => u.ref), withdrawn: updates.filter((u) => !u.newOid).map((u) => u.ref) };
}

/** Where the decisions on cards live (ADR 0027): refs/agent-gates/approvals/<repo-id>/<card id>. */
export const DECISIONS_NS = 'approvals/';

function isLedgerPoint(v: unknown): v is { size: number; head: string } {
  const o = v as { size?: unknown; head?: unknown } | null;
  return typeof o === 'object' && o !== null && Number.isSafeInteger(o.size) && typeof o.head === 'string' && /^[0-9a-f]{64}$/.test(o.head);
}

function decisionOf(ctx: Ctx, commit: string | undefined): { decision?: RemoteCard['decision'] } {
  if (!commit) return {};
  const d = parseCard(readCommitFile(ctx.git, commit, 'decision.json'));
  return { decision: d?.decision === 'approve' || d?.decision === 'reject' ? d.decision : 'unreadable' };
}

export function parseCard(bytes: Buffer | undefined): Record<string, unknown> | undefined {
  if (!bytes) return undefined;
  try {
    const v = JSON.parse(bytes.toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The cards other clones published on `remote` (this clone's own are left out unless asked:
 * the local inbox shows them fresher). A card whose explanation does not parse, or whose digest
 * or tree does not match its sidecar, is listed in `problems`, not shown.
 */
export async function remotePendingCards(
  ctx: Ctx,
  opts: { remote: string; includeOwn?: boolean; diff?: boolean; timeoutMs?: number },
): Promise<{ remote: string; cards: RemoteCard[]; problems: Array<{ ref: string; problem: string }> }> {
  const rr = new RemoteRefs(ctx.git, opts.remote, { timeoutMs: opts.timeoutMs ?? 60_000 });
  const all = rr.fetch([PENDING_NS, DECISIONS_NS]);
  const refs = new Map([...all].filter(([ref]) => ref.startsWith(`${REMOTE_NS}${PENDING_NS}`)));
  const own = ctx.ledger.repoId(false);
  const { parseSidecarText } = await import('../../schema/sidecar/fast.js');
  const cards: RemoteCard[] = [];
  const problems: Array<{ ref: string; problem: string }> = [];
  const nowMs = ctx.now().getTime();
  for (const [ref, commit] of refs) {
    const m = /^refs\/agent-gates\/pending\/([0-9a-f-]{36})\/([0-9a-f]{8})$/.exec(ref);
    if (!m) {
      problems.push({ ref, problem: 'not named refs/agent-gates/pending/<repo-id>/<card id>' });
      continue;
    }
    if (m[1] === own && !opts.includeOwn) continue;
    const card = parseCard(readCommitFile(ctx.git, commit, 'card.json'));
    const text = readCommitFile(ctx.git, commit, 'sidecar.yaml')?.toString('utf8');
    if (!card || text === undefined) {
      problems.push({ ref, problem: 'card.json or sidecar.yaml is missing or malformed' });
      continue;
    }
    const parsed = await parseSidecarText(text);
    if (!parsed.ok) {
      problems.push({ ref, problem: `the explanation does not parse: ${parsed.problems.join('; ')}` });
      continue;
    }
    const s = parsed.sidecar;
    if (card.digest !== parsed.digest || card.tree !== s.tree || card.repoId !== m[1] || card.id !== m[2]) {
      problems.push({ ref, problem: 'card.json does not match its explanation (digest, tree or id)' });
      continue;
    }
    const publishedAt = typeof card.published_at === 'string' ? card.published_at : s.created_at;
    // the diff is computed here from the objects the card's commit carries (its parent and the
    // explained tree), never read from the published staged.diff: that file is the agent's words
    let diff: string | undefined;
    let diffCut = false;
    if (opts.diff) {
      const d = diffFromObjects(ctx, commit, s.tree);
      if (d === undefined) problems.push({ ref, problem: 'the published commit does not carry the explained tree: its diff is not shown' });
      else ({ diff, cut: diffCut } = d);
    }
    cards.push({
      repoId: m[1]!,
      id: m[2]!,
      remote: opts.remote,
      ref,
      commit,
      worktree: typeof card.worktree === 'string' ? card.worktree : '',
      ...(typeof card.branch === 'string' ? { branch: card.branch } : {}),
      tree: s.tree,
      tier: s.tier,
      intent: s.intent,
      asker: s.created_by,
      files: s.files.map((f) => ({ path: f.path, status: f.status, ...(f.old_path ? { old_path: f.old_path } : {}) })),
      created_at: s.created_at,
      published_at: publishedAt,
      age_s: Math.max(0, Math.floor((nowMs - Date.parse(s.created_at)) / 1000)),
      digest: parsed.digest,
      ...(diff !== undefined ? { diff } : {}),
      ...(diffCut ? { diffCut: true } : {}),
      ...(card.parent === null || typeof card.parent === 'string' ? { parent: card.parent } : {}),
      ...(card.root === null || typeof card.root === 'string' ? { root: card.root } : {}),
      ...(isLedgerPoint(card.ledger) ? { ledger: card.ledger } : {}),
      ...decisionOf(ctx, all.get(`${REMOTE_NS}${DECISIONS_NS}${m[1]}/${m[2]}`)),
    });
  }
  cards.sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
  return { remote: opts.remote, cards, problems };
}

/**
 * The diff a card stands for, read from objects: the card commit's own parent (the waiting clone's
 * HEAD; the empty tree when it has none) against the explained tree it carries as `staged`.
 * Undefined when the commit does not carry that tree. Cut at DIFF_LIMIT bytes.
 */
function diffFromObjects(ctx: Ctx, commit: string, tree: string): { diff: string; cut: boolean } | undefined {
  const rev = (spec: string) => {
    const r = ctx.git.exec(['rev-parse', '--verify', '--quiet', spec]);
    return r.code === 0 ? r.stdout.toString('utf8').trim() : undefined;
  };
  if (rev(`${commit}:staged`) !== tree) return undefined;
  const parent = rev(`${commit}^1^{commit}`);
  const d = ctx.git.exec(['diff', '--no-color', '--no-ext-diff', '--no-textconv', '--no-renames', parent ?? ctx.git.emptyTree(), tree]);
  if (d.code !== 0) return undefined;
  const cut = d.stdout.length > DIFF_LIMIT;
  return { diff: (cut ? d.stdout.subarray(0, DIFF_LIMIT) : d.stdout).toString('utf8'), cut };
}
