/**
 * Signed approvals in `gate check --range <base>..<head>` (issue 7). For every gated commit in the
 * range that carries an approval note, the signatures in the note's sidecar must satisfy the
 * signing policy, verified against allowed_signers **as committed in the base commit** (a branch
 * cannot add its own signer) under the strictest of the config at the base and the config in the
 * checkout.
 *
 * Bindings checked here: signature, principal, repository (first-parent root commit), the
 * sidecar's tree and files (path, blob) and explanation digest, tier and step, age (against the
 * commit's committer time), strength. The clone-local parts (ledger repo-id, ledger state) are
 * not available in CI and are checked by the pre-commit hook and `gate audit verify`. Gate C's
 * own note check binds the note's sidecar to the commit's content; together the commit's gated
 * content is signed. A commit without a note is Gate C's C_UNAPPROVED, not repeated here.
 */
import type { Ctx } from './context.js';
import type { CommitInfo } from '../adapters/git.js';
import { EMPTY_TREE, NOTES_REF } from '../adapters/git.js';
import type { Finding } from '../gates/types.js';
import type { GatesConfig } from '../schema/defaults.js';
import { committedAllowedSigners, strictestApproval, toPayloadFiles } from './signed-approval.js';

export interface RangeSignatureReport {
  /** Gated commits whose note signatures were checked. */
  checked: number;
  findings: Finding[];
  required: boolean;
}

export async function rangeSignatureFindings(ctx: Ctx, commits: readonly CommitInfo[], base: string): Promise<RangeSignatureReport> {
  const { configAt, verdictFor } = await import('./mutation.js');
  const { config: work } = await ctx.config();
  const atBase = await configAt(ctx, base, { cache: false });
  const policy = strictestApproval(work.approval, atBase?.approval);
  if (!policy.require) return { checked: 0, findings: [], required: false };
  const [{ checkSignedApprovals }, { requiredSteps }, { validateSidecar }] = await Promise.all([
    import('../gates/signed-approval.js'),
    import('../gates/mutation.js'),
    import('../schema/sidecar.js'),
  ]);
  const signersText = committedAllowedSigners(ctx, base, policy.signersPath);
  let notes = new Map<string, string>();
  try {
    notes = ctx.git.notesMap(NOTES_REF);
  } catch {
    /* no notes: Gate C reports unapproved commits */
  }
  const findings: Finding[] = [];
  let checked = 0;
  const configs = new Map<string, GatesConfig>();
  for (const c of commits) {
    const parent = c.parents[0];
    const changes = ctx.git.diffTrees(parent ?? EMPTY_TREE, c.commit);
    let cfg = configs.get(c.commit);
    if (!cfg) configs.set(c.commit, (cfg = (await configAt(ctx, c.commit, { cache: false })) as GatesConfig));
    const verdict = await verdictFor(ctx, changes, cfg, parent);
    if (verdict.tier === 'AUTO') continue;
    const blob = notes.get(c.commit);
    if (!blob) continue;
    const body = ctx.git.readBlob(blob);
    let doc: { sidecar?: unknown } | undefined;
    try {
      doc = body ? JSON.parse(body.toString('utf8')) : undefined;
    } catch {
      doc = undefined;
    }
    const sc = doc?.sidecar ? validateSidecar(doc.sidecar) : undefined;
    const at = `commit ${c.commit.slice(0, 12)}`;
    if (!sc || !sc.ok) {
      findings.push({ gate: 'signature', code: 'SIG_NOTE', severity: 'block', message: `${at}: the approval note carries no valid sidecar, so its signatures cannot be checked.`, fix: 'approve the change again with a signing key' });
      continue;
    }
    checked += 1;
    const found = checkSignedApprovals({
      policy,
      allowedSigners: { path: policy.signersPath, at: `the range base ${base.slice(0, 12)}`, text: signersText },
      expect: {
        repo: { root: parent ? ctx.git.firstParentRoot(parent) ?? null : null },
        tree: sc.sidecar.tree,
        tier: verdict.tier,
        files: toPayloadFiles(sc.sidecar.files),
        digest: sc.digest,
      },
      approvals: sc.sidecar.approvals.map((a) => ({ step: a.step, tier: a.tier, method: a.method, ...(a.signature !== undefined ? { signature: a.signature } : {}) })),
      requiredSteps: requiredSteps(verdict.tier),
      now: new Date(c.time),
    });
    for (const f of found) findings.push({ ...f, message: `${at}: ${f.message}`, data: { ...(f.data ?? {}), commit: c.commit } });
  }
  return { checked, findings, required: true };
}
