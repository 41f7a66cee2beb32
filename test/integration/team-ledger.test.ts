/**
 * The team's ledger on a shared remote (ADR 0024), against real bare remotes on this machine:
 * three clones publish (`gate ledger publish`), a review over the team equals the sum of the
 * three, a forced push that rewrites a published ledger is named (clone and line) by
 * `gate audit verify --team`, a publish that would not be a fast-forward is refused, and an
 * unreachable remote is CANNOT_EVALUATE. The remote is a path, a file:// URL and `git daemon` on
 * the loopback interface. One remote and three clones for the file; GATE_STRESS=1 scales the
 * number of entries.
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, makeTempDir, run, type TempRepo } from '../helpers/repo.js';
import { startGitDaemon, stopGitDaemon } from '../helpers/git-daemon.js';
import { openContext } from '../../src/app/context.js';
import { collectTeam, publishLedger, teamAuditVerify, teamPending } from '../../src/app/review/team.js';
import { explain } from '../../src/app/approvals/explain.js';
import { withEnv } from '../helpers/range.js';
import { buildReview } from '../../src/app/review/review.js';
import { linkHash } from '../../src/ledger/chain.js';

const STRESS = process.env.GATE_STRESS === '1';
const CONFIG = 'version: 1\nsurfaces:\n  - name: rules\n    paths: ["rules/**"]\n    tier: CONFIRM\n';
const human = { kind: 'human' as const, id: 'human:human@example.com' };
/** Entries of clone i: one init, then K * (i + 1) explains. */
const K = STRESS ? 5000 : 4;
const n = (i: number): number => 1 + K * (i + 1);

let base: string;
let bare: string;
const clones: TempRepo[] = [];
const ids: string[] = [];
let daemon: ChildProcess | undefined;
let daemonUrl = '';

function cloneFrom(remote: string): TempRepo {
  const r = makeRepo({ init: false });
  const c = run('git', ['clone', '-q', remote, '.'], { cwd: r.dir, env: r.env });
  if (c.code !== 0) throw new Error(c.stderr);
  // the identity written into the clone's config file, as makeRepo does (two git processes less)
  appendFileSync(join(r.dir, '.git', 'config'), '[user]\n\tname = Test Human\n\temail = human@example.com\n');
  return r;
}

async function record(r: TempRepo, n: number, event: 'init' | 'explain' | 'reject' = 'explain'): Promise<void> {
  const ctx = openContext(r.dir);
  const batch = Array.from({ length: n }, (_, i) => ({ event, actor: human, subject: { paths: [`rules/${i}.yaml`] }, data: { n: i } }));
  for (let i = 0; i < batch.length; i += 500) await ctx.record(batch.slice(i, i + 500));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  base = makeTempDir('gate-team-');
  bare = join(base, 'shared.git');
  mkdirSync(bare);
  run('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  const seed = makeRepo({ files: { '.agents/gates.yaml': CONFIG, 'README.md': 'hello\n' } });
  seed.gitOk('push', '-q', bare, 'main');
  for (let i = 0; i < 3; i++) {
    const c = cloneFrom(bare);
    await record(c, 1, 'init');
    await record(c, K * (i + 1));
    clones.push(c);
    ids.push(openContext(c.dir).ledger.repoId(false)!);
  }
  // git daemon on the loopback interface, exporting the directory that holds the bare remote
  const port = await freePort();
  daemon = startGitDaemon(base, port);
  daemonUrl = `git://127.0.0.1:${port}/shared.git`;
  for (let i = 0; i < 50; i++) {
    if (run('git', ['ls-remote', daemonUrl]).code === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // gate uses named remotes: the same shared remote as a path (origin), file:// and git://
  // (the sections `git remote add` writes, appended to each clone's config file: four git processes less each)
  const remotes = { viafile: `file://${bare}`, viadaemon: daemonUrl, gone: join(base, 'no-such-remote.git'), closed: 'git://127.0.0.1:1/shared.git' };
  const sections = Object.entries(remotes).map(([name, url]) => `[remote "${name}"]\n\turl = ${url}\n\tfetch = +refs/heads/*:refs/remotes/${name}/*\n`);
  for (const c of clones) appendFileSync(join(c.dir, '.git', 'config'), sections.join(''));
});

afterAll(async () => {
  await stopGitDaemon(daemon, base);
});

describe("the team's ledger on a shared remote", () => {
  it('three clones publish over a path, file:// and git daemon; the review of the team equals the sum of the three', async () => {
    // clone 0 through the CLI (the remote as a path), clone 1 over file://, clone 2 over git://
    const p0 = clones[0]!.gate(['ledger', 'publish', '--remote', 'origin', '--json']);
    expect(p0.code, p0.stderr).toBe(0);
    expect(JSON.parse(p0.stdout)).toMatchObject({ ok: true, status: 'published', repoId: ids[0], entries: n(0) });
    const p1 = await publishLedger(openContext(clones[1]!.dir), { remote: 'viafile' });
    expect(p1).toMatchObject({ status: 'published', entries: n(1) });
    const p2 = await publishLedger(openContext(clones[2]!.dir), { remote: 'viadaemon' });
    expect(p2).toMatchObject({ status: 'published', entries: n(2) });
    // again: nothing new
    expect((await publishLedger(openContext(clones[2]!.dir), { remote: 'viadaemon' })).status).toBe('up to date');
    const refs = run('git', ['for-each-ref', '--format=%(refname)', 'refs/agent-gates/ledger/'], { cwd: bare }).stdout.trim().split('\n').sort();
    expect(refs).toEqual(ids.map((id) => `refs/agent-gates/ledger/${id}`).sort());

    // the sum: each clone reviewed alone, then the team from clone 0
    const alone = await Promise.all(clones.map((c) => buildReview(openContext(c.dir), { health: false, since: '30d' })));
    const team = await buildReview(openContext(clones[0]!.dir), { health: false, since: '30d', team: { remote: 'origin' } });
    expect(team.trusted).toBe(true);
    expect(team.team).toMatchObject({ ok: true, entries: n(0) + n(1) + n(2) });
    expect(team.ledger.entries).toBe(alone.reduce((n, r) => n + r.ledger.entries, 0));
    const sum: Record<string, number> = {};
    for (const r of alone) for (const [k, v] of Object.entries(r.ledger.byEvent)) sum[k] = (sum[k] ?? 0) + (v as number);
    expect(team.ledger.byEvent).toEqual(sum);

    // a clone appends and publishes again: a fast-forward of its chain
    await record(clones[1]!, 2);
    const again = await publishLedger(openContext(clones[1]!.dir), { remote: 'origin' });
    expect(again).toMatchObject({ status: 'published', entries: n(1) + 2, publishedBefore: n(1), previous: p1.commit });
    // in process (exit 0 with --json runs through the binary above, `ledger publish`)
    const v = await clones[2]!.gateIn(['audit', 'verify', '--team', '--remote', 'origin', '--json']);
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, entries: n(0) + n(1) + 2 + n(2), problems: [] });
    // trust is read at the revision named, never a silent fallback to HEAD (`gate audit verify --team
    // --trust <rev>`'s use case in process: ok is exit 0, a USAGE error exit 2)
    const t = await teamAuditVerify(openContext(clones[2]!.dir), { remote: 'origin', trust: 'HEAD' });
    expect(t.ok, JSON.stringify(t.problems)).toBe(true);
    await expect(teamAuditVerify(openContext(clones[2]!.dir), { remote: 'origin', trust: 'no-such-base' })).rejects.toMatchObject({ code: 'USAGE' });
  }, 180_000); // four reviews and three publications: past 60 s of wall time at load 20 (and a test that times out keeps running beside the next ones, which share its state)

  it('a forced push that rewrites a published ledger is named by `gate audit verify --team` (clone and line)', async () => {
    // clone 2 has fetched and verified every ledger (previous test); now someone rewrites clone 1's
    // published ledger: line 3 edited, every hash after it recomputed, pushed with --force
    const victim = ids[1]!;
    const ref = `refs/agent-gates/ledger/${victim}`;
    const tip = run('git', ['rev-parse', ref], { cwd: bare }).stdout.trim();
    const text = run('git', ['cat-file', 'blob', `${tip}:ledger.jsonl`], { cwd: bare, maxBuffer: 1 << 30 }).stdout;
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    (lines[2]!.data as Record<string, unknown>).n = 999;
    let prev = lines[0]!.prev as string;
    const out: string[] = [];
    for (const e of lines) {
      e.prev = prev;
      const s = JSON.stringify({ seq: e.seq, ts: e.ts, event: e.event, actor: e.actor, subject: e.subject, data: e.data, prev: e.prev });
      out.push(s);
      prev = linkHash(s);
    }
    const forged = `${out.join('\n')}\n`;
    const head = JSON.stringify({ seq: lines.length, hash: prev, size: Buffer.byteLength(forged), repoId: victim });
    const attacker = makeTempDir('gate-attacker-');
    run('git', ['init', '-q', attacker]);
    writeFileSync(join(attacker, 'ledger.jsonl'), forged);
    writeFileSync(join(attacker, 'head.json'), `${head}\n`);
    const a = (...args: string[]) => run('git', ['-c', 'user.name=x', '-c', 'user.email=x@x', ...args], { cwd: attacker });
    a('add', '-A');
    a('commit', '-q', '-m', 'rewritten');
    expect(a('push', '-q', '--force', bare, `HEAD:${ref}`).code).toBe(0);

    // the chain alone verifies (every hash recomputed): only what clone 2 fetched before tells
    const v = clones[2]!.gate(['audit', 'verify', '--team', '--remote', 'origin']);
    expect(v.code).toBe(3);
    expect(v.stderr).toContain(`clone ${victim} line 3: rewritten`);
    expect(v.stderr).toContain('forced push');
    // it stays detected: the seen copy did not move forward
    const again = (await collectTeam(openContext(clones[2]!.dir), { remote: 'origin' })).report;
    expect(again.ok).toBe(false);
    expect(again.problems).toEqual([expect.objectContaining({ repoId: victim, line: 3, reason: 'rewritten' })]);
    // a clone that never fetched that ledger: a rewrite pushed as a fast-forward on top of the chain
    // is still named, by the earlier publication's head in the chain
    const forgedTree = run('git', ['rev-parse', `${ref}^{tree}`], { cwd: bare }).stdout.trim();
    const onTop = run('git', ['-c', 'user.name=x', '-c', 'user.email=x@x', 'commit-tree', forgedTree, '-p', tip, '-m', 'rewritten on top'], { cwd: bare }).stdout.trim();
    run('git', ['update-ref', ref, onTop], { cwd: bare });
    const fresh = (await collectTeam(openContext(clones[0]!.dir), { remote: 'origin' })).report;
    expect(fresh.problems).toContainEqual(expect.objectContaining({ repoId: victim, line: 3, reason: 'rewritten' }));
    // a published ledger deleted from the remote is named too (then put back)
    const gone = run('git', ['rev-parse', `refs/agent-gates/ledger/${ids[0]}`], { cwd: bare }).stdout.trim();
    run('git', ['update-ref', '-d', `refs/agent-gates/ledger/${ids[0]}`], { cwd: bare });
    expect((await collectTeam(openContext(clones[2]!.dir), { remote: 'origin' })).report.problems).toContainEqual(expect.objectContaining({ repoId: ids[0], reason: 'withdrawn' }));
    run('git', ['update-ref', `refs/agent-gates/ledger/${ids[0]}`, gone], { cwd: bare });
    // the victim itself sees that its published ledger is no longer its own
    const own = (await collectTeam(openContext(clones[1]!.dir), { remote: 'origin' })).report;
    expect(own.problems).toContainEqual(expect.objectContaining({ repoId: victim, line: 3, reason: 'diverged' }));
    // and refuses to publish over it (not a fast-forward of what is published)
    await expect(publishLedger(openContext(clones[1]!.dir), { remote: 'origin' })).rejects.toMatchObject({ code: 'DENIED', data: { line: 3 } });
    // the review of the team is untrusted, and says which clone
    const review = await buildReview(openContext(clones[2]!.dir), { health: false, since: '30d', team: { remote: 'origin' } });
    expect(review.trusted).toBe(false);
    expect(review.integrity.problem?.message).toContain(`clone ${victim}`);
  });

  it('a publish that is not a fast-forward of the published chain is refused: a clone whose state was copied from another', async () => {
    // clone 3 starts from a copy of clone 0's state directory (same repository id), both append
    const twin = cloneFrom(bare);
    cpSync(join(clones[0]!.commonDir(), 'agent-gates'), join(twin.commonDir(), 'agent-gates'), { recursive: true });
    cpSync(join(clones[0]!.commonDir(), 'agent-gates.repo-id'), join(twin.commonDir(), 'agent-gates.repo-id'));
    await record(twin, 1, 'reject');
    await record(clones[0]!, 1);
    expect((await publishLedger(openContext(twin.dir), { remote: 'origin' })).status).toBe('published');
    const r = clones[0]!.gate(['ledger', 'publish', '--remote', 'origin']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not be a fast-forward');
    expect(r.stderr).toContain(`line ${n(0) + 1}`);
  });

  it("pending approvals: a clone publishes what its agent waits for, another clone's `gate ledger pending` shows it; a stale one is withdrawn", async () => {
    const waiting = clones[2]!;
    waiting.write('rules/a.yaml', 'a: 1\n');
    waiting.gitOk('add', 'rules/a.yaml');
    // the agent's `gate explain` and `gate ledger publish` (the default remote), their use cases in process
    const ex = await withEnv({ ...waiting.env, GATE_SESSION: 'agent-far' }, () =>
      explain(openContext(waiting.dir), { intent: 'add rule a', alternatives: ['none'], blast_radius: 'rules', reversibility: 'revert', rollback: 'git revert' }),
    );
    expect(ex.written).toBe(true);
    const pub = await withEnv(waiting.env, () => publishLedger(openContext(waiting.dir)));
    const published = pub.pending!.published;
    expect(published).toHaveLength(1);
    expect(published[0]).toMatch(new RegExp(`^refs/agent-gates/pending/${ids[2]}/[0-9a-f]{8}$`));
    const list = await clones[0]!.gateIn(['ledger', 'pending', '--diff', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const body = JSON.parse(list.stdout) as { cards: Array<{ repoId: string; id: string; tier: string; intent: string; asker: { session?: string }; files: Array<{ path: string }>; diff: string }> };
    expect(body.cards).toHaveLength(1);
    expect(body.cards[0]).toMatchObject({ repoId: ids[2], tier: 'CONFIRM', intent: 'add rule a', asker: { session: 'agent-far' }, files: [{ path: 'rules/a.yaml' }] });
    expect(body.cards[0]!.diff).toContain('+a: 1');
    // the person's inbox on another clone shows it beside the local cards, read-only: `gate inbox
    // --remote --json` prints its remote part from teamPending (default remote), here in process
    const ib = await teamPending(openContext(clones[0]!.dir));
    expect(ib.remote).toBe('origin');
    expect(ib.cards).toMatchObject([{ repoId: ids[2], intent: 'add rule a' }]);
    const inboxText = clones[0]!.gate(['inbox', '--remote', 'origin']);
    expect(inboxText.stdout).toContain('waiting on other clones');
    expect(inboxText.stdout).toContain('add rule a');
    // the agent re-stages something else: the old card no longer waits and is withdrawn
    waiting.write('rules/a.yaml', 'a: 2\n');
    waiting.gitOk('add', 'rules/a.yaml');
    const again = await publishLedger(openContext(waiting.dir), { remote: 'origin' });
    expect(again.pending).toEqual({ published: [], withdrawn: published });
    expect((await teamPending(openContext(clones[0]!.dir), { remote: 'origin' })).cards).toEqual([]);
  });

  it('an unreachable remote is CANNOT_EVALUATE (exit 3) with the fix, for publish, audit and review', async () => {
    const r = clones[0]!.gate(['ledger', 'publish', '--remote', 'gone', '--json']);
    expect(r.code).toBe(3);
    const body = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; fix: string } };
    expect(body.error.code).toBe('REMOTE_UNREACHABLE');
    expect(body.error.fix).toContain('git ls-remote gone');
    const unreachable = { code: 'REMOTE_UNREACHABLE', fix: expect.stringContaining('git ls-remote gone') };
    await expect(collectTeam(openContext(clones[0]!.dir), { remote: 'gone' })).rejects.toMatchObject(unreachable);
    await expect(buildReview(openContext(clones[0]!.dir), { health: false, team: { remote: 'gone' } })).rejects.toMatchObject(unreachable);
    // a daemon that is not listening: the same
    await expect(publishLedger(openContext(clones[0]!.dir), { remote: 'closed' })).rejects.toMatchObject({ code: 'REMOTE_UNREACHABLE' });
    // a URL is not a remote name: usage
    expect(clones[0]!.gate(['ledger', 'publish', '--remote', `file://${bare}`]).code).toBe(2);
    // the default remote (origin here) is used without --remote
    expect((await collectTeam(openContext(clones[0]!.dir))).report.remote).toBe('origin');
    // --remote without --team is a usage error
    expect((await clones[0]!.gateIn(['audit', 'verify', '--remote', 'origin'])).code).toBe(2);
  });
});
