/**
 * Gate B's verdict on an explain sidecar, pure: (staged verdict, parsed sidecar, ledger facts)
 * → findings. The app layer reads the sidecar and the ledger lines it cites; nothing here
 * touches the world.
 */
import type { Finding } from '../kernel/findings.js';
import { fileListChanges, requiredSteps, tierAtLeast, type FileVerdict, type MutationVerdict } from './classify.js';
import type { Approval, Sidecar, SidecarFile } from '../schema/sidecar/schema.js';

export type SidecarState =
  | { state: 'missing'; others: Array<{ path: string; tree: string; files?: SidecarFile[] }> }
  | { state: 'invalid'; problems: string[] }
  | { state: 'ok'; sidecar: Sidecar; digest: string };

/** A ledger line an approval cites, as read at its recorded offset. */
export interface CitedLine {
  /** linkHash of the raw line bytes. */
  hash: string;
  /** The parsed entry (undefined when the line is not JSON). */
  entry: unknown;
}

export interface LedgerFacts {
  /** Whether the ledger verified; `problem` says why not. */
  ok: boolean;
  problem?: string;
  /** Rejections recorded in the ledger for this tree (whatever the sidecar says). */
  rejections: Array<{ seq: number; reason: string }>;
  /** Lines at the offsets the sidecar's approvals cite (undefined: no complete line there). */
  lines: ReadonlyMap<number, CitedLine | undefined>;
}

export interface ApprovalFacts {
  tree: string;
  verdict: MutationVerdict;
  path: string;
  sidecar: SidecarState;
  ledger?: LedgerFacts;
  /** When given, approvals older than approval.max_age (by their ledger timestamp) do not count. */
  expiry?: { now: number; maxAgeMs: number; maxAge: string };
}

export const EXPLAIN_FIX =
  'gate explain --intent "<why>" --alternative "<what else was considered>" --blast-radius "<what it affects>" --reversibility "<how reversible>" --rollback "<how to undo>"';
export const APPROVE_FIX = 'a person runs `gate approve` in an interactive terminal';

export function toSidecarFiles(files: readonly FileVerdict[]): SidecarFile[] {
  return files.map((f) => ({
    path: f.path,
    status: f.status,
    ...(f.old_path !== undefined ? { old_path: f.old_path } : {}),
    blob: f.blob,
    old_blob: f.old_blob,
    tier: f.tier,
    surfaces: [...f.surfaces],
  }));
}

function summary(v: MutationVerdict): string {
  const shown = v.files.slice(0, 5).map((f) => `${f.path} [${f.surfaces.join(', ')}: ${f.tier}]`);
  const more = v.files.length > 5 ? `, and ${v.files.length - 5} more` : '';
  return `${shown.join(', ')}${more}`;
}

/** Why an approval does not count, or undefined when it is sound. */
export function approvalProblem(
  a: Approval,
  tree: string,
  digest: string,
  line: CitedLine | undefined,
  expiry?: { now: number; maxAgeMs: number; maxAge: string },
): string | undefined {
  if (a.tree !== tree) return `it is for tree ${a.tree.slice(0, 12)}, not the staged tree ${tree.slice(0, 12)}`;
  if (a.digest !== digest) return 'the explanation was edited after it was approved (digest mismatch)';
  if (!line) return `the ledger has no entry at offset ${a.ledger.offset} (an approval not made by \`gate approve\`)`;
  if (line.hash !== a.ledger.hash) return `the ledger line at offset ${a.ledger.offset} does not hash to the recorded ${a.ledger.hash.slice(0, 12)}`;
  const e = line.entry as { seq?: unknown; event?: unknown; subject?: { tree?: unknown }; data?: { digest?: unknown; step?: unknown; tier?: unknown } } | undefined;
  if (!e || typeof e !== 'object') return `the ledger line at offset ${a.ledger.offset} is not an entry`;
  if (e.seq !== a.ledger.seq) return `the ledger entry at offset ${a.ledger.offset} has seq ${String(e.seq)}, not ${a.ledger.seq}`;
  if (e.event !== 'approve') return `the ledger entry #${a.ledger.seq} is a "${String(e.event)}" event, not an approval`;
  if (e.subject?.tree !== tree) return `the ledger entry #${a.ledger.seq} approves another tree`;
  if (e.data?.digest !== digest) return `the ledger entry #${a.ledger.seq} approves another explanation`;
  if (e.data?.step !== a.step || e.data?.tier !== a.tier) return `the ledger entry #${a.ledger.seq} records another step or tier`;
  if (expiry) {
    // The ledger's timestamp is authoritative; the sidecar's `at` is only a copy.
    const at = Date.parse(String((e as { ts?: unknown }).ts));
    if (Number.isNaN(at)) return `the ledger entry #${a.ledger.seq} has no valid timestamp`;
    if (expiry.now - at > expiry.maxAgeMs) return `it expired: approved ${new Date(at).toISOString()}, older than approval.max_age (${expiry.maxAge})`;
  }
  return undefined;
}

/** Every reason the staged commit cannot pass Gate B with this sidecar. Empty → it passes. */
export function evaluateApproval(f: ApprovalFacts): Finding[] {
  const { verdict, tree } = f;
  const out: Finding[] = [];
  const block = (code: string, message: string, fix: string, extra: Partial<Finding> = {}): void => {
    out.push({ gate: 'B', code, severity: 'block', message, fix, path: f.path, ...extra });
  };
  if (verdict.tier === 'AUTO') {
    if (verdict.carve_out.applied) {
      out.push({ gate: 'B', code: 'B_DOC_ONLY', severity: 'warn', message: `${verdict.carve_out.reason}; passing as AUTO.` });
    }
    return out;
  }
  for (const e of verdict.link_escapes ?? []) {
    block(
      'B_LINK_ESCAPE',
      e.message,
      e.resolved === null
        ? `replace the link ${e.path} with the file itself, or point it inside the repository at a path governed at ${e.tier} or stricter`
        : `replace the link ${e.path} with the file itself, or add ${e.resolved} to a ${e.tier} surface in .agents/gates.yaml`,
      { path: e.path, data: { target: e.target, resolved: e.resolved, tier: e.tier, target_tier: e.target_tier } },
    );
  }
  const need = verdict.tier;
  // Say why the doc-only carve-out did not apply only when the change looked like a doc edit.
  const docLike = verdict.carve_out.considered && !verdict.carve_out.applied && !verdict.carve_out.failed.some((x) => x.condition === 'not_markdown' || x.condition === 'not_modified');
  const escalated = docLike ? ` (${verdict.carve_out.reason})` : '';
  if (f.sidecar.state === 'missing') {
    // Another tree's sidecar counts as "stale" only when it explains some of the same paths;
    // an unrelated leftover should not hide the plain "no explanation" message.
    const gated = new Set(verdict.files.map((x) => x.path));
    const stale = f.sidecar.others.find((o) => !o.files || o.files.some((x) => gated.has(x.path)));
    if (stale) {
      const changes = stale.files ? fileListChanges(stale.files, verdict.files) : [];
      block(
        'B_SIDECAR_STALE',
        `the explanation ${stale.path} is for tree ${stale.tree.slice(0, 12)}, but the staged tree is ${tree.slice(0, 12)}: the staged changes moved since \`gate explain\`${changes.length ? ` (${changes.slice(0, 5).join('; ')})` : ''}. Approvals are bound to the exact tree.`,
        `explain the current staged tree again (${EXPLAIN_FIX}), then ${APPROVE_FIX}`,
        { data: { stale_tree: stale.tree, changes } },
      );
    } else {
      block(
        'B_NO_SIDECAR',
        `this commit changes gated files (tier ${need}${escalated}): ${summary(verdict)}; there is no explanation for staged tree ${tree.slice(0, 12)}.`,
        `${EXPLAIN_FIX}; then ${APPROVE_FIX}`,
      );
    }
    return out;
  }
  if (f.sidecar.state === 'invalid') {
    block('B_SIDECAR_INVALID', `the explain sidecar is invalid: ${f.sidecar.problems.join('; ')}.`, `fix the named field(s), or write it again with ${EXPLAIN_FIX}`, {
      data: { problems: f.sidecar.problems },
    });
    return out;
  }
  const { sidecar: s, digest } = f.sidecar;
  if (s.tree !== tree) {
    block('B_SIDECAR_TREE', `the sidecar says tree ${s.tree.slice(0, 12)}, but the staged tree is ${tree.slice(0, 12)}.`, `explain the staged tree again: ${EXPLAIN_FIX}`);
  }
  const diffs = fileListChanges(s.files, verdict.files);
  if (diffs.length) {
    block('B_SIDECAR_FILES', `the sidecar's files do not match the staged gated files: ${diffs.join('; ')}.`, `explain the staged tree again: ${EXPLAIN_FIX}`, {
      data: { differences: diffs },
    });
  }
  if (!tierAtLeast(s.tier as typeof need, need)) {
    block('B_SIDECAR_TIER', `the sidecar claims tier ${s.tier}, but the staged changes require ${need}${escalated}.`, `explain the staged tree again: ${EXPLAIN_FIX}`);
  }
  const rejected = [...s.rejections.map((r) => r.reason), ...(f.ledger?.rejections ?? []).map((r) => r.reason)];
  if (rejected.length) {
    block(
      'B_REJECTED',
      `this tree was rejected (${[...new Set(rejected)].map((r) => `"${r}"`).join(', ')}); a rejected tree can never be approved.`,
      `change the staged files to address the rejection, then ${EXPLAIN_FIX} and ask for approval again`,
    );
  }
  if (f.ledger && !f.ledger.ok) {
    block('B_LEDGER', `the ledger does not verify (${f.ledger.problem ?? 'unknown problem'}), so no approval in it can be trusted.`, 'gate audit verify  (then restore the ledger from a backup or `gate audit repair` a torn line)');
  }
  const good = new Set<string>();
  s.approvals.forEach((a, i) => {
    const problem = approvalProblem(a, tree, digest, f.ledger?.lines.get(a.ledger.offset), f.expiry);
    if (problem) {
      block('B_APPROVAL_INVALID', `approval #${i + 1} (${a.step}) does not count: ${problem}.`, `remove it from the sidecar and have a person run \`gate approve\` again`, {
        data: { index: i, step: a.step },
      });
    } else if (tierAtLeast(a.tier, need)) good.add(a.step);
  });
  const missing = requiredSteps(need).filter((st) => !good.has(st));
  if (missing.length) {
    const what = need === 'DOUBLE_CONFIRM' ? `DOUBLE_CONFIRM needs two approvals (intent, then diff); missing: ${missing.join(', ')}` : 'CONFIRM needs one approval; there is none';
    block('B_APPROVAL_MISSING', `${what}${escalated}.`, APPROVE_FIX, { data: { missing } });
  }
  return out;
}

/**
 * The JSON documents of a note: the whole body, or (a note git concatenated, or the approval with
 * Gate A's lease evidence appended, ADR 0026) each document that starts a line. Unparsable parts are skipped.
 */
function noteDocuments(body: string): unknown[] {
  try {
    return [JSON.parse(body)];
  } catch {
    return body.split(/\n(?=\{)/).flatMap((d) => {
      try {
        return [JSON.parse(d)];
      } catch {
        return [];
      }
    });
  }
}

/**
 * Whether earlier approval notes already cover every gated file of a commit: the same path with
 * the same blob, approved at a tier at least as high. Used after `commit --amend` or a rebase,
 * where git copies the note (notes.rewriteRef) only after the post-commit hook ran. Returns the
 * commits whose notes cover the files, or undefined when some file is not covered.
 */
export function noteCoverage(
  files: ReadonlyArray<Pick<FileVerdict, 'path' | 'blob' | 'tier'>>,
  notes: ReadonlyArray<{ commit: string; body: string }>,
): string[] | undefined {
  const approved = new Map<string, { tier: FileVerdict['tier']; commit: string }>();
  for (const n of notes) {
    for (const v of noteDocuments(n.body)) {
      const o = v as { agent_gates?: unknown; files?: unknown };
      if ((o?.agent_gates !== 1 && o?.agent_gates !== 2) || !Array.isArray(o.files)) continue;
      for (const f of o.files as Array<{ path?: unknown; blob?: unknown; tier?: unknown }>) {
        if (typeof f?.path !== 'string' || typeof f.blob !== 'string' || (f.tier !== 'CONFIRM' && f.tier !== 'DOUBLE_CONFIRM')) continue;
        const key = `${f.path}\0${f.blob}`;
        const have = approved.get(key);
        if (!have || tierAtLeast(f.tier, have.tier)) approved.set(key, { tier: f.tier, commit: n.commit });
      }
    }
  }
  const by = new Set<string>();
  for (const f of files) {
    const a = approved.get(`${f.path}\0${f.blob}`);
    if (!a || !tierAtLeast(a.tier, f.tier)) return undefined;
    by.add(a.commit);
  }
  return [...by];
}
