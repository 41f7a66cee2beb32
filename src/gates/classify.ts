/**
 * Gate B classification, pure: (staged changes, config, Markdown contents) → verdict.
 * No fs, git, clock or env. Runs on every commit, so matching is one combined RegExp test per path
 * (linear in staged files) and only paths that hit it are matched surface by surface.
 */
import type { ChangeStatus, FileChange } from '../kernel/changes.js';
import { compileGlobs, GlobIndex } from '../kernel/glob.js';
import { isAgentInstruction, judgeTypoEdit } from './carve-out.js';
import { BYTES_PER_LINE, changedBytes, changedLines, hasOtherLineBreaks } from './line-count.js';
import { TIER_RANK, maxTier, type GatesConfig, type Surface, type Tier } from '../schema/config/defaults.js';

/** The config file itself is gated whatever the config says: the rule cannot waive itself. */
export const BUILTIN_SURFACES: readonly Surface[] = [
  { name: 'gate-control', paths: ['.agents/gates.yaml'], tier: 'DOUBLE_CONFIRM', self_reinforcing: true },
];

export interface FileVerdict {
  path: string;
  old_path?: string;
  status: ChangeStatus;
  /** Staged (new) blob id; zeros for a deletion. */
  blob: string;
  /** Blob id before the change; zeros for an addition. */
  old_blob: string;
  tier: Tier;
  /** Names of the surfaces the file matches (old and new path), in config order. */
  surfaces: string[];
  self_reinforcing: boolean;
}

/** One reason the doc-only carve-out did not apply. */
export type CarveOutCondition =
  | 'disabled'
  | 'self_reinforcing'
  | 'tier_double_confirm'
  | 'not_markdown'
  | 'not_modified'
  | 'mode_changed'
  | 'front_matter_changed'
  | 'front_matter_unreadable'
  | 'too_many_bytes'
  | 'binary'
  | 'too_many_lines'
  | 'agent_instruction'
  | 'not_typo'
  | 'link';

export interface CarveOutFailure {
  condition: CarveOutCondition;
  path?: string;
  message: string;
}

export interface CarveOutDecision {
  /** True when a CONFIRM commit passes as AUTO under the doc-only carve-out. */
  applied: boolean;
  /** Whether the carve-out was considered at all (the commit's tier was CONFIRM). */
  considered: boolean;
  /** One sentence: why it applied or why not. */
  reason: string;
  /** Every condition that failed (empty when applied or not considered). */
  failed: CarveOutFailure[];
  changed_lines: number;
  max_changed_lines: number;
}

export interface MutationVerdict {
  /** The tier the commit must clear (AUTO when nothing is gated or the carve-out applied). */
  tier: Tier;
  /** The tier before the carve-out. */
  classified_tier: Tier;
  /** Gated files only (tier above AUTO), in staged order. */
  files: FileVerdict[];
  self_reinforcing: boolean;
  carve_out: CarveOutDecision;
  /**
   * Gated paths whose content is needed but was not given: Markdown for the carve-out, and the
   * text of every gated symbolic link (its target) for the link check.
   */
  contents_needed: string[];
  /** Gated symbolic links whose target is governed less strictly than the link (or not at all). */
  link_escapes: LinkEscape[];
}

/**
 * A symbolic link on a surface pointing where the surface's rules do not reach: one approval of
 * the link would leave every later edit of its target ungoverned. `resolved` is null when the
 * target leaves the repository, is absolute, or could not be read.
 */
export interface LinkEscape {
  path: string;
  target: string | null;
  resolved: string | null;
  tier: Tier;
  target_tier: Tier;
  message: string;
}

/**
 * The repository path a link at `path` with text `target` points at, normalised lexically;
 * null when it is absolute, leaves the repository, is empty, or names a folder and then `..`.
 * Leading `..` segments pop the link's own folders, which git tracks as real folders; a `..`
 * after a named folder is resolved by the OS after following that folder, which a later commit
 * that touches nothing governed can turn into a link, so its text says nothing reliable.
 */
export function resolveLinkTarget(path: string, target: string): string | null {
  if (target === '' || target.startsWith('/') || /^[A-Za-z]:[\\/]/.test(target) || target.startsWith('\\')) return null;
  const parts = path.split('/').slice(0, -1);
  let named = false;
  for (const seg of target.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0 || named) return null;
      parts.pop();
    } else {
      parts.push(seg);
      named = true;
    }
  }
  return parts.length ? parts.join('/') : null;
}

function linkEscapes(files: readonly FileVerdict[], byPath: ReadonlyMap<string, FileChange>, config: GatesConfig, contents: ContentsByPath): LinkEscape[] {
  const out: LinkEscape[] = [];
  for (const f of files) {
    if (byPath.get(f.path)?.newMode !== '120000') continue;
    const target = contents.get(f.path)?.new;
    const resolved = target === undefined ? null : resolveLinkTarget(f.path, target);
    const targetTier = resolved === null ? 'AUTO' : tierOfPath(resolved, '100644', config).tier;
    if (resolved !== null && TIER_RANK[targetTier] >= TIER_RANK[f.tier]) continue;
    const where =
      target === undefined
        ? 'a target that could not be read'
        : resolved === null
          ? `${target}, outside the repository`
          : `${resolved}, which is ${targetTier === 'AUTO' ? 'on no surface' : `governed only at ${targetTier}`}`;
    out.push({
      path: f.path,
      target: target ?? null,
      resolved,
      tier: f.tier,
      target_tier: targetTier,
      message: `${f.path} (${f.tier}) is a symbolic link to ${where}: an approval of the link would leave every later edit of its target ungoverned`,
    });
  }
  return out;
}

/** Old and new text of a gated Markdown file (undefined when the side does not exist or is unreadable). */
export interface FileContents {
  old?: string;
  new?: string;
  /**
   * The file's last approved version when it differs from `old` (earlier commits were carved
   * out): the typo-class judgement is cumulative, against this text.
   */
  approved?: string;
}
export type ContentsByPath = ReadonlyMap<string, FileContents>;

const compiled = new WeakMap<readonly Surface[], GlobIndex<Surface>>();

function compile(surfaces: readonly Surface[]): GlobIndex<Surface> {
  let c = compiled.get(surfaces);
  if (!c) {
    c = new GlobIndex(surfaces.flatMap((surface) => surface.paths.map((glob) => ({ glob, value: surface }))));
    compiled.set(surfaces, c);
  }
  return c;
}

/** Git's modes for a symbolic link and a gitlink (submodule): entries that stand for a whole subtree. */
export function isLinkMode(mode: string | undefined): boolean {
  return mode === '120000' || mode === '160000';
}

const surfacesCache = new WeakMap<GatesConfig, readonly Surface[]>();
/** The config's surfaces plus the built-in floor (computed once per config object). */
export function effectiveSurfaces(config: GatesConfig): readonly Surface[] {
  let s = surfacesCache.get(config);
  if (!s) {
    s = [...config.surfaces, ...BUILTIN_SURFACES, ...signersSurface(config)];
    surfacesCache.set(config, s);
  }
  return s;
}

/**
 * approval.allowed_signers decides whose signatures count, so it is governed as self-reinforcing
 * wherever the config points it, unless a self-reinforcing surface already matches that path.
 */
function signersSurface(config: GatesConfig): Surface[] {
  const path = config.approval?.allowed_signers;
  if (!path) return [];
  const sr = [...config.surfaces, ...BUILTIN_SURFACES].filter((s) => s.self_reinforcing);
  if (sr.length && compileGlobs(sr.flatMap((s) => s.paths))(path)) return [];
  return [{ name: 'allowed-signers', paths: [path], tier: 'DOUBLE_CONFIRM', self_reinforcing: true }];
}

export function isMarkdown(path: string): boolean {
  return /\.(md|markdown)$/i.test(path);
}

/**
 * YAML front matter of a Markdown text: the block between a first line `---` and the next line
 * `---` or `...`. Undefined when the text has none.
 */
export function frontMatter(text: string): string | undefined {
  const t = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const first = /^---[ \t]*\r?\n/.exec(t);
  if (!first) return undefined;
  const rest = t.slice(first[0].length);
  const end = /^(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/m.exec(rest);
  if (!end) return `unterminated:${rest}`; // an unterminated block still counts as front matter
  return rest.slice(0, end.index);
}

/**
 * The surfaces governing a path, in config order. A symlink or gitlink (`link`) stands for
 * everything below it, so it is governed by every surface that governs some path below it too:
 * `.claude -> tools/cc` is governed by `.claude/**` and `.claude/settings*.json`. Matching is
 * case-insensitive and Unicode-normalised (see glob.ts); `X/**` also governs `X`.
 */
function surfacesOf(path: string, c: GlobIndex<Surface>, surfaces: readonly Surface[], link: boolean): Surface[] {
  const hit = c.query(path, link);
  if (hit.length < 2) return hit;
  return surfaces.filter((s) => hit.includes(s));
}

export interface PathTier {
  tier: Tier;
  surfaces: string[];
  self_reinforcing: boolean;
}

/**
 * The tier a path is governed at under a config (with the built-in floor), for one side of a
 * change: `mode` is the git mode of that side ('120000' symlink and '160000' gitlink also count
 * for every governed path below). Pure; the range check and the pre-commit share it.
 */
export function tierOfPath(path: string, mode: string | undefined, config: GatesConfig): PathTier {
  const surfaces = effectiveSurfaces(config);
  const hit = surfacesOf(path, compile(surfaces), surfaces, isLinkMode(mode));
  let tier: Tier = 'AUTO';
  let sr = false;
  const names: string[] = [];
  for (const s of hit) {
    if (s.self_reinforcing) sr = true;
    tier = maxTier(tier, s.tier);
    if (!names.includes(s.name)) names.push(s.name);
  }
  if (sr) tier = 'DOUBLE_CONFIRM';
  return { tier, surfaces: names, self_reinforcing: sr };
}

/** Classify the staged changes. Linear in the number of changes. */
export function classify(changes: readonly FileChange[], config: GatesConfig, contents: ContentsByPath = new Map()): MutationVerdict {
  const surfaces = effectiveSurfaces(config);
  const c = compile(surfaces);
  const files: FileVerdict[] = [];
  let tier: Tier = 'AUTO';
  let selfReinforcing = false;
  for (const ch of changes) {
    const link = isLinkMode(ch.oldMode) || isLinkMode(ch.newMode);
    const hit = surfacesOf(ch.path, c, surfaces, link);
    if (ch.oldPath !== undefined && ch.oldPath !== ch.path) {
      for (const s of surfacesOf(ch.oldPath, c, surfaces, link)) if (!hit.includes(s)) hit.push(s);
    }
    if (hit.length === 0) continue;
    let ft: Tier = 'AUTO';
    let sr = false;
    const names: string[] = [];
    for (const s of hit) {
      if (s.self_reinforcing) sr = true;
      ft = maxTier(ft, s.tier);
      if (!names.includes(s.name)) names.push(s.name);
    }
    if (sr) ft = 'DOUBLE_CONFIRM';
    if (ft === 'AUTO') continue;
    const fv: FileVerdict = {
      path: ch.path,
      status: ch.status,
      blob: ch.newBlob,
      old_blob: ch.oldBlob,
      tier: ft,
      surfaces: names,
      self_reinforcing: sr,
    };
    if (ch.oldPath !== undefined) fv.old_path = ch.oldPath;
    files.push(fv);
    tier = maxTier(tier, ft);
    if (sr) selfReinforcing = true;
  }
  const byPath = new Map<string, FileChange>();
  for (const ch of changes) byPath.set(ch.path, ch);
  const carve = decideCarveOut(tier, selfReinforcing, files, byPath, config, contents);
  const contentsNeeded = carve.considered
    ? files.filter((f) => f.status === 'M' && isMarkdown(f.path) && !contents.has(f.path)).map((f) => f.path)
    : [];
  for (const f of files) {
    if (byPath.get(f.path)?.newMode === '120000' && contents.get(f.path)?.new === undefined && !contentsNeeded.includes(f.path)) contentsNeeded.push(f.path);
  }
  return {
    tier: carve.applied ? 'AUTO' : tier,
    classified_tier: tier,
    files,
    self_reinforcing: selfReinforcing,
    carve_out: carve,
    contents_needed: contentsNeeded,
    link_escapes: linkEscapes(files, byPath, config, contents),
  };
}

function decideCarveOut(
  tier: Tier,
  selfReinforcing: boolean,
  files: readonly FileVerdict[],
  byPath: ReadonlyMap<string, FileChange>,
  config: GatesConfig,
  contents: ContentsByPath,
): CarveOutDecision {
  const max = config.doc_only.max_changed_lines;
  const base = { changed_lines: 0, max_changed_lines: max };
  if (tier === 'AUTO') return { ...base, applied: false, considered: false, reason: 'no gated files: nothing to carve out', failed: [] };
  if (selfReinforcing) {
    return {
      ...base,
      applied: false,
      considered: false,
      reason: 'a self-reinforcing surface changed: always DOUBLE_CONFIRM, never carved out',
      failed: [{ condition: 'self_reinforcing', message: 'a self-reinforcing surface (gate config, hooks, allowed signers, agent settings) is never carved out' }],
    };
  }
  if (tier === 'DOUBLE_CONFIRM') {
    return {
      ...base,
      applied: false,
      considered: false,
      reason: 'the doc-only carve-out applies to CONFIRM commits only; this one is DOUBLE_CONFIRM',
      failed: [{ condition: 'tier_double_confirm', message: 'the commit is DOUBLE_CONFIRM; the carve-out only applies to CONFIRM' }],
    };
  }
  if (!config.doc_only.enabled) {
    return {
      ...base,
      applied: false,
      considered: false,
      reason: 'the doc-only carve-out is disabled (doc_only.enabled: false)',
      failed: [{ condition: 'disabled', message: 'doc_only.enabled is false' }],
    };
  }
  const failed: CarveOutFailure[] = [];
  let lines = 0;
  let bytes = 0;
  for (const f of files) {
    const ch = byPath.get(f.path);
    if (!isMarkdown(f.path) || (f.old_path !== undefined && !isMarkdown(f.old_path))) {
      failed.push({ condition: 'not_markdown', path: f.path, message: `${f.path} is not Markdown` });
    }
    if (!config.doc_only.agent_instructions && (isAgentInstruction(f.path) || (f.old_path !== undefined && isAgentInstruction(f.old_path)))) {
      failed.push({
        condition: 'agent_instruction',
        path: f.path,
        message: `${f.path} is an agent-instruction file: never carved out unless doc_only.agent_instructions is true`,
      });
    }
    if (f.status !== 'M') {
      const what = { A: 'added', D: 'deleted', R: 'renamed', C: 'copied', T: 'changed type', U: 'unmerged', X: 'unknown', M: 'modified' }[f.status];
      failed.push({ condition: 'not_modified', path: f.path, message: `${f.path} is ${what}, not only modified` });
    }
    if (ch && (isLinkMode(ch.oldMode) || isLinkMode(ch.newMode))) {
      failed.push({ condition: 'link', path: f.path, message: `${f.path} is a symbolic link or gitlink: never carved out` });
    }
    if (ch && f.status !== 'A' && f.status !== 'D' && ch.oldMode !== ch.newMode) {
      failed.push({ condition: 'mode_changed', path: f.path, message: `${f.path} changed mode ${ch.oldMode} → ${ch.newMode}` });
    }
    if (!ch || ch.added === undefined || ch.deleted === undefined) {
      failed.push({ condition: 'binary', path: f.path, message: `${f.path} has no line count (binary)` });
    } else {
      lines += ch.added + ch.deleted;
    }
    if (f.status === 'M' && isMarkdown(f.path)) {
      const c = contents.get(f.path);
      if (!c || c.old === undefined || c.new === undefined) {
        failed.push({ condition: 'front_matter_unreadable', path: f.path, message: `the old or new content of ${f.path} could not be read, so its front matter cannot be compared` });
      } else if (frontMatter(c.old) !== frontMatter(c.new)) {
        failed.push({ condition: 'front_matter_changed', path: f.path, message: `${f.path} changes its YAML front matter` });
      } else if (ch?.added !== undefined && ch.deleted !== undefined) {
        // git counts "\n" only: where other line breaks occur, recount with every break a reader sees
        if (hasOtherLineBreaks(c.old) || hasOtherLineBreaks(c.new)) {
          const own = changedLines(c.old, c.new, max);
          if (own > ch.added + ch.deleted) lines += own - ch.added - ch.deleted;
        }
        bytes += changedBytes(c.old, c.new);
        const j = judgeTypoEdit(c.approved ?? c.old, c.new);
        if (!j.ok) {
          failed.push({
            condition: 'not_typo',
            path: f.path,
            message: `${f.path} is not a typo-class edit${c.approved !== undefined ? ' of its last approved version' : ''} (${j.reasons.join('; ')})`,
          });
        }
      }
    }
  }
  if (bytes > max * BYTES_PER_LINE) {
    failed.push({ condition: 'too_many_bytes', message: `${bytes} bytes of changed lines in gated files, more than ${max * BYTES_PER_LINE} (doc_only.max_changed_lines × ${BYTES_PER_LINE})` });
  }
  if (lines > max) {
    failed.push({ condition: 'too_many_lines', message: `${lines} changed lines in gated files, more than doc_only.max_changed_lines (${max})` });
  }
  if (failed.length === 0) {
    return {
      applied: true,
      considered: true,
      reason: `doc-only carve-out: ${files.length} Markdown file${files.length === 1 ? '' : 's'} modified, front matter unchanged, ${lines} changed line${lines === 1 ? '' : 's'} (≤ ${max})`,
      failed: [],
      changed_lines: lines,
      max_changed_lines: max,
    };
  }
  return {
    applied: false,
    considered: true,
    reason: `doc-only carve-out escalated to CONFIRM: ${failed.map((f) => f.message).join('; ')}`,
    failed,
    changed_lines: lines,
    max_changed_lines: max,
  };
}

/**
 * Combine the config in force (HEAD's) with the working one, strictest wins: the union of
 * surfaces, the carve-out only if both enable it, and the lower line threshold. Used when a
 * commit changes the config itself, so weakening it cannot lower the commit's own ceremony.
 */
export function strictestConfig(a: GatesConfig, b: GatesConfig): GatesConfig {
  const seen = new Set<string>();
  const surfaces: Surface[] = [];
  for (const s of [...a.surfaces, ...b.surfaces]) {
    const key = JSON.stringify([s.name, s.tier, s.self_reinforcing, s.paths]);
    if (seen.has(key)) continue;
    seen.add(key);
    surfaces.push(s);
  }
  return {
    ...a,
    surfaces,
    doc_only: {
      enabled: a.doc_only.enabled && b.doc_only.enabled,
      max_changed_lines: Math.min(a.doc_only.max_changed_lines, b.doc_only.max_changed_lines),
      agent_instructions: a.doc_only.agent_instructions === true && b.doc_only.agent_instructions === true,
    },
  };
}

export function tierAtLeast(have: Tier, need: Tier): boolean {
  return TIER_RANK[have] >= TIER_RANK[need];
}

/** The approval steps a tier requires, in order. */
export function requiredSteps(tier: Tier): Array<'confirm' | 'intent' | 'diff'> {
  return tier === 'DOUBLE_CONFIRM' ? ['intent', 'diff'] : tier === 'CONFIRM' ? ['confirm'] : [];
}

/** Compare an explained file list with the staged one; each difference in plain words. */
export function fileListChanges(
  explained: ReadonlyArray<Pick<FileVerdict, 'path' | 'blob' | 'tier' | 'status'>>,
  staged: ReadonlyArray<Pick<FileVerdict, 'path' | 'blob' | 'tier' | 'status'>>,
): string[] {
  const out: string[] = [];
  const a = new Map(explained.map((f) => [f.path, f]));
  const b = new Map(staged.map((f) => [f.path, f]));
  for (const [p, f] of b) {
    const e = a.get(p);
    if (!e) out.push(`${p}: staged but not in the explanation`);
    else {
      if (e.blob !== f.blob) out.push(`${p}: content changed since the explanation (blob ${e.blob.slice(0, 10)} → ${f.blob.slice(0, 10)})`);
      if (e.status !== f.status) out.push(`${p}: status ${e.status} → ${f.status}`);
      if (e.tier !== f.tier) out.push(`${p}: tier ${e.tier} → ${f.tier}`);
    }
  }
  for (const p of a.keys()) if (!b.has(p)) out.push(`${p}: in the explanation but no longer staged`);
  return out;
}
