import { describe, expect, it } from 'vitest';
import {
  classify,
  fileListChanges,
  frontMatter,
  requiredSteps,
  strictestConfig,
  type ContentsByPath,
} from '../../../src/gates/classify.js';
import { defaultConfig, type GatesConfig } from '../../../src/schema/config/defaults.js';
import type { FileChange } from '../../../src/kernel/changes.js';

const Z = '0'.repeat(40);
const B1 = '1'.repeat(40);
const B2 = '2'.repeat(40);

function ch(path: string, over: Partial<FileChange> = {}): FileChange {
  return { status: 'M', path, oldMode: '100644', newMode: '100644', oldBlob: B1, newBlob: B2, added: 1, deleted: 1, ...over };
}

const FM = '---\ntitle: a\n---\n';
function md(path: string, oldText = `${FM}# a\n`, newText = `${FM}# b\n`): [string, { old: string; new: string }] {
  return [path, { old: oldText, new: newText }];
}

describe('classify: tiers', () => {
  const cfg = defaultConfig();
  const table: Array<[string, FileChange[], string, string[][]]> = [
    ['no gated path → AUTO', [ch('src/a.ts'), ch('README.md')], 'AUTO', []],
    ['a rules file → CONFIRM', [ch('rules/x.ts')], 'CONFIRM', [['agent-rules']]],
    ['adr → DOUBLE_CONFIRM', [ch('adr/0001-x.md', { status: 'A', oldBlob: Z, oldMode: '000000' })], 'DOUBLE_CONFIRM', [['adr']]],
    ['max over files', [ch('rules/x.ts'), ch('adr/0001.md')], 'DOUBLE_CONFIRM', [['agent-rules'], ['adr']]],
    ['a file in two surfaces takes the higher tier', [ch('rules/gate-b.md')], 'DOUBLE_CONFIRM', [['agent-rules', 'gate-control']]],
    ['a deleted gated file is gated', [ch('AGENTS.md', { status: 'D', newBlob: Z, newMode: '000000' })], 'CONFIRM', [['agent-instructions']]],
    ['a rename out of a surface is gated by its old path', [ch('docs/x.md', { status: 'R', oldPath: 'rules/x.md' })], 'CONFIRM', [['agent-rules']]],
    ['a rename into a surface is gated by its new path', [ch('.husky/pre-commit', { status: 'R', oldPath: 'tmp/hook' })], 'DOUBLE_CONFIRM', [['gate-control']]],
    ['the gate config is gated even when absent from the config', [ch('.agents/gates.yaml')], 'DOUBLE_CONFIRM', [['gate-control']]],
    ['root-anchored globs do not match deeper paths', [ch('sub/AGENTS.md')], 'AUTO', []],
  ];
  for (const [name, changes, tier, surfaces] of table) {
    it(name, () => {
      const v = classify(changes, cfg, new Map());
      expect(v.classified_tier).toBe(tier);
      expect(v.files.map((f) => f.surfaces)).toEqual(surfaces);
    });
  }

  it('records old path, blobs and status of each gated file', () => {
    const v = classify([ch('docs/x.md', { status: 'R', oldPath: 'rules/x.md' })], cfg);
    expect(v.files[0]).toEqual({ path: 'docs/x.md', old_path: 'rules/x.md', status: 'R', blob: B2, old_blob: B1, tier: 'CONFIRM', surfaces: ['agent-rules'], self_reinforcing: false });
  });

  it('a self-reinforcing surface is DOUBLE_CONFIRM even when configured lower', () => {
    const c: GatesConfig = { ...cfg, surfaces: [{ name: 'hooks', paths: ['hooks/**'], tier: 'CONFIRM', self_reinforcing: true }] };
    const v = classify([ch('hooks/x.md')], c, new Map([md('hooks/x.md')]));
    expect(v.tier).toBe('DOUBLE_CONFIRM');
    expect(v.self_reinforcing).toBe(true);
    expect(v.carve_out.applied).toBe(false);
    expect(v.carve_out.failed.map((f) => f.condition)).toEqual(['self_reinforcing']);
  });

  it('a surface configured AUTO does not gate its files', () => {
    const c: GatesConfig = { ...cfg, surfaces: [{ name: 'logs', paths: ['logs/**'], tier: 'AUTO', self_reinforcing: false }] };
    expect(classify([ch('logs/a.md')], c).files).toEqual([]);
  });

  it('the built-in floor keeps .agents/gates.yaml gated when the config lists no surfaces', () => {
    const v = classify([ch('.agents/gates.yaml')], { ...cfg, surfaces: [] });
    expect(v.tier).toBe('DOUBLE_CONFIRM');
  });

  it('is linear: 20,000 unmatched paths classify without per-surface work', () => {
    const changes = Array.from({ length: 20_000 }, (_, i) => ch(`src/f${i}.ts`));
    expect(classify(changes, cfg).files).toEqual([]);
  });
});

describe('classify: the doc-only carve-out', () => {
  // rules/** and skills/** are agent instructions: carved out only when the config says so (issue 14)
  const cfg: GatesConfig = { ...defaultConfig(), doc_only: { enabled: true, max_changed_lines: 20, agent_instructions: true } }; // max_changed_lines 20
  const ok = ch('rules/a.md');

  it('applies to a small Markdown edit with unchanged front matter → AUTO', () => {
    const v = classify([ok], cfg, new Map([md('rules/a.md')]));
    expect(v.tier).toBe('AUTO');
    expect(v.classified_tier).toBe('CONFIRM');
    expect(v.carve_out.applied).toBe(true);
    expect(v.carve_out.reason).toContain('doc-only carve-out');
    expect(v.carve_out.changed_lines).toBe(2);
  });

  it('applies exactly at the threshold, and to several files', () => {
    const v = classify([ch('rules/a.md', { added: 10, deleted: 10 })], cfg, new Map([md('rules/a.md')]));
    expect(v.carve_out.applied).toBe(true);
    const two = classify([ch('rules/a.md', { added: 1, deleted: 0 }), ch('skills/b.md', { added: 0, deleted: 0 })], cfg, new Map([md('rules/a.md'), md('skills/b.md')]));
    expect(two.carve_out.reason).toContain('2 Markdown files modified, front matter unchanged, 1 changed line (≤ 20)');
  });

  it('asks for the contents it needs, and fails closed without them', () => {
    const v = classify([ok], cfg);
    expect(v.contents_needed).toEqual(['rules/a.md']);
    expect(v.tier).toBe('CONFIRM');
    expect(v.carve_out.failed.map((f) => f.condition)).toEqual(['front_matter_unreadable']);
  });

  const escalations: Array<[string, FileChange[], ContentsByPath, string]> = [
    ['front matter changed', [ok], new Map([md('rules/a.md', `${FM}x\n`, '---\ntitle: b\n---\nx\n')]), 'front_matter_changed'],
    ['front matter added', [ok], new Map([md('rules/a.md', 'x\n', `${FM}x\n`)]), 'front_matter_changed'],
    ['front matter removed', [ok], new Map([md('rules/a.md', `${FM}x\n`, 'x\n')]), 'front_matter_changed'],
    ['one line over the threshold', [ch('rules/a.md', { added: 11, deleted: 10 })], new Map([md('rules/a.md')]), 'too_many_lines'],
    ['over the threshold summed across files', [ch('rules/a.md', { added: 10, deleted: 0 }), ch('rules/b.md', { added: 11, deleted: 0 })], new Map([md('rules/a.md'), md('rules/b.md')]), 'too_many_lines'],
    ['not Markdown', [ch('rules/a.txt')], new Map(), 'not_markdown'],
    ['added', [ch('rules/a.md', { status: 'A', oldBlob: Z, oldMode: '000000' })], new Map(), 'not_modified'],
    ['deleted', [ch('rules/a.md', { status: 'D', newBlob: Z, newMode: '000000' })], new Map(), 'not_modified'],
    ['renamed', [ch('rules/b.md', { status: 'R', oldPath: 'rules/a.md' })], new Map(), 'not_modified'],
    ['mode changed', [ch('rules/a.md', { newMode: '100755' })], new Map([md('rules/a.md')]), 'mode_changed'],
    ['binary (no line counts)', [ch('rules/a.md', { added: undefined, deleted: undefined })], new Map([md('rules/a.md')]), 'binary'],
  ];
  for (const [name, changes, contents, condition] of escalations) {
    it(`escalates alone: ${name}`, () => {
      const v = classify(changes, cfg, contents);
      expect(v.tier).toBe('CONFIRM');
      expect(v.carve_out.considered).toBe(true);
      expect(v.carve_out.applied).toBe(false);
      expect([...new Set(v.carve_out.failed.map((f) => f.condition))]).toEqual([condition]);
      expect(v.carve_out.reason).toContain('escalated');
    });
  }

  it('reports every failed condition at once', () => {
    const v = classify([ch('rules/a.txt', { status: 'A', oldBlob: Z, oldMode: '000000', added: 30, deleted: 0 })], cfg);
    expect(v.carve_out.failed.map((f) => f.condition).sort()).toEqual(['not_markdown', 'not_modified', 'too_many_lines']);
  });

  it('is never considered for DOUBLE_CONFIRM', () => {
    const v = classify([ch('adr/0001.md')], cfg, new Map([md('adr/0001.md')]));
    expect(v.tier).toBe('DOUBLE_CONFIRM');
    expect(v.carve_out.considered).toBe(false);
    expect(v.carve_out.failed.map((f) => f.condition)).toEqual(['tier_double_confirm']);
  });

  it('is off when disabled', () => {
    const v = classify([ok], { ...cfg, doc_only: { enabled: false, max_changed_lines: 20, agent_instructions: true } }, new Map([md('rules/a.md')]));
    expect(v.tier).toBe('CONFIRM');
    expect(v.carve_out.failed.map((f) => f.condition)).toEqual(['disabled']);
  });

  it('ignores ungated files when counting lines and checking Markdown', () => {
    const v = classify([ok, ch('src/big.ts', { added: 900, deleted: 900 })], cfg, new Map([md('rules/a.md')]));
    expect(v.carve_out.applied).toBe(true);
  });
});

describe('frontMatter', () => {
  const table: Array<[string, string | undefined]> = [
    ['# no front matter\n', undefined],
    ['---\na: 1\n---\nbody\n', 'a: 1\n'],
    ['---\r\na: 1\r\n---\r\nbody', 'a: 1\r\n'],
    ['---\na: 1\n...\nbody\n', 'a: 1\n'],
    ['\uFEFF---\na: 1\n---\n', 'a: 1\n'],
    ['---\na: 1\n', 'unterminated:a: 1\n'],
    ['text\n---\na: 1\n---\n', undefined],
  ];
  for (const [text, want] of table) it(JSON.stringify(text), () => expect(frontMatter(text)).toBe(want));
});

describe('strictestConfig', () => {
  it('unions surfaces, ANDs the carve-out and takes the lower threshold', () => {
    const a = defaultConfig();
    const b: GatesConfig = { ...a, surfaces: [], doc_only: { enabled: true, max_changed_lines: 500, agent_instructions: false } };
    const c = strictestConfig(a, b);
    expect(c.surfaces.map((s) => s.name)).toEqual(a.surfaces.map((s) => s.name));
    expect(c.doc_only).toEqual({ enabled: true, max_changed_lines: 20, agent_instructions: false });
    expect(strictestConfig({ ...a, doc_only: { enabled: false, max_changed_lines: 5, agent_instructions: false } }, a).doc_only).toEqual({ enabled: false, max_changed_lines: 5, agent_instructions: false });
  });
});

describe('requiredSteps and fileListChanges', () => {
  it('steps per tier', () => {
    expect(requiredSteps('AUTO')).toEqual([]);
    expect(requiredSteps('CONFIRM')).toEqual(['confirm']);
    expect(requiredSteps('DOUBLE_CONFIRM')).toEqual(['intent', 'diff']);
  });
  it('names every difference', () => {
    const f = (path: string, blob = B1, tier: 'CONFIRM' | 'DOUBLE_CONFIRM' = 'CONFIRM', status: 'M' | 'A' = 'M') => ({ path, blob, tier, status });
    expect(fileListChanges([f('a'), f('b')], [f('a')])).toEqual(['b: in the explanation but no longer staged']);
    expect(fileListChanges([f('a')], [f('a'), f('c')])).toEqual(['c: staged but not in the explanation']);
    expect(fileListChanges([f('a')], [f('a', B2)])[0]).toContain('content changed');
    expect(fileListChanges([f('a')], [f('a', B1, 'DOUBLE_CONFIRM')])).toEqual(['a: tier CONFIRM → DOUBLE_CONFIRM']);
    expect(fileListChanges([f('a')], [f('a', B1, 'CONFIRM', 'A')])).toEqual(['a: status M → A']);
    expect(fileListChanges([f('a')], [f('a')])).toEqual([]);
  });
});
