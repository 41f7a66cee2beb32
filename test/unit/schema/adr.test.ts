import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAdr, splitFrontMatter, statusByText } from '../../../src/schema/adr/schema.js';
import { renderTemplate } from '../../../src/app/adr/records.js';
import { PKG_ROOT } from '../../helpers/repo.js';

const fm = (lines: string[], body = '\n# Title\n') => `---\n${lines.join('\n')}\n---\n${body}`;
const GOOD = ['adr: 7', 'title: "Use a ledger"', 'status: proposed', 'date: 2026-11-21', 'deciders: ["Ada"]', 'supersedes: []'];
const without = (key: string) => GOOD.filter((l) => !l.startsWith(`${key}:`));
const replace = (key: string, line: string) => GOOD.map((l) => (l.startsWith(`${key}:`) ? line : l));

describe('parseAdr', () => {
  it('parses a valid record', () => {
    const r = parseAdr(fm(GOOD));
    expect(r).toEqual({ ok: true, meta: { adr: 7, title: 'Use a ledger', status: 'proposed', date: '2026-11-21', deciders: ['Ada'], supersedes: [] } });
  });

  it('accepts block lists, CRLF and a BOM', () => {
    const text = `\uFEFF---\r\nadr: 2\r\ntitle: x\r\nstatus: accepted\r\ndate: 2026-01-31\r\ndeciders:\r\n  - Ada\r\n  - Bob\r\nsupersedes:\r\n  - 1\r\n---\r\nbody`;
    const r = parseAdr(text);
    expect(r.ok && r.meta).toMatchObject({ adr: 2, deciders: ['Ada', 'Bob'], supersedes: [1], status: 'accepted' });
  });

  it.each([
    ['adr', without('adr'), 'adr'],
    ['title', without('title'), 'title'],
    ['status', without('status'), 'status'],
    ['date', without('date'), 'date'],
    ['deciders', without('deciders'), 'deciders'],
    ['supersedes', without('supersedes'), 'supersedes'],
  ])('a missing %s is named', (_n, lines, field) => {
    const r = parseAdr(fm(lines));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.map((p) => p.field)).toEqual([field]);
      expect(r.problems[0]!.message).toMatch(/^missing/);
    }
  });

  it.each([
    ['status not in the enum', replace('status', 'status: superseded'), 'status'],
    ['adr not a number', replace('adr', 'adr: seven'), 'adr'],
    ['adr zero', replace('adr', 'adr: 0'), 'adr'],
    ['adr fractional', replace('adr', 'adr: 1.5'), 'adr'],
    ['date not a date', replace('date', 'date: next tuesday'), 'date'],
    ['date impossible', replace('date', 'date: 2026-02-30'), 'date'],
    ['empty title', replace('title', 'title: ""'), 'title'],
    ['deciders not a list', replace('deciders', 'deciders: Ada'), 'deciders'],
    ['supersedes holds a string', replace('supersedes', 'supersedes: ["three"]'), 'supersedes[0]'],
    ['supersedes not a list', replace('supersedes', 'supersedes: 3'), 'supersedes'],
    ['unknown field', [...GOOD, 'superseded_by: [9]'], 'superseded_by'],
  ])('%s → field %s', (_n, lines, field) => {
    const r = parseAdr(fm(lines));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.field)).toContain(field);
  });

  it.each([
    ['no front matter', '# Title\n'],
    ['unterminated front matter', '---\nadr: 1\n'],
    ['front matter not a mapping', '---\n- a\n- b\n---\n'],
    ['broken YAML', '---\nadr: [1\n---\n'],
    ['duplicate keys', fm([...GOOD, 'status: accepted'])],
  ])('%s → (front matter) problem', (_n, text) => {
    const r = parseAdr(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]!.field).toBe('(front matter)');
  });

  it('splitFrontMatter gives offsets that cut exactly the YAML', () => {
    const text = fm(GOOD, '\nbody\n---\nnot front matter\n');
    const s = splitFrontMatter(text)!;
    expect(text.slice(s.start, s.end)).toBe(`${GOOD.join('\n')}\n`);
  });

  it('statusByText reads the status of a record whose YAML is broken', () => {
    expect(statusByText('---\nadr: [1\nstatus: accepted\n---\n')).toBe('accepted');
    expect(statusByText("---\nstatus: 'Accepted' # yes\n---\n")).toBe('accepted');
    expect(statusByText('no front matter')).toBeUndefined();
  });
});

describe('templates/adr.md', () => {
  const template = readFileSync(join(PKG_ROOT, 'templates', 'adr.md'), 'utf8');
  it('renders into a valid proposed record with every body section', () => {
    const text = renderTemplate(template, { number: 12, title: 'Quote "this": ok', date: '2026-11-21', deciders: ['Ada L.'], supersedes: [3], supersedesFiles: ['0003-old.md'] });
    const r = parseAdr(text);
    expect(r).toEqual({ ok: true, meta: { adr: 12, title: 'Quote "this": ok', status: 'proposed', date: '2026-11-21', deciders: ['Ada L.'], supersedes: [3] } });
    for (const h of ['## Context', '## Decision', '## Options considered', '## Consequences', '## Rollback']) expect(text).toContain(h);
    expect(text).toContain('[0003](0003-old.md)');
    expect(text).not.toMatch(/\{\{/);
  });
});
