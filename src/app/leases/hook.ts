import type { HookGate } from '../hooks/types.js';
import { compileGlobs } from '../../kernel/glob.js';
import { leaseFindings, stagedHandoffPaths } from '../../gates/leases.js';
import { LeaseStore } from '../../adapters/lease-store.js';
import type { LeaseRecord } from '../../schema/lease/schema.js';

/**
 * Gate A at pre-commit: every staged handoff document (added, modified, deleted, both sides of a
 * rename) needs a live lease held by the committing identity. A corrupt lease record throws
 * LEASE_CORRUPT, so the commit cannot be evaluated and is refused (fail closed). With
 * handoff.remote set, the leases are read from that remote (one fetch of just these paths' refs,
 * a short timeout; unreachable is REMOTE_UNREACHABLE, exit 3) and only when the commit touches a
 * handoff document: other commits pay nothing for it.
 */
export const gateA: HookGate = {
  name: 'gate-a',
  preCommit(ctx, staged) {
    const isHandoff = compileGlobs(staged.config.handoff.paths);
    const paths = stagedHandoffPaths(staged.changes, isHandoff);
    if (paths.length === 0) return [];
    const remote = staged.config.handoff.remote;
    if (remote !== undefined) {
      return import('./remote.js').then(({ remoteStore, remoteTimeoutMs }) => {
        const states = remoteStore(ctx, remote, remoteTimeoutMs(staged.config, true)).read(paths, true, ctx.now().getTime());
        const leases = new Map(paths.map((p) => [p, states.get(p)?.lease?.rec]));
        return leaseFindings({ changes: staged.changes, isHandoff, leases, actor: ctx.actor().id, nowMs: ctx.now().getTime() });
      });
    }
    const store = new LeaseStore(ctx.stateDir);
    const leases = new Map<string, LeaseRecord | undefined>(paths.map((p) => [p, store.read(p)]));
    return leaseFindings({ changes: staged.changes, isHandoff, leases, actor: ctx.actor().id, nowMs: ctx.now().getTime() });
  },
  // With handoff.remote, a commit of handoff documents gets its lease evidence in its note (ADR
  // 0026), so the post-commit runs for it; every other commit's post-commit has nothing to do.
  deferPostCommit(_ctx, staged) {
    if (staged.config.handoff.remote === undefined) return { deferrable: true };
    if (stagedHandoffPaths(staged.changes, compileGlobs(staged.config.handoff.paths)).length === 0) return { deferrable: true };
    return { deferrable: false, reason: 'the post-commit records the remote lease in the note' };
  },
  async postCommit(ctx, facts) {
    const remote = facts.config.handoff.remote;
    if (remote === undefined) return { findings: [] };
    const paths = stagedHandoffPaths(facts.changes, compileGlobs(facts.config.handoff.paths));
    if (paths.length === 0) return { findings: [] };
    const [{ leaseEvidence }, { formatLeaseNote }] = await Promise.all([import('./remote.js'), import('../../gates/range-leases.js')]);
    let evidence: Awaited<ReturnType<typeof leaseEvidence>> = [];
    let problem: string | undefined;
    try {
      evidence = leaseEvidence(ctx, remote, paths, ctx.actor().id);
      if (evidence.length) ctx.git.appendNote(facts.commit, formatLeaseNote(evidence));
    } catch (e) {
      problem = e instanceof Error ? e.message : String(e);
    }
    const missing = paths.filter((p) => !evidence.some((e) => e.path === p));
    if (problem || missing.length) {
      return {
        findings: [
          {
            gate: 'A',
            code: 'A_LEASE_NOT_RECORDED',
            severity: 'warn',
            message: `commit ${facts.commit.slice(0, 12)} changes ${(problem ? paths : missing).join(', ')}, but the lease it was made under could not be recorded in its note${problem ? ` (${problem})` : ' (this clone no longer sees the lease it holds)'}; \`gate check --range\` in CI will reject it.`,
            fix: `git reset --soft HEAD~1 && gate lock acquire ${(problem ? paths : missing).join(' ')} && git commit`,
          },
        ],
        data: { gate_a: { remote, leases: evidence.map((e) => ({ path: e.path, version: e.version, token: e.token })) } },
      };
    }
    return { findings: [], data: { gate_a: { remote, leases: evidence.map((e) => ({ path: e.path, version: e.version, token: e.token })) } } };
  },
};
