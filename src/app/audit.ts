import type { Ctx } from './context.js';
import { isGateError } from '../errors.js';
import type { VerifyResult, LedgerHead } from '../ledger/chain.js';

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

/**
 * Fold the pending commit records (ADR 0009) into a ledger that has just verified, and verify
 * again so the report covers them. A ledger that does not verify gets nothing appended.
 */
export async function verifyAndFold<R extends { ok: boolean }>(ctx: Ctx, verify: () => Promise<R>): Promise<{ r: R; folded: number; pending: number; foldError?: string }> {
  let r = await verify();
  if (ctx.ledger.pendingNames().length === 0) return { r, folded: 0, pending: 0 };
  if (!r.ok) return { r, folded: 0, pending: ctx.ledger.pendingNames().length };
  let folded = 0;
  let foldError: string | undefined;
  try {
    folded = await ctx.ledger.foldPending();
  } catch (e) {
    if (!isGateError(e)) throw e;
    foldError = e.message;
  }
  if (folded) r = await verify();
  return { r, folded, pending: ctx.ledger.pendingNames().length, ...(foldError ? { foldError } : {}) };
}

export async function auditVerify(ctx: Ctx, onProgress?: (done: number, total: number) => void): Promise<AuditVerifyReport> {
  const { r, folded, pending, foldError } = await verifyAndFold(ctx, () => ctx.ledger.verify(onProgress));
  const report: AuditVerifyReport = { path: ctx.ledger.path, ...r, ...(folded ? { folded } : {}), ...(pending ? { pending } : {}) };
  if (foldError) report.warnings = [...report.warnings, `the pending commit records were not folded in: ${foldError}`];
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
