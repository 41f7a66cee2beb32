import { describe, expect, it } from 'vitest';
import { ReviewAggregator } from '../../../src/review/aggregate.js';
import { computeDrift } from '../../../src/review/drift.js';
import { recommend } from '../../../src/review/recommend.js';
import type { ReviewReport } from '../../../src/review/report.js';
import { renderHtml } from '../../../src/review/render-html.js';
import { renderMarkdown, renderText } from '../../../src/review/render-text.js';
import { defaultConfig } from '../../../src/schema/config/defaults.js';
import { asEntries, D, reviewEvents } from '../../helpers/review-fixture.js';

const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);

function report(trusted: boolean): ReviewReport {
  const config = defaultConfig();
  const agg = new ReviewAggregator({ config, sinceMs: NOW - 30 * D, nowMs: NOW });
  for (const e of asEntries(reviewEvents(NOW))) agg.push(e);
  const ledger = agg.result();
  const bypasses = [{ commit: 'a'.repeat(40), subject: 'sneak <script>', tier: 'CONFIRM', violations: [{ code: 'C_UNAPPROVED', path: 'rules/<x>.md', requiredTier: 'CONFIRM', missing: 'no approval note' }] }];
  return {
    tool: 'agent-gates',
    generatedAt: new Date(NOW).toISOString(),
    repository: '/repo',
    window: { since: new Date(NOW - 30 * D).toISOString(), until: new Date(NOW).toISOString(), label: '30d' },
    trusted,
    integrity: { ok: trusted, entries: 38, warnings: [], path: '/repo/.git/agent-gates/ledger.jsonl', ...(trusted ? {} : { problem: { line: 5, reason: 'edited', message: 'line 5 does not hash to the prev recorded in line 6: it was edited' } }) },
    ledger,
    leaseRecords: { available: true, held: 1, expired: 0, leases: [{ path: 'tasks/2/progress.md', owner: 'agent-f', acquired: '2026-06-05T16:00:00.000Z', expires: '2026-06-16T12:00:00.000Z', expired: false }] },
    history: { commits: 3, byTier: { AUTO: 2, CONFIRM: 1 }, withNotes: 0, carveOuts: 0, bypasses },
    adr: { available: true, byStatus: { accepted: 2, proposed: 1 }, invalid: 0, created: 1, accepted: 1, blockedEdits: 1, check: { ok: true, findings: [] } },
    health: { available: true, healthy: true, findings: [{ id: 'config', title: 'config', status: 'ok', message: 'fine' }] },
    drift: computeDrift({ files: ['rules/a.md'], config, texts: [] }),
    thresholds: { min_samples: 5, noisy_surface_share: 0.5, rubber_stamp_rate: 0.95, double_confirm_share: 0.5, recurring_rejections: 2 },
    recommendations: recommend({ ledger, bypasses, thresholds: config.review }),
  };
}

describe('renderers', () => {
  it('text: sections in order with the fixture figures', () => {
    const t = renderText(report(true));
    const order = ['Integrity', 'Gate A: leases', 'Gate B: control-plane changes', 'ADRs', 'Bypass:', 'Health (gate doctor)', 'Drift', 'Recommendations'].map((h) => t.indexOf(`\n${h}`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(t).toMatch(/grants\s+6\n/);
    expect(t).toMatch(/median hold\s+30m 0s\n/);
    expect(t).toMatch(/longest hold\s+50m 0s\n/);
    expect(t).toMatch(/lease records now: held\s+1\n/);
    expect(t).toMatch(/tasks\/2\/progress.md\s+agent-f\s+2026-06-05T16:00:00.000Z\s+2026-06-16T12:00:00.000Z\s+held\n/);
    expect(t).toMatch(/commits by tier\s+AUTO 3, CONFIRM 2, DOUBLE_CONFIRM 2\n/);
    expect(t).toMatch(/DOUBLE_CONFIRM share of gated\s+50%\n/);
    expect(t).toMatch(/explain → approval, median\s+10m 0s \(n=3\)\n/);
    expect(t).toMatch(/explain → approval, p90\s+26m 0s\n/);
    expect(t).toMatch(/carve-outs escalated\s+2 \(not_modified 1, too_many_lines 1\)\n/);
    expect(t).toMatch(/agent-rules\s+CONFIRM\s+3\s+42.9%\s+2\s+1\s+2\n/);
    expect(t).toContain('Changes to rules/b.md keep being rejected');
    expect(t).not.toContain('UNTRUSTED');
  });
  it('text, md and html: an untrusted ledger puts the banner first and marks every section', () => {
    const r = report(false);
    const t = renderText(r);
    expect(t.split('\n')[1]).toMatch(/^UNTRUSTED: the ledger does not verify \(line 5: edited/);
    expect(t.match(/\[UNTRUSTED\]/g)!.length).toBe(7);
    const md = renderMarkdown(r);
    expect(md.split('\n')[2]).toMatch(/^> \*\*UNTRUSTED/);
    expect(md.match(/ \(untrusted\)$/gm)!.length).toBe(7);
    const html = renderHtml(r);
    expect(html).toMatch(/<div class="banner" role="alert">UNTRUSTED: the ledger does not verify/);
    expect(html).toContain('<div class="untrusted">');
  });
  it('html: one self-contained file with inline SVG charts, no scripts or external assets, text escaped', () => {
    const html = renderHtml(report(true));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)!.length).toBe(5);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
    expect(html).not.toContain('<x>');
    expect(html).toContain('rules/&lt;x&gt;.md');
    expect(html).toContain('sneak &lt;script&gt;');
    expect(html).toContain('Time from explain to approval (n=3, median 10m 0s, p90 26m 0s)');
  });
  it('md: tables for every section', () => {
    const md = renderMarkdown(report(true));
    expect(md).toContain('| grants | 6 |');
    expect(md).toContain('| agent-rules | CONFIRM | 3 | 42.9% | 2 | 1 | 2 |');
  });
});
