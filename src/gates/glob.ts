/**
 * Glob matching for repository-relative paths ("/"-separated, no leading "./").
 * Pure and dependency-free because it runs on every commit.
 *
 *   **      any number of path segments, including none ("a/**" matches everything below a)
 *   *       any run of characters within one segment (dotfiles included)
 *   ?       one character other than "/"
 *   {a,b}   alternation (may nest, may contain "/")
 *   [abc]   character class, [!abc] or [^abc] negated
 *
 * A pattern is anchored at the repository root: "AGENTS.md" matches only the top-level file;
 * write "** /AGENTS.md" (without the space) to match it anywhere.
 */

export type GlobMatcher = (path: string) => boolean;

const cache = new Map<string, RegExp>();

function escapeRe(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** Translate one glob into a regular-expression source (no anchors). Throws on malformed input. */
export function globToRegExpSource(glob: string): string {
  let out = '';
  let i = 0;
  let braceDepth = 0;
  while (i < glob.length) {
    const ch = glob[i]!;
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const atEnd = i + 2 === glob.length || glob[i + 2] === '/';
        if (atStart && atEnd) {
          if (i + 2 === glob.length) {
            out += '.*'; // "a/**": everything below
            i += 2;
          } else {
            out += '(?:[^/]*/)*'; // "**/": zero or more whole segments
            i += 3;
          }
          continue;
        }
        out += '[^/]*';
        i += 2;
        continue;
      }
      out += '[^/]*';
      i += 1;
      continue;
    }
    if (ch === '?') {
      out += '[^/]';
      i += 1;
      continue;
    }
    if (ch === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) throw new Error(`unclosed "[" in glob "${glob}"`);
      let body = glob.slice(i + 1, close);
      let neg = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        neg = true;
        body = body.slice(1);
      }
      body = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
      out += neg ? `[^/${body}]` : `[${body}]`;
      i = close + 1;
      continue;
    }
    if (ch === '{') {
      braceDepth += 1;
      out += '(?:';
      i += 1;
      continue;
    }
    if (ch === '}' && braceDepth > 0) {
      braceDepth -= 1;
      out += ')';
      i += 1;
      continue;
    }
    if (ch === ',' && braceDepth > 0) {
      out += '|';
      i += 1;
      continue;
    }
    if (ch === '\\' && i + 1 < glob.length) {
      out += escapeRe(glob[i + 1]!);
      i += 2;
      continue;
    }
    out += escapeRe(ch);
    i += 1;
  }
  if (braceDepth !== 0) throw new Error(`unclosed "{" in glob "${glob}"`);
  return out;
}

/** Describe why a glob is unusable, or undefined when it is fine. */
export function globProblem(glob: string): string | undefined {
  if (glob.length === 0) return 'an empty glob matches nothing';
  if (glob.startsWith('/')) return 'globs are relative to the repository root; drop the leading "/"';
  if (glob.startsWith('./')) return 'globs are relative to the repository root; drop the leading "./"';
  if (glob.split('/').includes('..')) return 'globs cannot climb out of the repository with ".."';
  try {
    globToRegExpSource(glob);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (!re) {
    re = new RegExp(`^(?:${globToRegExpSource(glob)})$`);
    cache.set(glob, re);
  }
  return re;
}

/** One matcher for a list of globs (any of them). Compiled once into a single RegExp. */
export function compileGlobs(globs: readonly string[]): GlobMatcher {
  if (globs.length === 0) return () => false;
  const re = new RegExp(`^(?:${globs.map((g) => globToRegExpSource(g)).join('|')})$`);
  return (path) => re.test(path);
}

export function matchesGlob(path: string, glob: string): boolean {
  return globToRegExp(glob).test(path);
}
