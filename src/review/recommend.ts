/**
 * Recommendations, each with the evidence and the configured threshold that triggered it.
 * Pure: figures and thresholds in, recommendations out. Thresholds live in `.agents/gates.yaml`
 * under `review:` (min_samples, noisy_surface_share, rubber_stamp_rate, double_confirm_share,
 * recurring_rejections).
 */
import type { GatesConfig } from '../schema/config/defaults.js';
import type { LedgerFigures } from './aggregate.js';
import type { BypassCommit } from './report.js';

export type RecommendationKind =
  | 'fix-bypasses'
  | 'narrow-noisy-surface'
  | 'narrow-rubber-stamp-surface'
  | 'question-silent-surface'
  | 'lower-ceremony'
  | 'recurring-rejections';

export interface Recommendation {
  kind: RecommendationKind;
  /** The surface or path it is about, when there is one. */
  subject?: string;
  title: string;
  /** What to do. */
  action: string;
  /** The figures that triggered it. */
  evidence: string[];
  /** The configured threshold, in words (`review.<key>` in .agents/gates.yaml). */
  threshold: string;
}

export interface RecommendInput {
  ledger: LedgerFigures;
  bypasses: readonly BypassCommit[];
  thresholds: GatesConfig['review'];
}

const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;

export function recommend(input: RecommendInput): Recommendation[] {
  const { ledger, bypasses, thresholds: t } = input;
  const out: Recommendation[] = [];
  const b = ledger.gateB;

  if (bypasses.length > 0 || b.unapprovedCommits > 0) {
    const evidence: string[] = [];
    if (bypasses.length) {
      evidence.push(`${bypasses.length} commit${bypasses.length === 1 ? ' in the window fails' : 's in the window fail'} \`gate check --range\``);
      for (const c of bypasses.slice(0, 10)) {
        evidence.push(`${c.commit.slice(0, 12)} ${c.violations.map((v) => `${v.path ?? ''} (${v.code}${v.requiredTier ? `, needs ${v.requiredTier}` : ''})`).join(', ')}`);
      }
    }
    if (b.unapprovedCommits) evidence.push(`the post-commit hook recorded ${b.unapprovedCommits} gated commit${b.unapprovedCommits === 1 ? '' : 's'} made without a valid approval`);
    out.push({
      kind: 'fix-bypasses',
      title: 'Gated changes reached history without approval',
      action: 'run `gate check --range origin/main..HEAD` in CI on every push (docs/gate-c.md), and rebuild the listed commits through `gate explain` / `gate approve`',
      evidence,
      threshold: 'any bypass (no threshold)',
    });
  }

  const commits = b.commits;
  for (const s of b.surfaces) {
    if (commits >= t.min_samples && s.fires / commits >= t.noisy_surface_share) {
      out.push({
        kind: 'narrow-noisy-surface',
        subject: s.name,
        title: `Surface "${s.name}" fires on most commits`,
        action: `narrow its globs in .agents/gates.yaml (or split the files it guards) so it fires on control-plane changes only`,
        evidence: [`fired on ${s.fires} of ${commits} recorded commits (${pct(s.fires / commits)})`],
        threshold: `review.noisy_surface_share = ${t.noisy_surface_share} (${pct(t.noisy_surface_share)}), with at least review.min_samples = ${t.min_samples} commits`,
      });
    }
    const decided = s.approvals + s.rejections;
    if (decided >= t.min_samples && s.approvals / decided >= t.rubber_stamp_rate) {
      out.push({
        kind: 'narrow-rubber-stamp-surface',
        subject: s.name,
        title: `Approvals on "${s.name}" are almost never refused`,
        action: `consider narrowing "${s.name}" or lowering its tier (${s.tier}): a check that always says yes trains people to approve without reading`,
        evidence: [`${s.approvals} approvals, ${s.rejections} rejections (${pct(s.approvals / decided)} approved)`],
        threshold: `review.rubber_stamp_rate = ${t.rubber_stamp_rate} (${pct(t.rubber_stamp_rate)}), with at least review.min_samples = ${t.min_samples} decisions`,
      });
    }
    if (commits >= t.min_samples && s.fires === 0 && s.blocks === 0 && s.approvals === 0 && s.rejections === 0) {
      out.push({
        kind: 'question-silent-surface',
        subject: s.name,
        title: `Surface "${s.name}" never fired in the window`,
        action: `check that the globs still match the files you mean to guard (see Drift); if those files are simply stable, keep the surface`,
        evidence: [`0 fires, blocks, approvals or rejections across ${commits} recorded commits`],
        threshold: `at least review.min_samples = ${t.min_samples} recorded commits in the window`,
      });
    }
  }

  if (b.gatedCommits >= t.min_samples && b.doubleConfirmShare !== undefined && b.doubleConfirmShare >= t.double_confirm_share) {
    const dc = b.commitsByTier.DOUBLE_CONFIRM ?? 0;
    out.push({
      kind: 'lower-ceremony',
      title: 'DOUBLE_CONFIRM dominates gated commits',
      action: 'move surfaces that do not define the ceremony itself from DOUBLE_CONFIRM to CONFIRM; keep self-reinforcing surfaces at DOUBLE_CONFIRM',
      evidence: [`${dc} of ${b.gatedCommits} gated commits were DOUBLE_CONFIRM (${pct(b.doubleConfirmShare)})`],
      threshold: `review.double_confirm_share = ${t.double_confirm_share} (${pct(t.double_confirm_share)}), with at least review.min_samples = ${t.min_samples} gated commits`,
    });
  }

  for (const r of b.rejectedPaths) {
    if (r.rejections < t.recurring_rejections) continue;
    out.push({
      kind: 'recurring-rejections',
      subject: r.path,
      title: `Changes to ${r.path} keep being rejected`,
      action: `read the rejection reasons (\`gate explain\` shows them for this path) and write down the rule agents keep missing, in the agent rules or an ADR`,
      evidence: [`rejected ${r.rejections} times in the window`],
      threshold: `review.recurring_rejections = ${t.recurring_rejections}`,
    });
  }
  return out;
}
