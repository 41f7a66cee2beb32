/**
 * Streaming aggregation of the ledger for `gate review`. Pure: entries in (in ledger order),
 * figures out. Memory is bounded whatever the ledger's length: per-event counters, a few maps
 * with caps (pending explains, open leases, per-surface and per-path counters) and reservoirs
 * for percentiles.
 *
 * Entry fields are read defensively: a field another gate does not (yet) write is simply not
 * counted, never a crash.
 */
import type { LedgerEntry } from '../schema/ledger/schema.js';
import type { GatesConfig, Tier } from '../schema/config/defaults.js';
import { compileGlobs, type GlobMatcher } from '../kernel/glob.js';
import { BoundedMap, Counter, DURATION_BUCKETS, Reservoir, durationBucket } from './stats.js';

const DAY = 86_400_000;

export interface AggregateOptions {
  config: GatesConfig;
  /** Window start and end (ms since epoch); entries outside are not counted (leases "now" use all). */
  sinceMs: number;
  nowMs: number;
}

export interface LeaseFigures {
  grants: number;
  renewals: number;
  releases: number;
  denials: number;
  takeovers: number;
  breaks: number;
  holds: { count: number; medianMs?: number; longestMs?: number; exact: boolean };
  /** Leases open at the end of the ledger, split by whether they had expired at `now`. */
  heldNow: number;
  expiredNow: number;
  contendedPaths: Array<{ path: string; denials: number }>;
}

export interface SurfaceFigures {
  name: string;
  tier: Tier;
  /** Recorded commits (classified above AUTO) touching the surface. */
  fires: number;
  blocks: number;
  approvals: number;
  rejections: number;
}

export interface GateBFigures {
  commits: number;
  commitsByTier: Record<string, number>;
  /** Commits the post-commit hook recorded as made without a valid approval (hooks bypassed). */
  unapprovedCommits: number;
  gatedCommits: number;
  doubleConfirmShare?: number;
  blocks: number;
  blocksByReason: Record<string, number>;
  blocksByGate: Record<string, number>;
  explains: number;
  approvals: number;
  approvalsByStep: Record<string, number>;
  /** terminal, ssh-signature, … (as recorded by `gate approve`). */
  approvalsByMethod: Record<string, number>;
  rejections: number;
  timeToApproval: { count: number; medianMs?: number; p90Ms?: number; exact: boolean; histogram: Array<{ label: string; count: number }> };
  carveOuts: { granted: number; escalated: number; grantedByReason: Record<string, number>; escalatedByReason: Record<string, number> };
  surfaces: SurfaceFigures[];
  rejectedPaths: Array<{ path: string; rejections: number }>;
}

export interface AdrLedgerFigures {
  created: number;
  accepted: number;
  blockedEdits: number;
}

export interface TimelineBucket {
  start: string;
  /** Commits on HEAD (git history) and those failing the range check; filled in by addHistory. */
  headCommits: number;
  bypasses: number;
  commits: number;
  gated: number;
  blocks: number;
  approvals: number;
  rejections: number;
}

export interface LedgerFigures {
  entries: number;
  entriesInWindow: number;
  firstTs?: string;
  lastTs?: string;
  byEvent: Record<string, number>;
  leases: LeaseFigures;
  gateB: GateBFigures;
  adr: AdrLedgerFigures;
  timeline: { bucketDays: number; buckets: TimelineBucket[] };
  /** Entries whose shape could not be read (counted, skipped). */
  malformed: number;
}

interface OpenLease {
  owner: string;
  since: number;
  expires?: number;
}

const FINAL_STEPS = new Set(['confirm', 'diff']);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const rec = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const TIER_RANKS: Record<string, number> = { AUTO: 0, CONFIRM: 1, DOUBLE_CONFIRM: 2 };

export class ReviewAggregator {
  private readonly o: AggregateOptions;
  private readonly surfaces: Array<{ name: string; tier: Tier; match: GlobMatcher; fires: number; blocks: number; approvals: number; rejections: number }>;
  private entries = 0;
  private inWindow = 0;
  private malformed = 0;
  private firstTs: string | undefined;
  private lastTs: string | undefined;
  private readonly byEvent = new Counter(100);

  // Gate A
  private grants = 0;
  private renewals = 0;
  private releases = 0;
  private leaseDenials = 0;
  private takeovers = 0;
  private breaks = 0;
  private readonly holds = new Reservoir();
  private readonly open = new BoundedMap<OpenLease>(100_000);
  private readonly denialsByPath = new Counter(5_000);

  // Gate B
  private commits = 0;
  private readonly commitsByTier = new Counter(10);
  private unapproved = 0;
  private gated = 0;
  private doubleConfirm = 0;
  private blocks = 0;
  private readonly blocksByReason = new Counter(500);
  private readonly blocksByGate = new Counter(50);
  private explains = 0;
  private approvals = 0;
  private readonly approvalsByStep = new Counter(20);
  private readonly approvalsByMethod = new Counter(20);
  private rejections = 0;
  private readonly pendingExplain = new BoundedMap<number>(50_000);
  private readonly explainPaths = new BoundedMap<string[]>(5_000);
  /** Blocks whose findings named no file on a surface (Gate B names the sidecar), by staged tree. */
  private readonly unattributedBlocks = new BoundedMap<number>(5_000);
  private readonly tta = new Reservoir();
  private readonly ttaHist = DURATION_BUCKETS.map(() => 0);
  private carveGranted = 0;
  private carveEscalated = 0;
  private readonly carveGrantedBy = new Counter(50);
  private readonly carveEscalatedBy = new Counter(50);
  private readonly rejectedPaths = new Counter(5_000);

  // ADR
  private adrNew = 0;
  private adrAccept = 0;
  private adrBlocked = 0;

  // timeline
  private readonly bucketMs: number;
  private readonly buckets: TimelineBucket[];

  constructor(o: AggregateOptions) {
    this.o = o;
    this.surfaces = o.config.surfaces.map((s) => ({ name: s.name, tier: s.tier, match: compileGlobs(s.paths), fires: 0, blocks: 0, approvals: 0, rejections: 0 }));
    const span = Math.max(DAY, o.nowMs - o.sinceMs);
    const days = Math.ceil(span / DAY);
    const bucketDays = days <= 62 ? 1 : days <= 400 ? 7 : Math.ceil(days / 60);
    this.bucketMs = bucketDays * DAY;
    const start = Math.floor(o.sinceMs / DAY) * DAY;
    const n = Math.max(1, Math.ceil((o.nowMs - start + 1) / this.bucketMs));
    this.buckets = Array.from({ length: n }, (_, i) => ({ start: new Date(start + i * this.bucketMs).toISOString().slice(0, 10), headCommits: 0, bypasses: 0, commits: 0, gated: 0, blocks: 0, approvals: 0, rejections: 0 }));
  }

  private bucket(ts: number): TimelineBucket | undefined {
    const start = Math.floor(this.o.sinceMs / DAY) * DAY;
    return this.buckets[Math.floor((ts - start) / this.bucketMs)];
  }

  private surfacesOf(paths: readonly string[]): typeof this.surfaces {
    return this.surfaces.filter((s) => paths.some((p) => s.match(p)));
  }

  push(e: LedgerEntry): void {
    this.entries += 1;
    let ts = Date.parse(e?.ts);
    if (!e || typeof e !== 'object' || Number.isNaN(ts) || typeof e.event !== 'string') {
      this.malformed += 1;
      return;
    }
    this.firstTs ??= e.ts;
    this.lastTs = e.ts;
    const data = rec(e.data) ?? {};
    // a deferred commit record (ADR 0009) is appended after the commit: it counts when the commit was made
    if (e.event === 'commit' && data.deferred === true && typeof data.committed_at === 'string') {
      const at = Date.parse(data.committed_at);
      if (!Number.isNaN(at)) ts = Math.min(ts, at);
    }
    const subject = rec(e.subject) ?? {};
    const paths = Array.isArray(subject.paths) ? (subject.paths as unknown[]).filter((p): p is string => typeof p === 'string') : [];
    const actorId = str(rec(e.actor)?.id) ?? 'unknown';

    // State that "now" figures need is kept over the whole ledger.
    this.trackLeases(e.event, paths, actorId, ts, data);
    if (e.event === 'explain') {
      const tree = str(subject.tree);
      if (tree && ts >= this.o.sinceMs) {
        if (this.pendingExplain.get(tree) === undefined) this.pendingExplain.set(tree, ts);
        if (paths.length) this.explainPaths.set(tree, paths.slice(0, 200));
      }
    }

    if ((e.event === 'explain' || e.event === 'commit') && paths.length) {
      const tree = str(subject.tree);
      const pending = tree ? this.unattributedBlocks.get(tree) : undefined;
      if (tree && pending) {
        for (const s of this.surfacesOf(paths)) s.blocks += pending;
        this.unattributedBlocks.delete(tree);
      }
    }

    if (ts < this.o.sinceMs || ts > this.o.nowMs) return;
    this.inWindow += 1;
    this.byEvent.add(e.event);
    const b = this.bucket(ts);

    switch (e.event) {
      case 'lease.grant':
        this.grants += 1;
        break;
      case 'lease.renew':
        this.renewals += 1;
        break;
      case 'lease.release':
        this.releases += 1;
        break;
      case 'lease.takeover':
        this.takeovers += 1;
        break;
      case 'lease.break':
        this.breaks += 1;
        break;
      case 'lease.deny':
        this.leaseDenials += 1;
        for (const p of paths) this.denialsByPath.add(p);
        break;
      case 'commit': {
        this.commits += 1;
        if (b) b.commits += 1;
        const gb = rec(data.gate_b) ?? {};
        const tier = str(gb.tier) ?? str(data.tier) ?? 'unrecorded';
        const classified = str(gb.classified_tier) ?? tier;
        this.commitsByTier.add(tier);
        if (gb.unapproved === true) this.unapproved += 1;
        if ((TIER_RANKS[tier] ?? 0) > 0) {
          this.gated += 1;
          if (b) b.gated += 1;
          if (tier === 'DOUBLE_CONFIRM') this.doubleConfirm += 1;
        }
        if ((TIER_RANKS[classified] ?? 0) > 0) for (const s of this.surfacesOf(paths)) s.fires += 1;
        const co = rec(gb.carve_out) ?? rec(data.carve_out);
        if (co) {
          if (co.applied === true) {
            this.carveGranted += 1;
            this.carveGrantedBy.add('doc-only');
          } else {
            this.carveEscalated += 1;
            const failed = Array.isArray(co.failed) ? (co.failed as unknown[]).filter((x): x is string => typeof x === 'string') : [];
            if (failed.length === 0) this.carveEscalatedBy.add(str(co.reason) ?? 'unspecified');
            for (const f of new Set(failed)) this.carveEscalatedBy.add(f);
          }
        }
        break;
      }
      case 'check.block': {
        this.blocks += 1;
        if (b) b.blocks += 1;
        const codes = Array.isArray(data.codes) ? (data.codes as unknown[]).filter((c): c is string => typeof c === 'string') : [];
        for (const c of new Set(codes)) this.blocksByReason.add(c);
        const findings = Array.isArray(data.findings) ? (data.findings as unknown[]).map(rec).filter((f): f is Record<string, unknown> => !!f) : [];
        for (const g of new Set(findings.map((f) => str(f.gate) ?? '?'))) this.blocksByGate.add(g);
        if (codes.some((c) => c.startsWith('ADR'))) this.adrBlocked += 1;
        const blockPaths = [...new Set([...paths, ...findings.map((f) => str(f.path)).filter((p): p is string => !!p)])];
        const hit = this.surfacesOf(blockPaths);
        for (const s of hit) s.blocks += 1;
        // Gate B's findings name the sidecar, not the gated files: attribute the block to the
        // surfaces of the explain or commit that follows for the same staged tree.
        const tree = str(subject.tree);
        if (hit.length === 0 && tree) this.unattributedBlocks.set(tree, (this.unattributedBlocks.get(tree) ?? 0) + 1);
        break;
      }
      case 'explain':
        this.explains += 1;
        break;
      case 'approve': {
        this.approvals += 1;
        if (b) b.approvals += 1;
        const step = str(data.step) ?? 'unspecified';
        this.approvalsByStep.add(step);
        // where and how: a browser approval (issue 17) counts as "web + passkey" / "web + security-key"
        this.approvalsByMethod.add(str(data.via) === 'web' ? `web + ${str(data.authenticator) ?? 'authenticator'}` : str(data.via) === 'remote' ? 'remote + ssh-signature' : (str(data.method) ?? 'unrecorded'));
        const tree = str(subject.tree);
        const final = FINAL_STEPS.has(step) || step === 'unspecified';
        if (final) {
          const ap = paths.length ? paths : tree ? (this.explainPaths.get(tree) ?? []) : [];
          for (const s of this.surfacesOf(ap)) s.approvals += 1;
          if (tree) {
            const start = this.pendingExplain.get(tree);
            if (start !== undefined && ts >= start) {
              const d = ts - start;
              this.tta.push(d);
              this.ttaHist[durationBucket(d)]! += 1;
              this.pendingExplain.delete(tree);
            }
          }
        }
        break;
      }
      case 'reject': {
        this.rejections += 1;
        if (b) b.rejections += 1;
        const tree = str(subject.tree);
        const rp = paths.length ? paths : tree ? (this.explainPaths.get(tree) ?? []) : [];
        for (const p of new Set(rp)) this.rejectedPaths.add(p);
        for (const s of this.surfacesOf(rp)) s.rejections += 1;
        break;
      }
      case 'adr.new':
        this.adrNew += 1;
        break;
      case 'adr.accept':
        this.adrAccept += 1;
        break;
      default:
        break;
    }
  }

  private trackLeases(event: string, paths: readonly string[], owner: string, ts: number, data: Record<string, unknown>): void {
    if (!event.startsWith('lease.')) return;
    const exp = str(data.expires) ? Date.parse(data.expires as string) : undefined;
    const expires = exp !== undefined && !Number.isNaN(exp) ? exp : undefined;
    for (const p of paths) {
      if (event === 'lease.grant' || event === 'lease.takeover') {
        this.open.set(p, { owner, since: ts, ...(expires !== undefined ? { expires } : {}) });
      } else if (event === 'lease.renew') {
        const cur = this.open.get(p);
        if (cur && expires !== undefined) cur.expires = expires;
      } else if (event === 'lease.release') {
        const cur = this.open.get(p);
        if (cur) {
          if (ts >= this.o.sinceMs && ts <= this.o.nowMs) this.holds.push(ts - cur.since);
          this.open.delete(p);
        }
      } else if (event === 'lease.break') {
        this.open.delete(p);
      }
    }
  }

  result(): LedgerFigures {
    let heldNow = 0;
    let expiredNow = 0;
    for (const l of this.open.values()) {
      if (l.expires !== undefined && l.expires <= this.o.nowMs) expiredNow += 1;
      else heldNow += 1;
    }
    return {
      entries: this.entries,
      entriesInWindow: this.inWindow,
      ...(this.firstTs ? { firstTs: this.firstTs } : {}),
      ...(this.lastTs ? { lastTs: this.lastTs } : {}),
      byEvent: this.byEvent.toObject(),
      leases: {
        grants: this.grants,
        renewals: this.renewals,
        releases: this.releases,
        denials: this.leaseDenials,
        takeovers: this.takeovers,
        breaks: this.breaks,
        holds: {
          count: this.holds.count,
          ...(this.holds.count ? { medianMs: this.holds.percentile(0.5)!, longestMs: this.holds.max } : {}),
          exact: this.holds.exact,
        },
        heldNow,
        expiredNow,
        contendedPaths: this.denialsByPath.sorted().slice(0, 10).map(([path, denials]) => ({ path, denials })),
      },
      gateB: {
        commits: this.commits,
        commitsByTier: this.commitsByTier.toObject(),
        unapprovedCommits: this.unapproved,
        gatedCommits: this.gated,
        ...(this.gated ? { doubleConfirmShare: this.doubleConfirm / this.gated } : {}),
        blocks: this.blocks,
        blocksByReason: this.blocksByReason.toObject(),
        blocksByGate: this.blocksByGate.toObject(),
        explains: this.explains,
        approvals: this.approvals,
        approvalsByStep: this.approvalsByStep.toObject(),
        approvalsByMethod: this.approvalsByMethod.toObject(),
        rejections: this.rejections,
        timeToApproval: {
          count: this.tta.count,
          ...(this.tta.count ? { medianMs: this.tta.percentile(0.5)!, p90Ms: this.tta.percentile(0.9)! } : {}),
          exact: this.tta.exact,
          histogram: DURATION_BUCKETS.map((bk, i) => ({ label: bk.label, count: this.ttaHist[i]! })),
        },
        carveOuts: {
          granted: this.carveGranted,
          escalated: this.carveEscalated,
          grantedByReason: this.carveGrantedBy.toObject(),
          escalatedByReason: this.carveEscalatedBy.toObject(),
        },
        surfaces: this.surfaces.map((s) => ({ name: s.name, tier: s.tier, fires: s.fires, blocks: s.blocks, approvals: s.approvals, rejections: s.rejections })),
        rejectedPaths: this.rejectedPaths.sorted().slice(0, 50).map(([path, rejections]) => ({ path, rejections })),
      },
      adr: { created: this.adrNew, accepted: this.adrAccept, blockedEdits: this.adrBlocked },
      timeline: { bucketDays: this.bucketMs / DAY, buckets: this.buckets },
      malformed: this.malformed,
    };
  }
}

/** Add the window's git history (commit times, and whether each fails the range check) to the timeline. */
export function addHistory(figures: LedgerFigures, sinceMs: number, commits: ReadonlyArray<{ time: number; bypass: boolean }>): void {
  const bucketMs = figures.timeline.bucketDays * DAY;
  const start = Math.floor(sinceMs / DAY) * DAY;
  for (const c of commits) {
    const b = figures.timeline.buckets[Math.min(figures.timeline.buckets.length - 1, Math.max(0, Math.floor((c.time - start) / bucketMs)))];
    if (!b) continue;
    b.headCommits += 1;
    if (c.bypass) b.bypasses += 1;
  }
}
