/**
 * app/ use cases called in process through the composition root (openContext), on one shared
 * repository: the use cases no other test imports (status, explain, audit, review, signed
 * points, task list, the ledger's read API folding deferred commit records). The CLI tests cover
 * argv, output and exit codes; these cover the use cases' results, fast (no process per call).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TempRepo } from '../helpers/repo.js';
import { openContext, type Ctx } from '../../src/app/context.js';
import { status } from '../../src/app/approvals/status.js';
import { explain } from '../../src/app/approvals/explain.js';
import { auditRepair, auditVerify } from '../../src/app/review/audit.js';
import { buildReview } from '../../src/app/review/review.js';
import { signedPointsReport } from '../../src/app/review/signed-points.js';
import { taskList } from '../../src/app/leases/task.js';
import { formatReceipt, PENDING_DIR } from '../../src/ledger/pending.js';

const CONFIG = 'version: 1\nsurfaces:\n  - name: rules\n    paths: ["rules/**"]\n    tier: CONFIRM\n';

let r: TempRepo;
let ctx: () => Ctx;
const pendingDir = () => join(r.commonDir(), 'agent-gates', PENDING_DIR);
const ledgerLines = () => readFileSync(join(r.commonDir(), 'agent-gates', 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; subject: { commit?: string }; data: Record<string, unknown> });

/** A commit made without hooks, and the deferred record its post-commit fast path would have left. */
function commitWithPendingRecord(file: string): string {
  const parent = r.gitOk('rev-parse', 'HEAD');
  r.write(file, `${file}\n`);
  r.gitOk('add', file);
  r.gitOk('commit', '-q', '-m', file);
  const commit = r.gitOk('rev-parse', 'HEAD');
  const tree = r.gitOk('rev-parse', 'HEAD^{tree}');
  mkdirSync(pendingDir(), { recursive: true });
  writeFileSync(join(pendingDir(), commit), formatReceipt({ tree, parent, actor: 'committer', paths: [file], data: { files: 1, gate_b: { tier: 'AUTO', classified_tier: 'AUTO' } } }));
  return commit;
}

beforeAll(async () => {
  r = makeRepo({ files: { '.agents/gates.yaml': CONFIG, 'README.md': 'hello\n', 'rules/a.yaml': 'a: 1\n' } });
  // the ledger in process, under a context opened the way the CLI opens it (a fresh one per use case)
  ctx = () => openContext(r.dir);
  await ctx().record({ event: 'init', actor: { kind: 'human', id: 'human:human@example.com' } });
});

describe('app/ use cases in process (composition root)', () => {
  it('status: the staged classification and the ledger state; reading the ledger folds the deferred commit records', async () => {
    const commit = commitWithPendingRecord('notes.txt');
    expect(readdirSync(pendingDir())).toEqual([commit]);
    const s = await status(ctx());
    expect(s.tier).toBe('AUTO');
    expect(s.would_commit).toBe(true);
    expect(s.ledger).toMatchObject({ ok: true, pending: 0 });
    expect(readdirSync(pendingDir())).toEqual([]);
    const recorded = ledgerLines().filter((e) => e.event === 'commit' && e.subject.commit === commit);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.data.deferred).toBe(true);
  });

  it('explain: a gated staged change gets a sidecar; status then says what approvals it still needs', async () => {
    r.write('rules/a.yaml', 'a: 2\n');
    r.gitOk('add', 'rules/a.yaml');
    const e = await explain(ctx(), { intent: 'raise a to 2', alternatives: ['leave it'], blast_radius: 'rules only', reversibility: 'revert the commit', rollback: 'git revert' });
    expect(e).toMatchObject({ written: true, tier: 'CONFIRM' });
    expect(existsSync(join(r.dir, e.path!))).toBe(true);
    const s = await status(ctx());
    expect(s).toMatchObject({ tier: 'CONFIRM', would_commit: false, sidecar: { state: 'ok' }, approvals: { required: ['confirm'], present: [] } });
    r.gitOk('reset', '-q');
  });

  it('audit verify and repair: the chain verifies, pending records are folded in, nothing to repair', async () => {
    const commit = commitWithPendingRecord('more.txt');
    const v = await auditVerify(ctx());
    expect(v).toMatchObject({ ok: true, folded: 1 });
    expect(v.pending).toBeUndefined();
    expect(ledgerLines().filter((e) => e.subject.commit === commit)).toHaveLength(1);
    expect(await auditRepair(ctx())).toEqual({ cut: 0, recorded: false });
  });

  it('audit verify on a broken chain folds nothing and reports the record left pending', async () => {
    const path = join(r.commonDir(), 'agent-gates', 'ledger.jsonl');
    const good = readFileSync(path);
    const commit = commitWithPendingRecord('third.txt');
    writeFileSync(path, good.toString('utf8').replace('"event":"init"', '"event":"init" '));
    try {
      const v = await auditVerify(ctx());
      expect(v.ok).toBe(false);
      expect(v.pending).toBe(1);
      expect(readdirSync(pendingDir())).toEqual([commit]);
    } finally {
      writeFileSync(path, good);
    }
    expect((await auditVerify(ctx())).folded).toBe(1);
  });

  it('review: built from the ledger read once, with the deferred commits counted', async () => {
    const rv = await buildReview(ctx(), { health: false, since: '30d' });
    expect(rv.trusted).toBe(true);
    expect(rv.integrity.ok).toBe(true);
    expect(rv.ledger.gateB.commits).toBe(3);
  });

  it('signed points and task list: nothing signed, no task started', async () => {
    const sp = await signedPointsReport(ctx());
    expect(sp).toMatchObject({ ok: true, checked: 0 });
    expect(sp.untrusted).toEqual([]);
    expect(sp.note).toContain('allowed_signers');
    expect(await taskList(ctx())).toEqual({ tasks: [] });
  });
});
