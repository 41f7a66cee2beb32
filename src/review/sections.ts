/**
 * The review as a list of sections (key/value rows, tables, lists, paragraphs), shared by the
 * text, Markdown and HTML renderers so every format shows the same figures in the same order.
 */
import type { ReviewReport } from './report.js';
import { formatDuration } from './stats.js';
import type { Recommendation } from './recommend.js';

export type Block =
  | { kind: 'kv'; rows: Array<[string, string]> }
  | { kind: 'table'; head: string[]; rows: string[][] }
  | { kind: 'list'; items: string[] }
  | { kind: 'para'; text: string };

export interface Section {
  id: string;
  title: string;
  blocks: Block[];
}

const pct = (x: number | undefined): string => (x === undefined ? '–' : `${Math.round(x * 1000) / 10}%`);
const n = (x: number): string => String(x);
const kvs = (o: Record<string, number>): string => {
  const e = Object.entries(o);
  return e.length ? e.map(([k, v]) => `${k} ${v}`).join(', ') : 'none';
};

const cap = (t: string): string => t.charAt(0).toUpperCase() + t.slice(1);

/**
 * Recommendations as shown to a person: silent surfaces are grouped into one item (the JSON keeps
 * one recommendation per surface), actions start with a capital.
 */
export function displayRecommendations(recs: readonly Recommendation[]): Recommendation[] {
  const silent = recs.filter((r) => r.kind === 'question-silent-surface');
  const out: Recommendation[] = [];
  for (const r of recs) {
    if (r.kind !== 'question-silent-surface') out.push({ ...r, action: cap(r.action) });
    else if (r === silent[0]) {
      out.push(
        silent.length === 1
          ? { ...r, action: cap(r.action) }
          : {
              ...r,
              subject: silent.map((x) => x.subject ?? '').join(', '),
              title: `${silent.length} surfaces never fired in the window: ${silent.map((x) => x.subject).join(', ')}`,
              action: cap(r.action),
            },
      );
    }
  }
  return out;
}

export function untrustedBanner(r: ReviewReport): string | undefined {
  if (r.trusted) return undefined;
  const p = r.integrity.problem;
  return `UNTRUSTED: the ledger does not verify${p ? ` (line ${p.line}: ${p.reason}: ${p.message})` : ''}. Every figure below is computed from a ledger that was edited, truncated or damaged and must not be relied on. Run \`gate audit verify\`; restore the ledger from a backup.`;
}

export function buildSections(r: ReviewReport): Section[] {
  const s: Section[] = [];
  const L = r.ledger;
  const A = L.leases;
  const B = L.gateB;

  s.push({
    id: 'integrity',
    title: 'Integrity',
    blocks: [
      {
        kind: 'kv',
        rows: [
          ['ledger', r.integrity.ok ? `verifies (${r.integrity.entries} entries)` : 'DOES NOT VERIFY'],
          ...(r.integrity.problem ? ([['problem', `line ${r.integrity.problem.line}: ${r.integrity.problem.reason}: ${r.integrity.problem.message}`]] as Array<[string, string]>) : []),
          ['file', r.integrity.path],
          ['entries in window', n(L.entriesInWindow)],
          ['events in window', kvs(L.byEvent)],
          ...(L.malformed ? ([['unreadable entries', n(L.malformed)]] as Array<[string, string]>) : []),
        ],
      },
      ...(r.integrity.warnings.length ? [{ kind: 'list' as const, items: r.integrity.warnings }] : []),
    ],
  });

  s.push({
    id: 'gate-a',
    title: 'Gate A: leases',
    blocks: [
      {
        kind: 'kv',
        rows: [
          ['grants', n(A.grants)],
          ['renewals', n(A.renewals)],
          ['releases', n(A.releases)],
          ['denials (contention)', n(A.denials)],
          ['takeovers of expired leases', n(A.takeovers)],
          ['breaks', n(A.breaks)],
          ['median hold', formatDuration(A.holds.medianMs)],
          ['longest hold', formatDuration(A.holds.longestMs)],
          ['open in the ledger now: live', n(A.heldNow)],
          ['open in the ledger now: expired, never released', n(A.expiredNow)],
          ['lease records now: held', r.leaseRecords.available ? n(r.leaseRecords.held) : 'unreadable'],
          ['lease records now: expired', r.leaseRecords.available ? n(r.leaseRecords.expired) : 'unreadable'],
        ],
      },
      ...(r.leaseRecords.note ? [{ kind: 'para' as const, text: r.leaseRecords.note }] : []),
      ...(r.leaseRecords.leases.length
        ? [{ kind: 'table' as const, head: ['leased path', 'holder', 'since', 'expires', 'state'], rows: r.leaseRecords.leases.map((l) => [l.path, l.owner, l.acquired, l.expires, l.expired ? 'expired' : 'held']) }]
        : []),
      ...(A.contendedPaths.length
        ? [{ kind: 'table' as const, head: ['most contended path', 'denials'], rows: A.contendedPaths.map((c) => [c.path, n(c.denials)]) }]
        : []),
    ],
  });

  s.push({
    id: 'gate-b',
    title: 'Gate B: control-plane changes',
    blocks: [
      {
        kind: 'kv',
        rows: [
          ['commits recorded', n(B.commits)],
          ['commits by tier', kvs(B.commitsByTier)],
          ['gated commits', n(B.gatedCommits)],
          ['DOUBLE_CONFIRM share of gated', pct(B.doubleConfirmShare)],
          ['recorded without approval', n(B.unapprovedCommits)],
          ['blocks', n(B.blocks)],
          ['blocks by reason', kvs(B.blocksByReason)],
          ['blocks by gate', kvs(B.blocksByGate)],
          ['explains', n(B.explains)],
          ['approvals', `${B.approvals} (${kvs(B.approvalsByStep)})`],
          ['approvals by method', kvs(B.approvalsByMethod)],
          ['rejections', n(B.rejections)],
          ['explain → approval, median', `${formatDuration(B.timeToApproval.medianMs)} (n=${B.timeToApproval.count})`],
          ['explain → approval, p90', formatDuration(B.timeToApproval.p90Ms)],
          ['carve-outs granted', `${B.carveOuts.granted}${B.carveOuts.granted ? ` (${kvs(B.carveOuts.grantedByReason)})` : ''}`],
          ['carve-outs escalated', `${B.carveOuts.escalated}${B.carveOuts.escalated ? ` (${kvs(B.carveOuts.escalatedByReason)})` : ''}`],
        ],
      },
      {
        kind: 'table',
        head: ['surface', 'tier', 'fires', 'share of commits', 'blocks', 'approvals', 'rejections'],
        rows: B.surfaces.map((x) => [x.name, x.tier, n(x.fires), B.commits ? pct(x.fires / B.commits) : '–', n(x.blocks), n(x.approvals), n(x.rejections)]),
      },
      ...(B.rejectedPaths.length ? [{ kind: 'table' as const, head: ['rejected path', 'rejections'], rows: B.rejectedPaths.slice(0, 10).map((p) => [p.path, n(p.rejections)]) }] : []),
    ],
  });

  const ad = r.adr;
  s.push({
    id: 'adr',
    title: 'ADRs',
    blocks: [
      {
        kind: 'kv',
        rows: [
          ['records by effective status', ad.available ? kvs(ad.byStatus) : 'not available'],
          ['records with invalid front matter', n(ad.invalid)],
          ['created (ledger)', n(ad.created)],
          ['accepted (ledger)', n(ad.accepted)],
          ['blocked edits', n(ad.blockedEdits)],
          ['gate adr check', ad.check ? (ad.check.ok ? 'passes' : `FAILS (${ad.check.findings.filter((f) => f.severity === 'block').length} problems)`) : 'not run'],
        ],
      },
      ...(ad.note ? [{ kind: 'para' as const, text: ad.note }] : []),
      ...(ad.check && ad.check.findings.length ? [{ kind: 'list' as const, items: ad.check.findings.map((f) => `[${f.code}]${f.path ? ` ${f.path}` : ''}: ${f.message}`) }] : []),
    ],
  });

  const H = r.history;
  s.push({
    id: 'bypass',
    title: 'Bypass: history checked like `gate check --range`',
    blocks: [
      {
        kind: 'kv',
        rows: [
          ['commits on HEAD in the window', n(H.commits)],
          ['by tier', kvs(H.byTier)],
          ['with approval notes', n(H.withNotes)],
          ['doc-only carve-outs', n(H.carveOuts)],
          ['failing the range check', n(H.bypasses.length)],
        ],
      },
      ...(H.error ? [{ kind: 'para' as const, text: `The range check could not evaluate: ${H.error}` }] : []),
      ...(H.carveOutCommits?.length
        ? [
            {
              kind: 'table' as const,
              head: ['carved-out commit (no approval)', 'path', 'diff stat'],
              rows: H.carveOutCommits.flatMap((c) =>
                c.files.map((f) => [`${c.commit.slice(0, 12)}${c.subject ? ` ${c.subject.slice(0, 40)}` : ''}`, f.path, f.added === undefined ? 'binary' : `+${f.added} -${f.deleted ?? 0}`]),
              ),
            },
          ]
        : []),
      ...(H.bypasses.length
        ? [
            {
              kind: 'table' as const,
              head: ['commit', 'path', 'needs', 'missing'],
              rows: H.bypasses.flatMap((c) => c.violations.map((v) => [`${c.commit.slice(0, 12)}${c.subject ? ` ${c.subject.slice(0, 40)}` : ''}`, v.path ?? '', v.requiredTier ?? '', v.missing])),
            },
          ]
        : []),
    ],
  });

  const he = r.health;
  s.push({
    id: 'health',
    title: 'Health (gate doctor)',
    blocks: he.available
      ? [
          { kind: 'kv', rows: [['healthy', he.healthy ? 'yes' : 'no'], ['checks ok', n(he.findings.filter((f) => f.status === 'ok').length)], ['warnings', n(he.findings.filter((f) => f.status === 'warn').length)], ['problems', n(he.findings.filter((f) => f.status === 'problem').length)]] },
          ...(he.findings.some((f) => f.status !== 'ok')
            ? [{ kind: 'list' as const, items: he.findings.filter((f) => f.status !== 'ok').map((f) => `${f.status === 'problem' ? 'problem' : 'warning'}: ${f.title}: ${f.message}${f.fix ? ` (fix: ${f.fix})` : ''}`) }]
            : []),
        ]
      : [{ kind: 'para', text: he.note ?? 'gate doctor is not available.' }],
  });

  const D = r.drift;
  const dead = D.surfaces.filter((x) => x.dead);
  const partly = D.surfaces.filter((x) => !x.dead && x.deadGlobs.length);
  s.push({
    id: 'drift',
    title: 'Drift',
    blocks: [
      {
        kind: 'kv',
        rows: [
          ['tracked files', n(D.trackedFiles)],
          ['surfaces matching no file', dead.length ? dead.map((x) => x.surface).join(', ') : 'none'],
          ['globs matching no file', partly.length ? partly.map((x) => `${x.surface}: ${x.deadGlobs.join(', ')}`).join('; ') : 'none'],
          ['handoff globs matching nothing', D.handoffGlobs.length ? D.handoffGlobs.join(', ') : 'none'],
          ['control-plane references to missing paths', `${D.danglingRefs.length}${D.truncated ? '+' : ''}`],
        ],
      },
      ...(D.danglingRefs.length ? [{ kind: 'table' as const, head: ['file', 'line', 'names missing path'], rows: D.danglingRefs.slice(0, 50).map((d) => [d.file, n(d.line), d.ref]) }] : []),
    ],
  });

  s.push({
    id: 'recommendations',
    title: 'Recommendations',
    blocks: r.recommendations.length
      ? [
          {
            kind: 'list',
            items: displayRecommendations(r.recommendations).map((x) => `${x.title}. ${x.action}. Evidence: ${x.evidence.join('; ')}. Threshold: ${x.threshold}.`),
          },
        ]
      : [{ kind: 'para', text: 'None: no threshold was crossed in this window.' }],
  });
  return s;
}
