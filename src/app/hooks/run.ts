/**
 * `gate check --hook <name>`: the single entry point the hooks call. Builds the facts once,
 * runs every registered gate, and returns all findings together.
 */
import { GateError } from '../../kernel/errors.js';
import type { Finding } from '../../kernel/findings.js';
import { blocks } from '../../kernel/findings.js';
import type { Ctx } from '../context.js';
import { HOOK_GATES } from './registry.js';
import { HOOK_NAMES, type HookGate, type HookName } from './types.js';
import { EMPTY_TREE } from '../../kernel/ids.js';
import { formatReceipt, PENDING_DIR, RECEIPT_FILE, type DeferredRecord } from '../../ledger/pending.js';
import type { StagedFacts } from './types.js';
import { sessionId } from '../../adapters/identity.js';
import { ensureCloneConfigOnce } from '../../adapters/notes-sync.js';
import { makeDir, removeFile } from '../../adapters/files.js';
import { writeFileAtomic } from '../../adapters/files.js';
import { join } from 'node:path';

export interface HookReport {
  hook: HookName;
  ok: boolean;
  tree?: string;
  commit?: string;
  findings: Finding[];
  data: Record<string, unknown>;
}

export function parseHookName(name: string): HookName {
  if ((HOOK_NAMES as readonly string[]).includes(name)) return name as HookName;
  throw new GateError('USAGE', `unknown hook "${name}".`, { fix: `use one of: ${HOOK_NAMES.join(', ')}` });
}

async function loadGates(): Promise<HookGate[]> {
  return Promise.all(HOOK_GATES.map((load) => load()));
}

/**
 * The `commit` event the post-commit would record for a commit of exactly these staged facts, when
 * every gate says its post-commit contributes only data (ADR 0009); undefined when any gate cannot
 * say so (or has no `deferPostCommit`), or for a root commit (the post-commit hook's fast path
 * needs exactly one parent). Call only when no gate blocks.
 */
export async function deferredRecord(ctx: Ctx, gates: readonly HookGate[], staged: StagedFacts): Promise<DeferredRecord | undefined> {
  if (!staged.head) return undefined;
  const data: Record<string, unknown> = { files: staged.changes.length };
  for (const g of gates) {
    if (!g.deferPostCommit) return undefined;
    const r = await g.deferPostCommit(ctx, staged);
    if (!r.deferrable) return undefined;
    Object.assign(data, r.data ?? {});
  }
  // ctx.actor() of a person costs a `git config` process: the fold names them from the commit instead
  const session = sessionId();
  const actor = session ? ({ kind: 'agent', id: session, session } as const) : 'committer';
  return { tree: staged.tree, parent: staged.head, actor, paths: staged.changes.slice(0, 200).map((c) => c.path), data };
}

/** `<this worktree's git dir>/agent-gates-receipt`: each worktree commits on its own. */
export function receiptPath(ctx: Ctx): string {
  return join(ctx.paths.gitDir, RECEIPT_FILE);
}

function removeReceipt(ctx: Ctx): void {
  removeFile(receiptPath(ctx)); // false: there was none
}

/**
 * An accepted ADR never changes (ADR_IMMUTABLE), so Gate B's "explain and approve" cannot get
 * such a commit through: its fix points at the ADR finding instead (issue 14).
 */
export function redirectExplainFixes(findings: Finding[]): void {
  const immutable = findings.filter((f) => f.code === 'ADR_IMMUTABLE');
  if (immutable.length === 0) return;
  const paths = immutable.map((f) => f.path).filter((p): p is string => !!p);
  for (const f of findings) {
    if (f.gate !== 'B' || f.severity !== 'block') continue;
    f.fix = `no explanation can help: accepted ADRs never change (${paths.join(', ')}); ${[...new Set(immutable.map((x) => x.fix).filter(Boolean))].join('; ')}`;
  }
}

export async function runHook(ctx: Ctx, hook: HookName): Promise<HookReport> {
  const { config } = await ctx.config();
  const gates = await loadGates();
  if (hook === 'pre-commit' || hook === 'pre-merge-commit') {
    // a clean merge's commit runs pre-merge-commit, not pre-commit: the same gates on its index
    // a fresh clone's first commit: make its config carry approvals (a stat on every later commit)
    ensureCloneConfigOnce(ctx.git, ctx.stateDir);
    const tree = ctx.git.writeTree();
    // HEAD read with the repository's location (one git process fewer) when the CLI opened it so
    const head = ctx.openedHead ? ctx.openedHead.commit : ctx.git.head();
    const changes = ctx.git.stagedChanges(head ?? EMPTY_TREE);
    const staged = { tree, head, changes, config };
    const findings: Finding[] = [];
    for (const g of gates) if (g.preCommit) findings.push(...(await g.preCommit(ctx, staged)));
    redirectExplainFixes(findings);
    const blocked = blocks(findings);
    // The receipt (ADR 0009): lets the post-commit hook skip node for this commit. Written only
    // when the commit may go ahead and every gate's post-commit is known; otherwise any stale one goes.
    // (a merge commit has two parents and no post-commit hook: never a receipt for it)
    const rec = blocked.length === 0 && hook === 'pre-commit' ? await deferredRecord(ctx, gates, staged) : undefined;
    if (rec) {
      // the pending dir, so that the shell's `mv` into it needs no mkdir
      makeDir(join(ctx.stateDir, PENDING_DIR));
      // whole or nothing, no fsync (the commit path is measured): a receipt lost in a crash only
      // sends that commit's post-commit down the node path
      writeFileAtomic(receiptPath(ctx), formatReceipt(rec), undefined, { fsync: false });
    } else removeReceipt(ctx);
    if (blocked.length > 0) {
      await ctx.record({
        event: 'check.block',
        actor: ctx.actor(),
        subject: { tree, paths: [...new Set(blocked.map((f) => f.path).filter((p): p is string => !!p))] },
        data: { hook, codes: blocked.map((f) => f.code), findings: blocked.map((f) => ({ gate: f.gate, code: f.code, path: f.path })) },
      });
    }
    return { hook, ok: blocked.length === 0, tree, findings, data: {} };
  }
  // post-commit: node runs (no receipt, or it did not match): whatever receipt is left is stale
  removeReceipt(ctx);
  const commit = ctx.openedHead ? ctx.openedHead.commit : ctx.git.head();
  if (!commit) throw new GateError('GIT_FAILED', 'post-commit ran but HEAD does not name a commit.');
  // tree and first parent in one git process
  const info = ctx.git.commitInfos([commit], ['-n', '1'])[0];
  if (!info || info.commit !== commit) throw new GateError('GIT_FAILED', `post-commit could not read commit ${commit}.`);
  const tree = info.tree;
  const parent = info.parents[0];
  const changes = ctx.git.diffTrees(parent ?? EMPTY_TREE, commit);
  const facts = { commit, tree, parent, changes, config };
  const findings: Finding[] = [];
  const data: Record<string, unknown> = {};
  for (const g of gates) {
    if (!g.postCommit) continue;
    const r = await g.postCommit(ctx, facts);
    findings.push(...r.findings);
    Object.assign(data, r.data ?? {});
  }
  await ctx.record({
    event: 'commit',
    actor: ctx.actor(),
    subject: { commit, tree, paths: changes.slice(0, 200).map((c) => c.path) },
    data: { files: changes.length, ...data },
  });
  return { hook, ok: blocks(findings).length === 0, tree, commit, findings, data };
}
