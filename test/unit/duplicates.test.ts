/**
 * Each fact is defined once (issue #15, ADR 0014): the literals that had drifted apart in several
 * files may appear in exactly one src/ file, in kernel/ (or, for what touches the world, adapters/).
 * Comments do not count; a failure names every file that defines the fact.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const walk = (d: string): string[] =>
  readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? walk(p) : n.endsWith('.ts') ? [p] : [];
  });
/** Source text without comments (string contents kept). */
const code = (t: string) => t.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
const SOURCES = walk(join(ROOT, 'src')).map((f) => ({ path: relative(ROOT, f).split('\\').join('/'), text: code(readFileSync(f, 'utf8')) }));

const FACTS: Array<[fact: string, home: string, pattern: RegExp]> = [
  ['the object-id regex', 'src/kernel/ids.ts', /\[0-9a-f\]\{40/],
  ['ZERO_BLOB', 'src/kernel/ids.ts', /['"`]0{40}['"`]/],
  ["git's empty tree", 'src/kernel/ids.ts', /4b825dc642cb6eb9a060e54bf8d69288fbee4904/],
  ['the sidecar directory', 'src/kernel/paths.ts', /['"`]\.agents\/gate-b\/?['"`]/],
  ["the sidecar's name regex", 'src/kernel/paths.ts', /explain-\(|\^explain-/],
  ["a person's actor id", 'src/kernel/actor.ts', /['"`]human:(\$\{|['"`])/],
  ['the package-root lookup', 'src/adapters/package-files.ts', /fileURLToPath\(import\.meta\.url\)/],
  ['atomic writes (write a temporary file, rename it over)', 'src/adapters/files.ts', /\brenameSync\(/],
  ['terminal colours (SGR sequences)', 'src/kernel/ansi.ts', /(\\u001b|\\x1b|\\e)\[(\$\{|3\dm|[0-9;]+m)/],
];

describe('each fact is defined once', () => {
  it.each(FACTS)('%s: only in %s', (_fact, home, pattern) => {
    const where = SOURCES.filter((s) => pattern.test(s.text)).map((s) => s.path);
    expect(where).toEqual([home]);
  });
});
