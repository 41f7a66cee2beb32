import type { Ctx } from './context.js';
import type { VerifyResult, LedgerHead } from '../ledger/chain.js';

export interface AuditVerifyReport extends VerifyResult {
  path: string;
  size: number;
  head?: LedgerHead;
}

export async function auditVerify(ctx: Ctx, onProgress?: (done: number, total: number) => void): Promise<AuditVerifyReport> {
  const r = await ctx.ledger.verify(onProgress);
  return { path: ctx.ledger.path, ...r };
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
