/**
 * A small reference model of the range invariant (docs/security.md), written from the document
 * and NOT from src/gates: it works on abstract histories (file maps per commit, notes described
 * by what they claim) instead of git objects and note bytes. The model-based test compares its
 * verdict with `gate check --range` on the same history built in real git.
 *
 * Paths and their governance in these histories:
 *   .agents/gates.yaml, .agents/allowed_signers   DOUBLE_CONFIRM (self-reinforcing, always)
 *   rules/a.yaml, rules/b.md                      CONFIRM (every config variant but "weak" names rules/**;
 *                                                 the base always does, and configs only add)
 *   tools/x.json                                  CONFIRM when some config in force names tools/**
 *   src/free.txt                                  never governed
 */
import { judgeTypoEdit } from '../../src/gates/carve-out.js';

export type Mode = '100644' | '100755' | '120000';
export interface FileValue {
  mode: Mode;
  content: string;
}
export type Files = ReadonlyMap<string, FileValue>;

export type ConfigVariant = 'base' | 'tools' | 'weak' | 'strict' | 'invalid';
export interface ConfigFacts {
  rules: boolean;
  tools: boolean;
  require: boolean;
  maxAgeDays: number;
  docEnabled: boolean;
  maxLines: number;
}

export type Signer = 'approver' | 'bob' | 'mallory';

/** What a note on a commit claims, as the model understands it. */
export interface ModelNote {
  kind: 'junk' | 'note';
  tier: 'CONFIRM' | 'DOUBLE_CONFIRM';
  /** The note's unsigned record is a valid Gate B record (tier proved by its sidecar). */
  unsignedValid: boolean;
  /** What the unsigned record names (with real modes). */
  recorded: Transition[];
  /** The signed part, when there is one that agrees with the record (else the note is ignored). */
  signed?: { signer: Signer; at: number; transitions: Transition[] };
  /** The signed part disagrees with the unsigned record: the whole note is ignored. */
  contradicts: boolean;
}

export interface Version {
  mode: string; // '000000' when absent
  content: string | null;
}
export interface Transition {
  path: string;
  old: Version;
  new: Version;
}

export interface ModelCommit {
  id: string;
  parents: string[];
  files: Files;
  note?: ModelNote;
}

export interface ModelInput {
  /** Every commit (base history and range), parents before children. */
  commits: ModelCommit[];
  base: string;
  head: string;
  baseConfig: ConfigFacts;
  /** Config facts by the content of .agents/gates.yaml; undefined: invalid. */
  configOf(content: string): ConfigFacts | undefined;
  /** Signers listed by an allowed_signers content. */
  signersOf(content: string): Signer[];
  baseSigners: Signer[];
  now: number;
}

const ABSENT: Version = { mode: '000000', content: null };
const DC = new Set(['.agents/gates.yaml', '.agents/allowed_signers']);

const vkey = (v: Version): string => (v.content === null ? 'absent' : `${v.mode}:${v.content}`);
const tkey = (t: Transition): string => `${t.path}|${vkey(t.old)}|${vkey(t.new)}`;
const at = (files: Files, path: string): Version => {
  const f = files.get(path);
  return f ? { mode: f.mode, content: f.content } : ABSENT;
};

/** Lines added + deleted between two texts: |a| + |b| - 2·LCS (dynamic programming). */
export function lineDistance(a: string, b: string): number {
  const x = a === '' ? [] : a.replace(/\n$/, '').split('\n');
  const y = b === '' ? [] : b.replace(/\n$/, '').split('\n');
  const dp: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = 1; i <= x.length; i++) for (let j = 1; j <= y.length; j++) dp[i]![j] = x[i - 1] === y[j - 1] ? dp[i - 1]![j - 1]! + 1 : Math.max(dp[i - 1]![j]!, dp[i]![j - 1]!);
  return x.length + y.length - 2 * dp[x.length]![y.length]!;
}

/** UTF-8 bytes of the lines one text has and the other has not (multisets; each line with its break). */
export function lineBytes(a: string, b: string): number {
  const split = (t: string) => (t === '' ? [] : t.replace(/\n$/, '').split('\n'));
  const left = new Map<string, number>();
  for (const l of split(a)) left.set(l, (left.get(l) ?? 0) + 1);
  let n = 0;
  for (const l of split(b)) {
    const k = left.get(l) ?? 0;
    if (k > 0) left.set(l, k - 1);
    else n += Buffer.byteLength(l) + 1;
  }
  for (const [l, k] of left) n += k * (Buffer.byteLength(l) + 1);
  return n;
}

export function changesOf(files: Files, parent: Files | undefined): Transition[] {
  const paths = new Set([...files.keys(), ...(parent?.keys() ?? [])]);
  const out: Transition[] = [];
  for (const p of [...paths].sort()) {
    const o = parent ? at(parent, p) : ABSENT;
    const n = at(files, p);
    if (vkey(o) !== vkey(n)) out.push({ path: p, old: o, new: n });
  }
  return out;
}

/**
 * Where a link at `path` with text `text` points, inside the repository; null when it leaves it,
 * or when a `..` comes after a folder the text names (that folder may be a link by the time the OS
 * follows it).
 */
function linkTarget(path: string, text: string): string | null {
  if (text === '' || text.startsWith('/')) return null;
  const own = path.split('/').slice(0, -1);
  const segs = text.split('/').filter((s) => s !== '.' && s !== '');
  const ups = segs.findIndex((s) => s !== '..');
  const lead = ups === -1 ? segs.length : ups;
  if (segs.slice(lead).includes('..') || lead > own.length) return null;
  const out = [...own.slice(0, own.length - lead), ...segs.slice(lead)];
  return out.length ? out.join('/') : null;
}

/** The model's verdict: the flagged (commit, path) pairs, as "commit:path". */
export function referenceVerdict(input: ModelInput): Set<string> {
  const byId = new Map(input.commits.map((c) => [c.id, c]));
  const reach = (from: string): Set<string> => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...byId.get(id)!.parents);
    }
    return seen;
  };
  const fromBase = reach(input.base);
  const inRange = reach(input.head);
  for (const id of fromBase) inRange.delete(id);
  const range = input.commits.filter((c) => inRange.has(c.id));
  const ancestors = new Map<string, Set<string>>(); // in-range strict ancestors
  for (const c of range) {
    const s = new Set<string>();
    for (const p of c.parents) {
      if (!inRange.has(p)) continue;
      s.add(p);
      for (const q of ancestors.get(p)!) s.add(q);
    }
    ancestors.set(c.id, s);
  }
  const baseFiles = byId.get(input.base)!.files;

  // every approval any note carries (in the range or not: what an approval names matters, not its carrier)
  interface Appr {
    kind: 'signed' | 'unsigned';
    tier: 'CONFIRM' | 'DOUBLE_CONFIRM';
    keys: Set<string>;
    /** Everything it approves together: it counts only when all its governed transitions land. */
    all: Transition[];
    signer?: Signer;
    at?: number;
  }
  const approvals: Appr[] = [];
  for (const c of input.commits) {
    const n = c.note;
    if (!n || n.kind === 'junk' || n.contradicts) continue;
    if (n.unsignedValid) approvals.push({ kind: 'unsigned', tier: n.tier, keys: new Set(n.recorded.map(tkey)), all: n.recorded });
    if (n.signed) approvals.push({ kind: 'signed', tier: n.tier, keys: new Set(n.signed.transitions.map(tkey)), all: n.signed.transitions, signer: n.signed.signer, at: n.signed.at });
  }

  const approvedAt = new Map<string, Array<{ id: string; v: Version }>>(); // path → versions approved at commit
  // every transition the walk accepted (approved, taken by a merge, carved out, or ungoverned then)
  const accepted: Array<{ id: string; path: string; from: string; to: string }> = [];
  const accept = (id: string, t: Transition) => accepted.push({ id, path: t.path, from: vkey(t.old), to: vkey(t.new) });
  /** Whether `to` is reached from one of `from` by accepted transitions of the commits `scope` has. */
  const reaches = (path: string, from: string[], to: string, scope: (id: string) => boolean): boolean => {
    const seen = new Set(from);
    let grew = true;
    while (grew && !seen.has(to)) {
      grew = false;
      for (const a of accepted) if (a.path === path && scope(a.id) && seen.has(a.from) && !seen.has(a.to)) (seen.add(a.to), (grew = true));
    }
    return seen.has(to);
  };
  const made = new Map<string, Set<string>>(); // commit → its first-parent transitions
  for (const c of range) made.set(c.id, new Set(changesOf(c.files, c.parents[0] ? byId.get(c.parents[0])!.files : undefined).map(tkey)));
  const flagged = new Set<string>();
  let headPolicy: ((p: string) => 0 | 1 | 2) | undefined;
  for (const c of range) {
    const anc = ancestors.get(c.id)!;
    // the policy: the base's config and every valid config at the commit or an in-range ancestor
    const facts: ConfigFacts[] = [input.baseConfig];
    for (const id of [c.id, ...anc]) {
      const cfg = byId.get(id)!.files.get('.agents/gates.yaml');
      const f = cfg && cfg.mode !== '120000' ? input.configOf(cfg.content) : undefined;
      if (f) facts.push(f);
    }
    const pol = {
      tools: facts.some((f) => f.tools),
      rules: facts.some((f) => f.rules),
      require: facts.some((f) => f.require),
      maxAgeMs: Math.min(...facts.map((f) => f.maxAgeDays)) * 86_400_000,
      docEnabled: facts.every((f) => f.docEnabled),
      maxLines: Math.min(...facts.map((f) => f.maxLines)),
    };
    const tierOf = (p: string): 0 | 1 | 2 => (DC.has(p) ? 2 : p.startsWith('rules/') && pol.rules ? 1 : p.startsWith('tools/') && pol.tools ? 1 : 0);
    if (c.id === input.head) headPolicy = tierOf;
    // trusted signers: the base's and every approved allowed_signers version at an ancestor
    const trusted = new Set<Signer>(input.baseSigners);
    for (const a of approvedAt.get('.agents/allowed_signers') ?? []) if (anc.has(a.id) && a.v.content !== null) for (const s of input.signersOf(a.v.content)) trusted.add(s);

    const first = c.parents[0] ? byId.get(c.parents[0])!.files : undefined;
    const changes = changesOf(c.files, first);
    const governed = changes.filter((t) => tierOf(t.path) > 0);
    for (const t of changes) if (tierOf(t.path) === 0) accept(c.id, t);
    // the per-commit doc-only carve-out: CONFIRM, only modified regular Markdown, few lines
    const carved =
      governed.length > 0 &&
      pol.docEnabled &&
      governed.every((t) => tierOf(t.path) === 1 && t.path.endsWith('.md') && t.old.content !== null && t.new.content !== null && t.old.mode === t.new.mode && t.new.mode !== '120000') &&
      governed.reduce((n, t) => n + lineDistance(t.old.content!, t.new.content!), 0) <= pol.maxLines &&
      governed.reduce((n, t) => n + lineBytes(t.old.content!, t.new.content!), 0) <= pol.maxLines * 120 &&
      // typo-class edits only (issue 14; the judgement itself is unit-tested in carve-out.test.ts)
      governed.every((t) => judgeTypoEdit(t.old.content!, t.new.content!).ok);

    const lands = (x: Transition) => [c.id, ...anc].some((id) => made.get(id)!.has(tkey(x)));
    const valid = (a: Appr): boolean => {
      if (!pol.require) return a.kind === 'unsigned';
      if (a.kind !== 'signed' || !trusted.has(a.signer!)) return false;
      if (a.at! > input.now + 5 * 60_000) return false;
      return input.now - a.at! <= pol.maxAgeMs;
    };
    const rankOf = (a: Appr) => (a.tier === 'DOUBLE_CONFIRM' ? 2 : 1);
    const direct = (t: Transition) =>
      approvals.some((a) => a.keys.has(tkey(t)) && rankOf(a) >= tierOf(t.path) && a.all.every((x) => tierOf(x.path) === 0 || lands(x)) && valid(a));
    // chains (a squash of approved steps): among valid approvals, keep those whose every governed
    // transition lands or lies on a walk old → new of its path's not-directly-approved change here
    const open = governed.filter((t) => !direct(t));
    let pool = approvals.filter((a) => valid(a) && open.some((t) => a.all.some((x) => x.path === t.path)));
    const graph = (t: Transition) => {
      const edges = pool.filter((a) => rankOf(a) >= tierOf(t.path)).flatMap((a) => a.all.filter((x) => x.path === t.path));
      const close = (start: string, f: (x: Transition) => [string, string]) => {
        const seen = new Set([start]);
        for (let grew = true; grew; ) {
          grew = false;
          for (const x of edges) {
            const [u, v] = f(x);
            if (seen.has(u) && !seen.has(v)) (seen.add(v), (grew = true));
          }
        }
        return seen;
      };
      const fwd = close(vkey(t.old), (x) => [vkey(x.old), vkey(x.new)]);
      const bwd = close(vkey(t.new), (x) => [vkey(x.new), vkey(x.old)]);
      return { fwd, onWalk: new Set(edges.filter((x) => fwd.has(vkey(x.old)) && bwd.has(vkey(x.new))).map(tkey)) };
    };
    for (let shrunk = true; shrunk; ) {
      const onWalk = new Set(open.flatMap((t) => [...graph(t).onWalk]));
      const before = pool.length;
      pool = pool.filter((a) => a.all.every((x) => tierOf(x.path) === 0 || lands(x) || onWalk.has(tkey(x))));
      shrunk = pool.length !== before;
    }
    const chained = new Set(open.filter((t) => graph(t).fwd.has(vkey(t.new))).map((t) => t.path));

    for (const t of governed) {
      // a link on a surface must point at ground governed at least as strictly, whatever the notes say
      if (t.new.mode === '120000' && t.new.content !== null) {
        const target = linkTarget(t.path, t.new.content);
        if (target === null || tierOf(target) < tierOf(t.path)) flagged.add(`${c.id}:${t.path}`);
      }
      const ok = direct(t) || chained.has(t.path);
      if (ok) {
        const l = approvedAt.get(t.path) ?? [];
        l.push({ id: c.id, v: t.new });
        approvedAt.set(t.path, l);
        accept(c.id, t);
        continue;
      }
      if (c.parents.length > 1) {
        const others = c.parents.slice(1).map((p) => byId.get(p)!.files);
        if (others.some((f) => vkey(at(f, t.path)) === vkey(t.new))) {
          // the other parent's version descends from the first parent's by accepted transitions
          if (reaches(t.path, [vkey(t.old)], vkey(t.new), (id) => anc.has(id))) {
            accept(c.id, t);
            continue;
          }
          if (vkey(at(baseFiles, t.path)) === vkey(t.new)) {
            const p1 = c.parents[0]!;
            if (!inRange.has(p1)) {
              accept(c.id, t);
              continue;
            }
            const line = new Set([p1, ...ancestors.get(p1)!]);
            const made = [...line].some((id) => {
              const x = byId.get(id)!;
              const xf = x.parents[0] ? byId.get(x.parents[0])!.files : undefined;
              return changesOf(x.files, xf).some((ch) => ch.path === t.path && vkey(ch.new) === vkey(t.old));
            });
            if (!made) {
              accept(c.id, t);
              continue;
            }
          }
        }
      }
      if (carved) {
        const refs: Version[] = [at(baseFiles, t.path), ...(approvedAt.get(t.path) ?? []).filter((a) => anc.has(a.id)).map((a) => a.v)];
        if (refs.some((r) => r.content !== null && r.mode === t.new.mode && lineDistance(r.content, t.new.content!) <= pol.maxLines && lineBytes(r.content, t.new.content!) <= pol.maxLines * 120 && judgeTypoEdit(r.content, t.new.content!).ok)) {
          accept(c.id, t);
          continue;
        }
      }
      flagged.add(`${c.id}:${t.path}`);
    }
  }
  // the head against merge-base(base, head): each governed path it changes holds the base's or
  // merge-base's version, or one reached from it by accepted transitions of the range
  if (headPolicy) {
    const common = [...reach(input.head)].filter((id) => fromBase.has(id));
    const best = common.filter((id) => !common.some((o) => o !== id && reach(o).has(id)));
    const mbFiles: Files = best.length ? byId.get(best[0]!)!.files : new Map();
    const headFiles = byId.get(input.head)!.files;
    const flaggedPaths = new Set([...flagged].map((k) => k.slice(k.indexOf(':') + 1)));
    for (const t of changesOf(headFiles, mbFiles)) {
      if (headPolicy(t.path) === 0 || flaggedPaths.has(t.path)) continue;
      if (!reaches(t.path, [vkey(at(baseFiles, t.path)), vkey(t.old)], vkey(t.new), () => true)) flagged.add(`${input.head}:${t.path}`);
    }
  }
  return flagged;
}
