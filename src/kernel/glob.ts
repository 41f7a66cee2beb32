/**
 * Glob matching for repository-relative paths ("/"-separated). Pure and dependency-free because it
 * runs on every commit.
 *
 *   **      any number of path segments, including none ("a/**" matches a itself and everything below)
 *   *       any run of characters within one segment (dotfiles included)
 *   ?       one character other than "/"
 *   {a,b}   alternation (may nest, may contain "/")
 *   [abc]   character class, [!abc] or [^abc] negated, ranges a-z
 *
 * A pattern is anchored at the repository root: "AGENTS.md" matches only the top-level file;
 * write "** /AGENTS.md" (without the space) to match it anywhere.
 *
 * Matching is case-insensitive and Unicode-normalised (NFC, then lower case) on both sides, because
 * on a case-insensitive checkout (macOS, Windows) ".Claude/settings.json" IS ".claude/settings.json"
 * and an NFD spelling IS its NFC twin. Path spellings "./x", "a//b" and "a/./b" are read as "x",
 * "a/b" and "a/b".
 *
 * No regular expressions at match time: braces are expanded (bounded), each alternative is a list
 * of segments, and a path is matched by simulating that list as an automaton over segments
 * (with "**" as a self-loop) and each segment by the two-pointer wildcard algorithm. Both are
 * O(pattern × input) whatever the pattern: 200 "*" in a row cost what one does (issue 13 item 8).
 */

export type GlobMatcher = (path: string) => boolean;

/** Bounds a glob must respect (globProblem refuses anything beyond them). */
export const GLOB_LIMITS = {
  /** Characters in one glob. */
  maxLength: 1024,
  /** Alternatives one glob expands to through its braces. */
  maxAlternatives: 64,
  /** Segments in one alternative. */
  maxSegments: 64,
} as const;

type Tok =
  | { t: 'c'; c: string } // one literal character (code point)
  | { t: '?' }
  | { t: '*' }
  | { t: '['; neg: boolean; chars: string; ranges: Array<[number, number]> };

/** One segment of an alternative: "**", a literal, or a pattern of tokens. */
type Seg = { k: '**' } | { k: 'lit'; s: string } | { k: 'pat'; toks: Tok[] };

export interface CompiledGlob {
  glob: string;
  alts: Seg[][];
}

/** Normalise a path for matching: NFC, lower case, no "./", "//", leading or trailing "/". */
export function normalisePath(path: string): string {
  let p = path;
  // ASCII fast path: most repository paths need neither normalisation nor a lowercase copy
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(p)) p = p.normalize('NFC').toLowerCase().normalize('NFC');
  else if (/[A-Z]/.test(p)) p = p.toLowerCase();
  if (p.includes('//') || p.includes('./') || p.startsWith('/') || p.endsWith('/') || p.endsWith('/.') || p === '.') {
    p = p
      .split('/')
      .filter((s) => s !== '' && s !== '.')
      .join('/');
  }
  return p;
}

function normaliseGlob(glob: string): string {
  return glob.normalize('NFC').toLowerCase().normalize('NFC');
}

/** Expand braces into alternatives (outside character classes; backslash escapes kept). */
function expandBraces(glob: string): string[] {
  // find the first top-level "{" with its matching "}"
  let depth = 0;
  let open = -1;
  const commas: number[] = [];
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '\\') {
      i += 1;
      continue;
    }
    if (ch === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) throw new Error(`unclosed "[" in glob "${glob}"`);
      i = close;
      continue;
    }
    if (ch === '{') {
      if (depth === 0) open = i;
      depth += 1;
    } else if (ch === ',' && depth === 1) {
      commas.push(i);
    } else if (ch === '}' && depth > 0) {
      depth -= 1;
      if (depth === 0) {
        const pre = glob.slice(0, open);
        const post = glob.slice(i + 1);
        const cuts = [open, ...commas, i];
        const out: string[] = [];
        const tails = expandBraces(post);
        for (let k = 0; k + 1 < cuts.length; k++) {
          for (const mid of expandBraces(glob.slice(cuts[k]! + 1, cuts[k + 1]))) {
            for (const tail of tails) {
              out.push(pre + mid + tail);
              if (out.length > GLOB_LIMITS.maxAlternatives) {
                throw new Error(`the braces expand to more than ${GLOB_LIMITS.maxAlternatives} alternatives`);
              }
            }
          }
        }
        return out;
      }
    }
  }
  if (depth !== 0) throw new Error(`unclosed "{" in glob "${glob}"`);
  return [glob];
}

function parseSegment(seg: string, glob: string): Seg {
  if (seg === '**') return { k: '**' };
  const toks: Tok[] = [];
  let literal = true;
  for (let i = 0; i < seg.length; ) {
    const cp = seg.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (ch === '*') {
      literal = false;
      if (toks[toks.length - 1]?.t !== '*') toks.push({ t: '*' }); // "**" inside a segment, or "***", is one "*"
      i += 1;
    } else if (ch === '?') {
      literal = false;
      toks.push({ t: '?' });
      i += 1;
    } else if (ch === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close === -1) throw new Error(`unclosed "[" in glob "${glob}"`);
      let body = seg.slice(i + 1, close);
      let neg = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        neg = true;
        body = body.slice(1);
      }
      const cps = Array.from(body);
      let chars = '';
      const ranges: Array<[number, number]> = [];
      for (let j = 0; j < cps.length; j++) {
        let c = cps[j]!;
        if (c === '\\' && j + 1 < cps.length) c = cps[++j]!;
        if (cps[j + 1] === '-' && j + 2 < cps.length) {
          ranges.push([c.codePointAt(0)!, cps[j + 2]!.codePointAt(0)!]);
          j += 2;
        } else chars += c;
      }
      literal = false;
      toks.push({ t: '[', neg, chars, ranges });
      i = close + 1;
    } else if (ch === '\\' && i + 1 < seg.length) {
      const next = String.fromCodePoint(seg.codePointAt(i + 1)!);
      toks.push({ t: 'c', c: next });
      i += 1 + next.length;
    } else {
      toks.push({ t: 'c', c: ch });
      i += ch.length;
    }
  }
  if (literal) return { k: 'lit', s: toks.map((t) => (t as { c: string }).c).join('') };
  return { k: 'pat', toks };
}

/** Split on "/" outside classes (an escaped "/" is a separator too: paths cannot contain one). */
function splitSegments(alt: string, glob: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < alt.length; i++) {
    const ch = alt[i]!;
    if (ch === '[') {
      const close = alt.indexOf(']', i + 2);
      if (close === -1) throw new Error(`unclosed "[" in glob "${glob}"`);
      cur += alt.slice(i, close + 1);
      i = close;
    } else if (ch === '\\' && i + 1 < alt.length && alt[i + 1] !== '/') {
      cur += alt.slice(i, i + 2);
      i += 1;
    } else if (ch === '/' || (ch === '\\' && alt[i + 1] === '/')) {
      if (ch === '\\') i += 1;
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  // "a//b" and "a/./b" are "a/b"; consecutive "**" are one
  const segs = out.filter((s) => s !== '' && s !== '.');
  return segs.filter((s, i) => !(s === '**' && segs[i - 1] === '**'));
}

const compiledCache = new Map<string, CompiledGlob>();

/** Compile one glob. Throws an Error naming the problem on malformed input or a glob over the bounds. */
export function compileGlob(glob: string): CompiledGlob {
  let c = compiledCache.get(glob);
  if (c) return c;
  if (glob.length > GLOB_LIMITS.maxLength) throw new Error(`the glob is ${glob.length} characters long, more than ${GLOB_LIMITS.maxLength}`);
  const alts: Seg[][] = [];
  for (const alt of expandBraces(normaliseGlob(glob))) {
    const parts = splitSegments(alt, glob);
    if (parts.length > GLOB_LIMITS.maxSegments) throw new Error(`the glob has more than ${GLOB_LIMITS.maxSegments} segments`);
    alts.push(parts.map((p) => parseSegment(p, glob)));
  }
  c = { glob, alts };
  if (compiledCache.size > 4096) compiledCache.clear();
  compiledCache.set(glob, c);
  return c;
}

function tokMatches(t: Tok, cp: number, ch: string): boolean {
  if (t.t === '?') return true;
  if (t.t === 'c') return t.c === ch;
  if (t.t === '[') {
    let hit = t.chars.includes(ch);
    if (!hit) for (const [lo, hi] of t.ranges) if (cp >= lo && cp <= hi) { hit = true; break; }
    return t.neg ? !hit : hit;
  }
  return false;
}

/** Two-pointer wildcard match of one segment: O(tokens × characters), no backtracking blow-up. */
function segMatches(seg: Seg, s: string): boolean {
  if (seg.k === '**') return true;
  if (seg.k === 'lit') return seg.s === s;
  const toks = seg.toks;
  const cps = Array.from(s);
  let ti = 0;
  let si = 0;
  let starT = -1;
  let starS = 0;
  while (si < cps.length) {
    const tok = toks[ti];
    if (tok && tok.t === '*') {
      starT = ti++;
      starS = si;
      continue;
    }
    const ch = cps[si]!;
    if (tok && tokMatches(tok, ch.codePointAt(0)!, ch)) {
      ti += 1;
      si += 1;
      continue;
    }
    if (starT === -1) return false;
    ti = starT + 1;
    si = ++starS;
  }
  while (ti < toks.length && toks[ti]!.t === '*') ti += 1;
  return ti === toks.length;
}

/**
 * Match normalised path segments against one alternative, simulating it as an automaton over
 * segments. 'match': the path itself matches; 'below': some path strictly below it would (the
 * path is an ancestor of a governed path, e.g. ".claude" for ".claude/settings.json").
 */
function altMatch(alt: Seg[], segs: readonly string[]): { match: boolean; below: boolean } {
  const n = alt.length;
  let states = new Uint8Array(n + 1);
  const close = (st: Uint8Array) => {
    for (let i = 0; i < n; i++) if (st[i] && alt[i]!.k === '**') st[i + 1] = 1;
  };
  states[0] = 1;
  close(states);
  for (const s of segs) {
    const next = new Uint8Array(n + 1);
    let any = false;
    for (let i = 0; i < n; i++) {
      if (!states[i]) continue;
      const seg = alt[i]!;
      if (seg.k === '**') {
        next[i] = 1;
        any = true;
      } else if (segMatches(seg, s)) {
        next[i + 1] = 1;
        any = true;
      }
    }
    if (!any) return { match: false, below: false };
    close(next);
    states = next;
  }
  let below = false;
  for (let i = 0; i < n; i++) if (states[i]) below = true;
  return { match: states[n] === 1, below };
}

/** How a path relates to a compiled glob: it matches, or lies above a path that would. */
export function globRelation(g: CompiledGlob, normalisedSegs: readonly string[]): { match: boolean; below: boolean } {
  let match = false;
  let below = false;
  for (const alt of g.alts) {
    const r = altMatch(alt, normalisedSegs);
    match ||= r.match;
    below ||= r.below;
    if (match && below) break;
  }
  return { match, below };
}

/**
 * An index of many globs, each tagged with a value, queried per path in time that does not grow
 * with the number of globs whose first segment is a different literal.
 */
export class GlobIndex<T> {
  private readonly byFirst = new Map<string, Array<{ alt: Seg[]; value: T }>>();
  private readonly wild: Array<{ alt: Seg[]; value: T }> = [];
  readonly size: number;

  constructor(entries: ReadonlyArray<{ glob: string; value: T }>) {
    let n = 0;
    for (const { glob, value } of entries) {
      for (const alt of compileGlob(glob).alts) {
        n += 1;
        const first = alt[0];
        if (first && first.k === 'lit') {
          let list = this.byFirst.get(first.s);
          if (!list) this.byFirst.set(first.s, (list = []));
          list.push({ alt, value });
        } else this.wild.push({ alt, value });
      }
    }
    this.size = n;
  }

  /**
   * Values of the globs the path matches; with `ancestors`, also of globs that match some path
   * below it (for a symlink or gitlink, which stands for everything below it).
   */
  query(path: string, ancestors = false): T[] {
    const segs = normalisePath(path).split('/');
    const out: T[] = [];
    const scan = (list: ReadonlyArray<{ alt: Seg[]; value: T }> | undefined) => {
      if (!list) return;
      for (const e of list) {
        const r = altMatch(e.alt, segs);
        if ((r.match || (ancestors && r.below)) && !out.includes(e.value)) out.push(e.value);
      }
    };
    scan(this.byFirst.get(segs[0]!));
    scan(this.wild);
    return out;
  }

  test(path: string, ancestors = false): boolean {
    return this.query(path, ancestors).length > 0;
  }
}

/** Describe why a glob is unusable, or undefined when it is fine. */
export function globProblem(glob: string): string | undefined {
  if (glob.length === 0) return 'an empty glob matches nothing';
  if (glob.startsWith('/')) return 'globs are relative to the repository root; drop the leading "/"';
  if (glob.startsWith('./')) return 'globs are relative to the repository root; drop the leading "./"';
  if (glob.split('/').includes('..')) return 'globs cannot climb out of the repository with ".."';
  try {
    compileGlob(glob);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** One matcher for a list of globs (any of them). */
export function compileGlobs(globs: readonly string[]): GlobMatcher {
  if (globs.length === 0) return () => false;
  const index = new GlobIndex(globs.map((glob) => ({ glob, value: true })));
  return (path) => index.test(path);
}

export function matchesGlob(path: string, glob: string): boolean {
  return globRelation(compileGlob(glob), normalisePath(path).split('/')).match;
}

/** True when some path strictly below `path` would match the glob. */
export function governsBelow(path: string, glob: string): boolean {
  return globRelation(compileGlob(glob), normalisePath(path).split('/')).below;
}
