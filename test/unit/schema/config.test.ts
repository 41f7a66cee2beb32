import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/adapters/config-file.js';
import { validateConfig } from '../../../src/schema/config/schema.js';
import { defaultConfig } from '../../../src/schema/config/defaults.js';
import { GateError } from '../../../src/kernel/errors.js';

async function problems(text: string): Promise<{ code: string; exit: number; details: readonly string[]; fix?: string }> {
  try {
    await parseConfigText(text);
  } catch (e) {
    if (e instanceof GateError) return { code: e.code, exit: e.exitCode, details: e.details, ...(e.fix ? { fix: e.fix } : {}) };
    throw e;
  }
  throw new Error('expected the config to be rejected');
}

describe('valid configurations', () => {
  it.each([
    ['an empty file (all defaults)', ''],
    ['only a version', 'version: 1\n'],
    ['a $schema key', '$schema: ../node_modules/agent-gates/schema/gates.schema.json\n'],
    ['a custom surface', 'surfaces:\n  - name: my-prompts\n    paths: ["prompts/**"]\n    tier: AUTO\n'],
    ['partial sections', 'handoff:\n  lease_ttl: 2h\ndoc_only:\n  max_changed_lines: 0\n'],
  ])('%s', async (_what, text) => {
    const cfg = await parseConfigText(text);
    expect(cfg.version).toBe(1);
  });

  it('fills defaults for what is not given', async () => {
    const cfg = await parseConfigText('handoff:\n  lease_ttl: 2h\n');
    expect(cfg.handoff.lease_ttl).toBe('2h');
    expect(cfg.handoff.paths).toEqual(defaultConfig().handoff.paths);
    expect(cfg.surfaces).toEqual(defaultConfig().surfaces);
  });
});

describe('invalid configurations: CANNOT_EVALUATE, every problem as path: expected', () => {
  const CASES: Array<[string, string, string[]]> = [
    ['an unknown top-level key', 'versoin: 1\n', ['(top level): unknown key "versoin"']],
    ['an unknown nested key', 'handoff:\n  ttl: 30m\n', ['handoff: unknown key "ttl"']],
    ['a bad tier', 'surfaces:\n  - name: x\n    paths: [a/**]\n    tier: MAYBE\n', ['surfaces[0].tier: one of AUTO, CONFIRM, DOUBLE_CONFIRM (got "MAYBE")']],
    ['a wrong type', 'doc_only:\n  max_changed_lines: lots\n', ['doc_only.max_changed_lines: expected number']],
    ['a wrong type for a list', 'handoff:\n  paths: progress.md\n', ['handoff.paths: expected array']],
    ['a bad duration', 'handoff:\n  lease_ttl: soon\n', ['handoff.lease_ttl: a duration like']],
    ['a bad glob', 'handoff:\n  paths: ["/abs.md"]\n', ['handoff.paths[0]: a valid glob']],
    ['a self-reinforcing surface below DOUBLE_CONFIRM', 'surfaces:\n  - name: x\n    paths: [a]\n    tier: CONFIRM\n    self_reinforcing: true\n', ['surfaces[0].tier: DOUBLE_CONFIRM']],
    ['a missing required field', 'surfaces:\n  - name: x\n    tier: AUTO\n', ['surfaces[0].paths: expected array']],
  ];
  it.each(CASES)('%s', async (_what, text, expected) => {
    const p = await problems(text);
    expect(p.code).toBe('CONFIG_INVALID');
    expect(p.exit).toBe(3);
    expect(p.fix).toContain('gate doctor');
    for (const want of expected) expect(p.details.some((d) => d.startsWith(want)), `${want} in ${p.details.join(' | ')}`).toBe(true);
  });

  it('lists every problem at once, not just the first', async () => {
    const p = await problems('bogus: 1\nsurfaces:\n  - name: x\n    paths: [a]\n    tier: NOPE\ndoc_only:\n  max_changed_lines: -1\n');
    expect(p.details.length).toBeGreaterThanOrEqual(3);
    expect(p.details.join('\n')).toMatch(/unknown key "bogus"/);
    expect(p.details.join('\n')).toMatch(/surfaces\[0\]\.tier/);
    expect(p.details.join('\n')).toMatch(/doc_only\.max_changed_lines/);
  });

  it.each([
    ['bad indentation', 'handoff:\n  paths:\n - a\n    - b\n'],
    ['a duplicate key', 'version: 1\nversion: 1\n'],
    ['an unclosed flow sequence', 'handoff:\n  paths: [a, b\n'],
  ])('bad YAML (%s) names the line', async (_what, text) => {
    const p = await problems(text);
    expect(p.code).toBe('CONFIG_INVALID');
    expect(p.details[0]).toMatch(/^line \d+, column \d+: /);
  });

  it('a document that is not a mapping is rejected', () => {
    const r = validateConfig(['a', 'b']);
    expect(r.ok).toBe(false);
  });
});
