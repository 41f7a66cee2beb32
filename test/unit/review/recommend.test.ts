/**
 * Every recommendation: one fixture that triggers it and one that does not, each asserting the
 * evidence and the threshold it quotes.
 */
import { describe, expect, it } from 'vitest';
import { ReviewAggregator, type LedgerFigures } from '../../../src/review/aggregate.js';
import { recommend, type RecommendationKind } from '../../../src/review/recommend.js';
import { defaultConfig, type GatesConfig } from '../../../src/schema/config/defaults.js';
import type { LedgerEntry } from '../../../src/schema/ledger/schema.js';
import type { BypassCommit } from '../../../src/review/report.js';

const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);
const TH = defaultConfig().review; // min_samples 5, noisy 0.5, rubber 0.95, double 0.5, recurring 2

type Ev = Pick<LedgerEntry, 'event'> & { paths?: string[]; tree?: string; data?: Record<string, unknown> };

function figures(events: Ev[], config: GatesConfig = defaultConfig()): LedgerFigures {
  const agg = new ReviewAggregator({ config, sinceMs: NOW - 30 * 86_400_000, nowMs: NOW });
  events.forEach((e, i) =>
    agg.push({ seq: i + 1, ts: new Date(NOW - 3_600_000 + i * 1000).toISOString(), event: e.event, actor: { kind: 'agent', id: 'a' }, subject: { paths: e.paths ?? [], ...(e.tree ? { tree: e.tree } : {}) }, data: e.data ?? {}, prev: '' }),
  );
  return agg.result();
}

const commit = (paths: string[], tier: string, extra: Record<string, unknown> = {}): Ev => ({ event: 'commit', paths, data: { gate_b: { tier, classified_tier: tier, ...extra } } });
const approve = (paths: string[]): Ev => ({ event: 'approve', paths, data: { step: 'confirm' } });
const reject = (paths: string[]): Ev => ({ event: 'reject', paths, data: { reason: 'no' } });
const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

const kinds = (l: LedgerFigures, bypasses: BypassCommit[] = [], thresholds = TH) => recommend({ ledger: l, bypasses, thresholds }).map((r) => `${r.kind}${r.subject ? `:${r.subject}` : ''}`);
const only = (l: LedgerFigures, kind: RecommendationKind, bypasses: BypassCommit[] = []) => recommend({ ledger: l, bypasses, thresholds: TH }).filter((r) => r.kind === kind);

// A config with one surface, so "silent surface" does not fire for the others in every fixture.
const ONE: GatesConfig = { ...defaultConfig(), surfaces: [{ name: 'agent-rules', paths: ['rules/**'], tier: 'CONFIRM', self_reinforcing: false }] };
const TWO: GatesConfig = { ...defaultConfig(), surfaces: [...ONE.surfaces, { name: 'adr', paths: ['adr/**'], tier: 'DOUBLE_CONFIRM', self_reinforcing: false }] };

describe('narrow a noisy surface', () => {
  it('fires at 3 of 5 commits (60% ≥ 50%)', () => {
    const l = figures([...times(3, () => commit(['rules/a.md'], 'CONFIRM')), ...times(2, () => commit(['src/x.ts'], 'AUTO'))], ONE);
    const r = only(l, 'narrow-noisy-surface');
    expect(r).toHaveLength(1);
    expect(r[0]!.subject).toBe('agent-rules');
    expect(r[0]!.evidence).toEqual(['fired on 3 of 5 recorded commits (60%)']);
    expect(r[0]!.threshold).toBe('review.noisy_surface_share = 0.5 (50%), with at least review.min_samples = 5 commits');
  });
  it('does not fire at 2 of 5 commits (40%)', () => {
    const l = figures([...times(2, () => commit(['rules/a.md'], 'CONFIRM')), ...times(3, () => commit(['src/x.ts'], 'AUTO'))], ONE);
    expect(only(l, 'narrow-noisy-surface')).toEqual([]);
  });
  it('does not fire below min_samples (3 of 4 commits)', () => {
    const l = figures([...times(3, () => commit(['rules/a.md'], 'CONFIRM')), commit(['src/x.ts'], 'AUTO')], ONE);
    expect(only(l, 'narrow-noisy-surface')).toEqual([]);
  });
});

describe('narrow a rubber-stamp surface', () => {
  it('fires at 5 approvals, 0 rejections (100% ≥ 95%)', () => {
    const l = figures(times(5, () => approve(['rules/a.md'])), ONE);
    const r = only(l, 'narrow-rubber-stamp-surface');
    expect(r).toHaveLength(1);
    expect(r[0]!.evidence).toEqual(['5 approvals, 0 rejections (100% approved)']);
    expect(r[0]!.threshold).toBe('review.rubber_stamp_rate = 0.95 (95%), with at least review.min_samples = 5 decisions');
  });
  it('does not fire at 5 approvals, 1 rejection (83.3%)', () => {
    const l = figures([...times(5, () => approve(['rules/a.md'])), reject(['rules/a.md'])], ONE);
    expect(only(l, 'narrow-rubber-stamp-surface')).toEqual([]);
  });
  it('does not fire below min_samples (4 approvals)', () => {
    expect(only(figures(times(4, () => approve(['rules/a.md'])), ONE), 'narrow-rubber-stamp-surface')).toEqual([]);
  });
});

describe('question a surface that never fired', () => {
  it('fires for a surface with no activity across 5 commits', () => {
    const l = figures(times(5, () => commit(['rules/a.md'], 'CONFIRM')), TWO);
    const r = only(l, 'question-silent-surface');
    expect(r.map((x) => x.subject)).toEqual(['adr']);
    expect(r[0]!.evidence).toEqual(['0 fires, blocks, approvals or rejections across 5 recorded commits']);
  });
  it('does not fire when the surface saw one block', () => {
    const l = figures([...times(5, () => commit(['rules/a.md'], 'CONFIRM')), { event: 'check.block', paths: ['adr/0001-x.md'], data: { codes: ['ADR_IMMUTABLE'], findings: [{ gate: 'adr', code: 'ADR_IMMUTABLE', path: 'adr/0001-x.md' }] } }], TWO);
    expect(only(l, 'question-silent-surface')).toEqual([]);
  });
  it('does not fire with too few commits to judge (4)', () => {
    expect(only(figures(times(4, () => commit(['rules/a.md'], 'CONFIRM')), TWO), 'question-silent-surface')).toEqual([]);
  });
});

describe('lower ceremony where DOUBLE_CONFIRM dominates', () => {
  it('fires at 3 of 5 gated commits DOUBLE_CONFIRM (60%)', () => {
    const l = figures([...times(3, () => commit(['adr/0001-x.md'], 'DOUBLE_CONFIRM')), ...times(2, () => commit(['rules/a.md'], 'CONFIRM'))], TWO);
    const r = only(l, 'lower-ceremony');
    expect(r).toHaveLength(1);
    expect(r[0]!.evidence).toEqual(['3 of 5 gated commits were DOUBLE_CONFIRM (60%)']);
    expect(r[0]!.threshold).toBe('review.double_confirm_share = 0.5 (50%), with at least review.min_samples = 5 gated commits');
  });
  it('does not fire at 2 of 5 (40%)', () => {
    const l = figures([...times(2, () => commit(['adr/0001-x.md'], 'DOUBLE_CONFIRM')), ...times(3, () => commit(['rules/a.md'], 'CONFIRM'))], TWO);
    expect(only(l, 'lower-ceremony')).toEqual([]);
  });
  it('does not fire below min_samples (4 gated, all DOUBLE_CONFIRM)', () => {
    expect(only(figures(times(4, () => commit(['adr/0001-x.md'], 'DOUBLE_CONFIRM')), TWO), 'lower-ceremony')).toEqual([]);
  });
});

describe('recurring rejected paths', () => {
  it('fires for a path rejected twice', () => {
    const r = only(figures([reject(['rules/a.md']), reject(['rules/a.md']), reject(['rules/b.md'])], ONE), 'recurring-rejections');
    expect(r.map((x) => x.subject)).toEqual(['rules/a.md']);
    expect(r[0]!.evidence).toEqual(['rejected 2 times in the window']);
    expect(r[0]!.threshold).toBe('review.recurring_rejections = 2');
  });
  it('does not fire for paths rejected once each', () => {
    expect(only(figures([reject(['rules/a.md']), reject(['rules/b.md'])], ONE), 'recurring-rejections')).toEqual([]);
  });
});

describe('fix bypasses', () => {
  const bypass: BypassCommit = { commit: 'a'.repeat(40), tier: 'CONFIRM', violations: [{ code: 'C_UNAPPROVED', path: 'rules/a.md', requiredTier: 'CONFIRM', missing: 'no note' }] };
  it('fires for a commit failing the range check', () => {
    const r = only(figures([], ONE), 'fix-bypasses', [bypass]);
    expect(r).toHaveLength(1);
    expect(r[0]!.evidence).toEqual(['1 commit in the window fails `gate check --range`', 'aaaaaaaaaaaa rules/a.md (C_UNAPPROVED, needs CONFIRM)']);
  });
  it('fires when the post-commit hook recorded an unapproved gated commit', () => {
    const r = only(figures([commit(['rules/a.md'], 'CONFIRM', { unapproved: true })], ONE), 'fix-bypasses');
    expect(r[0]!.evidence).toEqual(['the post-commit hook recorded 1 gated commit made without a valid approval']);
  });
  it('does not fire without bypasses', () => {
    expect(only(figures([commit(['rules/a.md'], 'CONFIRM')], ONE), 'fix-bypasses')).toEqual([]);
  });
});

describe('thresholds come from the config', () => {
  it('a stricter noisy_surface_share turns 2 of 5 into a recommendation', () => {
    const l = figures([...times(2, () => commit(['rules/a.md'], 'CONFIRM')), ...times(3, () => commit(['src/x.ts'], 'AUTO'))], ONE);
    expect(kinds(l, [], { ...TH, noisy_surface_share: 0.4 })).toEqual(['narrow-noisy-surface:agent-rules']);
    expect(kinds(l)).toEqual([]);
  });
});
