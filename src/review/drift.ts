/**
 * Drift: configuration that no longer describes the repository. Pure: tracked paths, config and
 * the text of control-plane files in; findings out.
 *   - surfaces whose globs match no tracked file (the gate guards nothing);
 *   - handoff globs that match nothing;
 *   - control-plane files that name repository paths which no longer exist.
 */
import type { GatesConfig } from '../schema/config/defaults.js';
import { compileGlobs } from '../kernel/glob.js';
import { SIDECAR_DIR } from '../kernel/paths.js';

export interface DeadSurface {
  surface: string;
  tier: string;
  /** Globs of the surface that match no tracked file (all of them when the surface is dead). */
  deadGlobs: string[];
  dead: boolean;
}

export interface DanglingReference {
  file: string;
  line: number;
  ref: string;
}

export interface DriftFigures {
  trackedFiles: number;
  surfaces: DeadSurface[];
  handoffGlobs: string[];
  danglingRefs: DanglingReference[];
  /** True when more dangling references existed than are listed. */
  truncated: boolean;
}

const MAX_REFS = 200;
const EXT = /\.(md|markdown|mdx|ts|tsx|js|mjs|cjs|json|ya?ml|toml|sh|py|go|rs|txt|css|html)$/i;

/** Candidate path references in a text: `backticked/paths.ext` and Markdown link targets. */
export function pathReferences(text: string): Array<{ ref: string; line: number; kind: 'code' | 'link' }> {
  const out: Array<{ ref: string; line: number; kind: 'code' | 'link' }> = [];
  const lines = text.split(/\r?\n/);
  let fenced = false;
  lines.forEach((l, i) => {
    if (/^\s*(```|~~~)/.test(l)) {
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    for (const m of l.matchAll(/`([^`\s]+)`/g)) out.push({ ref: m[1]!, line: i + 1, kind: 'code' });
    for (const m of l.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push({ ref: m[1]!, line: i + 1, kind: 'link' });
  });
  return out;
}

function normalise(p: string): string | undefined {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join('/');
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i === -1 ? '' : p.slice(0, i);
}

export interface DriftInput {
  files: readonly string[];
  config: GatesConfig;
  /** Text of control-plane files (tracked files on a surface), keyed by path. */
  texts: ReadonlyArray<{ path: string; text: string }>;
}

export function computeDrift(input: DriftInput): DriftFigures {
  const { files, config } = input;
  const fileSet = new Set(files);
  const dirSet = new Set<string>();
  for (const f of files) {
    let d = dirOf(f);
    while (d && !dirSet.has(d)) {
      dirSet.add(d);
      d = dirOf(d);
    }
  }
  const globHits = (g: string): boolean => {
    const m = compileGlobs([g]);
    for (const f of files) if (m(f)) return true;
    return false;
  };
  const surfaces: DeadSurface[] = config.surfaces.map((s) => {
    const deadGlobs = s.paths.filter((g) => !globHits(g));
    return { surface: s.name, tier: s.tier, deadGlobs, dead: deadGlobs.length === s.paths.length };
  });
  const handoffGlobs = config.handoff.paths.filter((g) => !globHits(g));

  const topDirs = new Set(files.filter((f) => f.includes('/')).map((f) => f.slice(0, f.indexOf('/'))));
  const danglingRefs: DanglingReference[] = [];
  let truncated = false;
  const exists = (p: string) => fileSet.has(p) || dirSet.has(p);
  // paths that need not exist (issue 14: the shipped rules name them on day one): the gate's own
  // ignored sidecar directory, and handoff documents, which appear when an agent first writes one
  const handoff = compileGlobs(config.handoff.paths);
  const expected = (p: string) => p === SIDECAR_DIR || p.startsWith(`${SIDECAR_DIR}/`) || handoff(p);
  for (const { path, text } of input.texts) {
    const seen = new Set<string>();
    for (const r of pathReferences(text)) {
      let ref = r.ref.replace(/#.*$/, '').replace(/[.,;:]+$/, '');
      if (!ref || /^[a-z][a-z0-9+.-]*:/i.test(ref) || ref.startsWith('/') || ref.startsWith('~') || /[*?{}[\]<>$|]/.test(ref)) continue;
      if (r.kind === 'code') {
        // only things that look like repository paths: a directory part under a tracked top-level
        // directory, or a relative path, and a known file extension or trailing slash
        if (!ref.includes('/')) continue;
        if (!EXT.test(ref) && !ref.endsWith('/')) continue;
        const first = ref.replace(/^\.\//, '').split('/')[0]!;
        if (!ref.startsWith('.') && !topDirs.has(first)) continue;
      }
      ref = ref.replace(/\/+$/, '');
      const fromRoot = normalise(ref);
      const fromFile = normalise(`${dirOf(path)}/${ref}`);
      const ok = (fromRoot !== undefined && exists(fromRoot)) || (fromFile !== undefined && exists(fromFile));
      if (ok || fromRoot === '' || seen.has(ref) || (fromRoot !== undefined && expected(fromRoot))) continue;
      seen.add(ref);
      if (danglingRefs.length >= MAX_REFS) {
        truncated = true;
        break;
      }
      danglingRefs.push({ file: path, line: r.line, ref: r.ref });
    }
  }
  return { trackedFiles: files.length, surfaces, handoffGlobs, danglingRefs, truncated };
}

/** Tracked files that are control-plane files (on some surface), excluding ADRs (history may name old paths). */
export function controlPlaneFiles(files: readonly string[], config: GatesConfig): string[] {
  const any = compileGlobs(config.surfaces.flatMap((s) => s.paths));
  const adr = `${config.adr.dir.replace(/\/+$/, '')}/`;
  return files.filter((f) => any(f) && !f.startsWith(adr) && /\.(md|markdown|mdx|ya?ml|json|txt)$/i.test(f));
}
