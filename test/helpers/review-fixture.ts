/**
 * A ledger fixture for `gate review` with known figures. The same events feed the pure aggregator
 * (unit tests) and a real ledger written with LedgerFile.append (integration tests), and
 * EXPECTED holds every figure the report must show for the default config and a 30-day window.
 */
import type { LedgerEntry, LedgerEventInput } from '../../src/schema/ledger/schema.js';

export const M = 60_000;
export const H = 3_600_000;
export const D = 86_400_000;

export interface TimedEvent {
  at: number;
  input: LedgerEventInput;
}

const agent = (id: string) => ({ kind: 'agent' as const, id, session: id });
const human = { kind: 'human' as const, id: 'human:alice@example.com' };
const T = (n: number) => String(n).repeat(40).slice(0, 40);

/** Events relative to `now`: leases ten days ago, Gate B activity nine days ago, one event 40 days ago. */
export function reviewEvents(now: number): TimedEvent[] {
  const t0 = now - 10 * D;
  const t1 = now - 9 * D;
  const ev: TimedEvent[] = [];
  const add = (at: number, input: LedgerEventInput) => ev.push({ at, input });
  const iso = (ms: number) => new Date(ms).toISOString();
  const lease = (event: LedgerEventInput['event'], at: number, who: string, path: string, data: Record<string, unknown> = {}) =>
    add(at, { event, actor: agent(who), subject: { paths: [path] }, data });
  const commit = (at: number, paths: string[], gateB: Record<string, unknown>) =>
    add(at, { event: 'commit', actor: agent('agent-1'), subject: { commit: 'c'.repeat(40), tree: 'd'.repeat(40), paths }, data: { files: paths.length, gate_b: gateB } });

  // outside the 30-day window
  commit(now - 40 * D, ['rules/z.md'], { tier: 'CONFIRM', classified_tier: 'CONFIRM' });

  // Gate A
  lease('lease.grant', t0, 'agent-a', 'tasks/1/progress.md', { token: 1, expires: iso(t0 + 30 * M) });
  lease('lease.release', t0 + 10 * M, 'agent-a', 'tasks/1/progress.md', { token: 1 });
  lease('lease.grant', t0 + H, 'agent-b', 'todos.md', { token: 2, expires: iso(t0 + H + 30 * M) });
  lease('lease.release', t0 + H + 30 * M, 'agent-b', 'todos.md', { token: 2 });
  lease('lease.grant', t0 + 2 * H, 'agent-c', 'tasks/1/progress.md', { token: 3, expires: iso(t0 + 2 * H + 30 * M) });
  lease('lease.deny', t0 + 2 * H + M, 'agent-d', 'tasks/1/progress.md', { held: [{ owner: 'agent-c' }] });
  lease('lease.release', t0 + 2 * H + 50 * M, 'agent-c', 'tasks/1/progress.md', { token: 3 });
  lease('lease.grant', t0 + 3 * H, 'agent-e', 'tasks/2/progress.md', { token: 4, expires: iso(t0 + 3 * H + 30 * M) });
  lease('lease.takeover', t0 + 4 * H, 'agent-f', 'tasks/2/progress.md', { token: 5, expires: iso(now + D), previous: { owner: 'agent-e' } });
  lease('lease.grant', t0 + 5 * H, 'agent-g', 'tasks/3/progress.md', { token: 6, expires: iso(t0 + 5 * H + 30 * M) });
  lease('lease.grant', t0 + 6 * H, 'agent-h', '.agents/buffer.md', { token: 7, expires: iso(t0 + 6 * H + 30 * M) });
  add(t0 + 6 * H + 5 * M, { event: 'lease.break', actor: human, subject: { paths: ['.agents/buffer.md'] }, data: { reason: 'stuck', previous: { owner: 'agent-h' } } });
  lease('lease.deny', t0 + 6 * H + 10 * M, 'agent-x', 'todos.md', { held: [] });

  // Gate B
  const explain = (at: number, tree: string, paths: string[], tier: string) => add(at, { event: 'explain', actor: agent('agent-1'), subject: { tree, paths }, data: { tier, digest: 'e'.repeat(64) } });
  const approve = (at: number, tree: string, paths: string[], step: string, tier: string) => add(at, { event: 'approve', actor: human, subject: { tree, paths }, data: { step, tier, digest: 'e'.repeat(64), method: 'terminal' } });
  const reject = (at: number, tree: string, paths: string[]) => add(at, { event: 'reject', actor: human, subject: { tree, paths }, data: { reason: 'too broad', tier: 'CONFIRM' } });
  const block = (at: number, findings: Array<{ gate: string; code: string; path: string }>) =>
    add(at, { event: 'check.block', actor: agent('agent-1'), subject: { tree: T(9), paths: findings.map((f) => f.path) }, data: { hook: 'pre-commit', codes: findings.map((f) => f.code), findings } });

  explain(t1, T(1), ['rules/a.md'], 'CONFIRM');
  approve(t1 + 4 * M, T(1), ['rules/a.md'], 'confirm', 'CONFIRM');
  commit(t1 + 5 * M, ['rules/a.md'], { tier: 'CONFIRM', classified_tier: 'CONFIRM', carve_out: { applied: false, reason: 'rules/a.md was added', failed: ['not_modified'] } });
  explain(t1 + H, T(2), ['.husky/pre-commit'], 'DOUBLE_CONFIRM');
  approve(t1 + H + 2 * M, T(2), ['.husky/pre-commit'], 'intent', 'DOUBLE_CONFIRM');
  approve(t1 + H + 10 * M, T(2), ['.husky/pre-commit'], 'diff', 'DOUBLE_CONFIRM');
  commit(t1 + H + 11 * M, ['.husky/pre-commit'], { tier: 'DOUBLE_CONFIRM', classified_tier: 'DOUBLE_CONFIRM' });
  explain(t1 + 2 * H, T(3), ['rules/b.md'], 'CONFIRM');
  reject(t1 + 2 * H + M, T(3), ['rules/b.md']);
  explain(t1 + 3 * H, T(4), ['rules/b.md'], 'CONFIRM');
  reject(t1 + 3 * H + M, T(4), ['rules/b.md']);
  block(t1 + 4 * H, [{ gate: 'B', code: 'B_NO_SIDECAR', path: 'rules/c.md' }]);
  block(t1 + 4 * H + M, [
    { gate: 'B', code: 'B_NO_SIDECAR', path: 'rules/c.md' },
    { gate: 'A', code: 'A_LEASE_NOT_HELD', path: 'todos.md' },
  ]);
  block(t1 + 5 * H, [{ gate: 'adr', code: 'ADR_IMMUTABLE', path: 'adr/0001-x.md' }]);
  commit(t1 + 6 * H, ['src/a.ts'], { tier: 'AUTO', classified_tier: 'AUTO' });
  commit(t1 + 6 * H + M, ['src/b.ts'], { tier: 'AUTO', classified_tier: 'AUTO' });
  commit(t1 + 7 * H, ['rules/a.md'], { tier: 'AUTO', classified_tier: 'CONFIRM', carve_out: { applied: true, reason: 'doc-only', failed: [] } });
  commit(t1 + 8 * H, ['rules/d.md'], { tier: 'CONFIRM', classified_tier: 'CONFIRM', unapproved: true, codes: ['B_NO_SIDECAR'], carve_out: { applied: false, reason: 'too long', failed: ['too_many_lines'] } });
  add(t1 + 9 * H, { event: 'adr.new', actor: agent('agent-1'), subject: { paths: ['adr/0002-y.md'] }, data: { number: 2 } });
  add(t1 + 9 * H + 5 * M, { event: 'adr.accept', actor: agent('agent-1'), subject: { paths: ['adr/0002-y.md'] }, data: { number: 2 } });
  explain(t1 + 10 * H, T(5), ['adr/0002-y.md'], 'DOUBLE_CONFIRM');
  approve(t1 + 10 * H + 5 * M, T(5), ['adr/0002-y.md'], 'intent', 'DOUBLE_CONFIRM');
  approve(t1 + 10 * H + 30 * M, T(5), ['adr/0002-y.md'], 'diff', 'DOUBLE_CONFIRM');
  commit(t1 + 10 * H + 31 * M, ['adr/0002-y.md'], { tier: 'DOUBLE_CONFIRM', classified_tier: 'DOUBLE_CONFIRM' });
  return ev;
}

/** The events as ledger entries (for the pure aggregator; the chain is not checked there). */
export function asEntries(events: readonly TimedEvent[]): LedgerEntry[] {
  return events.map((e, i) => ({
    seq: i + 1,
    ts: new Date(e.at).toISOString(),
    event: e.input.event,
    actor: e.input.actor,
    subject: e.input.subject ?? {},
    data: e.input.data ?? {},
    prev: '0'.repeat(64),
  }));
}

const zeroSurface = (name: string, tier: string) => ({ name, tier, fires: 0, blocks: 0, approvals: 0, rejections: 0 });

/** Every figure for the default config and a 30-day window ending at `now`. */
export const EXPECTED = {
  entries: 38,
  entriesInWindow: 37,
  leases: {
    grants: 6,
    renewals: 0,
    releases: 3,
    denials: 2,
    takeovers: 1,
    breaks: 1,
    holds: { count: 3, medianMs: 30 * M, longestMs: 50 * M, exact: true },
    heldNow: 1,
    expiredNow: 1,
    contendedPaths: [
      { path: 'tasks/1/progress.md', denials: 1 },
      { path: 'todos.md', denials: 1 },
    ],
  },
  gateB: {
    commits: 7,
    commitsByTier: { AUTO: 3, CONFIRM: 2, DOUBLE_CONFIRM: 2 },
    unapprovedCommits: 1,
    gatedCommits: 4,
    doubleConfirmShare: 0.5,
    blocks: 3,
    blocksByReason: { B_NO_SIDECAR: 2, A_LEASE_NOT_HELD: 1, ADR_IMMUTABLE: 1 },
    blocksByGate: { B: 2, A: 1, adr: 1 },
    explains: 5,
    approvals: 5,
    approvalsByStep: { diff: 2, intent: 2, confirm: 1 },
    approvalsByMethod: { terminal: 5 },
    rejections: 2,
    timeToApproval: {
      count: 3,
      medianMs: 10 * M,
      p90Ms: 26 * M,
      exact: true,
      histogram: [
        { label: '< 1 min', count: 0 },
        { label: '1–5 min', count: 1 },
        { label: '5–15 min', count: 1 },
        { label: '15–60 min', count: 1 },
        { label: '1–4 h', count: 0 },
        { label: '4–24 h', count: 0 },
        { label: '> 1 day', count: 0 },
      ],
    },
    carveOuts: { granted: 1, escalated: 2, grantedByReason: { 'doc-only': 1 }, escalatedByReason: { not_modified: 1, too_many_lines: 1 } },
    surfaces: [
      { name: 'agent-rules', tier: 'CONFIRM', fires: 3, blocks: 2, approvals: 1, rejections: 2 },
      zeroSurface('skills', 'CONFIRM'),
      zeroSurface('prompts', 'CONFIRM'),
      zeroSurface('agent-personas', 'CONFIRM'),
      zeroSurface('agent-instructions', 'CONFIRM'),
      zeroSurface('claude', 'CONFIRM'),
      zeroSurface('cursor-rules', 'CONFIRM'),
      zeroSurface('policies', 'CONFIRM'),
      { name: 'adr', tier: 'DOUBLE_CONFIRM', fires: 1, blocks: 1, approvals: 1, rejections: 0 },
      { name: 'gate-control', tier: 'DOUBLE_CONFIRM', fires: 1, blocks: 0, approvals: 1, rejections: 0 },
      { name: 'agent-hooks', tier: 'DOUBLE_CONFIRM', fires: 0, blocks: 0, approvals: 0, rejections: 0 },
      { name: 'agent-tools', tier: 'CONFIRM', fires: 0, blocks: 0, approvals: 0, rejections: 0 },
      { name: 'ci-config', tier: 'DOUBLE_CONFIRM', fires: 0, blocks: 0, approvals: 0, rejections: 0 },
    ],
    rejectedPaths: [{ path: 'rules/b.md', rejections: 2 }],
  },
  adr: { created: 1, accepted: 1, blockedEdits: 1 },
  timelineTotals: { commits: 7, gated: 4, blocks: 3, approvals: 5, rejections: 2 },
} as const;
