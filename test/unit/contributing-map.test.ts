/**
 * CONTRIBUTING.md's map of src/ matches the tree: every folder it names exists, every src/ folder
 * is in it, every file it names on a folder's entry exists there (or in a subfolder), and the page
 * points at nothing outside the repository.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const page = readFileSync(join(ROOT, 'CONTRIBUTING.md'), 'utf8');
const map = /## Layout\n[\s\S]*?```\n([\s\S]*?)```/.exec(page)?.[1] ?? '';

/** Map entries: a path in the first column and its description (with continuation lines). */
const entries: Array<{ path: string; text: string }> = [];
for (const line of map.split('\n')) {
  const m = /^(\S+)\s*(.*)$/.exec(line);
  if (m) entries.push({ path: m[1]!, text: m[2]! });
  else if (entries.length && line.trim()) entries[entries.length - 1]!.text += ` ${line.trim()}`;
}
const dirs = (d: string): string[] =>
  readdirSync(join(ROOT, d)).flatMap((n) => (statSync(join(ROOT, d, n)).isDirectory() ? [`${d}/${n}/`, ...dirs(`${d}/${n}`)] : []));
const filesUnder = (d: string): string[] =>
  readdirSync(join(ROOT, d)).flatMap((n) => (statSync(join(ROOT, d, n)).isDirectory() ? filesUnder(`${d}/${n}`) : [n]));

describe('CONTRIBUTING.md map of src/', () => {
  it('has a map', () => {
    expect(entries.length).toBeGreaterThan(10);
  });

  it('names only paths that exist', () => {
    expect(entries.filter((e) => !existsSync(join(ROOT, e.path))).map((e) => e.path)).toEqual([]);
  });

  it('names every folder of src/', () => {
    const named = new Set(entries.map((e) => e.path));
    expect(dirs('src').filter((d) => !named.has(d))).toEqual([]);
  });

  it("names only files that exist in the folder it describes", () => {
    const missing = entries
      .filter((e) => e.path.endsWith('/'))
      .flatMap((e) => {
        const have = new Set(filesUnder(e.path.slice(0, -1)));
        return [...e.text.matchAll(/(?<![\w/.-])([\w-]+\.ts)\b/g)].map((m) => m[1]!).filter((f) => !have.has(f)).map((f) => `${e.path}${f}`);
      });
    expect(missing).toEqual([]);
  });

  it('names every file of src/ on its folder\'s entry (src/cli/commands/ is one file per command, by rule)', () => {
    const text = new Map(entries.map((e) => [e.path, e.text]));
    const unnamed = dirs('src')
      .concat('src/')
      .filter((d) => d !== 'src/cli/commands/')
      .flatMap((d) =>
        readdirSync(join(ROOT, d))
          .filter((n) => !statSync(join(ROOT, d, n)).isDirectory())
          .filter((n) => !new RegExp(`(?<![\\w/.-])${n.replace(/\./g, '\\.')}\\b`).test(text.get(d) ?? ''))
          .map((n) => `${d}${n}`),
      );
    expect(unnamed).toEqual([]);
  });

  it('points at nothing outside the repository', () => {
    expect(page.match(/\]\(\.\.\/[^)]*\)|`\.\.\/[^`]*`|\.\.\/shared\//g) ?? []).toEqual([]);
  });
});
