/**
 * ADRs as immutable records: pure policy. (parsed records, staged changes, history) → findings.
 * No fs, git, clock or env here; `app/adr/records.ts` and `app/adr/hook.ts` gather the facts.
 *
 * Lifecycle: proposed → accepted | rejected. Accepted and rejected are final: such a record is
 * history and is never edited, renamed, deleted or re-moded. A decision changes by a NEW record
 * that `supersedes` the old one; "superseded by" is derived, never written into the old file.
 */
import type { FileChange } from '../kernel/changes.js';
import type { AdrMeta, AdrParse, AdrStatus } from '../schema/adr/schema.js';
import type { Finding, Severity } from '../kernel/findings.js';

const GATE = 'adr';

/** `NNNN-kebab-title.md` (four or more digits). */
export const ADR_NAME_RE = /^(\d{4,})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$/;

export interface AdrDoc {
  /** Repository-relative path, "/"-separated. */
  path: string;
  parse: AdrParse;
}

// ---------------------------------------------------------------- naming and numbering

export function normaliseDir(dir: string): string {
  return dir.replace(/^\.\//, '').replace(/\/+$/, '') || '.';
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** A file the ADR rules apply to: a direct child of the ADR dir, `*.md`, name starting with a digit. */
export function isAdrPath(path: string, dir: string): boolean {
  const d = normaliseDir(dir);
  const prefix = d === '.' ? '' : `${d}/`;
  if (!path.startsWith(prefix)) return false;
  const rest = path.slice(prefix.length);
  return !rest.includes('/') && rest.endsWith('.md') && /^\d/.test(rest);
}

/** The record number a file name claims (its leading digits), or undefined. */
export function numberFromPath(path: string): number | undefined {
  const m = /^(\d+)/.exec(baseName(path));
  return m ? Number(m[1]) : undefined;
}

export function formatNumber(n: number): string {
  return String(n).padStart(4, '0');
}

/** A kebab-case file-name slug for a title: ascii letters and digits joined by "-", at most 60 chars. */
export function slugify(title: string): string {
  const words = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  let slug = '';
  for (const w of words) {
    const next = slug ? `${slug}-${w}` : w;
    if (next.length > 60) break;
    slug = next;
  }
  if (!slug && words.length) slug = words[0]!.slice(0, 60);
  return slug || 'record';
}

export function adrFileName(n: number, title: string): string {
  return `${formatNumber(n)}-${slugify(title)}.md`;
}

/** The next free number: one above the highest taken anywhere (gaps are never reused). */
export function nextNumber(taken: Iterable<number>): number {
  let max = 0;
  for (const n of taken) if (Number.isSafeInteger(n) && n > max) max = n;
  return max + 1;
}

// ---------------------------------------------------------------- lifecycle

const TRANSITIONS: Record<AdrStatus, readonly AdrStatus[]> = {
  proposed: ['proposed', 'accepted', 'rejected'],
  accepted: [],
  rejected: [],
};

/** Whether a record may go from `from` (undefined: a new record) to `to` by editing its file. */
export function canTransition(from: AdrStatus | undefined, to: AdrStatus): boolean {
  return from === undefined || TRANSITIONS[from].includes(to);
}

/** Accepted and rejected records are history: their files never change again. */
export function isFinal(status: string | undefined): boolean {
  return status === 'accepted' || status === 'rejected';
}

export type EffectiveStatus = 'proposed' | 'accepted' | 'superseded' | 'rejected';

export interface DerivedStatus {
  status: AdrStatus;
  effective: EffectiveStatus;
  /** Accepted records that list this one in `supersedes` (only counted while this one is accepted). */
  supersededBy: number[];
  /** "accepted", "superseded by 9", "proposed", "rejected". */
  label: string;
}

/**
 * Effective status of each record: an accepted record that an ACCEPTED later record supersedes is
 * "superseded by M". A proposed superseder changes nothing until it is accepted.
 */
export function deriveStatuses(metas: readonly AdrMeta[]): DerivedStatus[] {
  const acceptedNumbers = new Set(metas.filter((m) => m.status === 'accepted').map((m) => m.adr));
  const by = new Map<number, Set<number>>();
  for (const m of metas) {
    if (m.status !== 'accepted') continue;
    for (const t of m.supersedes) {
      if (t === m.adr || !acceptedNumbers.has(t)) continue;
      if (!by.has(t)) by.set(t, new Set());
      by.get(t)!.add(m.adr);
    }
  }
  return metas.map((m) => {
    const sup = m.status === 'accepted' ? [...(by.get(m.adr) ?? [])].sort((a, b) => a - b) : [];
    const effective: EffectiveStatus = sup.length ? 'superseded' : m.status;
    return { status: m.status, effective, supersededBy: sup, label: sup.length ? `superseded by ${sup.join(', ')}` : m.status };
  });
}

// ---------------------------------------------------------------- record rules

const q = (p: string) => `'${p.replace(/'/g, `'\\''`)}'`;

function block(code: string, path: string | undefined, message: string, fix?: string, data?: Record<string, unknown>): Finding {
  return { gate: GATE, code, severity: 'block', message, ...(path !== undefined ? { path } : {}), ...(fix ? { fix } : {}), ...(data ? { data } : {}) };
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '' : path.slice(0, i + 1);
}

/**
 * Every rule over one set of records (a tree, the index or the working tree): file names, front
 * matter (each problem names its field), numbers unique, `supersedes` points at existing accepted
 * records, no supersede cycles, accepted records name their deciders.
 */
export function checkRecords(docs: readonly AdrDoc[]): Finding[] {
  const out: Finding[] = [];
  const numbered: Array<{ doc: AdrDoc; n: number }> = [];
  for (const doc of docs) {
    const name = baseName(doc.path);
    const nameOk = ADR_NAME_RE.test(name);
    if (!nameOk) {
      const want = doc.parse.ok ? `${dirOf(doc.path)}${adrFileName(doc.parse.meta.adr, doc.parse.meta.title)}` : `${dirOf(doc.path)}NNNN-kebab-title.md`;
      out.push(
        block('ADR_BAD_NAME', doc.path, `${doc.path}: an ADR file is named NNNN-kebab-title.md (four digits, lower-case words joined by "-").`, `git mv -- ${q(doc.path)} ${q(want)}`),
      );
    }
    if (!doc.parse.ok) {
      for (const p of doc.parse.problems) {
        out.push(
          block(
            'ADR_FRONT_MATTER',
            doc.path,
            `${doc.path}: front matter field "${p.field}": ${p.message}.`,
            `edit the front matter of ${doc.path} (fields: adr, title, status, date, deciders, supersedes; see templates/adr.md), then run \`gate adr check\``,
            { field: p.field },
          ),
        );
      }
      const n = numberFromPath(doc.path);
      if (n !== undefined) numbered.push({ doc, n });
      continue;
    }
    const meta = doc.parse.meta;
    const fileN = numberFromPath(doc.path);
    if (nameOk && fileN !== meta.adr) {
      out.push(
        block(
          'ADR_NUMBER_MISMATCH',
          doc.path,
          `${doc.path}: front matter field "adr" is ${meta.adr} but the file name says ${fileN}.`,
          `set \`adr: ${fileN}\` in ${doc.path} (the file name is the record's number)`,
          { field: 'adr' },
        ),
      );
    }
    if (meta.status === 'accepted' && meta.deciders.length === 0) {
      out.push(
        block(
          'ADR_NO_DECIDERS',
          doc.path,
          `${doc.path}: front matter field "deciders": an accepted record names who decided, but the list is empty.`,
          `gate adr accept ${meta.adr} --decider "<name>" (or add the names to \`deciders:\` before accepting)`,
          { field: 'deciders' },
        ),
      );
    }
    numbered.push({ doc, n: meta.adr });
  }

  // numbers unique
  const byNumber = new Map<number, AdrDoc[]>();
  for (const { doc, n } of numbered) {
    if (!byNumber.has(n)) byNumber.set(n, []);
    byNumber.get(n)!.push(doc);
  }
  for (const [n, group] of byNumber) {
    if (group.length < 2) continue;
    for (const doc of group) {
      const others = group.filter((d) => d !== doc).map((d) => d.path);
      out.push(
        block(
          'ADR_DUPLICATE_NUMBER',
          doc.path,
          `${doc.path}: number ${formatNumber(n)} is also used by ${others.join(', ')}; every record needs its own number.`,
          `keep the record that was there first; move the other's text to a fresh number with \`gate adr new "<its title>"\` and \`git rm\` the duplicate`,
          { number: n, others },
        ),
      );
    }
  }

  // supersedes targets exist and are accepted
  const parsed = docs.filter((d): d is AdrDoc & { parse: { ok: true; meta: AdrMeta } } => d.parse.ok);
  const metaByNumber = new Map<number, AdrMeta[]>();
  for (const d of parsed) {
    if (!metaByNumber.has(d.parse.meta.adr)) metaByNumber.set(d.parse.meta.adr, []);
    metaByNumber.get(d.parse.meta.adr)!.push(d.parse.meta);
  }
  for (const d of parsed) {
    const meta = d.parse.meta;
    for (const t of meta.supersedes) {
      if (t === meta.adr) continue; // reported as a cycle below
      const targets = metaByNumber.get(t);
      if (!targets) {
        out.push(
          block(
            'ADR_SUPERSEDES_MISSING',
            d.path,
            `${d.path}: front matter field "supersedes" names ${formatNumber(t)}, but no record has that number.`,
            `fix \`supersedes:\` in ${d.path}; \`gate adr list\` shows the records`,
            { field: 'supersedes', target: t },
          ),
        );
      } else if (!targets.some((m) => m.status === 'accepted')) {
        out.push(
          block(
            'ADR_SUPERSEDES_NOT_ACCEPTED',
            d.path,
            `${d.path}: front matter field "supersedes" names ${formatNumber(t)}, which is ${targets[0]!.status}; only an accepted record can be superseded (a proposed one is simply edited or rejected).`,
            `remove ${t} from \`supersedes:\` in ${d.path}`,
            { field: 'supersedes', target: t, targetStatus: targets[0]!.status },
          ),
        );
      }
    }
  }

  // no cycles (including a record superseding itself)
  for (const cycle of supersedeCycles(parsed.map((d) => d.parse.meta))) {
    const label = [...cycle, cycle[0]!].map(formatNumber).join(' → ');
    for (const n of new Set(cycle)) {
      for (const d of parsed.filter((x) => x.parse.meta.adr === n)) {
        out.push(
          block(
            'ADR_SUPERSEDES_CYCLE',
            d.path,
            `${d.path}: front matter field "supersedes" forms a cycle (${label}); a record can only supersede older decisions.`,
            `remove the back-reference from \`supersedes:\` in the record that is not yet accepted`,
            { field: 'supersedes', cycle },
          ),
        );
      }
    }
  }
  return out;
}

/** Every elementary cycle reachable in the supersedes graph, each reported once (rotated to its lowest number). */
export function supersedeCycles(metas: readonly AdrMeta[]): number[][] {
  const edges = new Map<number, number[]>();
  for (const m of metas) edges.set(m.adr, [...new Set([...(edges.get(m.adr) ?? []), ...m.supersedes])]);
  const seen = new Set<string>();
  const cycles: number[][] = [];
  const state = new Map<number, 1 | 2>(); // 1 on stack, 2 done
  const stack: number[] = [];
  const visit = (n: number) => {
    state.set(n, 1);
    stack.push(n);
    for (const t of edges.get(n) ?? []) {
      if (state.get(t) === 1) {
        const cyc = stack.slice(stack.indexOf(t));
        const min = Math.min(...cyc);
        const i = cyc.indexOf(min);
        const rot = [...cyc.slice(i), ...cyc.slice(0, i)];
        const key = rot.join(',');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(rot);
        }
      } else if (!state.has(t) && edges.has(t)) {
        visit(t);
      }
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of [...edges.keys()].sort((a, b) => a - b)) if (!state.has(n)) visit(n);
  return cycles;
}

// ---------------------------------------------------------------- pre-commit

export interface PreCommitFacts {
  dir: string;
  /** All staged changes (index vs HEAD). */
  changes: readonly FileChange[];
  /** Status written in the HEAD version of each ADR path the commit changes (undefined: none/unreadable). */
  headStatus: ReadonlyMap<string, string | undefined>;
  /** Every ADR in the index (the tree being committed), parsed. */
  staged: readonly AdrDoc[];
  /** For an accepted path being changed: its first accepted version (blob, mode), when history knows it. */
  firstAccepted?: ReadonlyMap<string, { blob: string; mode: string; commit: string }>;
  /** Numbers the commit adds that other branches or worktrees use for a different file. */
  clashes?: readonly NumberClash[];
}

function describeChange(c: FileChange): string {
  switch (c.status) {
    case 'D':
      return 'deletes it';
    case 'R':
      return `renames it to ${c.path}`;
    case 'T':
      return 'changes its file type';
    default:
      return c.oldBlob === c.newBlob && c.oldMode !== c.newMode ? `changes its mode (${c.oldMode} → ${c.newMode})` : 'modifies it';
  }
}

function undoCommand(c: FileChange): string {
  const old = c.oldPath ?? c.path;
  if (c.status === 'R') return `git mv -- ${q(c.path)} ${q(old)} && git restore --staged --worktree --source=HEAD -- ${q(old)}`;
  return `git restore --staged --worktree --source=HEAD -- ${q(old)}`;
}

/** Paths of ADR files the commit adds or changes (the new side). */
export function touchedAdrPaths(changes: readonly FileChange[], dir: string): Set<string> {
  const out = new Set<string>();
  for (const c of changes) if (c.status !== 'D' && isAdrPath(c.path, dir)) out.add(c.path);
  return out;
}

/** Whether the commit touches the ADR directory at all (cheap; decides whether to load the parser). */
export function touchesAdrs(changes: readonly FileChange[], dir: string): boolean {
  return changes.some((c) => isAdrPath(c.path, dir) || (c.oldPath !== undefined && isAdrPath(c.oldPath, dir)));
}

/**
 * The pre-commit rules: a staged modification, deletion, rename or mode change of a record whose
 * HEAD version is accepted (or rejected) is ADR_IMMUTABLE; every record the commit adds or changes
 * must pass `checkRecords` against the whole staged set.
 */
export function preCommitFindings(f: PreCommitFacts): Finding[] {
  const out: Finding[] = [];
  for (const c of f.changes) {
    if (c.status === 'A' || c.status === 'C') continue;
    const old = c.oldPath ?? c.path;
    if (!isAdrPath(old, f.dir)) continue;
    const status = f.headStatus.get(old);
    if (!isFinal(status)) continue;
    const first = f.firstAccepted?.get(old);
    if (first && (c.status === 'M' || c.status === 'T') && c.newBlob === first.blob && c.newMode === first.mode) {
      out.push({
        gate: GATE,
        code: 'ADR_RESTORED',
        severity: 'info',
        path: old,
        message: `${old} is restored to its content as first accepted in ${first.commit.slice(0, 12)}.`,
      });
      continue;
    }
    const n = numberFromPath(old);
    const fix =
      status === 'accepted'
        ? `${undoCommand(c)} && gate adr new "<title of the new decision>" --supersedes ${n}`
        : `${undoCommand(c)} && gate adr new "<title of the new proposal>"`;
    out.push(
      block(
        'ADR_IMMUTABLE',
        old,
        `${old} is an ${status} ADR and this commit ${describeChange(c)}; ${status} records are history and never change. ` +
          (status === 'accepted' ? `To change the decision, undo this and write a new record that supersedes ${formatNumber(n ?? 0)}.` : 'Undo this and write a new proposal instead.'),
        fix,
        { status, change: c.status, ...(c.oldPath ? { renamedTo: c.path } : {}) },
      ),
    );
  }
  const touched = touchedAdrPaths(f.changes, f.dir);
  if (touched.size > 0) {
    for (const finding of checkRecords(f.staged)) if (finding.path !== undefined && touched.has(finding.path)) out.push(finding);
    // a proposed → accepted / rejected flip is allowed; anything out of a final status was caught above
    for (const clash of f.clashes ?? []) {
      const mine = clash.files.filter((x) => touched.has(x.path));
      if (mine.length === 0) continue;
      out.push(clashFinding(clash, 'warn', mine[0]!.path));
    }
  }
  return out;
}

// ---------------------------------------------------------------- history (gate adr check)

export interface AdrVersion {
  commit: string;
  /** Blob id, or undefined when this commit deleted the path. */
  blob: string | undefined;
  mode: string;
  /** The status written in this version (undefined when deleted or unreadable). */
  status: string | undefined;
}

export interface WorktreeVersion {
  /** Blob id of the working-tree file, or undefined when it is missing. */
  blob: string | undefined;
  mode?: string;
}

/**
 * An accepted record's content must equal its content at the commit where it was first accepted.
 * `versions` are the path's versions in commit order (oldest first). Names the first commit that
 * changed it after acceptance (an edit that slipped past the hook with --no-verify).
 */
export function historyFindings(path: string, versions: readonly AdrVersion[], worktree?: WorktreeVersion): Finding[] {
  const i = versions.findIndex((v) => v.blob !== undefined && isFinal(v.status));
  if (i === -1) return [];
  const base = versions[i]!;
  const same = (v: { blob: string | undefined; mode?: string }) => v.blob === base.blob && (v.mode === undefined || v.mode === base.mode);
  const later = versions.slice(i + 1);
  const firstChange = later.find((v) => !same(v));
  const last = versions[versions.length - 1]!;
  const n = numberFromPath(path);
  const out: Finding[] = [];
  const what = base.status === 'accepted' ? 'accepted' : 'rejected';
  const restore = `git restore --staged --worktree --source=${base.commit.slice(0, 12)} -- ${q(path)} && git commit -m "docs(adr): restore ${formatNumber(n ?? 0)} as ${what}" -- ${q(path)}`;
  const data = { acceptedIn: base.commit, status: base.status };
  if (!same(last)) {
    const deleted = last.blob === undefined;
    const offender = firstChange!;
    out.push(
      block(
        deleted ? 'ADR_DELETED_AFTER_ACCEPT' : 'ADR_CHANGED_AFTER_ACCEPT',
        path,
        `${path} was ${what} in commit ${base.commit.slice(0, 12)}, but commit ${offender.commit.slice(0, 12)} ${offender.blob === undefined ? 'deleted it' : offender.blob === base.blob ? 'changed its mode' : 'changed its content'}` +
          `${deleted && offender !== last ? ` (it is deleted since ${last.commit.slice(0, 12)})` : ''}; ${what} records never change (a hook was bypassed, e.g. with --no-verify).` +
          (base.status === 'accepted' ? ` To change the decision, restore it and write a new record with \`gate adr new "<title>" --supersedes ${n}\`.` : ''),
        restore,
        { ...data, commit: offender.commit, lastCommit: last.commit },
      ),
    );
    return out;
  }
  if (firstChange) {
    out.push({
      gate: GATE,
      code: 'ADR_HISTORY_EDITED',
      severity: 'warn',
      path,
      message: `${path} was ${what} in ${base.commit.slice(0, 12)}, changed in ${firstChange.commit.slice(0, 12)} and later restored; its content is intact now.`,
      data: { ...data, commit: firstChange.commit },
    });
  }
  if (worktree && !same(worktree)) {
    out.push(
      block(
        'ADR_WORKTREE_MODIFIED',
        path,
        `${path} is ${what} (since ${base.commit.slice(0, 12)}) but the working tree ${worktree.blob === undefined ? 'no longer has it' : 'has a different version'}; committing that would be blocked.`,
        `git restore --staged --worktree --source=HEAD -- ${q(path)}${base.status === 'accepted' ? ` && gate adr new "<title of the new decision>" --supersedes ${n}` : ''}`,
        data,
      ),
    );
  }
  return out;
}

// ---------------------------------------------------------------- numbers across branches and worktrees

export interface NumberSource {
  /** e.g. "branch feature/x" or "worktree /path/to/wt". */
  where: string;
  /** ADR paths present there. */
  paths: readonly string[];
}

export interface NumberClash {
  number: number;
  files: Array<{ path: string; where: string[] }>;
}

/** Numbers used by more than one distinct file across branches and worktrees (two sessions took the same number). */
export function numberClashes(sources: readonly NumberSource[], dir: string): NumberClash[] {
  const byNumber = new Map<number, Map<string, Set<string>>>();
  for (const s of sources) {
    for (const p of s.paths) {
      if (!isAdrPath(p, dir)) continue;
      const n = numberFromPath(p)!;
      if (!byNumber.has(n)) byNumber.set(n, new Map());
      const files = byNumber.get(n)!;
      if (!files.has(p)) files.set(p, new Set());
      files.get(p)!.add(s.where);
    }
  }
  const out: NumberClash[] = [];
  for (const [number, files] of [...byNumber].sort((a, b) => a[0] - b[0])) {
    if (files.size < 2) continue;
    out.push({ number, files: [...files].map(([path, where]) => ({ path, where: [...where].sort() })).sort((a, b) => a.path.localeCompare(b.path)) });
  }
  return out;
}

export function clashFinding(clash: NumberClash, severity: Severity, path?: string): Finding {
  const list = clash.files.map((f) => `${f.path} (${f.where.join(', ')})`).join('; ');
  return {
    gate: GATE,
    code: 'ADR_NUMBER_CLASH',
    severity,
    path: path ?? clash.files[0]!.path,
    message: `number ${formatNumber(clash.number)} is taken by different records in different branches or worktrees: ${list}. They would collide on merge.`,
    fix: `in the branch whose record is newer, renumber it: \`gate adr new "<its title>"\` takes the next free number; move the text there and \`git rm\` the old file (if one side is a stale copy on an old branch, delete that branch instead)`,
    data: { number: clash.number, files: clash.files },
  };
}
