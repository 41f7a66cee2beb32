/**
 * The layer rule (ADR 0014), read from the imports of every src/ file (static, `export … from`,
 * `import()`, `require()` and `process.getBuiltinModule()`):
 *  - dependencies point down LAYERS, never back up;
 *  - the pure folders touch no world: no node:fs, node:child_process, node:net, node:os, adapters/,
 *    app/ or cli/ (kernel/builtins.ts is the one named exception: built-ins on first use and the
 *    terminal check);
 *  - app/ reaches files and processes only through adapters/ (ADR 0002): no node:fs,
 *    node:fs/promises or node:child_process, static or dynamic;
 *  - no import cycle other than type-only ones.
 * A failure names the file, the import and the rule.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = join(ROOT, 'src');

/** Top to bottom: a file may import its own layer or any layer below it. */
export const LAYERS = ['cli', 'app', 'adapters', 'review', 'gates', 'signing', 'ledger', 'schema', 'kernel'] as const;
const PURE = new Set(['review', 'gates', 'signing', 'ledger', 'schema', 'kernel']);
const WORLD = new Set(['node:fs', 'fs', 'node:fs/promises', 'node:child_process', 'child_process', 'node:net', 'node:os', 'os', 'node:readline', 'node:tty']);
/** Pure-folder files allowed to use WORLD modules, and why. */
const WORLD_EXCEPTIONS: Record<string, string> = {
  'src/kernel/builtins.ts': 'built-ins on first use; isTerminal() fstat()s a descriptor without creating process.stdout',
};

/** app/ never touches files or processes itself (ADR 0002). */
const APP_WORLD = new Set(['node:fs', 'fs', 'node:fs/promises', 'fs/promises', 'node:child_process', 'child_process']);
/**
 * app/ files not yet moved onto adapters, and why (move their file operations into
 * src/adapters/ and delete the entry). Empty: keep it so.
 */
const APP_WORLD_PENDING: Record<string, string> = {};

interface Edge {
  from: string;
  to: string; // repository path (src/...) or a module name
  typeOnly: boolean;
  dynamic: boolean;
  line: number;
}

function walk(d: string): string[] {
  return readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? walk(p) : n.endsWith('.ts') ? [p] : [];
  });
}

function edgesOf(file: string): Edge[] {
  const rel = relative(ROOT, file).split('\\').join('/');
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: Edge[] = [];
  const add = (spec: string, typeOnly: boolean, node: ts.Node, dynamic = false) => {
    const to = spec.startsWith('.') ? posix.normalize(posix.join(posix.dirname(rel), spec)).replace(/\.js$/, '.ts') : spec;
    out.push({ from: rel, to, typeOnly, dynamic, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1 });
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      const nb = c?.namedBindings;
      const typeOnly = Boolean(c && (c.isTypeOnly || (!c.name && nb && ts.isNamedImports(nb) && nb.elements.length > 0 && nb.elements.every((e) => e.isTypeOnly))));
      add(n.moduleSpecifier.text, typeOnly, n);
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      const ec = n.exportClause;
      const typeOnly = n.isTypeOnly || Boolean(ec && ts.isNamedExports(ec) && ec.elements.length > 0 && ec.elements.every((e) => e.isTypeOnly));
      add(n.moduleSpecifier.text, typeOnly, n);
    } else if (ts.isCallExpression(n) && n.arguments.length >= 1 && ts.isStringLiteralLike(n.arguments[0]!)) {
      const callee = n.expression.getText(sf);
      if (n.expression.kind === ts.SyntaxKind.ImportKeyword || callee === 'require' || callee === 'process.getBuiltinModule') add((n.arguments[0] as ts.StringLiteral).text, false, n, true);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const layerOf = (p: string): string | undefined => (p.startsWith('src/') ? p.split('/')[1] : undefined);
const files = walk(SRC).sort();
const edges = files.flatMap(edgesOf);

describe('layers', () => {
  it('every src/ file lives in a known layer', () => {
    const stray = files.map((f) => relative(ROOT, f).split('\\').join('/')).filter((p) => !(LAYERS as readonly string[]).includes(layerOf(p)!));
    expect(stray).toEqual([]);
  });

  it('no import runs back up the layer order', () => {
    const rank = (l: string) => (LAYERS as readonly string[]).indexOf(l);
    const bad = edges
      .filter((e) => e.to.startsWith('src/') && !e.typeOnly)
      .filter((e) => rank(layerOf(e.to)!) < rank(layerOf(e.from)!))
      .map((e) => `${e.from}:${e.line} imports ${e.to} (${layerOf(e.from)} is below ${layerOf(e.to)})`);
    expect(bad).toEqual([]);
  });

  it('type-only imports do not run back up either (types live in the layer that owns them)', () => {
    const rank = (l: string) => (LAYERS as readonly string[]).indexOf(l);
    const bad = edges
      .filter((e) => e.to.startsWith('src/') && e.typeOnly)
      .filter((e) => rank(layerOf(e.to)!) < rank(layerOf(e.from)!))
      .map((e) => `${e.from}:${e.line} imports types from ${e.to}`);
    expect(bad).toEqual([]);
  });

  it('pure folders touch no world: no fs, child_process, os, adapters/, app/ or cli/', () => {
    const bad = edges
      .filter((e) => PURE.has(layerOf(e.from)!) && !e.typeOnly && !WORLD_EXCEPTIONS[e.from])
      .filter((e) => WORLD.has(e.to) || ['adapters', 'app', 'cli'].includes(layerOf(e.to) ?? ''))
      .map((e) => `${e.from}:${e.line} uses ${e.to}`);
    expect(bad).toEqual([]);
  });

  it('app/ touches no file or process itself: node:fs and node:child_process only through adapters/', () => {
    const bad = edges
      .filter((e) => layerOf(e.from) === 'app' && APP_WORLD.has(e.to) && !e.typeOnly && !APP_WORLD_PENDING[e.from])
      .map((e) => `${e.from}:${e.line} uses ${e.to} (add or use an adapter in src/adapters/)`);
    expect(bad).toEqual([]);
  });

  it('the app/ allow-list only names files that still need it', () => {
    const stale = Object.keys(APP_WORLD_PENDING).filter((f) => !edges.some((e) => e.from === f && APP_WORLD.has(e.to) && !e.typeOnly));
    expect(stale).toEqual([]);
  });

  it('cli/fast/ is one room: nothing else of cli/ enters its static closure (the hot file)', () => {
    const bad = edges
      .filter((e) => e.from.startsWith('src/cli/fast/') && !e.dynamic && !e.typeOnly)
      .filter((e) => e.to.startsWith('src/cli/') && !e.to.startsWith('src/cli/fast/'))
      .map((e) => `${e.from}:${e.line} imports ${e.to}`);
    expect(bad).toEqual([]);
  });

  it('every import of src/ names a file that exists', () => {
    const known = new Set(files.map((f) => relative(ROOT, f).split('\\').join('/')));
    const bad = edges.filter((e) => e.to.startsWith('src/') && !known.has(e.to)).map((e) => `${e.from}:${e.line} → ${e.to}`);
    expect(bad).toEqual([]);
  });

  it('no import cycle other than type-only ones', () => {
    const graph = new Map<string, string[]>();
    for (const e of edges) if (e.to.startsWith('src/') && !e.typeOnly) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
    // Tarjan's strongly connected components
    let index = 0;
    const idx = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const on = new Set<string>();
    const cycles: string[][] = [];
    const strong = (v: string): void => {
      idx.set(v, index);
      low.set(v, index++);
      stack.push(v);
      on.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!idx.has(w)) {
          strong(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
      if (low.get(v) === idx.get(v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          on.delete(w);
          comp.push(w);
        } while (w !== v);
        if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(comp.sort());
      }
    };
    for (const f of graph.keys()) if (!idx.has(f)) strong(f);
    expect(cycles).toEqual([]);
  });
});
