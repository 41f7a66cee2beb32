import { describe, expect, it } from 'vitest';
import { MAX_NOTE_BYTES, readNote, splitDocuments, transitionsOf } from '../../../src/gates/range-notes.js';
import { changedLines, strictestPolicy } from '../../../src/gates/range.js';
import { defaultConfig } from '../../../src/schema/config/defaults.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const Z = '0'.repeat(40);

describe('splitDocuments: one note, a union notes merge, junk', () => {
  it.each([
    ['one object', '{"a":1}', [{ a: 1 }]],
    ['two concatenated (git notes merge -s union)', '{"a":1}\n\n{"b":"}{"}\n', [{ a: 1 }, { b: '}{' }]],
    ['junk around a genuine note', 'someone was here\n{"a":{"b":[1]}}\n{ not json', [{ a: { b: [1] } }]],
  ])('%s', (_name, body, docs) => {
    expect(splitDocuments(body)).toEqual(docs);
  });
  it('nothing usable is a reason, not an exception', () => {
    expect(splitDocuments('looks good to me')).toBe('the note is not JSON');
    expect(splitDocuments('{ never closed')).toBe('the note is not JSON');
    expect(splitDocuments(' '.repeat(MAX_NOTE_BYTES + 1))).toMatch(/larger than/);
  });
});

describe('transitionsOf: what a file list approves, per path', () => {
  it('renames are a deletion and an addition; copies only add; v1 entries are regular files', () => {
    expect(transitionsOf([{ path: 'n', old_path: 'o', status: 'R', blob: A, old_blob: A }])).toEqual([
      { path: 'o', oldMode: '100644', oldBlob: A, newMode: '000000', newBlob: Z },
      { path: 'n', oldMode: '000000', oldBlob: Z, newMode: '100644', newBlob: A },
    ]);
    expect(transitionsOf([{ path: 'n', old_path: 'o', status: 'C', blob: A, old_blob: A }])).toEqual([{ path: 'n', oldMode: '000000', oldBlob: Z, newMode: '100644', newBlob: A }]);
    expect(transitionsOf([{ path: 'p', status: 'D', blob: Z, old_blob: A, mode: '000000', old_mode: '120000' }])).toEqual([{ path: 'p', oldMode: '120000', oldBlob: A, newMode: '000000', newBlob: Z }]);
    expect(transitionsOf([{ path: 'p', status: 'M', blob: B, old_blob: A, mode: '100755', old_mode: '100644' }])).toEqual([{ path: 'p', oldMode: '100644', oldBlob: A, newMode: '100755', newBlob: B }]);
  });
});

describe('readNote: positive evidence only', () => {
  const deps = { checkSidecar: () => ({ ok: false as const, problems: ['bad'] }), requiredSteps: () => ['confirm'] };
  it.each([
    ['not JSON', 'lgtm', /not JSON/],
    ['not an object', '[1]', /not a JSON object/],
    ['another tool', '{"agent_gates": 3, "tier": "CONFIRM", "files": []}', /agent_gates/],
    ['no sidecar', '{"agent_gates": 1, "tier": "CONFIRM", "files": []}', /no sidecar/],
    ['invalid sidecar', '{"agent_gates": 2, "tier": "CONFIRM", "files": [], "sidecar": {}}', /sidecar in it is invalid/],
  ])('%s: no approval, one warning naming the commit', (_n, body, why) => {
    const r = readNote(body, A, deps);
    expect(r.approvals).toEqual([]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain(A.slice(0, 12));
    expect(r.warnings[0]).toMatch(why);
  });
  it('an AUTO note approves nothing and warns nothing', () => {
    expect(readNote('{"agent_gates": 2, "tier": "AUTO", "files": []}', A, deps)).toEqual({ approvals: [], warnings: [] });
  });
});

describe('changedLines counts like git diff --numstat (added + deleted, minimal)', () => {
  it.each([
    ['', '', 0],
    ['a\n', 'a\n', 0],
    ['a\nb\nc\n', 'a\nx\nc\n', 2],
    ['a\n', 'a', 2],
    ['a\nb\n', '', 2],
    ['a\nb\nc\nd\n', 'b\nc\nd\ne\n', 2],
  ])('%j → %j: %i', (a, b, n) => {
    expect(changedLines(a, b)).toBe(n);
  });
});

describe('strictestPolicy: configs only add strictness', () => {
  it('unions surfaces, ANDs the carve-out, ORs signatures, takes the shortest max_age and governs the base signers file', () => {
    const base = defaultConfig();
    const weak = { ...defaultConfig(), surfaces: [], doc_only: { enabled: false, max_changed_lines: 500, agent_instructions: false }, approval: { ...base.approval, require_signature: true, max_age: '1d' } };
    const p = strictestPolicy([base, weak]);
    expect(p.require).toBe(true);
    expect(p.maxAgeMs).toBe(86_400_000);
    expect(p.config.doc_only).toEqual({ enabled: false, max_changed_lines: base.doc_only.max_changed_lines, agent_instructions: false });
    expect(p.config.surfaces.length).toBe(base.surfaces.length + 1);
    expect(p.config.surfaces.at(-1)).toMatchObject({ paths: [base.approval.allowed_signers], tier: 'DOUBLE_CONFIRM', self_reinforcing: true });
  });
});
