/**
 * `gate explain` (the agent's command): write `.agents/gate-b/explain-<tree>.yaml` for the
 * current staged tree, from flags or a YAML/JSON document. Missing required fields are listed by
 * name and nothing is written.
 */
import { join } from 'node:path';
import type { Ctx } from '../context.js';
import { GateError } from '../../kernel/errors.js';
import { exists, readText, writeFileAtomic } from '../../adapters/files.js';
import { listSidecars, removeSidecars } from '../../adapters/sidecar-files.js';
import { parseDuration } from '../../schema/config/defaults.js';
import { ledgerRejections, refuseLinkEscapes, sidecarFile, stagedFacts, verdictFor } from './facts.js';
import { SIDECAR_DIR } from '../../kernel/paths.js';
import { toSidecarFiles } from '../../gates/approval.js';
import type { MutationVerdict } from '../../gates/classify.js';

export interface ExplainInput {
  intent?: string;
  alternatives?: string[];
  blast_radius?: string;
  reversibility?: string;
  rollback?: string;
}

export interface ExplainResult {
  written: boolean;
  tree: string;
  tier: string;
  path?: string;
  digest?: string;
  files: MutationVerdict['files'];
  carve_out: MutationVerdict['carve_out'];
  prior_rejections: Array<{ seq: number; ts: string; tree?: string; paths: string[]; reason: string; by: string }>;
  next: string;
  replaced_approvals?: number;
  /** Old explanations removed (their tree is committed, or they were abandoned past approval.max_age). */
  cleaned?: string[];
  /** The project's lint-staged tasks run on the staged files before the tree was bound (issue 14). */
  formatted?: Preformat;
}

export interface Preformat {
  tool: 'lint-staged';
  /** The configured tasks whose glob matched a staged file ("<glob>: <commands>"); empty when the config is code (not read). */
  tasks: string[];
  /** Staged files the tasks rewrote (and lint-staged restaged). */
  changed: string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);

/** Read the explanation document (YAML or JSON) from a file or "-" (stdin text passed in). */
export async function parseExplainDoc(text: string, label: string): Promise<ExplainInput> {
  const { parseYaml } = await import('../../schema/yaml.js');
  const y = parseYaml(text);
  if (!y.ok) {
    throw new GateError('USAGE', `${label} is not valid YAML or JSON.`, { details: y.problems, fix: 'fix the document, or pass the fields as flags (gate explain --help)' });
  }
  const v = y.value;
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new GateError('USAGE', `${label} must be a mapping with intent, alternatives and risk.`, { fix: 'see `gate explain --help` for the document shape' });
  }
  const d = v as Record<string, unknown>;
  const risk = (typeof d.risk === 'object' && d.risk !== null ? d.risk : {}) as Record<string, unknown>;
  const alts = d.alternatives;
  const known = new Set(['intent', 'alternatives', 'risk', 'blast_radius', 'reversibility', 'rollback']);
  const unknown = Object.keys(d).filter((k) => !known.has(k));
  if (unknown.length) {
    throw new GateError('USAGE', `${label} has unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`, {
      fix: 'use only intent, alternatives (a list), risk: {blast_radius, reversibility, rollback}',
    });
  }
  const out: ExplainInput = {};
  const intent = str(d.intent);
  if (intent) out.intent = intent;
  if (Array.isArray(alts)) out.alternatives = alts.filter((a): a is string => typeof a === 'string' && a.trim() !== '');
  else if (str(alts)) out.alternatives = [alts as string];
  for (const k of ['blast_radius', 'reversibility', 'rollback'] as const) {
    const val = str(risk[k]) ?? str(d[k]);
    if (val) out[k] = val;
  }
  return out;
}

/**
 * Run the project's lint-staged tasks on the staged files, as the pre-commit will (issue 14, ADR
 * "explain binds the formatted tree"): lint-staged restages what its tasks rewrite, so the tree the
 * explanation binds is the one the commit will have, and the approval survives the commit's own
 * lint-staged run (which then finds nothing to change). Nothing when lint-staged is not installed
 * at the root or has no config. Its output goes to stderr (stdout carries the result).
 */
export async function preformat(ctx: Ctx): Promise<Preformat | undefined> {
  const { lintStagedForExplain, lintStagedTasks } = await import('../../adapters/lint-staged-config.js');
  const bin = lintStagedForExplain(ctx.paths.root);
  if (!bin) return undefined;
  const before = ctx.git.writeTree();
  const staged = ctx.git.stagedChanges().filter((c) => c.status !== 'D').map((c) => c.path);
  const { compileGlobs } = await import('../../kernel/glob.js');
  const tasks = lintStagedTasks(ctx.paths.root)
    .filter((t) => {
      const m = compileGlobs([t.glob]);
      return staged.some((p) => m(t.glob.includes('/') ? p : p.slice(p.lastIndexOf('/') + 1)));
    })
    .map((t) => `${t.glob}: ${t.commands.join(' && ')}`);
  const { runLintStaged } = await import('../../adapters/lint-staged.js');
  const out = await runLintStaged(bin, { stdoutToStderr: true });
  if (!out.ok) {
    throw new GateError('CANNOT_EVALUATE', `\`gate explain\` runs the project's lint-staged tasks first, so the explanation binds the formatted tree, and a task failed (its output above names it); nothing was written.`, {
      details: [...(out.error ? [out.error] : []), ...(tasks.length ? tasks.map((t) => `task ${t}`) : ['the tasks are in a lint-staged config that is code (not read here)'])],
      fix: 'fix what the failing task reports (`npx lint-staged` shows it again), `git add` the result, then run gate explain again',
      data: { tool: 'lint-staged', tasks },
    });
  }
  const after = ctx.git.writeTree();
  const changed = after === before ? [] : ctx.git.diffTrees(before, after).map((c) => c.path);
  return { tool: 'lint-staged', tasks, changed };
}

export async function explain(ctx: Ctx, input: ExplainInput): Promise<ExplainResult> {
  let facts = await stagedFacts(ctx);
  let verdict = await verdictFor(ctx, facts.changes, facts.config, facts.head);
  let formatted: Preformat | undefined;
  const complete = !!(input.intent && input.alternatives?.length && input.blast_radius && input.reversibility && input.rollback);
  if (verdict.tier !== 'AUTO' && complete) {
    formatted = await preformat(ctx);
    if (formatted?.changed.length) {
      facts = await stagedFacts(ctx);
      verdict = await verdictFor(ctx, facts.changes, facts.config, facts.head);
    }
  }
  const prior = verdict.files.length
    ? await ledgerRejections(ctx, { paths: verdict.files.flatMap((f) => (f.old_path ? [f.path, f.old_path] : [f.path])) })
    : [];
  const base = { tree: facts.tree, tier: verdict.tier, files: verdict.files, carve_out: verdict.carve_out, prior_rejections: prior, ...(formatted ? { formatted } : {}) };
  if (verdict.tier === 'AUTO') {
    return {
      ...base,
      written: false,
      next: verdict.carve_out.applied ? 'git commit  (the doc-only carve-out applies; no approval needed)' : 'git commit  (no gated files are staged; nothing to explain)',
    };
  }
  refuseLinkEscapes(verdict);
  const sameTree = prior.filter((r) => r.tree === facts.tree);
  if (sameTree.length) {
    throw new GateError('DENIED', `the staged tree ${facts.tree.slice(0, 12)} was already rejected, so it can never be approved.`, {
      details: sameTree.map((r) => `#${r.seq} by ${r.by}: ${r.reason}`),
      fix: 'change the staged files to address the rejection, then run gate explain again',
    });
  }
  const missing: string[] = [];
  if (!input.intent) missing.push('intent (--intent)');
  if (!input.alternatives || input.alternatives.length === 0) missing.push('alternatives (--alternative, at least one)');
  if (!input.blast_radius) missing.push('risk.blast_radius (--blast-radius)');
  if (!input.reversibility) missing.push('risk.reversibility (--reversibility)');
  if (!input.rollback) missing.push('risk.rollback (--rollback)');
  if (missing.length) {
    throw new GateError('USAGE', `the explanation is missing ${missing.length} required field${missing.length === 1 ? '' : 's'}; nothing was written.`, {
      details: missing,
      fix: 'gate explain --intent "<why>" --alternative "<option considered>" --blast-radius "<what it affects>" --reversibility "<how reversible>" --rollback "<how to undo>"  (or --from FILE|-)',
      data: { missing: missing.map((m) => m.split(' ')[0]) },
    });
  }
  const [{ checkSidecar }, { renderSidecar }] = await Promise.all([import('../../schema/sidecar/fast.js'), import('../../schema/sidecar/render.js')]);
  const abs = sidecarFile(ctx, facts.tree);
  let replaced = 0;
  if (exists(abs)) {
    const { parseSidecarText } = await import('../../schema/sidecar/fast.js');
    const old = await parseSidecarText(readText(abs));
    if (old.ok) replaced = old.sidecar.approvals.length;
  }
  const actor = ctx.actor();
  const doc = {
    version: 1,
    tree: facts.tree,
    tier: verdict.tier,
    files: toSidecarFiles(verdict.files),
    intent: input.intent!,
    alternatives: input.alternatives!,
    risk: { blast_radius: input.blast_radius!, reversibility: input.reversibility!, rollback: input.rollback! },
    created_at: ctx.now().toISOString(),
    created_by: { kind: actor.kind, id: actor.id, ...(actor.session ? { session: actor.session } : {}) },
    approvals: [],
    rejections: [],
  };
  const checked = checkSidecar(doc);
  if (!checked.ok) {
    throw new GateError('USAGE', 'the explanation is invalid; nothing was written.', { details: checked.problems, fix: 'fix the named fields and run gate explain again' });
  }
  // The directory ignores itself, so `git add -A` never stages a sidecar.
  const ignore = join(ctx.paths.root, SIDECAR_DIR, '.gitignore');
  if (!exists(ignore)) writeFileAtomic(ignore, '# agent-gates explain sidecars are never committed\n*\n');
  writeFileAtomic(abs, renderSidecar(checked.sidecar));
  const cleaned = cleanSidecars(ctx, facts.tree, facts.config);
  await ctx.record({
    event: 'explain',
    actor,
    subject: { tree: facts.tree, paths: verdict.files.map((f) => f.path) },
    data: { tier: verdict.tier, digest: checked.digest, sidecar: `${SIDECAR_DIR}/explain-${facts.tree}.yaml`, ...(replaced ? { replaced_approvals: replaced } : {}) },
  });
  // issue 17: a person who configured notifications (per user, outside the repository) hears of
  // it; a detached child does the work, so this command is neither slowed nor failed by it
  const { notifyConfigured } = await import('../../adapters/user-config.js');
  if (notifyConfigured()) (await import('../../adapters/notify-out.js')).handOffNotification(abs);
  return {
    ...base,
    written: true,
    path: `${SIDECAR_DIR}/explain-${facts.tree}.yaml`,
    digest: checked.digest,
    next: verdict.tier === 'DOUBLE_CONFIRM' ? 'a person runs `gate approve` in a terminal (two steps: intent, then the diff), then `git commit`' : 'a person runs `gate approve` in a terminal, then `git commit`',
    ...(replaced ? { replaced_approvals: replaced } : {}),
    ...(cleaned.length ? { cleaned } : {}),
  };
}

/**
 * Remove old explanations (issue 14): those whose tree a recent commit holds (committed) and
 * those untouched for longer than approval.max_age (abandoned: their approvals expired). Never
 * the one for `keep` (the staged tree). Returns the paths removed.
 */
export function cleanSidecars(ctx: Ctx, keep: string, config: { approval: { max_age: string } }): string[] {
  const files = listSidecars(ctx.paths.root).filter((f) => f.tree !== keep);
  if (files.length === 0) return [];
  const r = ctx.git.exec(['log', '-n200', '--format=%T']);
  const committed = new Set(r.code === 0 ? r.stdout.toString('utf8').split('\n').filter(Boolean) : []);
  const maxAge = parseDuration(config.approval.max_age) ?? Number.POSITIVE_INFINITY;
  const now = ctx.now().getTime();
  return removeSidecars(
    ctx.paths.root,
    files.filter((f) => committed.has(f.tree) || now - f.mtimeMs > maxAge).map((f) => f.name),
  );
}
