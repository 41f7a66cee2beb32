/**
 * The runtime-neutral decision (issue 16): (agent event, session, config, leases) → allow / deny
 * / nothing, with the reason and the exact command that fixes it. Every runtime module
 * (src/adapters/agents/*) renders the same decision in its own format.
 *  - edit of a handoff document the session does not lease (live) → deny with `gate lock acquire`;
 *  - edit of git hooks, the ledger or leases, .git/config or an explain sidecar → deny;
 *  - edit of a control-plane surface → allow, with the reminder of what the commit will need
 *    (tier, `gate explain`) and the earlier rejections of that path from the ledger;
 *  - a shell command that bypasses or weakens the gates → deny (shell-guard.ts);
 *  - session start → the runtime's session id becomes GATE_SESSION, and the leases it still
 *    holds (a resumed session) are named.
 * Anything that cannot be evaluated is a deny (fail closed), never a silent pass.
 */
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { AgentDecision, AgentEvent } from '../../adapters/agents/contract.js';
import { nearestExistingDir, pathExists, realPath } from '../../adapters/agents/settings.js';
import { openGit } from '../../adapters/git.js';
import { LeaseStore } from '../../adapters/lease-store.js';
import { acquireCommand, describeHolder, leaseState, shellQuote } from '../../gates/leases.js';
import { isGateError } from '../../kernel/errors.js';
import { compileGlobs } from '../../kernel/glob.js';
import { SIDECAR_DIR } from '../../kernel/paths.js';
import { ledgerRejections } from '../approvals/facts.js';
import { openContext, type Ctx } from '../context.js';
import { realTargetOf } from '../leases/lease.js';
import { guardShell, judgePath, type GuardEnv } from './shell-guard.js';

export function cannotEvaluate(what: string, why: string, fix: string): AgentDecision {
  return { verdict: 'deny', cannotEvaluate: true, message: `cannot evaluate this ${what}, so it is blocked (fail closed): ${why} Fix: ${fix}` };
}

export async function decide(ev: AgentEvent, env: NodeJS.ProcessEnv = process.env): Promise<AgentDecision> {
  switch (ev.kind) {
    case 'ignore':
      return { verdict: 'none' };
    case 'invalid':
      return cannotEvaluate('tool call', ev.why, ev.fix);
    case 'session-start':
      return sessionStart(ev);
    case 'edit':
      return guarded('edit', () => decideEdit(ev));
    case 'shell':
      return guarded('command', () => decideShell(ev, env));
  }
}

async function guarded(what: string, f: () => Promise<AgentDecision>): Promise<AgentDecision> {
  try {
    return await f();
  } catch (e) {
    if (isGateError(e)) return cannotEvaluate(what, e.message, e.fix ?? 'run `gate doctor`.');
    return cannotEvaluate(what, `internal error: ${(e as Error)?.message ?? String(e)}.`, 'report this with the hook input.');
  }
}

function insideRel(root: string, p: string): string | undefined {
  const r = relative(root, p);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r) ? r.split('\\').join('/') : undefined;
}

function guardEnvOf(ctx: Ctx, cwd: string, env: NodeJS.ProcessEnv = {}): GuardEnv {
  const { root, gitDir, commonDir } = ctx.paths;
  return { cwd, ...(env.HOME ? { home: env.HOME } : {}), repo: { root, gitDir, commonDir, sidecarDir: join(root, SIDECAR_DIR) } };
}

// ---------------------------------------------------------------------------------------------
// session start
// ---------------------------------------------------------------------------------------------

function sessionStart(ev: Extract<AgentEvent, { kind: 'session-start' }>): AgentDecision {
  if (!ev.session) return { verdict: 'none' };
  let held = '';
  try {
    // a resumed session keeps its id, and with it its leases: name them so it renews them
    const ctx = openContext(ev.cwd);
    const now = ctx.now().getTime();
    const mine = new LeaseStore(ctx.stateDir).list().filter((r) => r.owner === ev.session && leaseState(r, now) === 'held');
    if (mine.length) held = ` You hold leases on ${mine.map((r) => r.path).join(', ')}; renew them before they expire: gate lock renew ${mine.map((r) => shellQuote(r.path)).join(' ')} --owner ${shellQuote(ev.session)}.`;
  } catch {
    // not a repository, or leases unreadable: the edit hook will say so when it matters
  }
  return { verdict: 'none', session: ev.session, message: `Take a lease before editing a handoff document: ${acquireCommand(['<path>'], ev.session)}${held}` };
}

// ---------------------------------------------------------------------------------------------
// edits
// ---------------------------------------------------------------------------------------------

interface FileVerdict {
  deny?: string;
  remind?: string;
}

async function decideEdit(ev: Extract<AgentEvent, { kind: 'edit' }>): Promise<AgentDecision> {
  const session = ev.session!;
  if (!pathExists(ev.cwd)) return cannotEvaluate('edit', `the hook's cwd ${ev.cwd} does not exist.`, 'run the agent from inside the repository.');
  const home = openContext(ev.cwd); // not a repository → NOT_A_REPO → blocked
  const verdicts: FileVerdict[] = [];
  for (const file of ev.files) verdicts.push(await judgeEdit(home, ev.cwd, ev.tool, session, file));
  const denies = verdicts.flatMap((v) => (v.deny ? [v.deny] : []));
  if (denies.length) return { verdict: 'deny', message: denies.join(' ') };
  const reminders = verdicts.flatMap((v) => (v.remind ? [v.remind] : []));
  if (reminders.length) return { verdict: 'allow', message: reminders.join(' ') };
  return { verdict: ev.files.length ? 'allow' : 'none' };
}

async function judgeEdit(home: Ctx, cwd: string, tool: string, session: string, file: string): Promise<FileVerdict> {
  const abs = resolve(cwd, file);
  let ctx = home;
  const realAbs = realTargetOf(abs);
  if (!insideRel(home.paths.root, abs) && !insideRel(realPath(home.paths.root), realAbs)) {
    // Another worktree of this clone, another repository, or no repository at all
    // (judged by where the edit really lands, through symbolic links).
    let other;
    try {
      other = openGit(nearestExistingDir(realAbs));
    } catch (e) {
      if (isGateError(e) && e.code === 'NOT_A_REPO') return {}; // not governed by any repository
      throw e;
    }
    ctx = openContext(other.paths.root);
  }
  const machinery = [...judgePath(abs, `the ${tool} tool`, guardEnvOf(ctx, cwd)), ...(realAbs !== abs ? judgePath(realAbs, `the ${tool} tool`, guardEnvOf(ctx, cwd)) : [])];
  if (machinery.length) return { deny: machinery.map((f) => `${f.reason} Fix: ${f.fix}.`).join(' ') };
  const { config } = await ctx.config();
  const root = ctx.paths.root;
  const candidates = new Set<string>();
  const lex = insideRel(root, abs);
  if (lex) candidates.add(lex);
  const real = insideRel(realPath(root), realAbs); // a symlink that points at a handoff document
  if (real) candidates.add(real);
  const isHandoff = compileGlobs(config.handoff.paths);
  const handoff = [...candidates].filter((p) => isHandoff(p));
  if (handoff.length) {
    const store = new LeaseStore(ctx.stateDir);
    const nowMs = ctx.now().getTime();
    const problems: string[] = [];
    let heldByOther = false;
    for (const p of handoff) {
      const rec = store.read(p);
      if (rec && rec.owner === session && leaseState(rec, nowMs) === 'held') continue;
      if (!rec) problems.push(`${p} is a handoff document and your session (${session}) holds no lease on it (it is free).`);
      else if (rec.owner === session) problems.push(`${p} is a handoff document and your lease on it expired at ${rec.expires}.`);
      else if (leaseState(rec, nowMs) === 'expired') problems.push(`${p} is a handoff document; the lease of ${rec.owner} on it expired at ${rec.expires}, so you may take it over.`);
      else {
        heldByOther = true;
        problems.push(`${p} is a handoff document ${describeHolder(rec, nowMs)}; do not edit it until that lease is released or expires (work on something else meanwhile).`);
      }
    }
    if (!problems.length) return {};
    return {
      deny:
        `${problems.join(' ')} Take the lease first, then retry the edit: ${acquireCommand(handoff, session)}${heldByOther ? ' --wait 10m' : ''}` +
        ` (run it from ${root}). Commit with GATE_SESSION=${shellQuote(session)} so the pre-commit hook sees the same identity, then release it: gate lock release ${handoff.map(shellQuote).join(' ')} --owner ${shellQuote(session)}.`,
    };
  }
  const rank = { AUTO: 0, CONFIRM: 1, DOUBLE_CONFIRM: 2 } as const;
  let best: { hit: string; s: (typeof config.surfaces)[number] } | undefined;
  for (const s of config.surfaces) {
    const m = compileGlobs(s.paths);
    const hit = [...candidates].find((p) => m(p));
    if (hit && (!best || rank[s.tier] > rank[best.s.tier])) best = { hit, s };
  }
  if (!best) return {};
  const { hit, s } = best;
  let text = `${hit} is a control-plane surface (${s.name}, tier ${s.tier}${s.self_reinforcing ? ', self-reinforcing' : ''}). Committing this change will need an explanation and a person's approval: run \`gate explain\` (see \`gate explain --help\`) before \`git commit\`.`;
  text += await rejectionsOf(ctx, hit);
  return { remind: text };
}

/** " Earlier rejections of <path>: …" from the ledger (the latest three), or "". */
async function rejectionsOf(ctx: Ctx, path: string): Promise<string> {
  try {
    const all = await ledgerRejections(ctx, { paths: [path] });
    if (!all.length) return '';
    const last = all.slice(-3).map((r) => `"${r.reason}" (${r.by}, ${r.ts})`);
    return ` Earlier rejections of changes to ${path}${all.length > 3 ? ` (latest 3 of ${all.length})` : ''}: ${last.join('; ')}. Address them in this change.`;
  } catch {
    return ' (The ledger could not be read for earlier rejections: run `gate doctor`.)';
  }
}

// ---------------------------------------------------------------------------------------------
// shell commands
// ---------------------------------------------------------------------------------------------

async function decideShell(ev: Extract<AgentEvent, { kind: 'shell' }>, env: NodeJS.ProcessEnv): Promise<AgentDecision> {
  const session = ev.session ?? (env.GATE_SESSION?.trim() || undefined);
  if (!pathExists(ev.cwd)) return cannotEvaluate('command', `the hook's cwd ${ev.cwd} does not exist.`, 'run the agent from inside the repository.');
  let ctx: Ctx | undefined;
  try {
    ctx = openContext(ev.cwd);
  } catch (e) {
    if (!(isGateError(e) && e.code === 'NOT_A_REPO')) throw e;
  }
  let genv: GuardEnv = { cwd: ev.cwd, ...(env.HOME ? { home: env.HOME } : {}) };
  if (ctx) {
    const { config } = await ctx.config(); // an invalid config blocks (fail closed)
    const store = new LeaseStore(ctx.stateDir);
    const now = ctx.now().getTime();
    genv = {
      ...guardEnvOf(ctx, ev.cwd, env),
      isHandoff: compileGlobs(config.handoff.paths),
      leased: (rel) => {
        const rec = store.read(rel);
        return Boolean(rec && session && rec.owner === session && leaseState(rec, now) === 'held');
      },
    };
  }
  const findings = guardShell(ev.command, genv);
  if (!findings.length) return { verdict: 'none' };
  const parts = findings.map((f) =>
    f.rule === 'handoff' && f.paths
      ? `${f.reason} Take the lease first (${acquireCommand(f.paths, session)}), then edit it with your edit tool or rerun the command.`
      : `${f.reason} Fix: ${f.fix}.`,
  );
  return { verdict: 'deny', message: `this command is blocked before it runs: ${parts.join(' ')}` };
}
