/**
 * `gate review`: Gate C, the periodic review. Integrity first (the ledger's chain), then the
 * ledger streamed once through the pure aggregator, the window's git history checked like
 * `gate check --range`, ADRs, `gate doctor`, drift, and recommendations with their evidence.
 */
import { fileStat, readText } from '../../adapters/files.js';
import { join } from 'node:path';
import { GateError, isGateError } from '../../kernel/errors.js';
import { parseDuration } from '../../schema/config/defaults.js';
import { ReviewAggregator, addHistory } from '../../review/aggregate.js';
import { computeDrift, controlPlaneFiles } from '../../review/drift.js';
import { recommend } from '../../review/recommend.js';
import type { AdrFigures, HealthFigures, HistoryFigures, IntegrityFigures, LeaseRecordFigures, ReviewReport } from '../../review/report.js';
import type { Ctx } from '../context.js';

export interface ReviewOptions {
  /** "30d", "12h", or a date "2026-01-31"; default: review.since from the config. */
  since?: string;
  /** Progress for long ledgers: phase, bytes done, bytes total. */
  onProgress?: (phase: 'verify' | 'read', done: number, total: number) => void;
  /** Skip `gate doctor` (its hook inspection is not part of every test). */
  health?: boolean;
  /** `--team`: the ledgers every clone published on the remote, with this clone's own (ADR 0024). */
  team?: import('./team.js').TeamOptions;
}

/** Window start in ms from a duration ("30d") or a date ("2026-01-31"). */
export function parseSince(text: string, nowMs: number): number {
  const d = parseDuration(text);
  if (d !== undefined) return nowMs - d;
  if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return t;
  }
  throw new GateError('USAGE', `--since "${text}" is neither a duration nor a date.`, {
    fix: 'gate review --since 30d   (or --since 2026-01-31)',
  });
}

export async function buildReview(ctx: Ctx, opts: ReviewOptions = {}): Promise<ReviewReport> {
  const { config } = await ctx.config();
  const nowMs = ctx.now().getTime();
  const sinceText = opts.since ?? config.review.since;
  const sinceMs = parseSince(sinceText, nowMs);

  // 1. integrity; a ledger that verifies first takes in the deferred commit records (ADR 0009)
  const team = opts.team ? await import('./team.js').then((m) => m.collectTeam(ctx, opts.team)) : undefined;
  const integrity = team ? teamIntegrity(team.report) : await localIntegrity(ctx, opts);

  // 2. the ledger, streamed once
  const agg = new ReviewAggregator({ config, sinceMs, nowMs });
  let total = 0;
  try {
    total = fileStat(ctx.ledger.path).size;
  } catch {
    total = 0;
  }
  let lastReport = 0;
  if (team) {
    const { entriesOf } = await import('./team.js');
    for (const l of team.ledgers) for (const entry of entriesOf(l.bytes)) agg.push(entry);
  } else {
    for await (const { entry, offset } of ctx.ledger.entries()) {
      agg.push(entry);
      if (opts.onProgress && offset - lastReport > 1 << 20) {
        lastReport = offset;
        opts.onProgress('read', offset, total);
      }
    }
  }
  const ledger = agg.result();

  // 2b. the lease records as they are now
  const leaseRecords = await leaseRecordFigures(ctx, nowMs);

  // 3. history in the window, checked like `gate check --range`
  const { figures: history, points } = await windowHistory(ctx, sinceMs);
  addHistory(ledger, sinceMs, points);

  // 4. ADRs
  const adr = await adrFigures(ctx, ledger.adr);

  // 5. health
  const health = opts.health === false ? { available: false, note: 'skipped', findings: [] } : await healthFigures(ctx);

  // 6. drift
  const files = ctx.git.lsFiles();
  const texts: Array<{ path: string; text: string }> = [];
  for (const p of controlPlaneFiles(files, config)) {
    try {
      const abs = join(ctx.paths.root, p);
      if (fileStat(abs).size > 1 << 20) continue;
      texts.push({ path: p, text: readText(abs) });
    } catch {
      /* deleted in the worktree: nothing to scan */
    }
  }
  const drift = computeDrift({ files, config, texts });

  const recommendations = recommend({ ledger, bypasses: history.bypasses, thresholds: config.review });
  return {
    tool: 'agent-gates',
    generatedAt: new Date(nowMs).toISOString(),
    repository: ctx.paths.root,
    window: { since: new Date(sinceMs).toISOString(), until: new Date(nowMs).toISOString(), label: sinceText },
    trusted: integrity.ok,
    integrity,
    ledger,
    leaseRecords,
    history,
    adr,
    health,
    drift,
    thresholds: {
      min_samples: config.review.min_samples,
      noisy_surface_share: config.review.noisy_surface_share,
      rubber_stamp_rate: config.review.rubber_stamp_rate,
      double_confirm_share: config.review.double_confirm_share,
      recurring_rejections: config.review.recurring_rejections,
    },
    recommendations,
    ...(team ? { team: team.report } : {}),
  };
}

async function localIntegrity(ctx: Ctx, opts: ReviewOptions): Promise<IntegrityFigures> {
  try {
    // the read API folds the deferred commit records (ADR 0009) into a ledger that verifies
    const v = await ctx.ledger.verify(opts.onProgress ? { onProgress: (d, t) => opts.onProgress!('verify', d, t) } : {});
    const { pending, foldError } = v.fold;
    const warnings = [...v.warnings, ...(foldError ? [`the pending commit records were not folded in: ${foldError}`] : []), ...(pending ? [`${pending} pending commit record(s) are not in the ledger, so not counted`] : [])];
    return { ok: v.ok, entries: v.entries, warnings, path: ctx.ledger.path, ...(v.problem ? { problem: v.problem } : {}) };
  } catch (e) {
    if (!isGateError(e)) throw e;
    return { ok: false, entries: 0, warnings: [], path: ctx.ledger.path, problem: { line: 0, reason: e.code, message: e.message } };
  }
}

/** --team: the integrity of every clone's ledger; the first problem names its clone. */
function teamIntegrity(t: import('./team.js').TeamReport): IntegrityFigures {
  const first = t.problems[0];
  return {
    ok: t.ok,
    entries: t.entries,
    warnings: t.clones.flatMap((c) => c.warnings.map((w) => `clone ${c.repoId}: ${w}`)),
    path: `${t.remote}: refs/agent-gates/ledger/* (${t.clones.length} clone${t.clones.length === 1 ? '' : 's'})`,
    ...(first ? { problem: { line: first.line, reason: first.reason, message: `clone ${first.repoId}: ${first.message}` } } : {}),
  };
}

type Points = Array<{ time: number; bypass: boolean }>;

async function windowHistory(ctx: Ctx, sinceMs: number): Promise<{ figures: HistoryFigures; points: Points }> {
  const empty: HistoryFigures = { commits: 0, byTier: {}, withNotes: 0, carveOuts: 0, bypasses: [] };
  const head = ctx.git.head();
  if (!head) return { figures: empty, points: [] };
  const commits = ctx.git.commitInfos(['HEAD'], ['--topo-order', '--reverse', `--since=${Math.floor(sinceMs / 1000)}`]);
  if (commits.length === 0) return { figures: empty, points: [] };
  try {
    const { checkCommits } = await import('./range.js');
    const r = await checkCommits(ctx, commits, { range: `since ${new Date(sinceMs).toISOString()}`, base: commits[0]!.parents[0] ?? '', head }, { onlyInRange: true });
    const byTier: Record<string, number> = {};
    for (const c of r.commits) byTier[c.tier] = (byTier[c.tier] ?? 0) + 1;
    const failing = new Set(r.commits.filter((c) => c.violations.length > 0).map((c) => c.commit));
    const points: Points = commits.map((c) => ({ time: c.time, bypass: failing.has(c.commit) }));
    const figures: HistoryFigures = {
      commits: r.commits.length,
      byTier,
      withNotes: r.commits.filter((c) => c.hasNote).length,
      carveOuts: r.commits.filter((c) => c.carveOut).length,
      carveOutCommits: r.commits
        .filter((c) => c.carveOut)
        .map((c) => {
          const parent = commits.find((x) => x.commit === c.commit)?.parents[0];
          const changed = ctx.git.diffTrees(parent ?? ctx.git.emptyTree(), c.commit);
          return {
            commit: c.commit,
            ...(c.subject !== undefined ? { subject: c.subject } : {}),
            files: changed.map((ch) => ({ path: ch.path, ...(ch.added !== undefined ? { added: ch.added } : {}), ...(ch.deleted !== undefined ? { deleted: ch.deleted } : {}) })),
          };
        }),
      bypasses: r.commits
        .filter((c) => c.violations.length > 0)
        .map((c) => ({
          commit: c.commit,
          ...(c.subject !== undefined ? { subject: c.subject } : {}),
          tier: c.tier,
          violations: c.violations.map((v) => ({ code: v.code, ...(v.path !== undefined ? { path: v.path } : {}), ...(v.requiredTier ? { requiredTier: v.requiredTier } : {}), missing: v.missing })),
        })),
    };
    return { figures, points };
  } catch (e) {
    if (!isGateError(e)) throw e;
    return { figures: { ...empty, commits: commits.length, error: `${e.message}${e.fix ? ` (fix: ${e.fix})` : ''}` }, points: commits.map((c) => ({ time: c.time, bypass: false })) };
  }
}

async function leaseRecordFigures(ctx: Ctx, nowMs: number): Promise<LeaseRecordFigures> {
  try {
    const { LeaseStore } = await import('../../adapters/lease-store.js');
    const leases = new LeaseStore(ctx.stateDir)
      .list()
      .map((r) => ({ path: r.path, owner: r.owner, acquired: r.acquired, expires: r.expires, expired: Date.parse(r.expires) <= nowMs }));
    const expired = leases.filter((l) => l.expired).length;
    return { available: true, held: leases.length - expired, expired, leases };
  } catch (e) {
    if (!isGateError(e)) throw e;
    return { available: false, note: `the lease records cannot be read: ${e.message}${e.fix ? ` (fix: ${e.fix})` : ''}`, held: 0, expired: 0, leases: [] };
  }
}

async function adrFigures(ctx: Ctx, fromLedger: { created: number; accepted: number; blockedEdits: number }): Promise<AdrFigures> {
  const base = { created: fromLedger.created, accepted: fromLedger.accepted, blockedEdits: fromLedger.blockedEdits };
  try {
    const { listAdrs, checkAdrs } = await import('../adr/records.js');
    const list = await listAdrs(ctx);
    const byStatus: Record<string, number> = {};
    for (const r of list.records) byStatus[r.effective] = (byStatus[r.effective] ?? 0) + 1;
    const check = await checkAdrs(ctx);
    return {
      available: true,
      byStatus,
      invalid: list.invalid.length,
      ...base,
      check: { ok: check.ok, findings: check.findings.map((f) => ({ code: f.code, severity: f.severity, ...(f.path ? { path: f.path } : {}), message: f.message })) },
    };
  } catch (e) {
    if (!isGateError(e)) throw e;
    return { available: false, note: `the ADR check could not evaluate: ${e.message}`, byStatus: {}, invalid: 0, ...base };
  }
}

async function healthFigures(ctx: Ctx): Promise<HealthFigures> {
  try {
    const { runDoctor } = await import('../setup/doctor.js');
    const d = await runDoctor(ctx);
    return {
      available: true,
      healthy: d.healthy,
      findings: d.checks.map((c) => ({ id: c.id, title: c.title, status: c.status, message: c.message, ...(c.fix ? { fix: c.fix } : {}) })),
    };
  } catch (e) {
    if (!isGateError(e)) throw e;
    return { available: false, note: `gate doctor could not evaluate: ${e.message}`, findings: [] };
  }
}
