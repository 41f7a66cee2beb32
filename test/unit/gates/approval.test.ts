import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { approvalProblem, evaluateApproval, noteCoverage, toSidecarFiles, type ApprovalFacts, type CitedLine, type LedgerFacts } from '../../../src/gates/approval.js';
import { classify } from '../../../src/gates/classify.js';
import { explanationDigest, type Approval, type Sidecar } from '../../../src/schema/sidecar/schema.js';
import { defaultConfig } from '../../../src/schema/config/defaults.js';
import type { FileChange } from '../../../src/kernel/changes.js';

const TREE = 'a'.repeat(40);
const H = (s: string) => createHash('sha256').update(s).digest('hex');

function change(path: string, over: Partial<FileChange> = {}): FileChange {
  return { status: 'A', path, oldMode: '000000', newMode: '100644', oldBlob: '0'.repeat(40), newBlob: 'b'.repeat(40), added: 1, deleted: 0, ...over };
}

function sidecarFor(changes: FileChange[]): { sidecar: Sidecar; digest: string; facts: ApprovalFacts } {
  const verdict = classify(changes, defaultConfig());
  const sidecar: Sidecar = {
    version: 1,
    tree: TREE,
    tier: verdict.tier,
    files: toSidecarFiles(verdict.files),
    intent: 'why',
    alternatives: ['other'],
    risk: { blast_radius: 'b', reversibility: 'r', rollback: 'x' },
    created_at: '2026-01-01T00:00:00Z',
    created_by: { kind: 'agent', id: 's' },
    approvals: [],
    rejections: [],
  };
  const digest = explanationDigest(sidecar);
  return { sidecar, digest, facts: { tree: TREE, verdict, path: 'p', sidecar: { state: 'ok', sidecar, digest }, ledger: ledger() } };
}

function ledger(over: Partial<LedgerFacts> = {}): LedgerFacts {
  return { ok: true, rejections: [], lines: new Map(), ...over };
}

/** An approval and the ledger line that records it. */
function approved(step: Approval['step'], tier: Approval['tier'], digest: string, offset: number, over: Record<string, unknown> = {}): { a: Approval; line: CitedLine } {
  const entry = { seq: offset + 1, event: 'approve', subject: { tree: TREE }, data: { step, tier, digest }, ...over };
  const hash = H(JSON.stringify(entry));
  const a: Approval = { step, tier, tree: TREE, digest, approver: { os_user: 'u', host: 'h' }, method: 'terminal', at: '2026-01-01T00:00:00Z', ledger: { seq: offset + 1, offset, hash } };
  return { a, line: { hash, entry } };
}

const codes = (f: ReturnType<typeof evaluateApproval>) => f.filter((x) => x.severity === 'block').map((x) => x.code);

describe('evaluateApproval', () => {
  it('AUTO passes; the carve-out passes with a warning', () => {
    const auto = classify([change('src/a.ts')], defaultConfig());
    expect(evaluateApproval({ tree: TREE, verdict: auto, path: '', sidecar: { state: 'missing', others: [] } })).toEqual([]);
    const carving = { ...defaultConfig(), doc_only: { enabled: true, max_changed_lines: 20, agent_instructions: true } };
    const md = classify([change('rules/a.md', { status: 'M', oldMode: '100644' })], carving, new Map([['rules/a.md', { old: 'a', new: 'b' }]]));
    const f = evaluateApproval({ tree: TREE, verdict: md, path: '', sidecar: { state: 'missing', others: [] } });
    expect(f.map((x) => [x.code, x.severity])).toEqual([['B_DOC_ONLY', 'warn']]);
  });

  it('no sidecar → B_NO_SIDECAR; another tree’s sidecar → B_SIDECAR_STALE naming the change', () => {
    const { facts, sidecar } = sidecarFor([change('rules/a.md')]);
    expect(codes(evaluateApproval({ ...facts, sidecar: { state: 'missing', others: [] } }))).toEqual(['B_NO_SIDECAR']);
    const stale = evaluateApproval({ ...facts, sidecar: { state: 'missing', others: [{ path: 'old', tree: 'f'.repeat(40), files: [...sidecar.files, { ...sidecar.files[0]!, path: 'rules/b.md' }] }] } });
    expect(codes(stale)).toEqual(['B_SIDECAR_STALE']);
    expect(stale[0]!.message).toContain('rules/b.md: in the explanation but no longer staged');
  });

  it('an invalid sidecar names its problems', () => {
    const { facts } = sidecarFor([change('rules/a.md')]);
    const f = evaluateApproval({ ...facts, sidecar: { state: 'invalid', problems: ['intent: expected string (missing)'] } });
    expect(codes(f)).toEqual(['B_SIDECAR_INVALID']);
    expect(f[0]!.message).toContain('intent: expected string (missing)');
  });

  it('CONFIRM: one sound approval passes; none is missing', () => {
    const { facts, digest, sidecar } = sidecarFor([change('rules/a.md')]);
    expect(codes(evaluateApproval(facts))).toEqual(['B_APPROVAL_MISSING']);
    const { a, line } = approved('confirm', 'CONFIRM', digest, 10);
    sidecar.approvals.push(a);
    expect(codes(evaluateApproval({ ...facts, ledger: ledger({ lines: new Map([[10, line]]) }) }))).toEqual([]);
  });

  it('DOUBLE_CONFIRM: the intent alone is not enough; intent + diff passes', () => {
    const { facts, digest, sidecar } = sidecarFor([change('adr/0001.md')]);
    const i = approved('intent', 'DOUBLE_CONFIRM', digest, 10);
    sidecar.approvals.push(i.a);
    const f = evaluateApproval({ ...facts, ledger: ledger({ lines: new Map([[10, i.line]]) }) });
    expect(codes(f)).toEqual(['B_APPROVAL_MISSING']);
    expect(f[0]!.data).toEqual({ missing: ['diff'] });
    const d = approved('diff', 'DOUBLE_CONFIRM', digest, 20);
    sidecar.approvals.push(d.a);
    expect(codes(evaluateApproval({ ...facts, ledger: ledger({ lines: new Map([[10, i.line], [20, d.line]]) }) }))).toEqual([]);
  });

  it('a CONFIRM approval does not satisfy DOUBLE_CONFIRM', () => {
    const { facts, digest, sidecar } = sidecarFor([change('adr/0001.md')]);
    const c = approved('confirm', 'CONFIRM', digest, 10);
    sidecar.approvals.push(c.a);
    expect(codes(evaluateApproval({ ...facts, ledger: ledger({ lines: new Map([[10, c.line]]) }) }))).toEqual(['B_APPROVAL_MISSING']);
  });

  it('tree, files and tier must match the staged ones', () => {
    const { facts, sidecar } = sidecarFor([change('rules/a.md')]);
    sidecar.tree = 'f'.repeat(40);
    sidecar.files = [];
    sidecar.tier = 'AUTO';
    expect(codes(evaluateApproval(facts))).toEqual(['B_SIDECAR_TREE', 'B_SIDECAR_FILES', 'B_SIDECAR_TIER', 'B_APPROVAL_MISSING']);
  });

  it('a rejection in the sidecar or only in the ledger blocks', () => {
    const { facts, digest, sidecar } = sidecarFor([change('rules/a.md')]);
    const c = approved('confirm', 'CONFIRM', digest, 10);
    sidecar.approvals.push(c.a);
    const f = evaluateApproval({ ...facts, ledger: ledger({ lines: new Map([[10, c.line]]), rejections: [{ seq: 4, reason: 'no' }] }) });
    expect(codes(f)).toEqual(['B_REJECTED']);
    expect(f[0]!.message).toContain('"no"');
  });

  it('an approval with a broken ledger binding blocks, even next to a sound one', () => {
    const { facts, digest, sidecar } = sidecarFor([change('rules/a.md')]);
    const good = approved('confirm', 'CONFIRM', digest, 10);
    const forged = approved('confirm', 'CONFIRM', digest, 20);
    sidecar.approvals.push(good.a, forged.a);
    const f = evaluateApproval({ ...facts, ledger: ledger({ lines: new Map([[10, good.line]]) }) });
    expect(codes(f)).toEqual(['B_APPROVAL_INVALID']);
    expect(f[0]!.message).toContain('approval #2 (confirm) does not count');
    expect(f[0]!.fix).toContain('gate approve');
  });

  it('a ledger that does not verify blocks', () => {
    const { facts, digest, sidecar } = sidecarFor([change('rules/a.md')]);
    const c = approved('confirm', 'CONFIRM', digest, 10);
    sidecar.approvals.push(c.a);
    expect(codes(evaluateApproval({ ...facts, ledger: ledger({ ok: false, problem: 'line 3: edited', lines: new Map([[10, c.line]]) }) }))).toEqual(['B_LEDGER']);
  });
});

describe('approvalProblem: each binding to the ledger', () => {
  const digest = H('d');
  const table: Array<[string, (x: { a: Approval; line: CitedLine }) => CitedLine | undefined, RegExp]> = [
    ['no line at the offset', () => undefined, /no entry at offset/],
    ['line hash differs', (x) => ({ ...x.line, hash: H('other') }), /does not hash/],
    ['line is not an entry', (x) => ({ hash: x.line.hash, entry: undefined }), /not an entry/],
    ['seq differs', (x) => ({ ...x.line, entry: { ...(x.line.entry as object), seq: 99 } }), /has seq 99/],
    ['not an approve event', (x) => ({ ...x.line, entry: { ...(x.line.entry as object), event: 'explain' } }), /"explain" event/],
    ['another tree', (x) => ({ ...x.line, entry: { ...(x.line.entry as object), subject: { tree: 'f'.repeat(40) } } }), /another tree/],
    ['another explanation', (x) => ({ ...x.line, entry: { ...(x.line.entry as object), data: { step: 'confirm', tier: 'CONFIRM', digest: H('x') } } }), /another explanation/],
    ['another step', (x) => ({ ...x.line, entry: { ...(x.line.entry as object), data: { step: 'intent', tier: 'CONFIRM', digest } } }), /another step or tier/],
  ];
  for (const [name, tamper, re] of table) {
    it(name, () => {
      const x = approved('confirm', 'CONFIRM', digest, 5);
      expect(approvalProblem(x.a, TREE, digest, x.line)).toBeUndefined();
      expect(approvalProblem(x.a, TREE, digest, tamper(x))).toMatch(re);
    });
  }
  it('approval for another tree or digest', () => {
    const x = approved('confirm', 'CONFIRM', digest, 5);
    expect(approvalProblem(x.a, 'e'.repeat(40), digest, x.line)).toMatch(/for tree/);
    expect(approvalProblem(x.a, TREE, H('edited'), x.line)).toMatch(/edited after it was approved/);
  });
});

describe('approval expiry (approval.max_age, by the ledger timestamp)', () => {
  const digest = H('d');
  const DAY = 86_400_000;
  it('counts until max_age, not after; the sidecar copy of the time is ignored', () => {
    const x = approved('confirm', 'CONFIRM', digest, 5, { ts: '2026-01-01T00:00:00.000Z' });
    const t0 = Date.parse('2026-01-01T00:00:00.000Z');
    expect(approvalProblem(x.a, TREE, digest, x.line, { now: t0 + 7 * DAY, maxAgeMs: 7 * DAY, maxAge: '7d' })).toBeUndefined();
    expect(approvalProblem(x.a, TREE, digest, x.line, { now: t0 + 7 * DAY + 1, maxAgeMs: 7 * DAY, maxAge: '7d' })).toMatch(/expired.*max_age \(7d\)/);
    const forgedAt = { ...x.a, at: new Date(t0 + 7 * DAY).toISOString() };
    expect(approvalProblem(forgedAt, TREE, digest, x.line, { now: t0 + 8 * DAY, maxAgeMs: 7 * DAY, maxAge: '7d' })).toMatch(/expired/);
  });
  it('a ledger entry without a timestamp does not count when expiry is checked', () => {
    const x = approved('confirm', 'CONFIRM', digest, 5);
    expect(approvalProblem(x.a, TREE, digest, x.line, { now: 0, maxAgeMs: 1, maxAge: '1ms' })).toMatch(/no valid timestamp/);
  });
});

describe('noteCoverage (amend and rebase: earlier notes approving the same blobs)', () => {
  const B = 'b'.repeat(40);
  const note = (files: unknown[]) => JSON.stringify({ agent_gates: 1, files });
  it('covers when every gated file has the same blob approved at a tier at least as high', () => {
    const files = [{ path: 'rules/a.md', blob: B, tier: 'CONFIRM' as const }];
    expect(noteCoverage(files, [{ commit: 'c1', body: note([{ path: 'rules/a.md', blob: B, tier: 'CONFIRM' }]) }])).toEqual(['c1']);
    expect(noteCoverage(files, [{ commit: 'c1', body: note([{ path: 'rules/a.md', blob: B, tier: 'DOUBLE_CONFIRM' }]) }])).toEqual(['c1']);
  });
  it('does not cover another blob, another path, a lower tier, or a malformed note', () => {
    const files = [{ path: 'rules/a.md', blob: B, tier: 'DOUBLE_CONFIRM' as const }];
    expect(noteCoverage(files, [{ commit: 'c', body: note([{ path: 'rules/a.md', blob: 'c'.repeat(40), tier: 'DOUBLE_CONFIRM' }]) }])).toBeUndefined();
    expect(noteCoverage(files, [{ commit: 'c', body: note([{ path: 'rules/b.md', blob: B, tier: 'DOUBLE_CONFIRM' }]) }])).toBeUndefined();
    expect(noteCoverage(files, [{ commit: 'c', body: note([{ path: 'rules/a.md', blob: B, tier: 'CONFIRM' }]) }])).toBeUndefined();
    expect(noteCoverage(files, [{ commit: 'c', body: 'not json' }, { commit: 'd', body: '{"agent_gates":2,"files":[]}' }])).toBeUndefined();
  });
  it('reads an approval with lease evidence appended to its note (ADR 0026), which itself approves nothing', () => {
    const files = [{ path: 'rules/a.md', blob: B, tier: 'CONFIRM' as const }];
    const lease = `${JSON.stringify({ agent_gates_leases: 1, leases: [{ path: 'rules/a.md', blob: B, tier: 'CONFIRM' }] }, null, 2)}\n`;
    expect(noteCoverage(files, [{ commit: 'c1', body: `${JSON.stringify({ agent_gates: 1, files: [{ path: 'rules/a.md', blob: B, tier: 'CONFIRM' }] }, null, 2)}\n\n${lease}` }])).toEqual(['c1']);
    expect(noteCoverage(files, [{ commit: 'c1', body: lease }])).toBeUndefined();
  });
  it('needs every file covered', () => {
    const files = [{ path: 'a', blob: B, tier: 'CONFIRM' as const }, { path: 'b', blob: B, tier: 'CONFIRM' as const }];
    expect(noteCoverage(files, [{ commit: 'c', body: note([{ path: 'a', blob: B, tier: 'CONFIRM' }]) }])).toBeUndefined();
  });
});
