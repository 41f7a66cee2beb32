/**
 * The review report: one data structure every renderer (text, md, json, html) reads. Built by
 * src/app/review/review.ts from pure parts (ledger aggregation, drift, history, recommendations).
 */
import type { LedgerFigures } from './aggregate.js';
import type { DriftFigures } from './drift.js';
import type { Recommendation } from './recommend.js';

export interface IntegrityFigures {
  ok: boolean;
  entries: number;
  /** What failed, in the verifier's words (line and reason). */
  problem?: { line: number; reason: string; message: string };
  warnings: string[];
  path: string;
}

export interface BypassCommit {
  commit: string;
  subject?: string;
  tier: string;
  violations: Array<{ code: string; path?: string; requiredTier?: string; missing: string }>;
}

export interface CarveOutCommit {
  commit: string;
  subject?: string;
  /** Gated files it changed: path, lines added and deleted. */
  files: Array<{ path: string; added?: number; deleted?: number }>;
}

export interface HistoryFigures {
  /** Commits on HEAD in the window (git history), checked like `gate check --range`. */
  commits: number;
  byTier: Record<string, number>;
  withNotes: number;
  carveOuts: number;
  /** Every commit the doc-only carve-out let through unapproved, with its diff stat (issue 14). */
  carveOutCommits?: CarveOutCommit[];
  bypasses: BypassCommit[];
  /** Set when the range check could not evaluate (e.g. an unreadable note). */
  error?: string;
}

export interface AdrFigures {
  available: boolean;
  note?: string;
  byStatus: Record<string, number>;
  invalid: number;
  created: number;
  accepted: number;
  blockedEdits: number;
  check?: { ok: boolean; findings: Array<{ code: string; severity: string; path?: string; message: string }> };
}

export interface HealthFigures {
  available: boolean;
  note?: string;
  healthy?: boolean;
  findings: Array<{ id: string; title: string; status: string; message: string; fix?: string }>;
}

/** The lease records on disk now (the authoritative source for "held" and "expired"). */
export interface LeaseRecordFigures {
  available: boolean;
  note?: string;
  held: number;
  expired: number;
  leases: Array<{ path: string; owner: string; acquired: string; expires: string; expired: boolean }>;
}

export interface ReviewReport {
  tool: 'agent-gates';
  generatedAt: string;
  repository: string;
  window: { since: string; until: string; label: string };
  /** False when the ledger does not verify: every figure below is untrusted. */
  trusted: boolean;
  integrity: IntegrityFigures;
  ledger: LedgerFigures;
  leaseRecords: LeaseRecordFigures;
  history: HistoryFigures;
  adr: AdrFigures;
  health: HealthFigures;
  drift: DriftFigures;
  thresholds: {
    min_samples: number;
    noisy_surface_share: number;
    rubber_stamp_rate: number;
    double_confirm_share: number;
    recurring_rejections: number;
  };
  recommendations: Recommendation[];
  /** `gate review --team`: every clone's published ledger (ADR 0024); the ledger figures cover them all. */
  team?: { remote: string; ok: boolean; entries: number; clones: Array<{ repoId: string; local: boolean; entries: number; ok: boolean }>; problems: Array<{ repoId: string; line: number; reason: string; message: string }> };
}
