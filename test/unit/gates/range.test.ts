import { describe, expect, it } from 'vitest';
import { ZERO_BLOB, evaluateRange, parseNote, rangeFindings, type NoteCheck, type RangeCommitFacts, type SidecarCheck } from '../../../src/gates/range.js';
import { requiredSteps } from '../../../src/gates/mutation.js';

const h = (c: string) => c.repeat(40);
const DIG = 'd'.repeat(64);
const note = (tree: string, tier: NoteCheck['tier'], files: Array<[string, string]>, problems: string[] = []): NoteCheck => ({
  commitTree: tree,
  tier,
  files: files.map(([path, blob]) => ({ path, blob, tier })),
  problems,
});
const commit = (id: string, paths: Array<[string, string, 'AUTO' | 'CONFIRM' | 'DOUBLE_CONFIRM']>, n?: NoteCheck, extra: Partial<RangeCommitFacts> = {}): RangeCommitFacts => {
  const tier = paths.reduce<'AUTO' | 'CONFIRM' | 'DOUBLE_CONFIRM'>((t, [, , pt]) => (pt === 'DOUBLE_CONFIRM' || t === 'DOUBLE_CONFIRM' ? 'DOUBLE_CONFIRM' : pt === 'CONFIRM' || t === 'CONFIRM' ? 'CONFIRM' : 'AUTO'), 'AUTO');
  return { commit: h(id), tree: h(id.toUpperCase() === id ? 'f' : 'e'), parents: [], tier, paths: paths.map(([path, blob, t]) => ({ path, blob, tier: t })), ...(n ? { note: n } : {}), ...extra };
};

describe('evaluateRange', () => {
  it('AUTO commits need nothing', () => {
    const r = evaluateRange([commit('1', [['src/a.ts', h('a'), 'AUTO']])]);
    expect(r.violations).toEqual([]);
    expect(r.commits[0]).toMatchObject({ gated: 0 });
  });
  it('a note on the same tree covers every path', () => {
    const c = commit('1', [['rules/a.md', h('a'), 'CONFIRM'], ['rules/b.md', h('b'), 'CONFIRM']]);
    c.note = note(c.tree, 'CONFIRM', []);
    expect(evaluateRange([c]).commits[0]).toMatchObject({ coveredBy: 'tree', violations: [] });
  });
  it('a note on the same tree at a lower tier → C_TIER_TOO_LOW per path', () => {
    const c = commit('1', [['.husky/pre-commit', h('a'), 'DOUBLE_CONFIRM']]);
    c.note = note(c.tree, 'CONFIRM', []);
    expect(evaluateRange([c]).violations).toEqual([{ code: 'C_TIER_TOO_LOW', commit: h('1'), path: '.husky/pre-commit', requiredTier: 'DOUBLE_CONFIRM', missing: 'the note approves this tree at CONFIRM; the commit needs DOUBLE_CONFIRM' }]);
  });
  it('an invalid note on the same tree → C_NOTE_INVALID naming its problems', () => {
    const c = commit('1', [['rules/a.md', h('a'), 'CONFIRM']]);
    c.note = note(c.tree, 'CONFIRM', [['rules/a.md', h('a')]], ['CONFIRM needs the "confirm" approval step; it is missing']);
    expect(evaluateRange([c]).violations[0]).toMatchObject({ code: 'C_NOTE_INVALID', missing: 'the approval note for this tree does not prove its approvals: CONFIRM needs the "confirm" approval step; it is missing' });
  });
  it('content approved earlier in the range covers a later commit (rebase), at a tier at least as high', () => {
    const a = commit('1', [['rules/a.md', h('a'), 'CONFIRM']]);
    a.note = note(h('9'), 'DOUBLE_CONFIRM', [['rules/a.md', h('a')]]); // note for another tree
    const b = commit('2', [['rules/a.md', h('a'), 'CONFIRM']]);
    const r = evaluateRange([a, b]);
    expect(r.violations).toEqual([]);
    expect(r.commits.map((c) => c.coveredBy)).toEqual(['content', 'content']);
  });
  it('content approved at a lower tier → C_TIER_TOO_LOW', () => {
    const a = commit('1', [['x.md', h('a'), 'CONFIRM']]);
    a.note = note(a.tree, 'CONFIRM', [['x.md', h('a')]]);
    const b = commit('2', [['x.md', h('a'), 'DOUBLE_CONFIRM']]);
    expect(evaluateRange([a, b]).violations).toEqual([{ code: 'C_TIER_TOO_LOW', commit: h('2'), path: 'x.md', requiredTier: 'DOUBLE_CONFIRM', missing: 'this content was approved only at CONFIRM; DOUBLE_CONFIRM is required' }]);
  });
  it('an invalid note approves nothing, even by content', () => {
    const a = commit('1', [['x.md', h('a'), 'CONFIRM']]);
    a.note = note(h('9'), 'CONFIRM', [['x.md', h('a')]], ['the sidecar was rejected']);
    const v = evaluateRange([a]).violations;
    expect(v).toHaveLength(1);
    expect(v[0]!.missing).toBe('the note on this commit does not prove its approvals (the sidecar was rejected), and blob aaaaaaaaaaaa was not approved earlier in the range');
  });
  it('no note: the message says so; a deletion says "its deletion"', () => {
    const v = evaluateRange([commit('1', [['x.md', ZERO_BLOB, 'CONFIRM']])]).violations;
    expect(v[0]!.missing).toBe('no approval note on this commit, and its deletion was not approved earlier in the range (committed with --no-verify, or the notes ref was not fetched)');
  });
  it('a note for another tree that lists the path with other content → "content changed after approval"', () => {
    const c = commit('1', [['x.md', h('b'), 'CONFIRM']]);
    c.note = note(h('9'), 'CONFIRM', [['x.md', h('a')]]);
    expect(evaluateRange([c]).violations[0]!.missing).toBe('the note approves blob aaaaaaaaaaaa for tree 999999999999, but this commit has blob bbbbbbbbbbbb (content changed after approval, e.g. an amend)');
  });
  it('a note for another tree that does not list the path', () => {
    const c = commit('1', [['x.md', h('b'), 'CONFIRM']]);
    c.note = note(h('9'), 'CONFIRM', [['y.md', h('a')]]);
    expect(evaluateRange([c]).violations[0]!.missing).toBe('the note on this commit (tree 999999999999) does not cover this path, and blob bbbbbbbbbbbb was not approved earlier in the range');
  });
  it('a merge path inherited from another parent needs nothing', () => {
    const c = commit('1', [['x.md', h('b'), 'CONFIRM']]);
    c.paths[0]!.inherited = true;
    expect(evaluateRange([c]).commits[0]).toMatchObject({ gated: 0, violations: [] });
  });
  it('findings carry the commit, tier and the fix', () => {
    const r = evaluateRange([commit('1', [['x.md', h('b'), 'CONFIRM']])]);
    const [f] = rangeFindings(r);
    expect(f).toMatchObject({ gate: 'C', code: 'C_UNAPPROVED', severity: 'block', path: 'x.md', data: { commit: h('1'), requiredTier: 'CONFIRM' } });
    expect(f!.message).toMatch(/^commit 111111111111 needs CONFIRM: no approval note/);
    expect(f!.fix).toContain('git reset --soft 111111111111^');
    const own = rangeFindings({ commits: [], violations: [{ code: 'ADR_CHANGED_AFTER_ACCEPT', commit: h('2'), path: 'adr/0001-a.md', missing: 'changed', fix: 'restore it' }] });
    expect(own[0]).toMatchObject({ fix: 'restore it', message: 'commit 222222222222: changed' });
  });
});

describe('parseNote', () => {
  const good: SidecarCheck = { ok: true, digest: DIG, tree: h('e'), approvals: [{ step: 'confirm', tier: 'CONFIRM', tree: h('e'), digest: DIG }], rejections: 0 };
  const body = (o: Record<string, unknown> = {}) => JSON.stringify({ agent_gates: 1, commit_tree: h('e'), tier: 'CONFIRM', files: [{ path: 'x.md', blob: h('a'), tier: 'CONFIRM' }], sidecar: {}, sidecar_digest: DIG, ...o });
  const parse = (b: string, sc: SidecarCheck = good) => parseNote(b, () => sc, requiredSteps);

  it('a sound note has no problems', () => {
    expect(parse(body())).toEqual({ ok: true, note: { commitTree: h('e'), tier: 'CONFIRM', files: [{ path: 'x.md', blob: h('a'), tier: 'CONFIRM' }], problems: [] } });
  });
  it.each([
    ['not json', 'the note is not valid JSON'],
    ['[1]', 'the note is not a JSON object'],
    [JSON.stringify({ agent_gates: 2 }), 'agent_gates: expected 1 (got 2)'],
    [JSON.stringify({ agent_gates: 1, commit_tree: 'x' }), 'commit_tree: expected a 40-hex tree id'],
    [JSON.stringify({ agent_gates: 1, commit_tree: h('e'), tier: 'HIGH' }), 'tier: expected AUTO, CONFIRM or DOUBLE_CONFIRM'],
    [JSON.stringify({ agent_gates: 1, commit_tree: h('e'), tier: 'AUTO', files: {} }), 'files: expected a list'],
    [JSON.stringify({ agent_gates: 1, commit_tree: h('e'), tier: 'AUTO', files: [3] }), 'files[0]: expected {path, blob, tier}'],
    [JSON.stringify({ agent_gates: 1, commit_tree: h('e'), tier: 'AUTO', files: [{ path: 'a', blob: 'zz' }] }), 'files[0].blob: expected a 40-hex blob id or null'],
  ])('unreadable: %s', (b, problem) => {
    expect(parse(b)).toEqual({ ok: false, problem });
  });
  it('a null blob is a deletion; a missing file tier falls back to the note tier; AUTO notes need no sidecar', () => {
    const r = parse(JSON.stringify({ agent_gates: 1, commit_tree: h('e'), tier: 'AUTO', files: [{ path: 'a', blob: null }] }));
    expect(r).toEqual({ ok: true, note: { commitTree: h('e'), tier: 'AUTO', files: [{ path: 'a', blob: ZERO_BLOB, tier: 'AUTO' }], problems: [] } });
  });
  it.each([
    ['no sidecar', body({ sidecar: null }), good, ['the note carries no sidecar, so its approvals cannot be checked']],
    ['invalid sidecar', body(), { ok: false, problems: ['intent: expected string'] } as SidecarCheck, ['the sidecar in the note is invalid (intent: expected string)']],
    ['digest mismatch', body({ sidecar_digest: 'e'.repeat(64) }), good, ["sidecar_digest does not match the sidecar's explanation (edited after approval)"]],
    ['other tree', body(), { ...good, tree: h('c') }, ['the sidecar explains tree cccccccccccc, not the note\'s tree eeeeeeeeeeee', 'CONFIRM needs the "confirm" approval step; it is missing']],
    ['rejected', body(), { ...good, rejections: 1 }, ['the sidecar was rejected']],
    ['stale approval', body(), { ...good, approvals: [{ ...good.approvals[0]!, digest: 'f'.repeat(64) }] }, ['1 approval carry a digest that does not match the explanation (edited after approval)', 'CONFIRM needs the "confirm" approval step; it is missing']],
    ['low-tier approval', body({ tier: 'DOUBLE_CONFIRM' }), { ...good, approvals: [{ step: 'intent', tier: 'CONFIRM', tree: h('e'), digest: DIG }, { step: 'diff', tier: 'DOUBLE_CONFIRM', tree: h('e'), digest: DIG }] }, ['DOUBLE_CONFIRM needs the "intent" approval step; it is missing']],
    ['double, both steps', body({ tier: 'DOUBLE_CONFIRM' }), { ...good, approvals: [{ step: 'intent', tier: 'DOUBLE_CONFIRM', tree: h('e'), digest: DIG }, { step: 'diff', tier: 'DOUBLE_CONFIRM', tree: h('e'), digest: DIG }] }, []],
  ])('%s', (_name, b, sc, problems) => {
    const r = parse(b as string, sc as SidecarCheck);
    expect(r.ok).toBe(true);
    expect(r.ok && r.note.problems).toEqual(problems);
  });
});
