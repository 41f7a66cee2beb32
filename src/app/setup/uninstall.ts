/**
 * `gate uninstall`: remove what `gate init` installed (the hook scripts, the lines and entries it
 * added to the project's hook manager, the core.hooksPath and notes.rewriteRef it set) and put
 * back what it moved (a chained hook), so the project's other hooks run as before. The gate
 * config (.agents/), the agent rules and the ledger stay unless `purge`.
 */
import { NOTES_REF } from '../../adapters/git.js';
import { uninstallGateHooks, unsetGitConfig, type FileReport } from '../../adapters/hook-managers.js';
import { removeIgnoreBlock, removeShippedRules, removeTree } from '../../adapters/scaffold-files.js';
import { SIDECAR_IGNORE } from '../../kernel/paths.js';
import { VERSION } from '../../kernel/version.js';
import type { Ctx } from '../context.js';
import { GIT_HOOKS } from '../hooks/registry.js';

export interface UninstallOptions {
  /** Also remove .agents/ (config, explain sidecars), the shipped rules, the ignore entry and the ledger. */
  purge?: boolean;
}

export interface UninstallReport {
  root: string;
  files: FileReport[];
  /** git config and hook-manager actions taken. */
  actions: string[];
  /** What stays (without --purge). */
  kept: string[];
  purged: boolean;
  next: string[];
}

export async function runUninstall(ctx: Ctx, opts: UninstallOptions = {}): Promise<UninstallReport> {
  const root = ctx.paths.root;
  const h = uninstallGateHooks(root, GIT_HOOKS);
  const files = [...h.files];
  const actions = [...h.actions];
  const next = [...h.next];
  if (unsetGitConfig(root, 'notes.rewriteRef', NOTES_REF)) actions.push(`unset notes.rewriteRef ${NOTES_REF}`);
  const kept: string[] = [];
  const purged = Boolean(opts.purge);
  if (purged) {
    for (const r of [
      removeTree(root, '.agents', 'the gate config, explain sidecars and anything else under .agents/'),
      ...removeShippedRules(root),
      removeIgnoreBlock(root, SIDECAR_IGNORE),
    ]) {
      if (r) files.push(r);
    }
    if (removeTree(ctx.stateDir, '.', 'ledger, leases, checkpoints')) actions.push(`removed ${ctx.stateDir} (the ledger, leases and checkpoints)`);
  } else {
    await ctx.record({
      event: 'uninstall',
      actor: ctx.actor(),
      subject: { paths: files.filter((f) => f.status === 'removed' || f.status === 'updated' || f.status === 'restored').map((f) => f.path) },
      data: { version: VERSION, files: Object.fromEntries(files.map((f) => [f.path, f.status])), actions },
    });
    kept.push('.agents/ (the gate config and explain sidecars)', 'rules/gate-*.md (the agent rules)', `${ctx.stateDir} (the ledger, with this uninstall recorded)`, `the ${SIDECAR_IGNORE} entry in .gitignore`);
    next.push('remove those too: gate uninstall --purge');
  }
  const changed = files.filter((f) => f.status !== 'already present' && f.status !== 'skipped').map((f) => f.path);
  if (changed.length) {
    next.push(`commit the removal: git add -A -- ${changed.map(shq).join(' ')} && git commit -m "chore: remove agent-gates"`);
    next.push('where CI runs `gate check --range`, removing gate-control files needs an approval there like any change to them (gate explain, then gate approve, before the commit)');
  }
  for (const f of files) if (f.status === 'skipped' && f.fix) next.push(`${f.path}: ${f.fix}`);
  return { root, files, actions, kept, purged, next };
}

function shq(s: string): string {
  return /^[\w./@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
