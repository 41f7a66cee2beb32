import { describe, expect, it } from 'vitest';
import { compileGlobs, globProblem, matchesGlob } from '../../../src/kernel/glob.js';

// [glob, path, matches]
const TABLE: Array<[string, string, boolean]> = [
  // anchored at the repository root
  ['AGENTS.md', 'AGENTS.md', true],
  ['AGENTS.md', 'sub/AGENTS.md', false],
  ['**/AGENTS.md', 'AGENTS.md', true],
  ['**/AGENTS.md', 'a/b/AGENTS.md', true],
  // ** spans segments, including none
  ['rules/**', 'rules/x.md', true],
  ['rules/**', 'rules/a/b/c.md', true],
  ['rules/**', 'rules', true], // X/** governs X itself (issue 12 item 6)
  ['rules/**', 'rulesx/a.md', false],
  ['**/progress.md', 'tasks/7/progress.md', true],
  ['**/progress.md', 'progress.md', true],
  ['**/progress.md', 'tasks/7/progress.mdx', false],
  ['policies/**/*.json', 'policies/a.json', true],
  ['policies/**/*.json', 'policies/x/y/a.json', true],
  ['policies/**/*.json', 'policies/x/a.yaml', false],
  ['a/**/b', 'a/b', true],
  ['a/**/b', 'a/x/y/b', true],
  // * stays within a segment and matches dotfiles
  ['rules/gate-*.md', 'rules/gate-locks.md', true],
  ['rules/gate-*.md', 'rules/gate-/x.md', false],
  ['rules/gate-*.md', 'rules/other.md', false],
  ['.claude/settings*.json', '.claude/settings.local.json', true],
  ['.claude/settings*.json', '.claude/settings.json', true],
  ['*', '.hidden', true],
  ['*', 'a/b', false],
  // ? is one character other than /
  ['file?.txt', 'file1.txt', true],
  ['file?.txt', 'file10.txt', false],
  ['a?b', 'a/b', false],
  // braces, classes, escapes
  ['{AGENTS,CLAUDE}.md', 'CLAUDE.md', true],
  ['{AGENTS,CLAUDE}.md', 'README.md', false],
  ['docs/{a,b/c}.md', 'docs/b/c.md', true],
  ['[abc].txt', 'b.txt', true],
  ['[!abc].txt', 'b.txt', false],
  ['[^abc].txt', 'd.txt', true],
  ['[!abc].txt', '/.txt', false],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'axb', false],
  // regex metacharacters are literal
  ['a.b', 'axb', false],
  ['a+b(c)', 'a+b(c)', true],
  ['names with space/*.md', 'names with space/x.md', true],
  ['ünï/*.md', 'ünï/ファイル.md', true],
];

describe('glob table', () => {
  it.each(TABLE)('%s vs %s → %s', (glob, path, want) => {
    expect(matchesGlob(path, glob)).toBe(want);
    expect(compileGlobs([glob])(path)).toBe(want);
  });

  it('compileGlobs matches any of several globs, and nothing for an empty list', () => {
    const m = compileGlobs(['AGENTS.md', 'rules/**']);
    expect(m('rules/a.md')).toBe(true);
    expect(m('AGENTS.md')).toBe(true);
    expect(m('src/a.ts')).toBe(false);
    expect(compileGlobs([])('anything')).toBe(false);
  });
});

describe('globProblem', () => {
  const BAD: Array<[string, RegExp]> = [
    ['', /empty/],
    ['/abs', /leading "\/"/],
    ['./rel', /leading "\.\/"/],
    ['a/../b', /\.\./],
    ['[abc', /unclosed "\["/],
    ['{a,b', /unclosed "\{"/],
  ];
  it.each(BAD)('%j is rejected', (glob, why) => {
    expect(globProblem(glob)).toMatch(why);
  });
  it.each(['**/progress.md', 'rules/**', '{a,b}/*.md', '[!x].txt'])('%j is fine', (g) => {
    expect(globProblem(g)).toBeUndefined();
  });
});

describe('glob: less common forms', () => {
  it('"**" inside a segment behaves like "*"', async () => {
    const { matchesGlob } = await import('../../../src/kernel/glob.js');
    expect(matchesGlob('docs/abcz.md', 'docs/a**z.md')).toBe(true);
    expect(matchesGlob('docs/a/z.md', 'docs/a**z.md')).toBe(false);
  });
  it('negated character classes match neither the listed characters nor "/"', async () => {
    const { matchesGlob } = await import('../../../src/kernel/glob.js');
    expect(matchesGlob('v1.md', 'v[!0-9].md')).toBe(false);
    expect(matchesGlob('vx.md', 'v[!0-9].md')).toBe(true);
    expect(matchesGlob('vx.md', 'v[^x].md')).toBe(false);
  });
});
