/**
 * A symbolic link on a governed surface must point at content governed at least as strictly:
 * otherwise one approval of the link leaves every later edit of its target ungoverned
 * (`rules/style.md -> ../notes/style.md`, then edit notes/style.md freely). The target is the
 * link blob's text; the verdict names every escape and the gates refuse it whatever the approval.
 */
import { describe, expect, it } from 'vitest';
import { classify, resolveLinkTarget } from '../../../src/gates/classify.js';
import { evaluateApproval } from '../../../src/gates/approval.js';
import type { FileChange } from '../../../src/kernel/changes.js';
import type { GatesConfig } from '../../../src/schema/config/defaults.js';
import { defaultConfig } from '../../../src/schema/config/defaults.js';

const Z = '0'.repeat(40);
const B = '1'.repeat(40);
const C = '2'.repeat(40);
const link = (path: string, status: 'A' | 'M' = 'A'): FileChange =>
  status === 'A'
    ? { status, path, oldMode: '000000', newMode: '120000', oldBlob: Z, newBlob: B, added: 1, deleted: 0 }
    : { status, path, oldMode: '120000', newMode: '120000', oldBlob: C, newBlob: B, added: 1, deleted: 1 };

const cfg: GatesConfig = {
  ...defaultConfig(),
  surfaces: [
    { name: 'rules', paths: ['rules/**'], tier: 'CONFIRM', self_reinforcing: false },
    { name: 'shared-rules', paths: ['shared/rules/**'], tier: 'CONFIRM', self_reinforcing: false },
    { name: 'adr', paths: ['adr/**'], tier: 'DOUBLE_CONFIRM', self_reinforcing: false },
    { name: 'one-file', paths: ['tools/cc/settings.json'], tier: 'CONFIRM', self_reinforcing: false },
  ],
};
const verdict = (ch: FileChange, target: string | undefined) => {
  const first = classify([ch], cfg);
  const contents = new Map(target === undefined ? [] : [[ch.path, { new: target }]]);
  return { first, second: classify([ch], cfg, contents) };
};

describe('resolveLinkTarget', () => {
  it.each([
    ['rules/a.md', '../notes/a.md', 'notes/a.md'],
    ['rules/a.md', 'b.md', 'rules/b.md'],
    ['rules/x/a.md', '../../shared/rules/a.md', 'shared/rules/a.md'],
    ['rules/a.md', './sub//c.md', 'rules/sub/c.md'],
    ['a.md', '..', null],
    ['rules/a.md', '../../etc/passwd', null],
    ['rules/a.md', '/etc/passwd', null],
    ['rules/a.md', 'C:\\x', null],
    ['rules/a.md', '', null],
    // `..` after a named folder: the OS follows that folder first (it may be a link by then), so
    // the text says nothing reliable about where it lands
    ['rules/a.md', '../tmp/../rules/b.md', null],
    ['rules/a.md', 'sub/../b.md', null],
    ['rules/x/a.md', '../../shared/./../rules/a.md', null],
  ])('%s -> %s resolves to %s', (path, target, want) => expect(resolveLinkTarget(path, target)).toBe(want));
});

describe('a link on a surface', () => {
  it('asks for the link text first (contents_needed), then names the escape', () => {
    const { first, second } = verdict(link('rules/style.md'), '../notes/style.md');
    expect(first.contents_needed).toContain('rules/style.md');
    expect(second.link_escapes).toEqual([
      expect.objectContaining({ path: 'rules/style.md', target: '../notes/style.md', resolved: 'notes/style.md', tier: 'CONFIRM', target_tier: 'AUTO' }),
    ]);
  });
  it.each([
    ['outside the repository', 'rules/a.md', '../../x.md'],
    ['an absolute path', 'rules/a.md', '/home/me/rules.md'],
    ['a less strictly governed place', 'adr/0001-x.md', '../rules/x.md'],
    ['a folder only partly governed', 'rules/cc', '../tools/cc'],
    ['an ungoverned file', 'rules/style.md', '../notes/style.md'],
  ])('escapes: %s', (_what, path, target) => {
    expect(verdict(link(path), target).second.link_escapes).toHaveLength(1);
  });
  it.each([
    ['a sibling on the same surface', 'rules/a.md', 'b.md'],
    ['another surface at the same tier', 'rules/a.md', '../shared/rules/a.md'],
    ['a stricter place', 'rules/a.md', '../adr/0001-x.md'],
    ['a folder governed as a whole', 'rules/shared', '../shared/rules'],
  ])('stays governed: %s', (_what, path, target) => {
    expect(verdict(link(path), target).second.link_escapes).toEqual([]);
  });
  it('an unreadable link text is an escape (fail closed)', () => {
    expect(verdict(link('rules/a.md'), undefined).second.link_escapes).toEqual([expect.objectContaining({ path: 'rules/a.md', resolved: null })]);
  });
  it('a retargeted Markdown-named link is never carved out as a typo fix', () => {
    const ch = link('rules/a.md', 'M');
    const v = classify([ch], cfg, new Map([['rules/a.md', { old: 'b.md', new: 'c.md' }]]));
    expect(v.carve_out.applied).toBe(false);
    expect(v.carve_out.failed.map((f) => f.condition)).toContain('link');
  });
  it('ungoverned links are not inspected', () => {
    const v = classify([link('notes/a.md')], cfg);
    expect(v.contents_needed).toEqual([]);
    expect(v.link_escapes).toEqual([]);
  });
  it('Gate B blocks an escaping link even with an approved sidecar', () => {
    const v = verdict(link('rules/style.md'), '../notes/style.md').second;
    const f = evaluateApproval({ tree: 'a'.repeat(40), verdict: v, path: 'x', sidecar: { state: 'missing', others: [] } });
    const esc = f.find((x) => x.code === 'B_LINK_ESCAPE');
    expect(esc?.severity).toBe('block');
    expect(esc?.message).toContain('notes/style.md');
    expect(esc?.fix).toMatch(/rules\/style\.md/);
  });
});
