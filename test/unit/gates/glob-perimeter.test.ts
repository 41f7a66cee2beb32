/**
 * Issue 12 items 6 and 9, issue 13 item 8: the perimeter of a surface. `X/**` governs `X`; a symlink
 * or gitlink at or above a governed path is governed; case and Unicode spellings are one path;
 * "./" and "//" spellings are normalised; no glob makes matching slow.
 */
import { describe, expect, it } from 'vitest';
import { compileGlobs, governsBelow, globProblem, matchesGlob, GLOB_LIMITS, GlobIndex } from '../../../src/kernel/glob.js';
import { classify, tierOfPath } from '../../../src/gates/classify.js';
import { defaultConfig } from '../../../src/schema/config/defaults.js';
import type { FileChange } from '../../../src/kernel/changes.js';

const Z = '0'.repeat(40);
const B = '1'.repeat(40);
const add = (path: string, mode = '100644'): FileChange => ({ status: 'A', path, oldMode: '000000', newMode: mode, oldBlob: Z, newBlob: B, added: 1, deleted: 0 });

describe('X/** governs X, and links above a governed path', () => {
  it.each([
    ['.claude/**', '.claude', true],
    ['rules/**', 'rules', true],
    ['a/**/b', 'a/b', true],
    ['rules/**', 'rulesx', false],
  ])('%s matches %s: %s', (g, p, want) => expect(matchesGlob(p, g)).toBe(want));

  it.each([
    ['.claude/settings*.json', '.claude', true],
    ['.claude/settings*.json', '.claude/settings.json', false],
    ['tools/cc/**', 'tools', true],
    ['policies/**/*.json', 'policies/x', true],
    ['AGENTS.md', 'AGENTS.md', false],
    ['rules/**', 'src', false],
    ['{a,b/c}/x.md', 'b', true],
  ])('%s governs something below %s: %s', (g, p, want) => expect(governsBelow(p, g)).toBe(want));

  const cfg = defaultConfig();
  it('a symlink .claude (surface .claude/**, .claude/settings*.json) is DOUBLE_CONFIRM self-reinforcing', () => {
    const v = classify([add('.claude', '120000')], cfg);
    expect(v.tier).toBe('DOUBLE_CONFIRM');
    expect(v.files[0]!.surfaces).toEqual(['claude', 'gate-control']);
    expect(v.self_reinforcing).toBe(true);
  });
  it('a symlink at an ancestor (.agents -> x, governing .agents/gates.yaml) is gated; a regular file there is not an ancestor', () => {
    expect(classify([add('.agents', '120000')], cfg).tier).toBe('DOUBLE_CONFIRM');
    expect(classify([add('.cursor', '160000')], cfg).tier).toBe('DOUBLE_CONFIRM'); // .cursor/hooks.json (agent-hooks)
    expect(classify([add('prompts', '160000')], cfg).tier).toBe('CONFIRM'); // prompts/**
    expect(classify([add('.github', '160000')], cfg).tier).toBe('DOUBLE_CONFIRM'); // .github/workflows/**
    expect(classify([add('.github', '100644')], cfg).tier).toBe('AUTO');
    expect(classify([add('src', '120000')], cfg).tier).toBe('AUTO');
  });
  it('a deleted symlink at an ancestor is gated too', () => {
    const del: FileChange = { status: 'D', path: '.claude', oldMode: '120000', newMode: '000000', oldBlob: B, newBlob: Z };
    expect(classify([del], cfg).tier).toBe('DOUBLE_CONFIRM');
  });
  it('tierOfPath is the same rule for one side of a change', () => {
    expect(tierOfPath('.claude', '120000', cfg)).toEqual({ tier: 'DOUBLE_CONFIRM', surfaces: ['claude', 'gate-control'], self_reinforcing: true });
    expect(tierOfPath('.claude', '100644', cfg).tier).toBe('CONFIRM'); // .claude/** governs .claude itself
    expect(tierOfPath('README.md', '100644', cfg).tier).toBe('AUTO');
    expect(tierOfPath('.Claude/Settings.JSON', '100644', cfg).tier).toBe('DOUBLE_CONFIRM');
  });
});

describe('case and Unicode spellings are one path', () => {
  const cfg = defaultConfig();
  it.each([
    ['.Claude/settings.json', 'DOUBLE_CONFIRM'],
    ['Claude.md', 'CONFIRM'],
    ['Skills/x.md', 'CONFIRM'],
    ['RULES/a.md', 'CONFIRM'],
    ['.AGENTS/GATES.YAML', 'DOUBLE_CONFIRM'],
    ['./rules/a.md', 'CONFIRM'],
    ['rules//a.md', 'CONFIRM'],
    ['rules/./a.md', 'CONFIRM'],
  ])('%s is %s', (p, tier) => expect(classify([add(p)], cfg).tier).toBe(tier));
  it('NFD and NFC spellings match each other', () => {
    const nfc = 'docs/caf\u00e9/**';
    expect(matchesGlob('docs/cafe\u0301/x.md', nfc)).toBe(true);
    expect(matchesGlob('DOCS/CAF\u00c9/x.md', nfc)).toBe(true);
    expect(matchesGlob('docs/caf\u00e9/x.md', 'docs/cafe\u0301/**')).toBe(true);
  });
});

describe('no catastrophic backtracking, and bounds', () => {
  it('200 "*" in a row and a long non-matching path answer at once', () => {
    const g = `${'*'.repeat(200)}x`;
    expect(globProblem(g)).toBeUndefined();
    expect(matchesGlob('a'.repeat(5000), g)).toBe(false);
    const alt = `${'*a'.repeat(100)}b`;
    expect(matchesGlob('a'.repeat(3000), alt)).toBe(false);
    const stars = `${'**/'.repeat(60)}x`;
    expect(matchesGlob(`${'d/'.repeat(500)}y`, stars)).toBe(false);
  });
  it('globs over the bounds are refused with the reason', () => {
    expect(globProblem('a'.repeat(GLOB_LIMITS.maxLength + 1))).toMatch(/characters long/);
    expect(globProblem('{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}')).toMatch(/more than 64 alternatives/);
    expect(globProblem(Array(70).fill('a').join('/'))).toMatch(/segments/);
  });
  it('an index of 20,000 globs answers per path by first segment', () => {
    const idx = new GlobIndex(Array.from({ length: 20_000 }, (_, i) => ({ glob: `dir${i}/**`, value: i })));
    expect(idx.query('dir19999/a')).toEqual([19999]);
    expect(idx.query('nope/a')).toEqual([]);
    expect(compileGlobs(['a/**', '*.md'])('x.MD')).toBe(true);
  });
});
