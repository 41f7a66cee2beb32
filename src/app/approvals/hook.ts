/**
 * Gate B in the hooks. Pre-commit: classify the final index and, when it is gated, check the
 * sidecar and its approvals. Post-commit: record the outcome, attach the approved sidecar as a
 * git note on the new commit (refs/notes/agent-gates), then remove the sidecar file.
 */
import { removeFile } from '../../adapters/files.js';
import type { HookGate, StagedFacts } from '../hooks/types.js';
import type { Finding } from '../../kernel/findings.js';
import { blocks } from '../../kernel/findings.js';
import type { Ctx } from '../context.js';
import type { MutationVerdict } from '../../gates/classify.js';
import { noteCoverage } from '../../gates/approval.js';

/** Gate B's part of the `commit` ledger event, from the verdict alone (all the AUTO path records). */
function recordedVerdict(verdict: MutationVerdict): Record<string, unknown> {
  return {
    tier: verdict.tier,
    classified_tier: verdict.classified_tier,
    ...(verdict.carve_out.considered ? { carve_out: { applied: verdict.carve_out.applied, reason: verdict.carve_out.reason, failed: verdict.carve_out.failed.map((f) => f.condition) } } : {}),
  };
}

/** The verdict the pre-commit computed for these staged facts (so the receipt does not classify twice). */
const stagedVerdicts = new WeakMap<StagedFacts, MutationVerdict>();

function coveredByNotes(ctx: Ctx, verdict: MutationVerdict, commit: string): string[] | undefined {
  const notes = ctx.git.notesMap();
  notes.delete(commit);
  if (notes.size === 0) return undefined;
  const blobs = ctx.git.readBlobs([...notes.values()]);
  const bodies = [...notes].flatMap(([c, b]) => {
    const body = blobs.get(b);
    return body ? [{ commit: c, body: body.toString('utf8') }] : [];
  });
  return noteCoverage(verdict.files, bodies);
}

/**
 * When the explained content of a file differs from the staged one (issue 14), say which file,
 * which step may have changed it (a lint-staged task whose glob matches it, else a later edit),
 * and show the difference, so a person sees whether a formatter only reformatted it.
 */
async function explainStaleContent(
  ctx: Ctx,
  finding: Finding,
  others: ReadonlyArray<{ files?: ReadonlyArray<{ path: string; blob: string }> }>,
  verdict: MutationVerdict,
): Promise<void> {
  const explained = new Map((others[0]?.files ?? []).map((f) => [f.path, f.blob]));
  const details: string[] = [];
  const { lintStagedTasks } = await import('../../adapters/lint-staged-config.js');
  const { compileGlobs } = await import('../../kernel/glob.js');
  const tasks = lintStagedTasks(ctx.paths.root);
  for (const f of verdict.files) {
    const before = explained.get(f.path);
    if (!before || before === f.blob || /^0+$/.test(before) || /^0+$/.test(f.blob)) continue;
    const base = f.path.slice(f.path.lastIndexOf('/') + 1);
    const step = tasks.find((t) => compileGlobs([t.glob])(t.glob.includes('/') ? f.path : base));
    details.push(
      `${f.path} changed after \`gate explain\`: ${step ? `the lint-staged task "${step.glob}": ${step.commands.join(' && ')} (${step.source}) rewrites it on commit, or a later edit` : 'a later edit (or a hook step that rewrites files)'}; the difference:`,
    );
    const d = ctx.git.exec(['diff', '--no-color', '-U1', before, f.blob]);
    const lines = d.stdout.toString('utf8').split('\n').filter((l) => l && !l.startsWith('diff --git') && !l.startsWith('index '));
    details.push(...lines.slice(0, 40).map((l) => `  ${l}`), ...(lines.length > 40 ? [`  … ${lines.length - 40} more lines`] : []));
  }
  if (details.length) {
    finding.message = `${finding.message}\n${details.join('\n')}`;
    finding.data = { ...finding.data, content_changes: details };
  }
}

export const gateB: HookGate = {
  name: 'gate-b',
  async preCommit(ctx, staged) {
    const { evaluateStaged } = await import('./facts.js');
    // fold: false: the hook's own append folds the deferred commit records in the same write
    const ev = await evaluateStaged(ctx, staged, { fold: false });
    stagedVerdicts.set(staged, ev.verdict);
    const stale = ev.findings.find((f) => f.code === 'B_SIDECAR_STALE');
    if (stale && ev.sidecar?.state.state === 'missing') await explainStaleContent(ctx, stale, ev.sidecar.state.others, ev.verdict);
    return ev.findings;
  },
  // Deferrable only for AUTO: postCommit then records the verdict and does nothing else. A gated
  // tier attaches the approval note and removes the sidecar (or warns), which needs the commit.
  async deferPostCommit(ctx, staged) {
    let verdict = stagedVerdicts.get(staged);
    if (!verdict) {
      const { verdictFor } = await import('./facts.js');
      verdict = await verdictFor(ctx, staged.changes, staged.config, staged.head);
    }
    if (verdict.tier !== 'AUTO') return { deferrable: false, reason: `tier ${verdict.tier}: the post-commit attaches the approval note` };
    return { deferrable: true, data: { gate_b: recordedVerdict(verdict) } };
  },
  async postCommit(ctx, facts) {
    const { verdictFor, loadSidecar, gatherLedgerFacts, expiryOf } = await import('./facts.js');
    const verdict = await verdictFor(ctx, facts.changes, facts.config, facts.parent);
    const base = recordedVerdict(verdict);
    if (verdict.tier === 'AUTO') return { findings: [], data: { gate_b: base } };
    const { evaluateApproval } = await import('../../gates/approval.js');
    const sidecar = await loadSidecar(ctx, facts.tree);
    const ledger = sidecar.state.state === 'ok' ? await gatherLedgerFacts(ctx, facts.tree, sidecar.state, { fold: false }) : undefined;
    const problems = blocks(evaluateApproval({ tree: facts.tree, verdict, path: sidecar.path, sidecar: sidecar.state, ...(ledger ? { ledger } : {}), ...expiryOf(ctx, facts.config) }));
    if (problems.length > 0 || sidecar.state.state !== 'ok') {
      // After `commit --amend` or a rebase, git copies the old note only after this hook: when
      // earlier notes already approve exactly these blobs, the commit is covered.
      const covered = sidecar.state.state === 'missing' ? coveredByNotes(ctx, verdict, facts.commit) : undefined;
      if (covered) return { findings: [], data: { gate_b: { ...base, covered_by: covered } } };
      const f: Finding = {
        gate: 'B',
        code: 'B_COMMITTED_UNAPPROVED',
        severity: 'warn',
        message: `commit ${facts.commit.slice(0, 12)} changes gated files (tier ${verdict.tier}) without a valid approval (${problems.map((p) => p.code).join(', ') || 'no sidecar'}); were the hooks bypassed? CI (\`gate check --range\`) will reject it.`,
        fix: `git reset --soft HEAD~1, then gate explain … and have a person run gate approve`,
      };
      return { findings: [f], data: { gate_b: { ...base, unapproved: true, codes: problems.map((p) => p.code) } } };
    }
    const { sidecar: s, digest } = sidecar.state;
    // note v2: what the commit changes, per path, old blob and mode → new blob and mode (the range
    // check binds approvals to these transitions; the signed payloads carry the same)
    const { transitionsOf } = await import('../../gates/range-notes.js');
    const modes = new Map(facts.changes.map((c) => [c.path, c]));
    const transitions = transitionsOf(
      verdict.files.map((f) => ({ ...f, ...(modes.get(f.path) ? { mode: modes.get(f.path)!.newMode, old_mode: modes.get(f.path)!.oldMode } : {}) })),
    ).map((t) => ({ path: t.path, old_mode: t.oldMode, old_blob: t.oldBlob, new_mode: t.newMode, new_blob: t.newBlob }));
    const note = {
      agent_gates: 2,
      commit_tree: facts.tree,
      tier: verdict.tier,
      files: verdict.files.map((f) => ({ path: f.path, blob: f.blob, tier: f.tier })),
      transitions,
      sidecar: s,
      sidecar_digest: digest,
    };
    ctx.git.addNote(facts.commit, `${JSON.stringify(note, null, 2)}\n`);
    removeFile(sidecar.abs); // false: already gone
    return {
      findings: [],
      data: { gate_b: { ...base, sidecar_digest: digest, approvals: s.approvals.map((a) => ({ step: a.step, seq: a.ledger.seq })), note: true } },
    };
  },
};
