/**
 * Gate B use-case plumbing shared by the hook, `gate status`, `gate explain` and `gate approve`:
 * gather facts through the adapters (staged diff, Markdown contents, the config in force at HEAD,
 * the sidecar, the ledger lines it cites) and hand them to the pure functions in gates/.
 *
 * The AUTO path stays cheap: no yaml, zod or ledger reads unless the commit is gated.
 */
import { join } from 'node:path';
import type { Ctx } from '../context.js';
import type { FileChange } from '../../kernel/changes.js';
import { CONFIG_PATH } from '../../adapters/config-file.js';
import { classify, strictestConfig, type ContentsByPath, type FileContents, type MutationVerdict } from '../../gates/classify.js';
import { evaluateApproval, type ApprovalFacts, type CitedLine, type LedgerFacts, type SidecarState } from '../../gates/approval.js';
import type { Finding } from '../../kernel/findings.js';
import { GateError } from '../../kernel/errors.js';
import { defaultConfig, parseDuration, type GatesConfig } from '../../schema/config/defaults.js';
import { linkHash } from '../../ledger/chain.js';
import { nodeCrypto } from '../../kernel/builtins.js';
import { exists, fileStat, listDir, readText, writeFileAtomic } from '../../adapters/files.js';
import { VERSION } from '../../kernel/version.js';
import type { SidecarParse } from '../../schema/sidecar/fast.js';
import type { LedgerEntry } from '../../schema/ledger/schema.js';
import { SIDECAR_DIR, SIDECAR_NAME } from '../../kernel/paths.js';

export function sidecarFile(ctx: Ctx, tree: string): string {
  return join(ctx.paths.root, SIDECAR_DIR, `explain-${tree}.yaml`);
}

function touchesConfig(changes: readonly FileChange[]): boolean {
  return changes.some((c) => c.path === CONFIG_PATH || c.oldPath === CONFIG_PATH);
}

/**
 * The config as committed at `rev` (defaults when absent or invalid: the built-in floor).
 * Valid configs go through the same content-addressed cache as the working-tree config
 * (`{ cache: false }` parses in full, as CI's range checks do).
 */
export async function configAt(ctx: Ctx, rev: string | undefined, opts: { cache?: boolean } = {}): Promise<GatesConfig | undefined> {
  if (!rev) return undefined;
  const bytes = ctx.git.readBlob(`${rev}:${CONFIG_PATH}`);
  if (!bytes) return defaultConfig();
  const { parseConfigCached } = await import('../../adapters/config-file.js');
  try {
    return (await parseConfigCached(bytes, ctx.stateDir, `${CONFIG_PATH} at ${rev.slice(0, 12)}`, opts)).config;
  } catch {
    return defaultConfig();
  }
}

/**
 * Classify changes. When the change touches the config itself, the config in force before it
 * (`base`) is merged in, strictest wins, so a commit cannot lower its own ceremony.
 */
export async function verdictFor(ctx: Ctx, changes: readonly FileChange[], config: GatesConfig, base: string | undefined): Promise<MutationVerdict> {
  let cfg = config;
  if (touchesConfig(changes)) {
    const before = await configAt(ctx, base);
    if (before) cfg = strictestConfig(before, config);
  }
  let v = classify(changes, cfg);
  if (v.contents_needed.length) {
    const needed = v.contents_needed;
    const byPath = new Map(changes.map((c) => [c.path, c]));
    const ids: string[] = [];
    for (const p of v.contents_needed) {
      const c = byPath.get(p)!;
      ids.push(c.oldBlob, c.newBlob);
    }
    const blobs = ctx.git.readBlobs(ids);
    const contents = new Map<string, FileContents>();
    for (const p of v.contents_needed) {
      const c = byPath.get(p)!;
      const o = blobs.get(c.oldBlob);
      const n = blobs.get(c.newBlob);
      contents.set(p, { ...(o ? { old: o.toString('utf8') } : {}), ...(n ? { new: n.toString('utf8') } : {}) });
    }
    v = classify(changes, cfg, contents as ContentsByPath);
    // cumulative (issue 14): a carved-out edit is judged against the file's last approved
    // version, so typo-sized slices cannot add up to a rewrite unseen
    if (v.carve_out.applied && base) {
      let again = false;
      for (const p of needed) {
        const c = byPath.get(p)!;
        const approved = lastApprovedBlob(ctx, base, p);
        if (!approved || approved === c.oldBlob) continue;
        const text = ctx.git.readBlobs([approved]).get(approved);
        if (text === undefined) continue;
        contents.set(p, { ...contents.get(p), approved: text.toString('utf8') });
        again = true;
      }
      if (again) v = classify(changes, cfg, contents as ContentsByPath);
    }
  }
  return v;
}

/**
 * A symbolic link on a surface that points where the surface does not govern can never be
 * approved (the approval would not cover its target's later edits): explain and approve refuse it.
 */
export function refuseLinkEscapes(verdict: MutationVerdict): void {
  const e = verdict.link_escapes;
  if (!e.length) return;
  throw new GateError('DENIED', `${e.length === 1 ? 'a symbolic link' : `${e.length} symbolic links`} on a governed surface ${e.length === 1 ? 'points' : 'point'} where the surface's rules do not reach, so no approval can cover ${e.length === 1 ? 'it' : 'them'}.`, {
    details: e.map((x) => x.message),
    fix: `replace the link with the file itself (git rm --cached ${e[0]!.path}, then add the real file), or govern ${e[0]!.resolved ?? 'its target'} on a ${e[0]!.tier} surface`,
  });
}

/** How far back `lastApprovedBlob` walks a path's history. */
const APPROVED_WALK = 50;

/**
 * The blob of `path` its last approval named: walking the path's history back from `rev`, the
 * newest commit whose agent-gates note lists the path (with its blob); when none does, the
 * version the walk ends at (the file's addition, or the 50th commit back). Positive evidence only
 * in the sense that a note can shorten the walk to what it approved, never skip the judgement.
 */
export function lastApprovedBlob(ctx: Ctx, rev: string, path: string): string | undefined {
  const r = ctx.git.exec(['log', `-n${APPROVED_WALK}`, '--format=%x00%H%x01%N', '--notes=refs/notes/agent-gates', rev, '--', path]);
  if (r.code !== 0) return undefined;
  let oldest: string | undefined;
  for (const rec of r.stdout.toString('utf8').split('\0').slice(1)) {
    const [commit, note = ''] = rec.split('\x01');
    if (!commit) continue;
    oldest = commit.trim();
    const blob = blobInNote(note, path);
    if (blob) return blob;
  }
  return oldest ? ctx.git.blobAt(oldest, path) : undefined;
}

/** The blob a note (one or more JSON documents) records for `path`, if any. */
function blobInNote(note: string, path: string): string | undefined {
  if (!note.includes(JSON.stringify(path))) return undefined;
  for (const doc of note.split(/\n(?=\{)/)) {
    try {
      const j = JSON.parse(doc) as { files?: Array<{ path?: unknown; blob?: unknown }> };
      const f = j.files?.find((x) => x.path === path && typeof x.blob === 'string');
      if (f) return f.blob as string;
    } catch {
      /* not this document */
    }
  }
  return undefined;
}

/** Other sidecars in the directory (newest first), for "the staged tree changed" messages. */
function otherSidecars(ctx: Ctx, tree: string): Array<{ path: string; tree: string; mtime: number }> {
  const dir = join(ctx.paths.root, SIDECAR_DIR);
  if (!exists(dir)) return [];
  const out: Array<{ path: string; tree: string; mtime: number }> = [];
  for (const name of listDir(dir)) {
    const m = SIDECAR_NAME.exec(name);
    if (!m || m[1] === tree) continue;
    try {
      out.push({ path: `${SIDECAR_DIR}/${name}`, tree: m[1]!, mtime: fileStat(join(dir, name)).mtimeMs });
    } catch {
      /* vanished */
    }
  }
  return out.sort((a, b) => b.mtime - a.mtime);
}

export interface LoadedSidecar {
  path: string;
  abs: string;
  state: SidecarState;
  /** The raw parsed document (for rewriting with approvals). */
  text?: string;
}

/**
 * Parse and check sidecar text through a cache of parsed documents under the state dir, keyed by
 * the SHA-256 of the text and the tool version, so a gated commit does not load the YAML parser
 * for a sidecar it has already read (at `gate explain`/`gate approve`, or an earlier attempt).
 * The cache holds only the parsed YAML value, never a verdict: every use runs the full
 * `checkSidecar` again and recomputes the digest from it. Only documents that checked out and
 * survive a JSON round trip unchanged are cached; any cache problem falls back to a full parse.
 */
export async function parseSidecarCached(ctx: Ctx, text: string): Promise<SidecarParse> {
  const core = await import('../../schema/sidecar/fast.js');
  const key = nodeCrypto().createHash('sha256').update(text).digest('hex');
  const cachePath = join(ctx.stateDir, 'cache', `sidecar-${key.slice(0, 32)}-${VERSION}.json`);
  if (exists(cachePath)) {
    try {
      const cached = JSON.parse(readText(cachePath)) as { key?: unknown; value?: unknown };
      if (cached.key === key) return core.checkSidecar(cached.value);
    } catch {
      /* fall through to a full parse */
    }
  }
  const { result, value } = await core.parseSidecarYaml(text);
  if (result.ok && core.jsonExact(value)) {
    try {
      writeFileAtomic(cachePath, JSON.stringify({ key, value }));
    } catch {
      /* a cache that cannot be written only costs time */
    }
  }
  return result;
}

/** Read and validate the sidecar for `tree` (loads yaml unless its parse is cached; never zod). */
export async function loadSidecar(ctx: Ctx, tree: string): Promise<LoadedSidecar> {
  const abs = sidecarFile(ctx, tree);
  const path = `${SIDECAR_DIR}/explain-${tree}.yaml`;
  if (!exists(abs)) {
    const others = otherSidecars(ctx, tree);
    const state: SidecarState = { state: 'missing', others: [] };
    if (others.length) {
      const { parseSidecarText } = await import('../../schema/sidecar/fast.js');
      for (const o of others.slice(0, 5)) {
        let files;
        try {
          const r = await parseSidecarText(readText(join(ctx.paths.root, o.path)));
          if (r.ok) files = r.sidecar.files;
        } catch {
          /* a stale sidecar we cannot read only loses detail */
        }
        state.others.push({ path: o.path, tree: o.tree, ...(files ? { files } : {}) });
      }
    }
    return { path, abs, state };
  }
  let text: string;
  try {
    text = readText(abs);
  } catch (e) {
    return { path, abs, state: { state: 'invalid', problems: [`cannot read the file: ${(e as Error).message}`] } };
  }
  const r = await parseSidecarCached(ctx, text);
  if (!r.ok) return { path, abs, text, state: { state: 'invalid', problems: r.problems } };
  return { path, abs, text, state: { state: 'ok', sidecar: r.sidecar, digest: r.digest } };
}

/** Rejections recorded in the ledger: for a tree, or touching any of `paths`. */
export async function ledgerRejections(
  ctx: Ctx,
  match: { tree?: string; paths?: readonly string[] },
): Promise<Array<{ seq: number; ts: string; tree?: string; paths: string[]; reason: string; by: string }>> {
  const out: LedgerRejection[] = [];
  const want = match.paths ? new Set(match.paths) : undefined;
  for await (const { entry } of ctx.ledger.entries()) {
    const r = rejectionOf(entry, match.tree, want);
    if (r) out.push(r);
  }
  return out;
}

type LedgerRejection = { seq: number; ts: string; tree?: string; paths: string[]; reason: string; by: string };

/** A `reject` entry for `tree` or touching any of `want`, as ledgerRejections reports it. */
function rejectionOf(entry: LedgerEntry, tree: string | undefined, want: ReadonlySet<string> | undefined): LedgerRejection | undefined {
  if (entry.event !== 'reject') return undefined;
  const paths = Array.isArray(entry.subject?.paths) ? entry.subject.paths : [];
  const hitTree = tree !== undefined && entry.subject?.tree === tree;
  const hitPath = want !== undefined && paths.some((p) => want.has(p));
  if (!hitTree && !hitPath) return undefined;
  return {
    seq: entry.seq,
    ts: entry.ts,
    ...(entry.subject?.tree ? { tree: entry.subject.tree } : {}),
    paths,
    reason: typeof entry.data?.reason === 'string' ? entry.data.reason : '(no reason given)',
    by: entry.actor?.id ?? 'unknown',
  };
}

/**
 * Verify the ledger, find rejections of this tree, and read every line the sidecar's approvals
 * cite. Verification and the search for rejections are one pass over the file, incremental
 * from the last verified point when there is one (LedgerFile.verifyForCommit); rejections count
 * only when the chain verified.
 */
export async function gatherLedgerFacts(ctx: Ctx, tree: string, state: SidecarState, opts: ReadOptions = {}): Promise<LedgerFacts> {
  const lines = new Map<number, CitedLine | undefined>();
  let ok = true;
  let problem: string | undefined;
  const found: LedgerRejection[] = [];
  try {
    const v = await ctx.ledger.verifyForCommit((value) => {
      const r = rejectionOf(value as LedgerEntry, tree, undefined);
      if (r) found.push(r);
    }, opts);
    if (!v.ok) {
      ok = false;
      problem = v.problem ? `line ${v.problem.line}: ${v.problem.reason}: ${v.problem.message}` : 'unknown';
    }
  } catch (e) {
    ok = false;
    problem = (e as Error).message;
  }
  const rejections = ok ? found.map((r) => ({ seq: r.seq, reason: r.reason })) : [];
  if (state.state === 'ok') {
    for (const a of state.sidecar.approvals) {
      const raw = ctx.ledger.readLineAt(a.ledger.offset);
      if (!raw) {
        lines.set(a.ledger.offset, undefined);
        continue;
      }
      let entry: unknown;
      try {
        entry = JSON.parse(raw.toString('utf8'));
      } catch {
        entry = undefined;
      }
      lines.set(a.ledger.offset, { hash: linkHash(raw), entry });
    }
  }
  return { ok, ...(problem ? { problem } : {}), rejections, lines };
}

export interface MutationEvaluation {
  tree: string;
  verdict: MutationVerdict;
  sidecar?: LoadedSidecar;
  ledger?: LedgerFacts;
  findings: Finding[];
}

/**
 * How a use case reads the ledger: the read API folds the deferred commit records (ADR 0009)
 * first; the commit hooks pass `fold: false` because their own append folds them in the same
 * write (one mutex, one fsync on the commit path).
 */
export interface ReadOptions {
  fold?: boolean;
}

/** Evaluate the staged tree: classification, then (only when gated) the sidecar and the ledger. */
export async function evaluateStaged(
  ctx: Ctx,
  facts: { tree: string; head: string | undefined; changes: FileChange[]; config: GatesConfig },
  opts: ReadOptions = {},
): Promise<MutationEvaluation> {
  const verdict = await verdictFor(ctx, facts.changes, facts.config, facts.head);
  if (verdict.tier === 'AUTO') {
    const findings = evaluateApproval({ tree: facts.tree, verdict, path: '', sidecar: { state: 'missing', others: [] } });
    return { tree: facts.tree, verdict, findings };
  }
  const sidecar = await loadSidecar(ctx, facts.tree);
  const ledger = sidecar.state.state === 'ok' ? await gatherLedgerFacts(ctx, facts.tree, sidecar.state, opts) : undefined;
  const input: ApprovalFacts = { tree: facts.tree, verdict, path: sidecar.path, sidecar: sidecar.state, ...(ledger ? { ledger } : {}), ...expiryOf(ctx, facts.config) };
  return { tree: facts.tree, verdict, sidecar, ...(ledger ? { ledger } : {}), findings: evaluateApproval(input) };
}

/** approval.max_age as the pure check wants it (absent when the duration cannot be parsed: the schema rejects that earlier). */
export function expiryOf(ctx: Ctx, config: GatesConfig): { expiry?: { now: number; maxAgeMs: number; maxAge: string } } {
  const ms = parseDuration(config.approval.max_age);
  return ms === undefined ? {} : { expiry: { now: ctx.now().getTime(), maxAgeMs: ms, maxAge: config.approval.max_age } };
}

/** Current staged facts (the active index: GIT_INDEX_FILE is honoured by the adapter). */
export async function stagedFacts(ctx: Ctx): Promise<{ tree: string; head: string | undefined; changes: FileChange[]; config: GatesConfig }> {
  const { config } = await ctx.config();
  return { tree: ctx.git.writeTree(), head: ctx.git.head(), changes: ctx.git.stagedChanges(), config };
}

