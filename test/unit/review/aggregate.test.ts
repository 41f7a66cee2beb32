import { describe, expect, it } from 'vitest';
import { ReviewAggregator } from '../../../src/review/aggregate.js';
import { defaultConfig } from '../../../src/schema/config/defaults.js';
import { asEntries, D, EXPECTED, H, M, reviewEvents } from '../../helpers/review-fixture.js';

const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);

function aggregate(now = NOW, since = now - 30 * D) {
  const agg = new ReviewAggregator({ config: defaultConfig(), sinceMs: since, nowMs: now });
  for (const e of asEntries(reviewEvents(now))) agg.push(e);
  return agg.result();
}

describe('ReviewAggregator on the fixture ledger (default config, 30 days)', () => {
  const r = aggregate();
  it('counts entries in and out of the window', () => {
    expect(r.entries).toBe(EXPECTED.entries);
    expect(r.entriesInWindow).toBe(EXPECTED.entriesInWindow);
    expect(r.malformed).toBe(0);
  });
  it('Gate A figures', () => {
    expect(r.leases).toEqual(EXPECTED.leases);
  });
  it('Gate B figures', () => {
    expect(r.gateB).toEqual(EXPECTED.gateB);
  });
  it('ADR figures from the ledger', () => {
    expect(r.adr).toEqual(EXPECTED.adr);
  });
  it('the timeline holds every event of the window, one bucket per day', () => {
    expect(r.timeline.bucketDays).toBe(1);
    expect(r.timeline.buckets.length).toBe(31);
    const sum = (k: 'commits' | 'gated' | 'blocks' | 'approvals' | 'rejections') => r.timeline.buckets.reduce((a, b) => a + b[k], 0);
    expect({ commits: sum('commits'), gated: sum('gated'), blocks: sum('blocks'), approvals: sum('approvals'), rejections: sum('rejections') }).toEqual(EXPECTED.timelineTotals);
  });
  it('counts events by type', () => {
    expect(r.byEvent).toMatchObject({ commit: 7, explain: 5, approve: 5, reject: 2, 'check.block': 3, 'lease.grant': 6, 'lease.release': 3, 'lease.deny': 2 });
  });
});

describe('ReviewAggregator: windows and robustness', () => {
  it('a shorter window drops older events but keeps lease state for "now"', () => {
    const r = aggregate(NOW, NOW - 9 * D - H); // excludes the leases (10 days ago)
    expect(r.leases).toMatchObject({ grants: 0, releases: 0, denials: 0, heldNow: 1, expiredNow: 1, holds: { count: 0 } });
    expect(r.gateB.commits).toBe(7);
  });
  it('an approval whose explain is outside the window is not timed', () => {
    const r = aggregate(NOW, NOW - 9 * D + 30 * M); // drops the first explain and its approval; keeps 10 min and 30 min
    expect(r.gateB.timeToApproval.count).toBe(2);
    expect(r.gateB.timeToApproval.medianMs).toBe(20 * M);
  });
  it('missing or odd fields are not counted and never throw', () => {
    const agg = new ReviewAggregator({ config: defaultConfig(), sinceMs: 0, nowMs: NOW });
    const base = { seq: 1, ts: new Date(NOW - H).toISOString(), actor: { kind: 'agent', id: 'a' }, prev: '0'.repeat(64) } as const;
    agg.push({ ...base, event: 'commit', subject: {}, data: {} } as never);
    agg.push({ ...base, event: 'check.block', subject: { paths: [42] }, data: { codes: 'nope', findings: [null] } } as never);
    agg.push({ ...base, event: 'approve', subject: {}, data: {} } as never);
    agg.push({ ...base, ts: 'not a date', event: 'commit', subject: {}, data: {} } as never);
    agg.push(null as never);
    const r = agg.result();
    expect(r.entries).toBe(5);
    expect(r.malformed).toBe(2);
    expect(r.gateB.commitsByTier).toEqual({ unrecorded: 1 });
    expect(r.gateB.gatedCommits).toBe(0);
    expect(r.gateB.blocks).toBe(1);
    expect(r.gateB.blocksByReason).toEqual({});
    expect(r.gateB.approvalsByStep).toEqual({ unspecified: 1 });
    expect(r.gateB.approvalsByMethod).toEqual({ unrecorded: 1 });
  });
  it('a Gate B block that names only the sidecar is attributed through the explain of the same tree', () => {
    const agg = new ReviewAggregator({ config: defaultConfig(), sinceMs: 0, nowMs: NOW });
    const at = (i: number) => new Date(NOW - H + i * 1000).toISOString();
    const e = (i: number, event: string, subject: Record<string, unknown>, data: Record<string, unknown> = {}) =>
      agg.push({ seq: i, ts: at(i), event, actor: { kind: 'agent', id: 'a' }, subject, data, prev: '' } as never);
    e(1, 'check.block', { tree: 't1', paths: ['.agents/gate-b/explain-t1.yaml'] }, { codes: ['B_NO_SIDECAR'], findings: [{ gate: 'B', code: 'B_NO_SIDECAR', path: '.agents/gate-b/explain-t1.yaml' }] });
    e(2, 'check.block', { tree: 't1', paths: ['.agents/gate-b/explain-t1.yaml'] }, { codes: ['B_NO_SIDECAR'], findings: [] });
    e(3, 'check.block', { tree: 't2', paths: [] }, { codes: ['B_NO_SIDECAR'], findings: [] });
    e(4, 'explain', { tree: 't1', paths: ['rules/a.md'] });
    e(5, 'explain', { tree: 't1', paths: ['rules/a.md'] });
    const s = agg.result().gateB.surfaces.find((x) => x.name === 'agent-rules')!;
    expect(s.blocks).toBe(2);
  });
  it('memory stays bounded: 200k entries over 200k distinct paths keep capped maps', () => {
    const agg = new ReviewAggregator({ config: defaultConfig(), sinceMs: 0, nowMs: NOW });
    const ts = new Date(NOW - H).toISOString();
    for (let i = 0; i < 200_000; i++) {
      agg.push({ seq: i + 1, ts, event: 'reject', actor: { kind: 'human', id: 'h' }, subject: { tree: `${i}`, paths: [`rules/${i}.md`] }, data: {}, prev: '' });
    }
    const r = agg.result();
    expect(r.gateB.rejections).toBe(200_000);
    expect(r.gateB.rejectedPaths.length).toBe(50);
    expect(r.gateB.surfaces.find((s) => s.name === 'agent-rules')!.rejections).toBe(200_000);
  });
});
