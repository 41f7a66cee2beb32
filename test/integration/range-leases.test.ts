/**
 * `gate check --range` against the remote's lease history (ADR 0026): one bare remote, two clones
 * (two people) with the pre- and post-commit hooks. The post-commit records the lease a handoff
 * change was made under in the commit's note; the range check confirms it from the remote's fence
 * history. Each attack is a rewritten note or a commit made around the hooks (as `--no-verify` or a
 * machine without them would), and must come out as a coded violation, never a pass. The leases are
 * taken and given back through the lease use case in process (the lock CLI has its own tests); the
 * commits go through the real hooks, and the CLI judges the range once per exit code (0 and 3).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../../src/app/context.js';
import { checkRange, rangeSummaryLines } from '../../src/app/review/range.js';
import { acquire, release } from '../../src/app/leases/lease.js';
import { gateHookScript, makeRepo, run, type TempRepo } from '../helpers/repo.js';
import { withEnv } from '../helpers/range.js';

const BASE_CONFIG = 'version: 1\n';
const CONFIG = 'version: 1\nhandoff:\n  remote: origin\n  remote_timeout: 3s\n';
const DOC = 'progress.md';
const json = (s: string) => JSON.parse(s) as Record<string, any>;

let seed: TempRepo;
let bare: string;
let a: TempRepo;
let b: TempRepo;
/** The commit without handoff.remote in its config, and the one that adds it. */
let base0: string;
let base1: string;
/** A's commit of progress.md under its lease, and its note. */
let c1: string;
let note1: string;

function cloneOf(email: string): TempRepo {
  const r = makeRepo({ init: false });
  const c = run('git', ['clone', '-q', bare, '.'], { cwd: r.dir, env: r.env });
  if (c.code !== 0) throw new Error(`git clone: ${c.stderr}`);
  r.gitOk('config', 'user.name', email.split('@')[0]!);
  r.gitOk('config', 'user.email', email);
  r.gitOk('config', 'commit.gpgsign', 'false');
  for (const h of ['pre-commit', 'post-commit']) writeFileSync(join(r.commonDir(), 'hooks', h), gateHookScript(h), { mode: 0o755 });
  return r;
}

/** Stage `text` as progress.md and commit through the hooks (or around them). */
function commitDoc(r: TempRepo, text: string, opts: { verify?: boolean; env?: NodeJS.ProcessEnv } = {}): { code: number; stderr: string; head: string } {
  r.write(DOC, text);
  r.gitOk('add', DOC);
  const c = run('git', ['commit', '-q', ...(opts.verify === false ? ['--no-verify'] : []), '-m', `edit ${text.trim()}`], { cwd: r.dir, env: { ...r.env, ...opts.env } });
  return { code: c.code, stderr: c.stderr, head: r.gitOk('rev-parse', 'HEAD') };
}

const noteOf = (r: TempRepo, commit: string): string => r.gitOk('notes', '--ref', 'refs/notes/agent-gates', 'show', commit);
function setNote(r: TempRepo, commit: string, body: string): void {
  const x = run('git', ['notes', '--ref', 'refs/notes/agent-gates', 'add', '-f', '-F', '-', commit], { cwd: r.dir, env: r.env, input: body });
  if (x.code !== 0) throw new Error(x.stderr);
}
const leaseDoc = (entries: object[]): string => `${JSON.stringify({ agent_gates_leases: 1, leases: entries })}\n`;
const evidenceOf = (note: string): Record<string, any> =>
  note
    .split(/\n(?=\{)/)
    .map((d) => json(d))
    .find((d) => d.agent_gates_leases === 1)!.leases[0];

function check(r: TempRepo, range: string): { code: number; out: Record<string, any>; stderr: string } {
  const x = r.gate(['check', '--range', range, '--json']);
  return { code: x.code, out: x.stdout.trim() ? json(x.stdout) : {}, stderr: x.stderr };
}
/** The same check in this process (the CLI path is run above and in the exit-3 case): what the agent-written notes vary. */
async function checkIn(r: TempRepo, range: string): Promise<{ code: number; out: Record<string, any>; stderr: string }> {
  const rep = await withEnv(r.env, () => checkRange(openContext(r.dir), range));
  return { code: rep.ok ? 0 : 1, out: JSON.parse(JSON.stringify(rep)), stderr: '' };
}
/**
 * `gate lock acquire|release <path> [--owner]` in process (the lease use case; the CLI's exit 0 is `ok`),
 * under the clone's environment plus `env` (GATE_SESSION for an agent), in the clone's directory.
 */
async function lock(r: TempRepo, op: 'acquire' | 'release', path: string, o: { owner?: string; env?: NodeJS.ProcessEnv } = {}): Promise<boolean> {
  const args = { paths: [path], cwd: r.dir, ...(o.owner ? { owner: o.owner } : {}) };
  return withEnv({ ...r.env, ...o.env }, async () => (op === 'acquire' ? await acquire(openContext(r.dir), args) : await release(openContext(r.dir), args)).ok);
}
const codes = (out: Record<string, any>): string[] => (out.violations ?? []).map((v: { code: string }) => v.code);

beforeAll(() => {
  seed = makeRepo({ files: { '.agents/gates.yaml': BASE_CONFIG, [DOC]: '0\n', 'todos.md': 'x\n' } });
  base0 = seed.gitOk('rev-parse', 'HEAD');
  seed.write('.agents/gates.yaml', CONFIG);
  seed.gitOk('commit', '-q', '-am', 'leases on the remote');
  base1 = seed.gitOk('rev-parse', 'HEAD');
  bare = join(seed.home, 'remote.git');
  seed.gitOk('init', '-q', '--bare', '-b', 'main', bare);
  seed.gitOk('push', '-q', bare, 'main');
  a = cloneOf('a@example.com');
  b = cloneOf('b@example.com');
}, 30_000);

describe('gate check --range against the remote lease history (handoff.remote at the base)', () => {
  it('a handoff change made under a remote lease carries its evidence in the note, and the range check confirms it', async () => {
    expect(await lock(a, 'acquire', DOC, { owner: 'human:a@example.com' })).toBe(true);
    const made = commitDoc(a, 'a1\n');
    expect(made.code, made.stderr).toBe(0);
    c1 = made.head;
    note1 = noteOf(a, c1);
    const ev = evidenceOf(note1);
    expect(ev).toMatchObject({ path: DOC, remote: 'origin', token: 1, owner: 'human:a@example.com', version: expect.stringMatching(/^[0-9a-f]{40}$/) });
    // the version is the grant on the remote's fence ref
    const fence = run('git', ['for-each-ref', '--format=%(objectname)', 'refs/agent-gates/fence/'], { cwd: bare }).stdout.trim();
    expect(fence).toBe(ev.version);
    const r = check(a, `${base1}..${c1}`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.out.leases).toMatchObject({ remote: 'origin', required: 1, fetched: true, checked: [{ commit: c1, path: DOC, token: 1, owner: 'human:a@example.com' }] });
    // the text output says so too
    expect(rangeSummaryLines(await checkRange(openContext(a.dir), `${base1}..${c1}`))).toContain('  leases: 1 handoff change checked against the lease history on "origin" (1 confirmed)');
  });

  it('attacks on the evidence: a removed note, another path\'s version, another remote, a forged version outside the fence history, a wrong token or owner', async () => {
    // a lease on another handoff document: its version is a real grant, on the wrong path
    expect(await lock(a, 'acquire', 'todos.md', { owner: 'human:a@example.com' })).toBe(true);
    const other = run('git', ['ls-remote', bare, 'refs/agent-gates/fence/*'], { env: a.env }).stdout.trim().split('\n').map((l) => l.split('\t')[0]!).find((o) => o !== evidenceOf(note1).version)!;
    // a lease commit made locally with a valid record, never pushed to the fence ref
    const rec = { v: 1, path: DOC, owner: 'human:a@example.com', host: 'h', pid: 1, worktree: a.dir, branch: 'main', acquired: '2026-01-01T00:00:00.000Z', renewed: '2026-01-01T00:00:00.000Z', expires: '2026-01-01T01:00:00.000Z', reason: null, token: 1 };
    const forged = run('git', ['commit-tree', '4b825dc642cb6eb9a060e54bf8d69288fbee4904', '-F', '-'], { cwd: a.dir, env: a.env, input: `agent-gates lease grant: ${DOC} by human:a@example.com (token 1)\n\n${JSON.stringify(rec)}\n` }).stdout.trim();
    const good = evidenceOf(note1);
    const cases: Array<[string, string | undefined, string]> = [
      ['note removed', undefined, 'C_LEASE_MISSING'],
      ['another path named', leaseDoc([{ ...good, path: 'todos.md', version: other }]), 'C_LEASE_MISSING'],
      ["another path's version", leaseDoc([{ ...good, version: other }]), 'C_LEASE_UNKNOWN'],
      ['another remote', leaseDoc([{ ...good, remote: 'upstream' }]), 'C_LEASE_MISMATCH'],
      ['forged version', leaseDoc([{ ...good, version: forged }]), 'C_LEASE_UNKNOWN'],
      ['wrong token', leaseDoc([{ ...good, token: 7 }]), 'C_LEASE_MISMATCH'],
      ['wrong owner', leaseDoc([{ ...good, owner: 'human:b@example.com' }]), 'C_LEASE_MISMATCH'],
      ['garbage', '{"agent_gates_leases": 2}\n', 'C_LEASE_MISSING'],
    ];
    for (const [what, body, code] of cases) {
      if (body === undefined) a.gitOk('notes', '--ref', 'refs/notes/agent-gates', 'remove', c1);
      else setNote(a, c1, body);
      const r = await checkIn(a, `${base1}..${c1}`);
      expect(r.code, `${what}: ${r.stderr}`).toBe(1);
      expect(codes(r.out), what).toEqual([code]);
      expect(r.out.violations[0]).toMatchObject({ commit: c1, path: DOC });
      expect(r.out.findings[0].fix, what).toContain('gate lock acquire progress.md');
    }
    // positive only: a bad entry beside the good one changes nothing
    setNote(a, c1, `${note1}\n${leaseDoc([{ ...good, version: forged }])}`);
    expect((await checkIn(a, `${base1}..${c1}`)).code).toBe(0);
    setNote(a, c1, note1);
    expect(await lock(a, 'release', 'todos.md', { owner: 'human:a@example.com' })).toBe(true);
  });

  it('a token replayed on a commit by another person is not that person\'s lease', async () => {
    a.write(DOC, 'b-replay\n');
    a.gitOk('add', DOC);
    a.gitOk('-c', 'user.email=b@example.com', 'commit', '-q', '--no-verify', '-m', 'b reuses a\'s lease');
    const c = a.gitOk('rev-parse', 'HEAD');
    setNote(a, c, note1);
    const r = await checkIn(a, `${base1}..${c}`);
    expect(r.code).toBe(1);
    expect(r.out.violations).toMatchObject([{ code: 'C_LEASE_MISMATCH', commit: c, path: DOC }]);
    expect(r.out.violations[0].missing).toContain('but the commit was made by human:b@example.com');
    a.gitOk('reset', '-q', '--hard', c1);
  });

  it('a writer fenced off by a newer grant cannot land its change after it: tokens never go backwards along the range', async () => {
    a.gitOk('push', '-q', 'origin', 'main', 'refs/notes/agent-gates');
    expect(await lock(a, 'release', DOC, { owner: 'human:a@example.com' })).toBe(true);
    b.gitOk('pull', '-q', '--ff-only', 'origin', 'main');
    b.gitOk('fetch', '-q', 'origin', 'refs/notes/agent-gates:refs/notes/agent-gates');
    // b is an agent session this time: its lease and its commit are GATE_SESSION's
    const agent = { GATE_SESSION: 'agent-b' };
    expect(await lock(b, 'acquire', DOC, { env: agent })).toBe(true);
    const c2 = commitDoc(b, 'b2\n', { env: agent });
    expect(c2.code, c2.stderr).toBe(0);
    expect(evidenceOf(noteOf(b, c2.head))).toMatchObject({ token: 2, owner: 'agent-b' });
    b.gitOk('push', '-q', 'origin', 'main', 'refs/notes/agent-gates');
    a.gitOk('pull', '-q', '--ff-only', 'origin', 'main');
    a.gitOk('fetch', '-q', 'origin', '+refs/notes/agent-gates:refs/notes/agent-gates');
    // a, no longer holding the lease, writes anyway (no hooks) and reuses its old, genuine evidence
    const c3 = commitDoc(a, 'a3\n', { verify: false });
    setNote(a, c3.head, note1);
    const r = await checkIn(a, `${base1}..${c3.head}`);
    expect(r.code).toBe(1);
    expect(r.out.violations).toMatchObject([{ code: 'C_LEASE_TOKEN_BACKWARDS', commit: c3.head, path: DOC }]);
    expect(r.out.leases.checked.map((x: { token: number }) => x.token)).toEqual([1, 2, 1]);
    // the range up to b's commit is fine, seen from either clone
    expect((await checkIn(b, `${base1}..${c2.head}`)).code).toBe(0);
    a.gitOk('reset', '-q', '--hard', c2.head);
  });

  it('a merge may carry a version of a handoff document that a leased commit in the range wrote, never an older one or a deletion from a parent outside the range', async () => {
    const head = a.gitOk('rev-parse', 'HEAD'); // c2: b's leased b2, on top of a's leased a1 (c1)
    const treeWith = (text: string | null): string => {
      a.gitOk('read-tree', head);
      if (text === null) a.gitOk('rm', '-q', '--cached', DOC);
      else a.gitOk('update-index', '--cacheinfo', `100644,${run('git', ['hash-object', '-w', '--stdin'], { cwd: a.dir, env: a.env, input: text }).stdout.trim()},${DOC}`);
      const t = a.gitOk('write-tree');
      a.gitOk('read-tree', head);
      return t;
    };
    const merge = (tree: string, parents: string[]) => a.gitOk('commit-tree', tree, ...parents.flatMap((x) => ['-p', x]), '-m', 'merge');
    // the other side's leased version (c2 wrote b2 under its lease): carried, no evidence needed
    const carried = merge(treeWith('b2\n'), [c1, head]);
    const ok = await checkIn(a, `${base1}..${carried}`);
    expect(codes(ok.out).filter((x) => x.startsWith('C_LEASE_')), JSON.stringify(ok.out.violations)).toEqual([]);
    // a rollback to the version of a parent that is an ancestor of the base: a write without a lease
    const rollback = merge(treeWith('0\n'), [head, base0]);
    const r1 = await checkIn(a, `${base1}..${rollback}`);
    expect(r1.out.violations).toContainEqual(expect.objectContaining({ code: 'C_LEASE_MISSING', commit: rollback, path: DOC }));
    // a deletion taken from an unrelated root commit with an empty tree
    const empty = a.gitOk('commit-tree', a.gitOk('mktree'), '-m', 'empty');
    const deletion = merge(treeWith(null), [head, empty]);
    const r2 = await checkIn(a, `${base1}..${deletion}`);
    expect(r2.out.violations).toContainEqual(expect.objectContaining({ code: 'C_LEASE_MISSING', commit: deletion, path: DOC }));
  });

  it('the base decides: a head that drops handoff.remote is still checked; a base without it makes no network call; an unreachable remote is exit 3', async () => {
    a.write('.agents/gates.yaml', BASE_CONFIG);
    a.write(DOC, 'dropped\n');
    a.gitOk('add', '-A');
    a.gitOk('commit', '-q', '--no-verify', '-m', 'drop the remote and edit');
    const c = a.gitOk('rev-parse', 'HEAD');
    const r = await checkIn(a, `${base1}..${c}`);
    expect(r.code).toBe(1);
    expect(codes(r.out)).toContain('C_LEASE_MISSING');
    a.gitOk('remote', 'set-url', 'origin', join(seed.home, 'nowhere.git'));
    try {
      const down = check(a, `${base1}..${c}`);
      expect(down.code, down.stderr).toBe(3);
      expect(down.out.error?.code ?? down.stderr).toMatch(/REMOTE_UNREACHABLE/);
      // from a base without handoff.remote, leases are not judged and the remote is not asked
      const none = await checkIn(a, `${base0}..${c}`);
      expect(none.code).toBe(1); // the config change itself is unapproved (Gate B), nothing more
      expect(none.out.leases).toBeUndefined();
      expect(codes(none.out).filter((x) => x.startsWith('C_LEASE_'))).toEqual([]);
    } finally {
      a.gitOk('remote', 'set-url', 'origin', bare);
      a.gitOk('reset', '-q', '--hard', 'origin/main');
    }
  });
});
