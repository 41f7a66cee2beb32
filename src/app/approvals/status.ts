/**
 * `gate status`: the current staged classification (tree, tier, each gated file with its
 * surfaces, the carve-out decision and why) and where the sidecar and its approvals stand —
 * the same evaluation the pre-commit check runs, without recording anything of its own. It reads
 * the ledger through the read API (verified from the last verified point), which folds the
 * deferred commit records (ADR 0009) into a ledger that verifies, and reports its state.
 */
import type { Ctx } from '../context.js';
import { evaluateStaged, stagedFacts } from './facts.js';
import { blocks, type Finding } from '../../kernel/findings.js';
import { requiredSteps, type MutationVerdict } from '../../gates/classify.js';

export interface StatusReport {
  tree: string;
  head?: string;
  tier: string;
  classified_tier: string;
  staged_files: number;
  files: MutationVerdict['files'];
  carve_out: MutationVerdict['carve_out'];
  /**
   * The explanation of THIS staged tree: 'missing' when its file does not exist (`others` then names
   * explanations written for other trees, which no longer match the staged content).
   */
  sidecar: { path?: string; state: 'not needed' | 'missing' | 'invalid' | 'ok'; problems?: string[]; digest?: string; others?: string[] };
  approvals: { required: string[]; present: Array<{ step: string; approver: string; at: string; seq: number; via: ApprovalVia }>; rejections: string[] };
  /** The ledger as this read found it: verifies, entries, deferred commit records still pending. */
  ledger: { ok: boolean; entries: number; pending: number; problem?: string };
  would_commit: boolean;
  findings: Finding[];
}

/** Where and how an approval was given: at a terminal, in the browser with a passkey or a security key, or signed on another clone (ADR 0027). */
export type ApprovalVia = 'terminal' | 'web + passkey' | 'web + security-key' | 'remote + ssh-signature';

/**
 * From the stored record and the ledger line it cites (informational; the signature type is what
 * the checks verify). A decision from another clone is known by its ledger line (`via: remote`).
 */
export function approvalVia(a: { signature?: unknown }, cited?: { entry?: unknown }): ApprovalVia {
  if ((cited?.entry as { data?: { via?: unknown } } | undefined)?.data?.via === 'remote') return 'remote + ssh-signature';
  const w = (a.signature as { webauthn?: { authenticator?: unknown } } | undefined)?.webauthn;
  if (!w) return 'terminal';
  return w.authenticator === 'passkey' ? 'web + passkey' : 'web + security-key';
}

export async function status(ctx: Ctx): Promise<StatusReport> {
  const lv = await ctx.ledger.verifyForCommit(() => undefined);
  const ledger: StatusReport['ledger'] = { ok: lv.ok, entries: lv.entries, pending: lv.fold.pending, ...(lv.problem ? { problem: `line ${lv.problem.line}: ${lv.problem.message}` } : {}) };
  const facts = await stagedFacts(ctx);
  const ev = await evaluateStaged(ctx, facts);
  const v = ev.verdict;
  let sidecar: StatusReport['sidecar'] = { state: 'not needed' };
  const approvals: StatusReport['approvals'] = { required: requiredSteps(v.tier), present: [], rejections: [] };
  if (ev.sidecar) {
    const st = ev.sidecar.state;
    // the file for this tree does not exist: "missing", as `gate check` says, whatever older ones lie around
    if (st.state === 'missing') sidecar = { path: ev.sidecar.path, state: 'missing', ...(st.others.length ? { others: st.others.map((o) => o.path) } : {}) };
    else if (st.state === 'invalid') sidecar = { path: ev.sidecar.path, state: 'invalid', problems: st.problems };
    else {
      sidecar = { path: ev.sidecar.path, state: 'ok', digest: st.digest };
      approvals.present = st.sidecar.approvals.map((a) => ({ step: a.step, approver: a.approver.email ?? a.approver.os_user, at: a.at, seq: a.ledger.seq, via: approvalVia(a, ev.ledger?.lines.get(a.ledger.offset)) }));
      approvals.rejections = [...st.sidecar.rejections.map((r) => r.reason), ...(ev.ledger?.rejections ?? []).map((r) => r.reason)];
      approvals.rejections = [...new Set(approvals.rejections)];
    }
  }
  return {
    tree: facts.tree,
    ...(facts.head ? { head: facts.head } : {}),
    tier: v.tier,
    classified_tier: v.classified_tier,
    staged_files: facts.changes.length,
    files: v.files,
    carve_out: v.carve_out,
    sidecar,
    approvals,
    ledger,
    would_commit: blocks(ev.findings).length === 0,
    findings: ev.findings,
  };
}
