/**
 * `gate check --range` against the remote's lease history (ADR 0026): when the BASE's config names
 * `handoff.remote`, every handoff change in the range needs lease evidence in its commit's note
 * that the remote's fence history confirms (pure rules: gates/range-leases.ts). One fetch of
 * refs/agent-gates/fence/* (with handoff.remote_timeout), and only when the range changes a handoff
 * document; an unreachable remote is REMOTE_UNREACHABLE (exit 3), never a pass.
 */
import { compileGlobs } from '../../kernel/glob.js';
import { RemoteRefs } from '../../adapters/remote-refs.js';
import { fenceRefOf } from '../../adapters/remote-lease-store.js';
import { parseLeaseMessage } from '../../schema/lease/schema.js';
import { splitDocuments } from '../../gates/range-notes.js';
import { evaluateLeaseRange, readLeaseEvidence, type FenceVersion, type LeaseChecked, type LeaseRangeCommit } from '../../gates/range-leases.js';
import type { RangeCommitFacts, RangeViolation } from '../../gates/range.js';
import type { GatesConfig } from '../../schema/config/defaults.js';
import type { Ctx } from '../context.js';
import { remoteTimeoutMs } from '../leases/remote.js';

export interface RangeLeaseReport {
  /** handoff.remote at the base. */
  remote: string;
  /** Handoff changes (commit, path) that needed lease evidence. */
  required: number;
  /** Whether the remote's fence refs were fetched (only when some change needed evidence). */
  fetched: boolean;
  /** The evidence that held, per commit and path. */
  checked: LeaseChecked[];
  violations: RangeViolation[];
}

/**
 * The handoff paths each commit changes that need a lease (commits parents first): every change
 * against the first parent, except that a merge may carry, from another parent, a version of the
 * path that a commit of the range wrote under a checked lease. A version taken from a parent
 * outside the range (an ancestor of the base, an unrelated root) is a write: an older version rolled
 * back, or a deletion, needs its own lease (red team: such merges passed).
 */
function handoffPathsOf(facts: readonly RangeCommitFacts[], isHandoff: (p: string) => boolean): string[][] {
  const written = new Set<string>(); // path NUL mode:blob, written by a commit of the range that needed a lease
  const versionOf = (path: string, mode: string, blob: string): string => `${path}\0${mode}:${blob}`;
  return facts.map((f) => {
    const out = new Set<string>();
    for (const ch of f.changes) {
      if (!isHandoff(ch.path)) continue;
      const fromOther = f.differsFrom !== undefined && !f.differsFrom.every((s) => s.has(ch.path));
      if (fromOther && written.has(versionOf(ch.path, ch.newMode, ch.newBlob))) continue;
      out.add(ch.path);
    }
    for (const ch of f.changes) if (out.has(ch.path)) written.add(versionOf(ch.path, ch.newMode, ch.newBlob));
    return [...out].sort();
  });
}

/** Every note body on each of `commits` under the approval notes refs (this clone's and the fetched copies). */
function noteBodies(ctx: Ctx, noteRefs: readonly string[], commits: ReadonlySet<string>): Map<string, string[]> {
  const blobsOf = new Map<string, Set<string>>();
  for (const ref of noteRefs) {
    for (const [commit, blob] of ctx.git.notesMap(ref)) {
      if (!commits.has(commit)) continue;
      let s = blobsOf.get(commit);
      if (!s) blobsOf.set(commit, (s = new Set()));
      s.add(blob);
    }
  }
  const bodies = ctx.git.readBlobs([...new Set([...blobsOf.values()].flatMap((s) => [...s]))]);
  const out = new Map<string, string[]>();
  for (const [commit, blobs] of blobsOf) out.set(commit, [...blobs].flatMap((b) => (bodies.has(b) ? [bodies.get(b)!.toString('utf8')] : [])));
  return out;
}

/** The committer email of each commit, in one git process. */
function committerEmails(ctx: Ctx, commits: readonly string[]): Map<string, string> {
  const r = ctx.git.exec(['log', '--no-walk=unsorted', '--stdin', '--format=%H%x00%ce'], { input: `${commits.join('\n')}\n` });
  const out = new Map<string, string>();
  if (r.code !== 0) return out;
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const [c, e] = line.split('\0');
    if (c && e !== undefined) out.set(c, e);
  }
  return out;
}

/**
 * Each fence tip's ancestry with its records, in one `git log` over all tips: path → version → record.
 * Only these tips' own ancestry counts: a lease commit that exists here but is not reachable from
 * the path's fence ref on the remote is unknown.
 */
function fenceHistories(ctx: Ctx, tips: ReadonlyMap<string, string>): Map<string, Map<string, FenceVersion>> {
  const out = new Map<string, Map<string, FenceVersion>>();
  if (tips.size === 0) return out;
  const r = ctx.git.exec(['log', '--format=%H %P%x00%B%x00', ...new Set(tips.values())]);
  const commits = new Map<string, { parents: string[]; message: string }>();
  if (r.code === 0) {
    const parts = r.stdout.toString('utf8').split('\0');
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const [id, ...parents] = parts[i]!.trim().split(' ').filter(Boolean);
      if (id) commits.set(id, { parents, message: parts[i + 1]! });
    }
  }
  for (const [path, tip] of tips) {
    const versions = new Map<string, FenceVersion>();
    const todo = [tip];
    while (todo.length) {
      const id = todo.pop()!;
      if (versions.has(id)) continue;
      const c = commits.get(id);
      if (!c) {
        versions.set(id, { problem: 'its commit is not here after the fetch' });
        continue;
      }
      const p = parseLeaseMessage(c.message);
      versions.set(id, 'rec' in p ? { rec: p.rec } : { problem: p.problem });
      todo.push(...c.parents);
    }
    out.set(path, versions);
  }
  return out;
}

/** The lease part of `gate check --range`; undefined when the base's config has no handoff.remote (no network). */
export function checkRangeLeases(ctx: Ctx, base: GatesConfig, facts: readonly RangeCommitFacts[], noteRefs: readonly string[]): RangeLeaseReport | undefined {
  const remote = base.handoff.remote;
  if (remote === undefined) return undefined;
  const isHandoff = compileGlobs(base.handoff.paths);
  const pathsPerCommit = handoffPathsOf(facts, isHandoff);
  const needs = facts.map((f, i) => ({ f, paths: pathsPerCommit[i]! })).filter((x) => x.paths.length > 0);
  const report: RangeLeaseReport = { remote, required: needs.reduce((n, x) => n + x.paths.length, 0), fetched: false, checked: [], violations: [] };
  if (needs.length === 0) return report;

  const refs = new RemoteRefs(ctx.git, remote, { timeoutMs: remoteTimeoutMs(base) });
  const fence = refs.fetch(['fence/']); // throws REMOTE_UNREACHABLE / REMOTE_REFUSED (exit 3)
  report.fetched = true;
  const paths = [...new Set(needs.flatMap((x) => x.paths))];
  const tips = new Map<string, string>();
  for (const p of paths) {
    const t = fence.get(fenceRefOf(p));
    if (t) tips.set(p, t);
  }
  const histories = fenceHistories(ctx, tips);
  const ids = needs.map((x) => x.f.commit);
  const notes = noteBodies(ctx, noteRefs, new Set(ids));
  const emails = committerEmails(ctx, ids);
  const pathsOf = new Map(needs.map((x) => [x.f.commit, x.paths]));
  const commits: LeaseRangeCommit[] = facts.map((f) => {
    const paths = pathsOf.get(f.commit) ?? [];
    const evidence: LeaseRangeCommit['evidence'][number][] = [];
    const problems: string[] = [];
    if (paths.length) {
      for (const body of notes.get(f.commit) ?? []) {
        const docs = splitDocuments(body);
        if (typeof docs === 'string') {
          problems.push(docs);
          continue;
        }
        const r = readLeaseEvidence(docs);
        evidence.push(...r.evidence);
        problems.push(...r.problems);
      }
    }
    return { commit: f.commit, parents: f.parents, committerEmail: emails.get(f.commit) ?? '', paths, evidence, problems };
  });
  const r = evaluateLeaseRange({ remote, commits, history: (p) => histories.get(p) });
  report.checked = r.checked;
  report.violations = r.violations;
  return report;
}
