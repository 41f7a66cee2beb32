/**
 * The pure rules of the range check's lease part (ADR 0026): which evidence holds, and tokens that
 * never go backwards along the range's topology (merges included). The git and network side is in
 * test/integration/range-leases.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { evaluateLeaseRange, formatLeaseNote, readLeaseEvidence, type FenceVersion, type LeaseEvidence, type LeaseRangeCommit } from '../../../src/gates/range-leases.js';
import { readNote, splitDocuments } from '../../../src/gates/range-notes.js';
import type { LeaseRecord } from '../../../src/schema/lease/schema.js';

const V = (n: number): string => n.toString(16).padStart(40, '0');
const rec = (path: string, token: number, owner: string): LeaseRecord => ({ v: 1, path, owner, host: 'h', pid: 1, worktree: '/w', branch: 'main', acquired: '2026-01-01T00:00:00.000Z', renewed: '2026-01-01T00:00:00.000Z', expires: '2026-01-01T01:00:00.000Z', reason: null, token } as LeaseRecord);
// fence histories: progress.md had grants 1 (alice), 2 (agent-b), 3 (alice); notes.md grant 1 (alice)
const history = new Map<string, Map<string, FenceVersion>>([
  ['progress.md', new Map<string, FenceVersion>([[V(1), { rec: rec('progress.md', 1, 'human:alice@x') }], [V(2), { rec: rec('progress.md', 2, 'agent-b') }], [V(3), { rec: rec('progress.md', 3, 'human:alice@x') }], [V(9), { problem: 'not an agent-gates lease commit' }]])],
  ['old.md', new Map<string, FenceVersion>([[V(4), { rec: rec('old.md', 1, 'human:alice@x') }]])],
]);
const ev = (path: string, v: number, token: number, owner = 'human:alice@x', remote = 'origin'): LeaseEvidence => ({ path, remote, version: V(v), token, owner });
const commit = (id: string, parents: string[], paths: string[], evidence: LeaseEvidence[], email = 'alice@x'): LeaseRangeCommit => ({ commit: id.padEnd(40, '0'), parents: parents.map((p) => p.padEnd(40, '0')), committerEmail: email, paths, evidence, problems: [] });
const run = (commits: LeaseRangeCommit[]) => evaluateLeaseRange({ remote: 'origin', commits, history: (p) => history.get(p) });
const codes = (commits: LeaseRangeCommit[]) => run(commits).violations.map((v) => `${v.commit.slice(0, 2)}:${v.path}:${v.code}`);

describe('lease evidence in notes', () => {
  it('round-trips through the note format, sits beside an approval, and the approval reader ignores it silently', () => {
    const body = formatLeaseNote([ev('progress.md', 1, 1)]);
    const docs = splitDocuments(`{"agent_gates": 2, "tier": "AUTO", "files": []}\n\n${body}`);
    expect(Array.isArray(docs) && readLeaseEvidence(docs).evidence).toEqual([ev('progress.md', 1, 1)]);
    const read = readNote(body, V(7), { checkSidecar: () => ({ ok: false, problems: [] }), requiredSteps: () => [] } as never);
    expect(read).toEqual({ approvals: [], warnings: [] });
  });
  it('reports malformed entries as problems, never as evidence', () => {
    const r = readLeaseEvidence([{ agent_gates_leases: 1, leases: [{ path: 'p', remote: 'o', version: 'zz', token: 1, owner: 'a' }, { ...ev('p', 1, 0) }] }, { agent_gates_leases: 9 }]);
    expect(r.evidence).toEqual([]);
    expect(r.problems).toHaveLength(3);
  });
});

describe('evaluateLeaseRange', () => {
  it('both paths of a rename need evidence; an unreadable version is unknown', () => {
    expect(codes([commit('a1', ['b0'], ['old.md', 'progress.md'], [ev('progress.md', 3, 3)])])).toEqual(['a1:old.md:C_LEASE_MISSING']);
    expect(codes([commit('a1', ['b0'], ['old.md', 'progress.md'], [ev('progress.md', 3, 3), ev('old.md', 4, 1)])])).toEqual([]);
    expect(codes([commit('a1', ['b0'], ['progress.md'], [ev('progress.md', 9, 1)])])).toEqual(['a1:progress.md:C_LEASE_UNKNOWN']);
  });
  it("an agent's lease is checked against the grant, a person's also against the committer", () => {
    expect(codes([commit('a1', ['b0'], ['progress.md'], [ev('progress.md', 2, 2, 'agent-b')], 'anyone@x')])).toEqual([]);
    expect(codes([commit('a1', ['b0'], ['progress.md'], [ev('progress.md', 1, 1)], 'mallory@x')])).toEqual(['a1:progress.md:C_LEASE_MISMATCH']);
  });
  it('tokens never go backwards along the topology: on a line, and across a merge from the side that saw the later grant', () => {
    // a1 (token 2) → a2 (token 1): backwards; a fork where each side stays monotone is fine
    expect(codes([commit('a1', ['b0'], ['progress.md'], [ev('progress.md', 2, 2, 'agent-b')]), commit('a2', ['a1'], ['progress.md'], [ev('progress.md', 1, 1)])])).toEqual(['a2:progress.md:C_LEASE_TOKEN_BACKWARDS']);
    const fork = [commit('x1', ['b0'], ['progress.md'], [ev('progress.md', 1, 1)]), commit('y1', ['b0'], ['progress.md'], [ev('progress.md', 3, 3)])];
    expect(codes(fork)).toEqual([]);
    // after merging both sides, a change under token 1 is behind token 3 (from the second parent)
    const merged = [...fork, commit('m1', ['x1', 'y1'], [], []), commit('z1', ['m1'], ['progress.md'], [ev('progress.md', 1, 1)])];
    expect(codes(merged)).toEqual(['z1:progress.md:C_LEASE_TOKEN_BACKWARDS']);
    expect(run(merged).checked.map((c) => c.token)).toEqual([1, 3, 1]);
  });
  it('positive only: among several entries for a path, the one that holds counts (the highest token)', () => {
    const c = commit('a1', ['b0'], ['progress.md'], [ev('progress.md', 8, 1), ev('progress.md', 1, 1), ev('progress.md', 3, 3)]);
    expect(codes([c])).toEqual([]);
    expect(run([c]).checked[0]).toMatchObject({ token: 3, version: V(3) });
  });
});
