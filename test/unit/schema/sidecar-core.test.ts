/**
 * The hot path's hand-written sidecar validator (sidecar-core.ts) and the documented zod schema
 * (sidecar.ts) must give the same verdict, name the same fields, and yield the same digest.
 */
import { describe, expect, it } from 'vitest';
import { checkSidecar } from '../../../src/schema/sidecar/fast.js';
import { validateSidecar } from '../../../src/schema/sidecar/schema.js';

const T = 'a'.repeat(40);
const B = 'b'.repeat(40);
const H = 'c'.repeat(64);

function doc(): any {
  return {
    version: 1,
    tree: T,
    tier: 'CONFIRM',
    files: [{ path: 'rules/a.md', status: 'R', old_path: 'rules/b.md', blob: B, old_blob: B, tier: 'CONFIRM', surfaces: ['agent-rules'] }],
    intent: 'why',
    alternatives: ['other'],
    risk: { blast_radius: 'small', reversibility: 'full', rollback: 'revert' },
    created_at: '2026-01-01T00:00:00.000Z',
    created_by: { kind: 'agent', id: 's1', session: 's1' },
    approvals: [
      { step: 'confirm', tier: 'CONFIRM', tree: T, digest: H, approver: { name: 'N', email: 'e@x', os_user: 'u', host: 'h' }, method: 'terminal', at: '2026-01-01T00:00:00Z', ledger: { seq: 3, offset: 0, hash: H } },
    ],
    rejections: [
      { tier: 'CONFIRM', tree: T, digest: H, reason: 'no', rejecter: { os_user: 'u', host: 'h' }, at: '2026-01-01T00:00:00Z', ledger: { seq: 4, offset: 10, hash: H } },
    ],
  };
}

const valid: Array<[string, (d: any) => void]> = [
  ['as is', () => {}],
  ['without approvals and rejections', (d) => { delete d.approvals; delete d.rejections; }],
  ['a signed approval', (d) => { d.approvals[0].method = 'ssh-signature'; d.approvals[0].signature = { format: 'sshsig', sig: 'x', extra: [1] }; }],
  ['surrounding whitespace in texts (YAML block scalars end in a newline)', (d) => { d.intent = 'why\n'; d.alternatives = [' other ']; d.risk.rollback = 'revert\n'; }],
  ['an AUTO sidecar without alternatives', (d) => { d.tier = 'AUTO'; d.alternatives = []; }],
  ['a 64-hex tree', (d) => { d.tree = 'd'.repeat(64); }],
  ['no optional person fields', (d) => { d.approvals[0].approver = { os_user: 'u', host: 'h' }; }],
];

const invalid: Array<[string, (d: any) => void, string]> = [
  ['not an object', (d) => { for (const k of Object.keys(d)) delete d[k]; }, 'version'],
  ['missing intent', (d) => delete d.intent, 'intent'],
  ['blank intent', (d) => (d.intent = '  \n'), 'intent'],
  ['intent not a string', (d) => (d.intent = 3), 'intent'],
  ['no alternative for CONFIRM', (d) => (d.alternatives = []), 'alternatives'],
  ['a blank alternative', (d) => (d.alternatives = ['']), 'alternatives[0]'],
  ['missing risk field', (d) => delete d.risk.rollback, 'risk.rollback'],
  ['unknown risk key', (d) => (d.risk.extra = 'x'), 'risk'],
  ['bad tree', (d) => (d.tree = 'xyz'), 'tree'],
  ['upper-case tree', (d) => (d.tree = 'A'.repeat(40)), 'tree'],
  ['bad tier', (d) => (d.tier = 'MAYBE'), 'tier'],
  ['wrong version', (d) => (d.version = 2), 'version'],
  ['string version', (d) => (d.version = '1'), 'version'],
  ['unknown top-level key', (d) => (d.approved = true), '(top level)'],
  ['files not a list', (d) => (d.files = {}), 'files'],
  ['bad file status', (d) => (d.files[0].status = 'Q'), 'files[0].status'],
  ['empty file path', (d) => (d.files[0].path = ''), 'files[0].path'],
  ['bad blob', (d) => (d.files[0].blob = 'zz'), 'files[0].blob'],
  ['unknown file key', (d) => (d.files[0].self_reinforcing = true), 'files[0]'],
  ['surfaces not strings', (d) => (d.files[0].surfaces = [1]), 'files[0].surfaces[0]'],
  ['bad created_at', (d) => (d.created_at = 'yesterday'), 'created_at'],
  ['bad created_by kind', (d) => (d.created_by.kind = 'robot'), 'created_by.kind'],
  ['created_by a string', (d) => (d.created_by = 'agent-1'), 'created_by'],
  ['approval without ledger ref', (d) => delete d.approvals[0].ledger, 'approvals[0].ledger'],
  ['approval seq 0', (d) => (d.approvals[0].ledger.seq = 0), 'approvals[0].ledger.seq'],
  ['approval fractional offset', (d) => (d.approvals[0].ledger.offset = 1.5), 'approvals[0].ledger.offset'],
  ['approval bad hash', (d) => (d.approvals[0].ledger.hash = 'x'), 'approvals[0].ledger.hash'],
  ['approval bad step', (d) => (d.approvals[0].step = 'yes'), 'approvals[0].step'],
  ['approval unknown method', (d) => (d.approvals[0].method = 'vibes'), 'approvals[0].method'],
  ['approval bad digest', (d) => (d.approvals[0].digest = 'f'.repeat(63)), 'approvals[0].digest'],
  ['approval unknown key', (d) => (d.approvals[0].ok = true), 'approvals[0]'],
  ['approver without host', (d) => delete d.approvals[0].approver.host, 'approvals[0].approver.host'],
  ['signature without format', (d) => (d.approvals[0].signature = { sig: 'x' }), 'approvals[0].signature.format'],
  ['signature not an object', (d) => (d.approvals[0].signature = 'sig'), 'approvals[0].signature'],
  ['rejection without reason', (d) => delete d.rejections[0].reason, 'rejections[0].reason'],
  ['rejections not a list', (d) => (d.rejections = 'no'), 'rejections'],
];

describe('checkSidecar (hot path) agrees with the zod schema', () => {
  for (const [name, mutate] of valid) {
    it(`accepts: ${name}, with the same digest`, () => {
      const d = doc();
      mutate(d);
      const fast = checkSidecar(structuredClone(d));
      const zod = validateSidecar(structuredClone(d));
      expect(fast.ok).toBe(true);
      expect(zod.ok).toBe(true);
      if (fast.ok && zod.ok) {
        expect(fast.digest).toBe(zod.digest);
        expect(fast.sidecar).toEqual(zod.sidecar);
      }
    });
  }
  for (const [name, mutate, field] of invalid) {
    it(`rejects: ${name}, naming ${field}`, () => {
      const d = doc();
      mutate(d);
      const fast = checkSidecar(structuredClone(d));
      const zod = validateSidecar(structuredClone(d));
      expect(fast.ok).toBe(false);
      expect(zod.ok).toBe(false);
      if (!fast.ok && !zod.ok) {
        expect(fast.problems.some((p) => p.startsWith(`${field}:`))).toBe(true);
        expect(zod.problems.some((p) => p.startsWith(`${field}:`))).toBe(true);
      }
    });
  }
  it('rejects non-objects', () => {
    for (const v of [null, 'x', 1, [], undefined]) {
      expect(checkSidecar(v).ok).toBe(false);
      expect(validateSidecar(v).ok).toBe(false);
    }
  });
});
