/**
 * Every way a change to `.agents/gates.yaml` weakens the gates, in plain words. Pure: the
 * DOUBLE_CONFIRM diff preview shows these to the approver above the raw diff.
 */
import { TIER_RANK, parseDuration, type GatesConfig } from '../schema/config/defaults.js';

export type WeakeningKind =
  | 'surface_removed'
  | 'tier_lowered'
  | 'self_reinforcing_removed'
  | 'glob_removed'
  | 'glob_narrowed'
  | 'carve_out_enabled'
  | 'carve_out_threshold_raised'
  | 'carve_out_agent_instructions'
  | 'signature_no_longer_required'
  | 'approval_strength_lowered'
  | 'approval_max_age_raised'
  | 'allowed_signers_moved'
  | 'handoff_glob_removed';

export interface Weakening {
  kind: WeakeningKind;
  surface?: string;
  message: string;
}

const STRENGTH_RANK: Record<string, number> = { terminal: 0, 'software-key': 1, 'fido-touch': 2, 'fido-verified': 3 };

/** A glob's fixed leading directory part ("rules/gate-*.md" → "rules/"), to tell narrowing from replacement. */
function literalPrefix(glob: string): string {
  const m = /^[^*?[{\\]*/.exec(glob);
  return m ? m[0] : '';
}

export function weakenings(before: GatesConfig, after: GatesConfig): Weakening[] {
  const out: Weakening[] = [];
  const afterByName = new Map(after.surfaces.map((s) => [s.name, s]));
  for (const s of before.surfaces) {
    const n = afterByName.get(s.name);
    if (!n) {
      out.push({ kind: 'surface_removed', surface: s.name, message: `surface "${s.name}" (${s.tier}: ${s.paths.join(', ')}) is removed: those paths are no longer gated by it` });
      continue;
    }
    if (TIER_RANK[n.tier] < TIER_RANK[s.tier]) {
      out.push({ kind: 'tier_lowered', surface: s.name, message: `surface "${s.name}" tier is lowered from ${s.tier} to ${n.tier}` });
    }
    if (s.self_reinforcing && !n.self_reinforcing) {
      out.push({
        kind: 'self_reinforcing_removed',
        surface: s.name,
        message: `surface "${s.name}" is no longer self-reinforcing: its changes could be carved out or approved with less ceremony`,
      });
    }
    const added = n.paths.filter((p) => !s.paths.includes(p));
    for (const g of s.paths) {
      if (n.paths.includes(g)) continue;
      const prefix = literalPrefix(g);
      const replacement = added.find((a) => a.startsWith(prefix) && a !== g);
      if (replacement) {
        out.push({ kind: 'glob_narrowed', surface: s.name, message: `surface "${s.name}": glob "${g}" is replaced by "${replacement}", which may cover fewer files (narrowed)` });
      } else {
        out.push({ kind: 'glob_removed', surface: s.name, message: `surface "${s.name}": glob "${g}" is removed, so paths it matched are no longer gated by this surface` });
      }
    }
  }
  if (!before.doc_only.enabled && after.doc_only.enabled) {
    out.push({ kind: 'carve_out_enabled', message: `the doc-only carve-out is enabled: small Markdown edits to CONFIRM surfaces will pass without approval` });
  }
  if (after.doc_only.max_changed_lines > before.doc_only.max_changed_lines) {
    out.push({
      kind: 'carve_out_threshold_raised',
      message: `the doc-only carve-out threshold is raised from ${before.doc_only.max_changed_lines} to ${after.doc_only.max_changed_lines} changed lines: larger Markdown edits pass without approval`,
    });
  }
  if (before.doc_only.agent_instructions !== true && after.doc_only.agent_instructions === true) {
    out.push({
      kind: 'carve_out_agent_instructions',
      message: 'the doc-only carve-out now covers agent-instruction files (AGENTS.md, CLAUDE.md, rules, prompts, …): small edits to what agents obey pass without approval',
    });
  }
  if (before.approval.require_signature && !after.approval.require_signature) {
    out.push({ kind: 'signature_no_longer_required', message: 'signed approvals are no longer required: a terminal challenge (which an agent can drive) is enough again' });
  }
  if ((STRENGTH_RANK[after.approval.min_strength] ?? 0) < (STRENGTH_RANK[before.approval.min_strength] ?? 0)) {
    out.push({ kind: 'approval_strength_lowered', message: `the minimum approval strength is lowered from ${before.approval.min_strength} to ${after.approval.min_strength}` });
  }
  const ageBefore = parseDuration(before.approval.max_age);
  const ageAfter = parseDuration(after.approval.max_age);
  if (ageBefore !== undefined && ageAfter !== undefined && ageAfter > ageBefore) {
    out.push({ kind: 'approval_max_age_raised', message: `approvals stay valid longer: max_age ${before.approval.max_age} → ${after.approval.max_age}` });
  }
  if (before.approval.allowed_signers !== after.approval.allowed_signers) {
    out.push({ kind: 'allowed_signers_moved', message: `the allowed signers file moves from ${before.approval.allowed_signers} to ${after.approval.allowed_signers}` });
  }
  for (const g of before.handoff.paths) {
    if (!after.handoff.paths.includes(g)) out.push({ kind: 'handoff_glob_removed', message: `handoff glob "${g}" is removed: those documents no longer need a lease` });
  }
  return out;
}

const STRENGTHS = ['terminal', 'software-key', 'fido-touch', 'fido-verified'] as const;

/**
 * The strictest of several configs (issue 14, ADR 0012's rule for the commit path): the first one
 * present is the base (HEAD's when there is one) for what cannot be merged (allowed_signers, the
 * ADR directory, lease and review settings); the union of surfaces and handoff globs; the carve-out
 * only if every config enables it, with the lowest line threshold; a signature if any requires one,
 * the strongest minimum strength and the shortest max_age. So no one of them (the working tree's
 * or the index's) can lower a gate the others hold.
 */
export function strictestOf(configs: readonly GatesConfig[]): GatesConfig {
  const base = configs[0];
  if (!base) throw new Error('strictestOf needs at least one config');
  if (configs.length === 1) return base;
  const seen = new Set<string>();
  const surfaces: GatesConfig['surfaces'] = [];
  for (const s of configs.flatMap((c) => c.surfaces)) {
    const key = JSON.stringify([s.name, s.tier, s.self_reinforcing, s.paths]);
    if (seen.has(key)) continue;
    seen.add(key);
    surfaces.push(s);
  }
  const handoffPaths = [...new Set(configs.flatMap((c) => c.handoff.paths))];
  let maxAge = base.approval.max_age;
  let strength = base.approval.min_strength;
  for (const c of configs) {
    const a = parseDuration(c.approval.max_age);
    const b = parseDuration(maxAge);
    if (a !== undefined && (b === undefined || a < b)) maxAge = c.approval.max_age;
    if ((STRENGTH_RANK[c.approval.min_strength] ?? 0) > (STRENGTH_RANK[strength] ?? 0)) strength = c.approval.min_strength;
  }
  return {
    ...base,
    handoff: { ...base.handoff, paths: handoffPaths },
    surfaces,
    doc_only: {
      ...base.doc_only,
      enabled: configs.every((c) => c.doc_only.enabled),
      max_changed_lines: Math.min(...configs.map((c) => c.doc_only.max_changed_lines)),
      agent_instructions: configs.every((c) => c.doc_only.agent_instructions === true),
    },
    approval: {
      ...base.approval,
      require_signature: configs.some((c) => c.approval.require_signature),
      min_strength: STRENGTHS.includes(strength) ? strength : base.approval.min_strength,
      max_age: maxAge,
    },
  };
}
