import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join, resolve } from 'node:path';
import { PKG_ROOT } from '../helpers/repo.js';

/**
 * The shipped source maps are line-grained (scripts/build.mjs, issue 15): a stack trace still names
 * the src/ file and line, the column is approximate. Checked on the built files: every function
 * declared in the bundle maps to a line of a src/ file that declares it.
 */
const DIST = join(PKG_ROOT, 'dist');

function declarations(file: string): { name: string; line: number; column: number }[] {
  const out: { name: string; line: number; column: number }[] = [];
  readFileSync(join(DIST, file), 'utf8')
    .split('\n')
    .forEach((text, line) => {
      for (const m of text.matchAll(/(?<![\w$.])(?:async )?function\*? ?([A-Za-z_$][\w$]*)\(/g)) out.push({ name: m[1]!, line, column: m.index });
    });
  return out;
}

describe('the source maps', () => {
  const program = readdirSync(DIST).filter((f) => f.endsWith('.js'));
  it.each([
    ['dist/hook.cjs', ['hook.cjs'], 300],
    ['the ESM program (dist/*.js)', program, 300],
  ])('map every function of %s to the src/ line that declares it', (_, files, least) => {
    const sources = new Map<string, string[]>();
    const wrong: string[] = [];
    let decls = 0;
    let checked = 0;
    for (const file of files) {
      const map = new SourceMap(JSON.parse(readFileSync(join(DIST, `${file}.map`), 'utf8')));
      for (const d of declarations(file)) {
        decls += 1;
        const e = map.findEntry(d.line, d.column) as { originalSource?: string; originalLine?: number };
        if (!e.originalSource) {
          wrong.push(`${file}: ${d.name}: unmapped`);
          continue;
        }
        const src = resolve(DIST, e.originalSource);
        if (!src.startsWith(join(PKG_ROOT, 'src'))) continue; // a library's function (node_modules)
        if (!sources.has(src)) sources.set(src, readFileSync(src, 'utf8').split('\n'));
        // esbuild renames a clash (name2); the line declares the name it started from
        const name = d.name.replace(/\d+$/, '');
        if (!sources.get(src)![e.originalLine!]?.includes(name)) wrong.push(`${file}: ${d.name} -> ${e.originalSource}:${e.originalLine! + 1}`);
        checked += 1;
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(least);
    expect(checked).toBeGreaterThan(decls / 2);
  });

  it('ship no source text and about one segment per source line', () => {
    const maps = readdirSync(DIST).filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(20);
    for (const f of maps) {
      const m = JSON.parse(readFileSync(join(DIST, f), 'utf8')) as { sourcesContent?: unknown; mappings: string };
      expect(m.sourcesContent, f).toBeUndefined();
    }
    // line-grained: dist/hook.cjs's map is well under the size of the file it maps (token-grained it was ~85%)
    expect(readFileSync(join(DIST, 'hook.cjs.map')).length).toBeLessThan(readFileSync(join(DIST, 'hook.cjs')).length * 0.4);
  });
});
