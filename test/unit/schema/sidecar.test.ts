import { describe, expect, it } from 'vitest';
import { canonicalJson, explanationDigest, parseSidecarText, renderSidecar, sidecarPath, treeFromSidecarName, validateSidecar } from '../../../src/schema/sidecar/schema.js';

const T = 'a'.repeat(40);
const B = 'b'.repeat(40);
const H = 'c'.repeat(64);

export function validSidecar(): any {
  return {
    version: 1,
    tree: T,
    tier: 'CONFIRM',
    files: [{ path: 'rules/a.md', status: 'M', blob: B, old_blob: B, tier: 'CONFIRM', surfaces: ['agent-rules'] }],
    intent: 'why',
    alternatives: ['other'],
    risk: { blast_radius: 'small', reversibility: 'full', rollback: 'revert' },
    created_at: '2026-01-01T00:00:00.000Z',
    created_by: { kind: 'agent', id: 's1', session: 's1' },
    approvals: [],
    rejections: [],
  };
}

const approval = () => ({
  step: 'confirm',
  tier: 'CONFIRM',
  tree: T,
  digest: H,
  approver: { name: 'N', email: 'e@x', os_user: 'u', host: 'h' },
  method: 'terminal',
  at: '2026-01-01T00:00:00.000Z',
  ledger: { seq: 3, offset: 100, hash: H },
});

describe('sidecar schema', () => {
  it('accepts a valid sidecar and defaults approvals/rejections', () => {
    const d = validSidecar();
    delete d.approvals;
    delete d.rejections;
    const r = validateSidecar(d);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.sidecar.approvals).toEqual([]);
  });

  it('accepts an approval, and one with a signature object (signed approvals)', () => {
    const d = validSidecar();
    d.approvals = [approval(), { ...approval(), method: 'ssh-signature', signature: { format: 'sshsig', armored: '-----BEGIN SSH SIGNATURE-----' } }];
    expect(validateSidecar(d).ok).toBe(true);
  });

  const invalid: Array<[string, (d: any) => void, string]> = [
    ['missing intent', (d) => delete d.intent, 'intent: expected string (missing)'],
    ['empty intent', (d) => (d.intent = '  '), 'intent: a non-empty text'],
    ['no alternative for CONFIRM', (d) => (d.alternatives = []), 'alternatives: at least one alternative for a CONFIRM change'],
    ['missing risk field', (d) => delete d.risk.rollback, 'risk.rollback: expected string (missing)'],
    ['bad tree', (d) => (d.tree = 'xyz'), 'tree: a 40- or 64-hex git object id'],
    ['bad tier', (d) => (d.tier = 'MAYBE'), 'tier:'],
    ['wrong version', (d) => (d.version = 2), 'version:'],
    ['unknown key', (d) => (d.approved = true), 'unknown key "approved"'],
    ['bad file status', (d) => (d.files[0].status = 'Q'), 'files[0].status'],
    ['approval without ledger ref', (d) => { const a: any = approval(); delete a.ledger; d.approvals = [a]; }, 'approvals[0].ledger: expected object (missing)'],
    ['approval with bad step', (d) => (d.approvals = [{ ...approval(), step: 'yes' }]), 'approvals[0].step'],
    ['approval with unknown method', (d) => (d.approvals = [{ ...approval(), method: 'vibes' }]), 'approvals[0].method'],
    ['rejection without reason', (d) => (d.rejections = [{ tier: 'CONFIRM', tree: T, digest: H, rejecter: { os_user: 'u', host: 'h' }, at: '2026-01-01T00:00:00Z', ledger: { seq: 1, offset: 0, hash: H } }]), 'rejections[0].reason'],
  ];
  for (const [name, mutate, want] of invalid) {
    it(`rejects: ${name}`, () => {
      const d = validSidecar();
      mutate(d);
      const r = validateSidecar(d);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problems.join('\n')).toContain(want);
    });
  }

  it('round-trips through YAML, and reports YAML errors with a position', async () => {
    const d = validSidecar();
    const r = validateSidecar(d);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const back = await parseSidecarText(renderSidecar(r.sidecar));
    expect(back.ok && back.digest).toBe(r.digest);
    const bad = await parseSidecarText('tree: [x\n');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems[0]).toMatch(/not valid YAML: line \d+, column \d+/);
    const dup = await parseSidecarText('intent: a\nintent: b\n');
    expect(dup.ok).toBe(false);
  });
});

describe('explanation digest', () => {
  it('changes when any explained field changes, not when approvals are added', () => {
    const d = validSidecar();
    const base = explanationDigest(d);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(explanationDigest({ ...d, approvals: [approval()] } as any)).toBe(base);
    expect(explanationDigest({ ...d, created_at: '2027-01-01T00:00:00Z' })).toBe(base);
    for (const mutate of [
      (x: any) => (x.intent = 'other'),
      (x: any) => (x.alternatives = ['x']),
      (x: any) => (x.risk.rollback = 'nope'),
      (x: any) => (x.tree = 'f'.repeat(40)),
      (x: any) => (x.tier = 'DOUBLE_CONFIRM'),
      (x: any) => (x.files[0].blob = 'e'.repeat(40)),
    ]) {
      const e = structuredClone(d);
      mutate(e);
      expect(explanationDigest(e)).not.toBe(base);
    }
  });

  it('does not depend on key order', () => {
    const d = validSidecar();
    const reordered = { risk: { rollback: 'revert', reversibility: 'full', blast_radius: 'small' }, ...d };
    expect(explanationDigest(reordered)).toBe(explanationDigest(d));
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
  });
});

describe('sidecar paths', () => {
  it('names the file after the tree', () => {
    expect(sidecarPath(T)).toBe(`.agents/gate-b/explain-${T}.yaml`);
    expect(treeFromSidecarName(`explain-${T}.yaml`)).toBe(T);
    expect(treeFromSidecarName('explain-xyz.yaml')).toBeUndefined();
  });
});
