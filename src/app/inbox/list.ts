/**
 * The approval inbox (issue 17): every explanation waiting for a person, in every worktree of
 * this clone (`git worktree list`), newest first, as cards a terminal view, `--json` and the web
 * page all render. A card says who asks, the tier, the intent, the diff stat, its age, earlier
 * rejections of the same paths (from the ledger), and whether it is still current: that
 * worktree's staged tree is the tree the explanation binds, with the files it names, at a tier
 * no lower than the staged change needs (the same comparison `gate approve` refuses on).
 *
 * Sidecars are positive evidence only: a card is a pointer to a decision, and approving it runs
 * `gate approve`'s own use-case in that worktree, which re-reads and re-checks everything.
 */
import { join } from 'node:path';
import { openContext, type Ctx } from '../context.js';
import { gatherLedgerFacts, ledgerRejections, loadSidecar, stagedFacts, verdictFor, type LoadedSidecar } from '../approvals/facts.js';
import { listSidecars } from '../../adapters/sidecar-files.js';
import { realPath } from '../../adapters/files.js';
import { approvalProblem } from '../../gates/approval.js';
import { fileListChanges, requiredSteps, tierAtLeast } from '../../gates/classify.js';
import { GateError } from '../../kernel/errors.js';
import { SIDECAR_DIR } from '../../kernel/paths.js';
import { ZERO_BLOB } from '../../kernel/ids.js';
import { nodeCrypto } from '../../kernel/builtins.js';
import type { Sidecar } from '../../schema/sidecar/schema.js';
import { expiryOf } from '../approvals/facts.js';
import type { GatesConfig, Tier } from '../../schema/config/defaults.js';

export type InboxTier = 'AUTO' | 'CONFIRM' | 'DOUBLE_CONFIRM';

export interface InboxFile {
  path: string;
  old_path?: string;
  /** git's status letter: A, M, D, R, ... */
  status: string;
  /** Lines added and removed (0 and 0 with `binary`). */
  added: number;
  removed: number;
  binary?: boolean;
}

export interface InboxRejection {
  path: string;
  /** When (ISO-8601), who (person id) and why, from the ledger's `reject` entry. */
  at: string;
  by: string;
  reason: string;
  /** The ledger entry. */
  seq: number;
}

export interface InboxCard {
  /** Stable, short, unique across the clone's worktrees: `gate inbox approve <id>` (a unique prefix works too). */
  id: string;
  /** The worktree's absolute path. */
  worktree: string;
  branch?: string;
  /** Who wrote the explanation (the sidecar's created_by). */
  asker: { kind: string; id: string; session?: string };
  tier: InboxTier;
  intent: string;
  files: InboxFile[];
  created_at: string;
  age_s: number;
  /** The explained tree and the sidecar (repository-relative). */
  tree: string;
  sidecar: string;
  /** The worktree's staged tree is still the explained one (only a current card can be approved). */
  current: boolean;
  /** Why not current, in plain words (first line; `stale_details` has every difference). */
  stale_reason?: string;
  stale_details?: string[];
  /** pending: waits for a person; approved: every step is approved, waits for `git commit`; rejected: this tree was rejected. */
  state: 'pending' | 'approved' | 'rejected';
  steps_needed: string[];
  steps_done: string[];
  /** Earlier rejections of the same paths (other trees), newest first, at most 3. */
  rejections: InboxRejection[];
  /** The command a person runs to approve it from anywhere in the clone. */
  approve: string;
}

export interface InboxDiffFile {
  path: string;
  old_path?: string;
  status: string;
  /** A unified diff (3 lines of context), raw text: escape it for the medium that shows it. */
  unified: string;
  binary?: boolean;
}

export interface InboxCardDetail {
  card: InboxCard;
  /** Every field of the explanation (intent, alternatives, risk, files, approvals, rejections, ...) and its digest. */
  explanation: Sidecar & { digest: string; path: string };
  diff: InboxDiffFile[];
  /** Weakenings of .agents/gates.yaml in plain words, exactly as `gate approve` prints them. */
  weakenings: string[];
}

/** An explanation that could not be read: listed so the person sees it, never approvable. */
export interface InboxProblem {
  worktree: string;
  sidecar: string;
  problems: string[];
}

export interface InboxListing {
  cards: InboxCard[];
  problems: InboxProblem[];
  worktrees: number;
}

export interface InboxOptions {
  /** Also list cards already approved (waiting for the commit) and rejected ones. */
  all?: boolean;
}

export function cardId(worktree: string, tree: string): string {
  return nodeCrypto().createHash('sha256').update(`${worktree}\0${tree}`).digest('hex').slice(0, 8);
}

interface Worktree {
  path: string;
  branch?: string;
}

/** The clone's worktrees that exist on disk (not bare, not prunable), the current one first. */
function worktreesOf(ctx: Ctx): Worktree[] {
  const out: Worktree[] = [];
  const seen = new Set<string>();
  for (const w of ctx.git.worktrees()) {
    if (w.bare || w.prunable) continue;
    let path: string;
    try {
      path = realPath(w.path);
    } catch {
      continue;
    }
    if (seen.has(path)) continue;
    seen.add(path);
    out.push({ path, ...(w.branch ? { branch: w.branch.replace(/^refs\/heads\//, '') } : {}) });
  }
  return out;
}

interface Raw {
  wt: Worktree;
  wctx: Ctx;
  staged: { tree: string; head: string | undefined; config: GatesConfig; verdict: Awaited<ReturnType<typeof verdictFor>> } | undefined;
  tree: string;
  mtimeMs: number;
}

/** Everything needed to build the cards, gathered once. */
async function gather(ctx: Ctx): Promise<{ raws: Raw[]; wts: number }> {
  const raws: Raw[] = [];
  const wts = worktreesOf(ctx);
  for (const wt of wts) {
    const files = listSidecars(wt.path);
    if (files.length === 0) continue;
    const wctx = realPath(ctx.paths.root) === wt.path ? ctx : openContext(wt.path, { otherWorktree: true });
    let staged: Raw['staged'];
    try {
      const f = await stagedFacts(wctx);
      staged = { tree: f.tree, head: f.head, config: f.config, verdict: await verdictFor(wctx, f.changes, f.config, f.head) };
    } catch {
      staged = undefined; // an index that cannot be read: every card of this worktree is stale
    }
    const committed = staged?.head ? wctx.git.revParse(`${staged.head}^{tree}`) : undefined;
    for (const f of files) {
      if (f.tree === committed) continue; // its tree is HEAD's: committed, waiting for cleanup
      raws.push({ wt, wctx, staged, tree: f.tree, mtimeMs: f.mtimeMs });
    }
  }
  return { raws, wts: wts.length };
}

type LedgerRejection = Awaited<ReturnType<typeof ledgerRejections>>[number];

async function buildCard(ctx: Ctx, raw: Raw, loaded: LoadedSidecar, rejections: readonly LedgerRejection[]): Promise<{ card?: InboxCard; problem?: InboxProblem }> {
  const { wt, wctx, staged } = raw;
  const st = loaded.state;
  if (st.state !== 'ok') {
    return { problem: { worktree: wt.path, sidecar: loaded.path, problems: st.state === 'invalid' ? st.problems : ['the file vanished'] } };
  }
  const s = st.sidecar;
  const id = cardId(wt.path, raw.tree);
  // current: the same comparison gate approve makes before it shows anything
  let details: string[] = [];
  if (!staged) details = ['the staged tree of this worktree cannot be read'];
  else {
    if (s.tree !== staged.tree) details.push(`the staged tree is now ${staged.tree.slice(0, 12)}, the explanation is for ${s.tree.slice(0, 12)}`);
    const diffs = fileListChanges(s.files, staged.verdict.files);
    if (diffs.length === 0 && s.tree !== staged.tree) diffs.push('the gated files are the same, but other staged content changed (approvals bind the whole tree)');
    details.push(...diffs);
    if (staged.verdict.tier !== 'AUTO' && !tierAtLeast(s.tier, staged.verdict.tier)) details.push(`the explanation claims tier ${s.tier}; the staged changes require ${staged.verdict.tier}`);
    if (staged.verdict.tier === 'AUTO' && s.tree === staged.tree) details.push('the staged changes no longer need an approval (AUTO)');
  }
  const current = details.length === 0;
  const needed = requiredSteps(s.tier as Tier);
  const done = new Set<string>();
  if (s.approvals.length) {
    const lf = await gatherLedgerFacts(wctx, s.tree, st);
    const expiry = staged ? expiryOf(wctx, staged.config).expiry : undefined;
    for (const a of s.approvals) {
      if (!approvalProblem(a, s.tree, st.digest, lf.lines.get(a.ledger.offset), expiry) && tierAtLeast(a.tier, s.tier)) done.add(a.step);
    }
  }
  const paths = new Set(s.files.flatMap((f) => (f.old_path ? [f.path, f.old_path] : [f.path])));
  const rejectedHere = s.rejections.length > 0 || rejections.some((r) => r.tree === s.tree);
  const earlier: InboxRejection[] = [];
  for (let i = rejections.length - 1; i >= 0 && earlier.length < 3; i--) {
    const r = rejections[i]!;
    if (r.tree === s.tree) continue;
    const p = r.paths.find((x) => paths.has(x));
    if (p !== undefined) earlier.push({ path: p, at: r.ts, by: r.by, reason: r.reason, seq: r.seq });
  }
  const created = Date.parse(s.created_at);
  const card: InboxCard = {
    id,
    worktree: wt.path,
    ...(wt.branch ? { branch: wt.branch } : {}),
    asker: { kind: s.created_by.kind, id: s.created_by.id, ...(s.created_by.session ? { session: s.created_by.session } : {}) },
    tier: s.tier,
    intent: s.intent,
    files: diffStat(wctx, s),
    created_at: s.created_at,
    age_s: Math.max(0, Math.floor((ctx.now().getTime() - (Number.isNaN(created) ? raw.mtimeMs : created)) / 1000)),
    tree: s.tree,
    sidecar: loaded.path,
    current,
    ...(current ? {} : { stale_reason: details[0]!, stale_details: details }),
    state: rejectedHere ? 'rejected' : needed.every((x) => done.has(x)) ? 'approved' : 'pending',
    steps_needed: needed,
    steps_done: needed.filter((x) => done.has(x)),
    rejections: earlier,
    approve: `gate inbox approve ${id}`,
  };
  return { card };
}

/** Lines added and removed per file (a line-based count, as `git diff --numstat` gives). */
function diffStat(ctx: Ctx, s: Sidecar): InboxFile[] {
  const blobs = ctx.git.readBlobs(s.files.flatMap((f) => [f.old_blob, f.blob]).filter((b) => b !== ZERO_BLOB));
  return s.files.map((f) => {
    const base = { path: f.path, ...(f.old_path ? { old_path: f.old_path } : {}), status: f.status };
    const o = f.old_blob === ZERO_BLOB ? Buffer.alloc(0) : blobs.get(f.old_blob);
    const n = f.blob === ZERO_BLOB ? Buffer.alloc(0) : blobs.get(f.blob);
    if (!o || !n) return { ...base, added: 0, removed: 0 };
    if (isBinary(o) || isBinary(n)) return { ...base, added: 0, removed: 0, binary: true };
    return { ...base, ...countLines(o.toString('utf8'), n.toString('utf8')) };
  });
}

function isBinary(b: Buffer): boolean {
  return b.subarray(0, 8000).includes(0);
}

function splitLines(t: string): string[] {
  if (t === '') return [];
  const l = t.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

/** Added/removed lines: common prefix and suffix trimmed, then an LCS on what is left (bounded). */
export function countLines(a: string, b: string): { added: number; removed: number } {
  const x = splitLines(a);
  const y = splitLines(b);
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  let j = 0;
  while (j < x.length - i && j < y.length - i && x[x.length - 1 - j] === y[y.length - 1 - j]) j++;
  const xs = x.slice(i, x.length - j);
  const ys = y.slice(i, y.length - j);
  if (xs.length === 0 || ys.length === 0 || xs.length * ys.length > 4_000_000) return { added: ys.length, removed: xs.length };
  // LCS length, two rows
  let prev = new Uint32Array(ys.length + 1);
  let cur = new Uint32Array(ys.length + 1);
  for (let p = 1; p <= xs.length; p++) {
    for (let q = 1; q <= ys.length; q++) cur[q] = xs[p - 1] === ys[q - 1] ? prev[q - 1]! + 1 : Math.max(prev[q]!, cur[q - 1]!);
    [prev, cur] = [cur, prev];
  }
  const lcs = prev[ys.length]!;
  return { added: ys.length - lcs, removed: xs.length - lcs };
}

/**
 * Every explanation in every worktree of the clone, newest first. By default only what waits for a
 * person (`state: pending`, current or stale); `all` adds approved and rejected ones.
 */
export async function inboxListing(ctx: Ctx, opts: InboxOptions = {}): Promise<InboxListing> {
  const { raws, wts } = await gather(ctx);
  const cards: InboxCard[] = [];
  const problems: InboxProblem[] = [];
  if (raws.length === 0) return { cards, problems, worktrees: wts };
  // one pass over the ledger for every card's earlier rejections
  const paths = new Set<string>();
  const loaded: LoadedSidecar[] = [];
  for (const r of raws) {
    const l = await loadSidecar(r.wctx, r.tree);
    loaded.push(l);
    if (l.state.state === 'ok') for (const f of l.state.sidecar.files) for (const p of f.old_path ? [f.path, f.old_path] : [f.path]) paths.add(p);
  }
  let rejections: LedgerRejection[] = [];
  try {
    rejections = await ledgerRejections(ctx, { paths: [...paths] });
  } catch {
    rejections = []; // an unreadable ledger loses the history, never the cards (approve checks it again)
  }
  for (const [i, raw] of raws.entries()) {
    const r = await buildCard(ctx, raw, loaded[i]!, rejections);
    if (r.problem) problems.push(r.problem);
    if (r.card && (opts.all || r.card.state === 'pending')) cards.push(r.card);
  }
  cards.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || a.id.localeCompare(b.id));
  return { cards, problems, worktrees: wts };
}

/** The cards only (see inboxListing). */
export async function listInbox(ctx: Ctx, opts: InboxOptions = {}): Promise<InboxCard[]> {
  return (await inboxListing(ctx, opts)).cards;
}

/** Resolve an id (or a unique prefix of at least 4 characters) among every card, approved and rejected included. */
export async function findCard(ctx: Ctx, id: string): Promise<InboxCard> {
  const want = id.trim().toLowerCase();
  if (!/^[0-9a-f]{4,}$/.test(want)) {
    throw new GateError('USAGE', `"${id}" is not an inbox card id (4 to 8 hex characters, as \`gate inbox\` lists them).`, { fix: 'gate inbox' });
  }
  const cards = await listInbox(ctx, { all: true });
  const hits = cards.filter((c) => c.id.startsWith(want));
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) {
    throw new GateError('USAGE', `"${id}" matches ${hits.length} cards.`, { details: hits.map((c) => `${c.id} ${c.worktree}`), fix: 'use the full 8-character id from `gate inbox`' });
  }
  throw new GateError('DENIED', `there is no explanation with id ${id} in any worktree of this clone (it was committed, withdrawn or cleaned up).`, { fix: 'gate inbox  (lists what waits now)' });
}

/** One card with everything a reader needs to decide: the explanation, the diff, the config weakenings. */
export async function inboxCard(ctx: Ctx, id: string): Promise<InboxCardDetail> {
  const card = await findCard(ctx, id);
  const wctx = realPath(ctx.paths.root) === card.worktree ? ctx : openContext(card.worktree, { otherWorktree: true });
  const loaded = await loadSidecar(wctx, card.tree);
  if (loaded.state.state !== 'ok') throw new GateError('DENIED', `the explanation of card ${card.id} changed or vanished while it was read.`, { fix: 'gate inbox' });
  const s = loaded.state.sidecar;
  const [{ createTwoFilesPatch }, { configWeakenings, modeChange }] = await Promise.all([import('diff'), import('../approvals/approve.js')]);
  const { CONFIG_PATH } = await import('../../adapters/config-file.js');
  const blobs = wctx.git.readBlobs(s.files.flatMap((f) => [f.old_blob, f.blob]).filter((b) => b !== ZERO_BLOB));
  const diff: InboxDiffFile[] = [];
  const weakenings: string[] = [];
  const head = wctx.git.head();
  // modes from the objects (HEAD → the card's tree): a chmod or a file turned into a link is shown
  let modes: Map<string, { oldMode: string; newMode: string }> | undefined;
  try {
    modes = new Map(wctx.git.diffTrees(head ?? wctx.git.emptyTree(), card.tree).map((c) => [c.path, { oldMode: c.oldMode, newMode: c.newMode }]));
  } catch {
    weakenings.push('the file modes of this change cannot be read: do not approve what you cannot see');
  }
  for (const f of s.files) {
    const base = { path: f.path, ...(f.old_path ? { old_path: f.old_path } : {}), status: f.status };
    const o = f.old_blob === ZERO_BLOB ? Buffer.alloc(0) : blobs.get(f.old_blob);
    const n = f.blob === ZERO_BLOB ? Buffer.alloc(0) : blobs.get(f.blob);
    if (f.path === CONFIG_PATH || f.old_path === CONFIG_PATH) {
      const w = await configWeakenings(wctx, head, f.path === CONFIG_PATH ? f.blob : undefined);
      if (w.note) weakenings.push(w.note);
      weakenings.push(...w.weakenings.map((x) => x.message));
    }
    if (!o || !n) {
      diff.push({ ...base, unified: `${f.path}: content cannot be read (blob missing); do not approve what you cannot see\n` });
      continue;
    }
    const mc = modeChange(f, modes?.get(f.path), o, n);
    const said = mc.lines.map((l) => `${l.text}\n`).join('');
    if (mc.oldLink && mc.newLink) {
      diff.push({ ...base, unified: said });
      continue;
    }
    const ot = mc.oldLink ? Buffer.alloc(0) : o;
    const nt = mc.newLink ? Buffer.alloc(0) : n;
    if (isBinary(ot) || isBinary(nt)) {
      diff.push({ ...base, binary: true, unified: `${said}binary, ${ot.length} → ${nt.length} bytes\n` });
      continue;
    }
    const oldName = f.status === 'A' ? '/dev/null' : `a/${f.old_path ?? f.path}`;
    const newName = f.status === 'D' ? '/dev/null' : `b/${f.path}`;
    let unified = createTwoFilesPatch(oldName, newName, ot.toString('utf8'), nt.toString('utf8'), undefined, undefined, { context: 3 });
    if (unified.startsWith('====')) unified = unified.slice(unified.indexOf('\n') + 1);
    diff.push({ ...base, unified: `${said}${unified}` });
  }
  return { card, explanation: { ...s, digest: loaded.state.digest, path: join(card.worktree, SIDECAR_DIR, `explain-${card.tree}.yaml`) }, diff, weakenings };
}
