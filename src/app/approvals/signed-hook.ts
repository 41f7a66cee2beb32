/**
 * Signed approvals in the pre-commit hook (issue 7). A separate HookGate next to Gate B: Gate B
 * decides whether the sidecar and its (terminal) approvals are sound; this gate adds, when
 * approval.require_signature (or a min_strength above terminal) is in force at HEAD or in the
 * working tree, that every required step carries a valid SSH signature by a committed signer,
 * bound to this repository, parent, tree, blobs, tier, step and explanation, fresh, vouching
 * for a ledger state that still exists, and strong enough.
 *
 * AUTO commits pay only the classification Gate B already does.
 */
import type { HookGate } from '../hooks/types.js';

export const signedApprovalGate: HookGate = {
  name: 'signed-approval',
  async preCommit(ctx, staged) {
    const { verdictFor, loadSidecar } = await import('./facts.js');
    const verdict = await verdictFor(ctx, staged.changes, staged.config, staged.head);
    if (verdict.tier === 'AUTO') return [];
    const { signingPolicy, committedAllowedSigners, repoIdentity, ledgerHashesAt, payloadLedgerSizes, toPayloadFiles } = await import('./signed.js');
    const policy = await signingPolicy(ctx, staged.config, staged.head);
    if (!policy.require) return [];
    const sidecar = await loadSidecar(ctx, staged.tree);
    if (sidecar.state.state !== 'ok') return []; // Gate B already blocks: no sidecar, or an invalid one
    const { sidecar: s, digest } = sidecar.state;
    const { checkSignedApprovals } = await import('../../gates/signed-approval.js');
    const { requiredSteps } = await import('../../gates/classify.js');
    const ledgerHashAt = await ledgerHashesAt(ctx, payloadLedgerSizes(s.approvals.map((a) => a.signature)));
    return checkSignedApprovals({
      policy,
      allowedSigners: { path: policy.signersPath, at: 'HEAD', text: committedAllowedSigners(ctx, staged.head, policy.signersPath) },
      expect: {
        repo: repoIdentity(ctx, staged.head, false),
        parent: staged.head ?? null,
        tree: staged.tree,
        tier: verdict.tier,
        files: toPayloadFiles(verdict.files),
        digest,
      },
      approvals: s.approvals.map((a) => ({ step: a.step, tier: a.tier, method: a.method, ...(a.signature !== undefined ? { signature: a.signature } : {}) })),
      requiredSteps: requiredSteps(verdict.tier),
      now: ctx.now(),
      ledgerHashAt,
      path: sidecar.path,
    });
  },
  // no post-commit work (Gate B attaches the note, and only for gated commits)
  deferPostCommit: () => ({ deferrable: true }),
};
