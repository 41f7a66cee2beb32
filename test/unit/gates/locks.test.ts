import { describe, expect, it } from 'vitest';
import {
  acquireCommand,
  decideAcquire,
  decideRelease,
  decideRenew,
  describeHolder,
  formatSeconds,
  leaseFindings,
  leaseState,
  lexicalRepoPath,
  nextToken,
  normaliseLeasePath,
  shellQuote,
  stagedHandoffPaths,
} from '../../../src/gates/leases.js';
import { compileGlobs } from '../../../src/kernel/glob.js';
import { fenceProblem, leaseProblem, type LeaseRecord } from '../../../src/schema/lease/schema.js';
import type { FileChange } from '../../../src/kernel/changes.js';

const GLOBS = ['**/progress.md', '**/todos.md', '.agents/buffer.md', '.agents/status/**'];
const env = { root: '/r/repo', cwd: '/r/repo', realRoot: '/real/repo' };
const NOW = Date.parse('2026-01-01T12:00:00Z');

function rec(over: Partial<LeaseRecord> = {}): LeaseRecord {
  return {
    v: 1,
    path: 'progress.md',
    owner: 'a',
    host: 'h',
    pid: 1,
    worktree: '/r/repo',
    branch: 'main',
    acquired: '2026-01-01T11:50:00.000Z',
    renewed: '2026-01-01T11:50:00.000Z',
    expires: '2026-01-01T12:10:00.000Z',
    reason: null,
    token: 4,
    ...over,
  };
}

describe('path normalisation', () => {
  const real = (rel: string) => `/real/repo/${rel}`;
  it.each([
    // input, cwd, realTarget, expected path or failure reason
    ['progress.md', '/r/repo', real('progress.md'), 'progress.md'],
    ['./progress.md', '/r/repo', real('progress.md'), 'progress.md'],
    ['tasks/7/progress.md', '/r/repo', real('tasks/7/progress.md'), 'tasks/7/progress.md'],
    ['progress.md', '/r/repo/tasks/7', real('tasks/7/progress.md'), 'tasks/7/progress.md'],
    ['../progress.md', '/r/repo/tasks', real('progress.md'), 'progress.md'],
    ['a/../progress.md', '/r/repo', real('progress.md'), 'progress.md'],
    ['/r/repo/docs/todos.md', '/r/repo', real('docs/todos.md'), 'docs/todos.md'],
    ['.agents/status/x/y.json', '/r/repo', real('.agents/status/x/y.json'), '.agents/status/x/y.json'],
    ['with space/progress.md', '/r/repo', real('with space/progress.md'), 'with space/progress.md'],
    ['ünï/progress.md', '/r/repo', real('ünï/progress.md'), 'ünï/progress.md'],
    ['../progress.md', '/r/repo', '/real/progress.md', 'outside'],
    ['../../etc/progress.md', '/r/repo/a', '/real/etc/progress.md', 'outside'],
    ['/etc/progress.md', '/r/repo', '/etc/progress.md', 'outside'],
    ['/r/repo2/progress.md', '/r/repo', '/r/repo2/progress.md', 'outside'],
    ['.', '/r/repo', '/real/repo', 'directory'],
    ['', '/r/repo', '/real/repo', 'empty'],
    ['link/progress.md', '/r/repo', '/elsewhere/progress.md', 'symlink-escape'],
    ['progress.md', '/r/repo', '/real/other/progress.md', 'symlink-escape'],
    ['README.md', '/r/repo', real('README.md'), 'not-handoff'],
    ['.agents/buffer.md.bak', '/r/repo', real('.agents/buffer.md.bak'), 'not-handoff'],
    ['src/progress.md.txt', '/r/repo', real('src/progress.md.txt'), 'not-handoff'],
  ])('%s from %s (real %s) → %s', (input, cwd, realTarget, expected) => {
    const r = normaliseLeasePath(input, { ...env, cwd }, realTarget, GLOBS);
    if (r.ok) expect(r.path).toBe(expected);
    else expect(r.reason).toBe(expected);
  });

  it('names the globs when a path is not a handoff document', () => {
    const r = normaliseLeasePath('README.md', env, '/real/repo/README.md', GLOBS);
    expect(r.ok).toBe(false);
    if (!r.ok) for (const g of GLOBS) expect(r.message).toContain(g);
  });

  it('lexical step alone accepts paths the symlink step would refuse', () => {
    expect(lexicalRepoPath('link/progress.md', env)).toEqual({ ok: true, path: 'link/progress.md' });
  });
});

describe('lease decisions', () => {
  it.each([
    ['free → grant', undefined, 'b', 'grant'],
    ['own live → extend', rec({ owner: 'b' }), 'b', 'extend'],
    ['own expired → extend', rec({ owner: 'b', expires: '2026-01-01T11:59:59.000Z' }), 'b', 'extend'],
    ['other live → deny', rec(), 'b', 'deny'],
    ['other expired → takeover', rec({ expires: '2026-01-01T11:59:00.000Z' }), 'b', 'takeover'],
    ['other expiring exactly now → takeover', rec({ expires: '2026-01-01T12:00:00.000Z' }), 'b', 'takeover'],
  ] as const)('%s', (_n, existing, owner, kind) => {
    expect(decideAcquire(existing, owner, NOW).kind).toBe(kind);
  });

  it('takeover carries the previous holder; deny carries the holder', () => {
    const old = rec({ expires: '2026-01-01T11:00:00.000Z' });
    expect(decideAcquire(old, 'b', NOW)).toEqual({ kind: 'takeover', previous: old });
    expect(decideAcquire(rec(), 'b', NOW)).toEqual({ kind: 'deny', holder: rec() });
  });

  it.each([
    [undefined, 'a', 'free'],
    [rec(), 'a', 'release'],
    [rec(), 'b', 'other'],
    [rec({ expires: '2026-01-01T11:00:00.000Z' }), 'b', 'other'],
  ] as const)('release %#', (existing, owner, kind) => {
    expect(decideRelease(existing, owner).kind).toBe(kind);
  });

  it.each([
    [undefined, 'a', 'free'],
    [rec(), 'a', 'renew'],
    [rec({ expires: '2026-01-01T11:00:00.000Z' }), 'a', 'renew'],
    [rec(), 'b', 'other'],
  ] as const)('renew %#', (existing, owner, kind) => {
    expect(decideRenew(existing, owner).kind).toBe(kind);
  });

  it.each([
    [0, [], 1],
    [5, [], 6],
    [5, [3, 9], 10],
    [12, [3, 9], 13],
  ])('next fencing token after counter %i and records %j is %i', (last, tokens, next) => {
    expect(nextToken(last, tokens)).toBe(next);
  });

  it('leaseState', () => {
    expect(leaseState(rec(), NOW)).toBe('held');
    expect(leaseState(rec({ expires: '2026-01-01T12:00:00.000Z' }), NOW)).toBe('expired');
  });
});

describe('commands and quoting', () => {
  it.each([
    ['progress.md', 'progress.md'],
    ['a b/progress.md', "'a b/progress.md'"],
    ["it's/progress.md", "'it'\\''s/progress.md'"],
  ])('shellQuote(%s)', (i, o) => expect(shellQuote(i)).toBe(o));
  it('acquireCommand names --owner', () => {
    expect(acquireCommand(['progress.md'], 'sess-1')).toBe("gate lock acquire progress.md --owner sess-1 --reason '<why>'");
  });
});

const ch = (status: FileChange['status'], path: string, oldPath?: string): FileChange => ({
  status,
  path,
  ...(oldPath ? { oldPath } : {}),
  oldMode: '100644',
  newMode: '100644',
  oldBlob: '0'.repeat(40),
  newBlob: '1'.repeat(40),
});

describe('pre-commit lease findings', () => {
  const isHandoff = compileGlobs(GLOBS);
  it('collects both sides of a rename, the new side of a copy, and ignores other files', () => {
    const changes = [ch('R', 'notes.md', 'progress.md'), ch('R', 'tasks/1/progress.md', 'old.md'), ch('C', 'b/todos.md', 'a/todos.md'), ch('M', 'src/x.ts'), ch('D', '.agents/buffer.md')];
    expect(stagedHandoffPaths(changes, isHandoff)).toEqual(['.agents/buffer.md', 'b/todos.md', 'progress.md', 'tasks/1/progress.md']);
  });

  const run = (changes: FileChange[], leases: [string, LeaseRecord | undefined][], actor = 'a') =>
    leaseFindings({ changes, isHandoff, leases: new Map(leases), actor, nowMs: NOW });

  it.each(['M', 'A', 'D'] as const)('a %s of a handoff document leased by the committer passes', (status) => {
    expect(run([ch(status, 'progress.md')], [['progress.md', rec()]])).toEqual([]);
  });

  it.each([
    ['free', undefined, 'a', 'A_LEASE_FREE'],
    ['held by another', rec({ owner: 'b' }), 'a', 'A_LEASE_HELD'],
    ['expired, was another', rec({ owner: 'b', expires: '2026-01-01T11:00:00.000Z' }), 'a', 'A_LEASE_NOT_HELD'],
    ['own but expired', rec({ expires: '2026-01-01T11:00:00.000Z' }), 'a', 'A_LEASE_EXPIRED'],
  ] as const)('blocks when the lease is %s', (_n, lease, actor, code) => {
    const f = run([ch('M', 'progress.md')], [['progress.md', lease]], actor);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ gate: 'A', code, severity: 'block', path: 'progress.md' });
    expect(f[0]!.fix).toMatch(/gate lock (acquire|renew) progress\.md/);
  });

  it('names the holder, or says free, with the exact acquire command', () => {
    const held = run([ch('M', 'progress.md')], [['progress.md', rec({ owner: 'sess-b' })]], 'sess-a')[0]!;
    expect(held.message).toContain('held by sess-b');
    expect(held.fix).toContain('gate lock acquire progress.md --owner sess-a');
    const free = run([ch('M', 'progress.md')], [['progress.md', undefined]], 'human:h@x')[0]!;
    expect(free.message).toContain('free');
    expect(free.fix).toBe("gate lock acquire progress.md --owner human:h@x --reason '<why>'");
  });

  it('a rename needs leases on both paths', () => {
    const f = run([ch('R', 'tasks/2/progress.md', 'progress.md')], [['progress.md', rec()], ['tasks/2/progress.md', undefined]]);
    expect(f.map((x) => x.path)).toEqual(['tasks/2/progress.md']);
    const g = run([ch('R', 'tasks/2/progress.md', 'progress.md')], [['progress.md', undefined], ['tasks/2/progress.md', rec({ path: 'tasks/2/progress.md' })]]);
    expect(g.map((x) => x.path)).toEqual(['progress.md']);
  });
});

describe('lease record schema', () => {
  it('accepts a valid record and names the first problem of broken ones', () => {
    expect(leaseProblem(rec())).toBeUndefined();
    expect(leaseProblem(null)).toBe('not a JSON object');
    expect(leaseProblem({ ...rec(), v: 2 })).toMatch(/^v:/);
    expect(leaseProblem({ ...rec(), owner: '' })).toMatch(/^owner:/);
    expect(leaseProblem({ ...rec(), expires: 'soon' })).toMatch(/^expires:/);
    expect(leaseProblem({ ...rec(), token: 0 })).toMatch(/^token:/);
    expect(leaseProblem({ ...rec(), branch: 3 })).toMatch(/^branch:/);
    expect(leaseProblem({ ...rec(), pid: 'x' })).toMatch(/^pid:/);
    expect(fenceProblem({ v: 1, last: 3 })).toBeUndefined();
    expect(fenceProblem({ v: 1, last: -1 })).toMatch(/^last:/);
    expect(fenceProblem([])).toBe('not a JSON object');
  });
});

describe('messages', () => {
  it.each([
    [5, '5s'],
    [119, '119s'],
    [600, '10m'],
    [7200, '2h'],
    [-30, '30s ago'],
  ])('formatSeconds(%i) = %s', (s, out) => expect(formatSeconds(s)).toBe(out));

  it('describeHolder for held (with and without a branch) and expired leases', () => {
    expect(describeHolder(rec(), NOW)).toBe('held by a since 2026-01-01T11:50:00.000Z (worktree /r/repo, branch main), expires 2026-01-01T12:10:00.000Z (in 10m)');
    expect(describeHolder(rec({ branch: null }), NOW)).toContain('(worktree /r/repo), expires');
    expect(describeHolder(rec({ expires: '2026-01-01T11:00:00.000Z' }), NOW)).toBe('its lease by a expired at 2026-01-01T11:00:00.000Z');
  });

  it.each([
    ['A', 'adds'],
    ['M', 'modifies'],
    ['D', 'deletes'],
    ['T', 'changes the type of'],
    ['X', 'changes'],
  ] as const)('a %s change is described as "%s"', (status, verb) => {
    const f = leaseFindings({ changes: [ch(status, 'progress.md')], isHandoff: compileGlobs(GLOBS), leases: new Map([['progress.md', undefined]]), actor: 'a', nowMs: NOW });
    expect(f[0]!.message).toContain(`this commit ${verb} the handoff document`);
  });

  it('the old side of a rename is described as renamed away', () => {
    const f = leaseFindings({ changes: [ch('R', 'notes.md', 'progress.md')], isHandoff: compileGlobs(GLOBS), leases: new Map([['progress.md', undefined]]), actor: 'a', nowMs: NOW });
    expect(f[0]!.message).toContain('renames away');
  });
});
