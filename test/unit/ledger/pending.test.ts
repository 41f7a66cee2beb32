import { afterEach, describe, expect, it } from 'vitest';
import { formatReceipt, parseCommitObject, parsePendingText, pendingEvent, type CommitObject } from '../../../src/ledger/pending.js';
import { parseCatFileBatch } from '../../../src/adapters/git.js';
import { deferredRecord } from '../../../src/app/hooks/run.js';
import type { HookGate, StagedFacts } from '../../../src/app/hooks/types.js';
import type { Ctx } from '../../../src/app/context.js';
import { ReviewAggregator } from '../../../src/review/aggregate.js';
import { defaultConfig } from '../../../src/schema/config/defaults.js';
import type { LedgerEntry } from '../../../src/schema/ledger/schema.js';

const T = 'a'.repeat(40);
const P = 'b'.repeat(40);
const C = 'c'.repeat(40);
const actor = { kind: 'human' as const, id: 'human:h@example.com' };
const rec = { tree: T, parent: P, actor, paths: ['x.txt'], data: { files: 1, gate_b: { tier: 'AUTO', classified_tier: 'AUTO' } } };
const known = new Map<string, CommitObject>([[C, { tree: T, parents: [P], time: Date.UTC(2026, 0, 2, 3, 4, 5) }]]);

describe('receipt and pending record', () => {
  it('a receipt round-trips into the commit event the node post-commit records, marked deferred', () => {
    const text = formatReceipt(rec);
    expect(text).toBe(`${T} ${P}\t{"actor":{"kind":"human","id":"human:h@example.com"},"paths":["x.txt"],"data":{"files":1,"gate_b":{"tier":"AUTO","classified_tier":"AUTO"}}}\n`);
    expect(pendingEvent({ name: C, text }, known)).toEqual({
      event: 'commit',
      actor,
      subject: { commit: C, tree: T, paths: ['x.txt'] },
      data: { files: 1, gate_b: { tier: 'AUTO', classified_tier: 'AUTO' }, deferred: true, committed_at: '2026-01-02T03:04:05.000Z' },
    });
  });

  it.each([
    ['two lines', `${formatReceipt(rec)}${formatReceipt(rec)}`, 'newline'],
    ['no newline', formatReceipt(rec).trimEnd(), 'newline'],
    ['a short tree', formatReceipt({ ...rec, tree: 'abc' }), 'full object id'],
    ['bad JSON', `${T} ${P}\t{nope\n`, 'not valid JSON'],
    ['a gated tier', formatReceipt({ ...rec, data: { files: 1, gate_b: { tier: 'CONFIRM' } } }), 'only AUTO'],
    ['files that do not match paths', formatReceipt({ ...rec, data: { ...rec.data, files: 3 } }), 'data.files'],
    ['a fold-only field', formatReceipt({ ...rec, data: { ...rec.data, deferred: true } }), 'only the fold'],
    ['a bad actor', formatReceipt({ ...rec, actor: { kind: 'robot', id: 'x' } as never }), 'actor.kind'],
    ['extra fields', `${T} ${P}\t${JSON.stringify({ actor, paths: [], data: { files: 0, gate_b: { tier: 'AUTO' } }, extra: 1 })}\n`, 'unexpected fields'],
  ])('rejects %s', (_what, text, reason) => {
    const p = parsePendingText(text);
    expect(p.ok).toBe(false);
    expect(!p.ok && p.reason).toContain(reason);
    const ev = pendingEvent({ name: C, text }, known);
    expect(ev.event).toBe('commit.pending-invalid');
    expect(ev.subject).toEqual({ commit: C });
    expect(ev.data).toMatchObject({ file: C, bytes: text.slice(0, 2000) });
  });

  it('checks the record against the commit git knows: unknown, other tree, other parent, a merge', () => {
    const text = formatReceipt(rec);
    expect(pendingEvent({ name: 'd'.repeat(40), text }, known).data?.reason).toBe('git does not know this commit');
    for (const c of [{ tree: P, parents: [P] }, { tree: T, parents: [T] }, { tree: T, parents: [P, T] }, { tree: T, parents: [] }]) {
      const ev = pendingEvent({ name: C, text }, new Map([[C, { ...c, time: 0 }]]));
      expect(ev.event).toBe('commit.pending-invalid');
      expect(ev.data?.reason).toContain('but the commit has');
    }
    expect(pendingEvent({ name: 'HEAD', text }, known)).toMatchObject({ event: 'commit.pending-invalid', subject: {}, data: { file: 'HEAD' } });
    expect(pendingEvent({ name: C, unreadable: 'not a regular file' }, known).data?.reason).toBe('not a regular file');
  });

  it('"committer" names the person from the commit (no git process at pre-commit)', () => {
    const text = formatReceipt({ ...rec, actor: 'committer' });
    const withEmail = new Map([[C, { ...known.get(C)!, committerEmail: 'c@example.com' }]]);
    expect(pendingEvent({ name: C, text }, withEmail).actor).toEqual({ kind: 'human', id: 'human:c@example.com' });
    expect(parsePendingText(text.replace('"committer"', '"someone"')).ok).toBe(false);
  });

  it('parses commit objects from cat-file --batch, skipping missing ids and other types', () => {
    const body = `tree ${T}\nparent ${P}\nauthor A <a@x> 1700000000 +0000\ncommitter B <b@x> 1700000100 +0200\n\nmsg\n`;
    const blob = 'hello';
    const out = Buffer.from(`${C} commit ${Buffer.byteLength(body)}\n${body}\n${'d'.repeat(40)} missing\n${'e'.repeat(40)} blob ${blob.length}\n${blob}\n`);
    const m = parseCatFileBatch(out, [C, 'd'.repeat(40), 'e'.repeat(40)]);
    expect([...m.keys()]).toEqual([C, 'e'.repeat(40)]);
    expect(m.get('e'.repeat(40))).toEqual({ type: 'blob', oid: 'e'.repeat(40), body: Buffer.from(blob) });
    expect(m.get(C)!.type).toBe('commit');
    expect(parseCommitObject(m.get(C)!.body.toString('utf8'))).toEqual({ tree: T, parents: [P], time: 1700000100 * 1000, committerEmail: 'b@x' });
    expect(parseCommitObject(blob)).toBeUndefined();
  });
});

describe('deferredRecord: an explicit answer from every hook gate', () => {
  const staged: StagedFacts = { tree: T, head: P, changes: [{ status: 'M', path: 'x.txt', oldBlob: '1', newBlob: '2', oldMode: '100644', newMode: '100644' } as never], config: defaultConfig() };
  // a person's ctx.actor() runs `git config`: the receipt must not call it
  const ctx = { actor: () => { throw new Error('ctx.actor() called'); } } as unknown as Ctx;
  const saved = process.env.GATE_SESSION;
  afterEach(() => {
    if (saved === undefined) delete process.env.GATE_SESSION;
    else process.env.GATE_SESSION = saved;
  });
  const ok = (name: string, data?: Record<string, unknown>): HookGate => ({ name, deferPostCommit: () => ({ deferrable: true, ...(data ? { data } : {}) }) });

  it('all deferrable: the record merges their data after files', async () => {
    delete process.env.GATE_SESSION;
    const r = await deferredRecord(ctx, [ok('a'), ok('b', { gate_b: { tier: 'AUTO' } })], staged);
    expect(r).toEqual({ tree: T, parent: P, actor: 'committer', paths: ['x.txt'], data: { files: 1, gate_b: { tier: 'AUTO' } } });
  });
  it('an agent session is named in the receipt itself, as ctx.actor() would name it', async () => {
    process.env.GATE_SESSION = 'sess-9';
    expect((await deferredRecord(ctx, [ok('a')], staged))?.actor).toEqual({ kind: 'agent', id: 'sess-9', session: 'sess-9' });
  });
  it('a gate without the method disables the receipt', async () => {
    expect(await deferredRecord(ctx, [ok('a'), { name: 'new-gate', preCommit: () => [] }], staged)).toBeUndefined();
  });
  it('a gate that says not deferrable disables it', async () => {
    expect(await deferredRecord(ctx, [ok('a'), { name: 'b', deferPostCommit: () => ({ deferrable: false, reason: 'needs the commit' }) }], staged)).toBeUndefined();
  });
  it('a root commit gets none (the hook needs exactly one parent)', async () => {
    expect(await deferredRecord(ctx, [ok('a')], { ...staged, head: undefined })).toBeUndefined();
  });
});

describe('review counts a deferred commit when it was made', () => {
  it('uses committed_at (never later than the entry) for the window', () => {
    const now = Date.UTC(2026, 5, 15, 12);
    const agg = new ReviewAggregator({ config: defaultConfig(), sinceMs: now - 86_400_000, nowMs: now });
    const entry = (ts: number, data: Record<string, unknown>): LedgerEntry => ({ seq: 1, ts: new Date(ts).toISOString(), event: 'commit', actor, subject: { commit: C, tree: T, paths: ['x.txt'] }, data, prev: '0'.repeat(64) });
    // folded a minute after "now" (the review folds after it read its clock), made before it
    agg.push(entry(now + 60_000, { files: 1, gate_b: { tier: 'AUTO' }, deferred: true, committed_at: new Date(now - 60_000).toISOString() }));
    // not deferred: its own ts counts (after now: outside the window)
    agg.push(entry(now + 60_000, { files: 1, gate_b: { tier: 'AUTO' }, committed_at: new Date(now - 60_000).toISOString() }));
    expect(agg.result().gateB.commits).toBe(1);
  });
});
