import type { Ctx } from '../context.js';
import type { TrustOptions } from './signed-points.js';
import type { VerifyResult, LedgerHead } from '../../ledger/chain.js';

export interface AuditVerifyReport extends VerifyResult {
  path: string;
  size: number;
  head?: LedgerHead;
  /** Signed points (issue 7): the newest ledger state a trusted key vouched for, and whether the ledger still passes through every one. */
  signed?: import('./signed-points.js').SignedPointsReport;
  /** Deferred commit records (ADR 0009) folded into the ledger before it was verified again. */
  folded?: number;
  /** Pending commit records left unfolded (the ledger did not verify, or the fold failed). */
  pending?: number;
}

export async function auditVerify(ctx: Ctx, onProgress?: (done: number, total: number) => void, trust: TrustOptions = {}): Promise<AuditVerifyReport> {
  // the read API folds the deferred commit records (ADR 0009) into a ledger that verifies
  const { fold, ...r } = await ctx.ledger.verify({ ...(onProgress ? { onProgress } : {}) });
  const { folded, pending, foldError } = fold;
  const report: AuditVerifyReport = { path: ctx.ledger.path, ...r, ...(folded ? { folded } : {}), ...(pending ? { pending } : {}) };
  if (foldError) report.warnings = [...report.warnings, `the pending commit records were not folded in: ${foldError}`];
  // signed points (issue 7): catch a rewrite with recomputed hashes, or a truncation, before a signed point
  const { signedPointsReport } = await import('./signed-points.js');
  report.signed = await signedPointsReport(ctx, trust);
  if (report.ok && report.signed.problem) {
    const { point: _p, holdsUpTo: _h, ...problem } = report.signed.problem;
    report.ok = false;
    report.problem = problem;
  }
  return report;
}

export interface AuditRepairReport {
  cut: number;
  recorded: boolean;
  /** The head was missing and rebuilt from the chain (it ended at this seq). */
  headRebuilt?: number;
  /** A new ledger was started after the state directory was lost (its previous repository id). */
  restarted?: { previous: string | null; id: string };
}

/**
 * Restore a ledger that verifies, without losing a complete (acknowledged) line: cut a torn
 * tail, rebuild a missing head from the chain, roll a lagging head forward (the append of the
 * repair record does it), and fold pending commit records. Every repair is recorded.
 */
export async function auditRepair(ctx: Ctx, opts: { newLedger?: boolean } = {}): Promise<AuditRepairReport> {
  if (opts.newLedger) {
    const r = ctx.ledger.restart();
    await ctx.record({ event: 'ledger.repair', actor: ctx.actor(), data: { new_ledger: true, previous_repo_id: r.previous ?? null, reason: 'the state directory was lost' } });
    return { cut: 0, recorded: true, restarted: { previous: r.previous ?? null, id: r.id } };
  }
  const r = await ctx.ledger.repairLocked();
  const lag = await lagBehind(ctx);
  if (r.cut === 0 && r.headRebuilt === undefined && lag === 0) {
    // nothing to repair; still fold what is pending (that verifies the tail against the head)
    await ctx.ledger.foldPending();
    return { cut: 0, recorded: false };
  }
  await ctx.record({
    event: 'ledger.repair',
    actor: ctx.actor(),
    data: {
      ...(r.cut ? { cut_bytes: r.cut, cut_text: (r.bytes ?? '').slice(0, 2000) } : {}),
      ...(r.headRebuilt !== undefined ? { head_rebuilt: r.headRebuilt } : {}),
      ...(lag ? { head_rolled_forward: lag } : {}),
    },
  });
  return { cut: r.cut, recorded: true, ...(r.headRebuilt !== undefined ? { headRebuilt: r.headRebuilt } : {}) };
}

async function lagBehind(ctx: Ctx): Promise<number> {
  const head = ctx.ledger.readHead();
  if (!head) return 0;
  return Math.max(0, ctx.ledger.lastSeq() - head.seq);
}
