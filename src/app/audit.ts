import type { Ctx } from './context.js';
import type { VerifyResult, LedgerHead } from '../ledger/chain.js';

export interface AuditVerifyReport extends VerifyResult {
  path: string;
  size: number;
  head?: LedgerHead;
  /** Signed points (issue 7): the newest ledger state a trusted key vouched for, and whether the ledger still passes through every one. */
  signed?: import('./signed-points.js').SignedPointsReport;
}

export async function auditVerify(ctx: Ctx, onProgress?: (done: number, total: number) => void): Promise<AuditVerifyReport> {
  const r = await ctx.ledger.verify(onProgress);
  const report: AuditVerifyReport = { path: ctx.ledger.path, ...r };
  // signed points (issue 7): catch a rewrite with recomputed hashes, or a truncation, before a signed point
  const { signedPointsReport } = await import('./signed-points.js');
  report.signed = await signedPointsReport(ctx);
  if (report.ok && report.signed.problem) {
    const { point: _p, holdsUpTo: _h, ...problem } = report.signed.problem;
    report.ok = false;
    report.problem = problem;
  }
  return report;
}

export async function auditRepair(ctx: Ctx): Promise<{ cut: number; recorded: boolean }> {
  const r = await ctx.ledger.cutTornTail();
  if (r.cut === 0) return { cut: 0, recorded: false };
  await ctx.record({
    event: 'ledger.repair',
    actor: ctx.actor(),
    data: { cut_bytes: r.cut, cut_text: (r.bytes ?? '').slice(0, 2000) },
  });
  return { cut: r.cut, recorded: true };
}
