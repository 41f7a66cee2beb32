import { describe, expect, it } from 'vitest';
import { weakenings, type WeakeningKind } from '../../../src/gates/config-diff.js';
import { defaultConfig, type GatesConfig } from '../../../src/schema/config/defaults.js';

const base = defaultConfig();
function withSurfaces(fn: (s: GatesConfig['surfaces']) => GatesConfig['surfaces']): GatesConfig {
  return { ...base, surfaces: fn(structuredClone(base.surfaces)) };
}

describe('weakenings of .agents/gates.yaml', () => {
  const table: Array<[string, GatesConfig, WeakeningKind[], RegExp]> = [
    ['a surface removed', withSurfaces((s) => s.filter((x) => x.name !== 'adr')), ['surface_removed'], /surface "adr" .* is removed/],
    ['a tier lowered', withSurfaces((s) => s.map((x) => (x.name === 'adr' ? { ...x, tier: 'CONFIRM' } : x))), ['tier_lowered'], /"adr" tier is lowered from DOUBLE_CONFIRM to CONFIRM/],
    ['self-reinforcing turned off', withSurfaces((s) => s.map((x) => (x.name === 'gate-control' ? { ...x, self_reinforcing: false } : x))), ['self_reinforcing_removed'], /no longer self-reinforcing/],
    ['a glob narrowed', withSurfaces((s) => s.map((x) => (x.name === 'agent-rules' ? { ...x, paths: ['rules/*.md'] } : x))), ['glob_narrowed'], /glob "rules\/\*\*" is replaced by "rules\/\*\.md"/],
    ['a glob removed', withSurfaces((s) => s.map((x) => (x.name === 'agent-instructions' ? { ...x, paths: ['AGENTS.md'] } : x))), ['glob_removed', 'glob_removed'], /glob "CLAUDE.md" is removed/],
    ['the carve-out threshold raised', { ...base, doc_only: { enabled: true, max_changed_lines: 21, agent_instructions: false } }, ['carve_out_threshold_raised'], /raised from 20 to 21/],
    ['approvals valid longer', { ...base, approval: { ...base.approval, max_age: '30d' } }, ['approval_max_age_raised'], /max_age 7d → 30d/],
    ['the allowed signers file moved', { ...base, approval: { ...base.approval, allowed_signers: 'tmp/signers' } }, ['allowed_signers_moved'], /moves from .agents\/allowed_signers to tmp\/signers/],
    ['a handoff glob removed', { ...base, handoff: { ...base.handoff, paths: base.handoff.paths.slice(1) } }, ['handoff_glob_removed'], /handoff glob "\*\*\/progress.md" is removed/],
  ];
  for (const [name, after, kinds, re] of table) {
    it(name, () => {
      const w = weakenings(base, after);
      expect(w.map((x) => x.kind)).toEqual(kinds);
      expect(w.map((x) => x.message).join('\n')).toMatch(re);
    });
  }

  it('the carve-out being enabled', () => {
    const off: GatesConfig = { ...base, doc_only: { enabled: false, max_changed_lines: 20, agent_instructions: false } };
    expect(weakenings(off, base).map((x) => x.kind)).toEqual(['carve_out_enabled']);
  });

  it('signature and strength relaxations', () => {
    const strict: GatesConfig = { ...base, approval: { ...base.approval, require_signature: true, min_strength: 'fido-touch' } };
    expect(weakenings(strict, base).map((x) => x.kind)).toEqual(['signature_no_longer_required', 'approval_strength_lowered']);
  });

  it('tightening is not a weakening', () => {
    const tighter = withSurfaces((s) => [...s.map((x) => (x.name === 'agent-rules' ? { ...x, tier: 'DOUBLE_CONFIRM' as const, paths: [...x.paths, 'more/**'] } : x)), { name: 'new', paths: ['x/**'], tier: 'CONFIRM', self_reinforcing: false }]);
    expect(weakenings(base, { ...tighter, doc_only: { enabled: false, max_changed_lines: 5, agent_instructions: false } })).toEqual([]);
    expect(weakenings(base, base)).toEqual([]);
  });

  it('names every weakening at once', () => {
    const after: GatesConfig = { ...withSurfaces((s) => s.filter((x) => x.name !== 'skills')), doc_only: { enabled: true, max_changed_lines: 100, agent_instructions: false } };
    expect(weakenings(base, after).map((x) => x.kind)).toEqual(['surface_removed', 'carve_out_threshold_raised']);
  });
});
