/**
 * `gate doctor`: installation health, each problem with the exact fix. Never modifies anything.
 */
import { join, resolve } from 'node:path';
import { exists } from '../../adapters/files.js';
import { isGateError } from '../../kernel/errors.js';
import { CONFIG_PATH, loadConfig } from '../../adapters/config-file.js';
import { NOTES_REF } from '../../adapters/git.js';
import type { Ctx } from '../context.js';
import { detectHookSetup, inspectHooks, isEarlierTemplate, lintStagedInfo, safeRead, type HookGenerator, type HookHealth, type HookManager } from '../../adapters/hook-managers.js';
import { GIT_HOOKS } from '../hooks/registry.js';
import { SIDECAR_IGNORE } from '../../kernel/paths.js';

export type CheckStatus = 'ok' | 'warn' | 'problem';
export interface DoctorCheck {
  id: string;
  title: string;
  status: CheckStatus;
  message: string;
  details?: string[];
  fix?: string;
}

export interface DoctorReport {
  root: string;
  initialised: boolean;
  healthy: boolean;
  checks: DoctorCheck[];
}

function shq(s: string): string {
  return /^[\w./@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export async function runDoctor(ctx: Ctx, env: NodeJS.ProcessEnv = process.env): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const initialised = ctx.initialised();
  const root = ctx.paths.root;

  // config
  try {
    const c = await loadConfig(root, ctx.stateDir, initialised, { cache: false });
    checks.push(
      c.source === 'file'
        ? { id: 'config', title: 'config', status: 'ok', message: `${CONFIG_PATH} is valid` }
        : { id: 'config', title: 'config', status: 'warn', message: `${CONFIG_PATH} does not exist and \`gate init\` never ran here: the built-in defaults are in force`, fix: 'gate init' },
    );
  } catch (e) {
    if (!isGateError(e)) throw e;
    checks.push({ id: 'config', title: 'config', status: 'problem', message: e.message, details: [...e.details], ...(e.fix ? { fix: e.fix } : {}) });
  }

  checks.push(
    initialised
      ? { id: 'init', title: 'init', status: 'ok', message: '`gate init` ran in this repository' }
      : { id: 'init', title: 'init', status: 'problem', message: '`gate init` never ran in this repository, so no hooks call the gates', fix: 'gate init' },
  );

  // the hook manager in use, and hooks it installed that core.hooksPath hides
  const setup = detectHookSetup(root);
  const initFix = `gate init --hooks ${setup.inUse}`;
  checks.push({ id: 'hook-manager', title: 'hook manager', status: 'ok', message: `${setup.inUse} (${setup.why})` });
  const GEN_MANAGER: Partial<Record<HookGenerator, HookManager>> = { lefthook: 'lefthook', 'pre-commit': 'pre-commit', 'simple-git-hooks': 'simple-git-hooks', user: 'git', 'agent-gates': 'git' };
  const configured = new Set(setup.configs.map((c) => c.manager));
  const shadowed = setup.shadowed.filter((h) => GEN_MANAGER[h.generator] && (h.generator === 'user' || h.generator === 'agent-gates' || configured.has(GEN_MANAGER[h.generator]!)));
  if (shadowed.length) {
    const owner = GEN_MANAGER[shadowed[0]!.generator]!;
    checks.push({
      id: 'hooks-shadowed',
      title: 'shadowed hooks',
      status: 'problem',
      message: `core.hooksPath=${setup.hooksPath} hides the hooks in .git/hooks (${shadowed.map((h) => `${h.hook}: ${h.generator === 'user' ? 'your own' : h.generator}`).join(', ')}): git never runs them`,
      details: [`git runs the hooks in ${setup.hooksDir} instead; ${owner === 'git' ? 'your hooks' : `${owner}'s checks (commit-msg and the rest)`} are silently off`],
      fix: `gate init --hooks ${owner}   (unsets a core.hooksPath of gate's own and installs the gates beside those hooks)`,
    });
  } else if (setup.hooksPath !== undefined && (setup.inUse === 'lefthook' || setup.inUse === 'pre-commit' || setup.inUse === 'simple-git-hooks')) {
    checks.push({
      id: 'hooks-shadowed',
      title: 'shadowed hooks',
      status: 'problem',
      message: `${setup.configs[0]!.path} configures ${setup.inUse}, which installs into .git/hooks, but core.hooksPath=${setup.hooksPath} makes git run other hooks`,
      fix: initFix,
    });
  }
  const stale = setup.shadowed.filter((h) => (h.generator === 'lefthook' || h.generator === 'pre-commit' || h.generator === 'simple-git-hooks') && !configured.has(h.generator));
  if (stale.length) {
    checks.push({ id: 'hooks-stale', title: 'stale hooks', status: 'warn', message: `.git/hooks holds ${stale.map((h) => `${h.hook} (${h.generator})`).join(', ')} of a manager this repository does not configure; core.hooksPath hides them` });
  }

  // hooks, in every worktree of the clone
  const worktrees = ctx.git.worktrees().filter((w) => !w.bare);
  const here = resolve(root);
  let herePreCommit: HookHealth | undefined;
  for (const wt of worktrees) {
    const isHere = resolve(wt.path) === here;
    const label = isHere ? 'hooks (this worktree)' : `hooks (worktree ${wt.path})`;
    if (!exists(wt.path)) {
      checks.push({ id: 'hooks', title: label, status: 'warn', message: 'the worktree directory no longer exists', fix: 'git worktree prune' });
      continue;
    }
    const h = inspectHooks(wt.path, ctx.paths.commonDir, GIT_HOOKS);
    if (isHere) herePreCommit = h.hooks.find((x) => x.hook === 'pre-commit');
    const problems = h.hooks.flatMap((x) => x.problems.map((p) => (p.includes(x.hook) ? p : `${x.hook}: ${p}`)));
    if (!h.gateBin) problems.push('the hooks cannot find the gate binary (./node_modules/.bin/gate, the main worktree\'s node_modules/.bin/gate, or gate on PATH), so every commit is blocked');
    // one fix, the command init itself would run: here, init for the manager in use; elsewhere, the hooks of that worktree
    const fix = isHere ? initFix : `gate init --hooks-only --worktree ${shq(wt.path)}`;
    const runners = [...new Set(h.hooks.map((x) => x.runner).filter(Boolean))].join(', ');
    checks.push(
      problems.length === 0
        ? { id: 'hooks', title: label, status: 'ok', message: `${h.hooks.map((x) => x.hook).join(', ')} are active and call gate (${h.gateBin}; run by ${runners})` }
        : {
            id: 'hooks',
            title: label,
            status: 'problem',
            message: `the hooks are not active or do not call gate (${problems.length} problem${problems.length === 1 ? '' : 's'})`,
            details: problems,
            fix: !h.gateBin && problems.length === 1 ? 'npm install --save-dev agent-gates' : fix,
          },
    );
    const warnings = h.hooks.flatMap((x) => x.warnings);
    if (warnings.length) checks.push({ id: 'hooks-order', title: `${label}: order`, status: 'warn', message: warnings[0]!, ...(warnings.length > 1 ? { details: warnings.slice(1) } : {}) });
  }

  // dependencies in linked worktrees (issue 14): the agent hook and lint-staged need node_modules
  {
    const { depsState } = await import('../../adapters/worktree-deps.js');
    const main = worktrees[0]?.path;
    for (const wt of worktrees.slice(1)) {
      if (!main || !exists(wt.path)) continue;
      const d = depsState(wt.path);
      if (d.state === 'missing' || d.state === 'broken-link') {
        checks.push({
          id: 'worktree-deps',
          title: `dependencies (worktree ${wt.path})`,
          // a warning: the gate hooks still find gate through the main worktree's node_modules
          status: 'warn',
          message: `node_modules is ${d.state === 'missing' ? 'missing' : 'a broken link'}: the agent hook cannot find gate and the project's lint-staged tasks fail there`,
          fix: `ln -sfn ${shq(resolve(main, 'node_modules'))} ${shq(resolve(wt.path, 'node_modules'))}   (or run your package manager's install there)`,
        });
      } else if (d.state !== 'none-needed') {
        checks.push({ id: 'worktree-deps', title: `dependencies (worktree ${wt.path})`, status: 'ok', message: d.state === 'link' ? `node_modules links ${d.target}` : 'node_modules is installed' });
      }
    }
  }

  // hook scripts an earlier agent-gates wrote and nobody changed: this version's do the same job
  // with one node start per commit (ADR 0009); `gate init --hooks-only` replaces exactly those
  for (const wt of worktrees) {
    if (!exists(wt.path)) continue;
    const outdated = inspectHooks(wt.path, ctx.paths.commonDir).hooks.filter((x) => {
      const text = x.script ? safeRead(x.script) : undefined;
      return text !== undefined && isEarlierTemplate(x.hook, text);
    });
    if (outdated.length === 0) continue;
    const isHere = resolve(wt.path) === here;
    checks.push({
      id: 'hooks-version',
      title: isHere ? 'hook scripts (this worktree)' : `hook scripts (worktree ${wt.path})`,
      status: 'warn',
      message: `${outdated.map((x) => x.hook).join(' and ')} ${outdated.length === 1 ? 'is' : 'are'} an earlier agent-gates version's script, unchanged: it works, but starts node more often than this version's (ADR 0009)`,
      fix: isHere ? 'gate init --hooks-only   (replaces only unchanged earlier versions), then commit .husky/' : `gate init --hooks-only --worktree ${shq(wt.path)}`,
    });
  }

  // lint-staged: read from the same inspection as the hooks check (ordering is checked there), so
  // the two never disagree: no verdict on lint-staged while the pre-commit does not run gate
  const ls = lintStagedInfo(root, ctx.paths.commonDir);
  if (ls.configured) {
    const runs = herePreCommit?.lintStaged?.runs ?? 0;
    checks.push(
      !ls.bin
        ? { id: 'lint-staged', title: 'lint-staged', status: 'warn', message: 'lint-staged is configured but not installed; the pre-commit hook skips it', fix: 'npm install' }
        : !herePreCommit?.ok
          ? { id: 'lint-staged', title: 'lint-staged', status: 'warn', message: 'configured; whether it runs before gate is unknown until the pre-commit hook runs gate (see the hooks check)', fix: initFix }
          : runs >= 2
            ? { id: 'lint-staged', title: 'lint-staged', status: 'problem', message: `runs ${runs} times per commit: the project's pre-commit runs it, and the agent-gates script runs it again`, fix: initFix }
            : runs === 1
              ? { id: 'lint-staged', title: 'lint-staged', status: 'ok', message: 'configured; the pre-commit hook runs it once, before gate' }
              : { id: 'lint-staged', title: 'lint-staged', status: 'warn', message: 'configured and installed, but the pre-commit hook does not run it', fix: `${initFix} --force   (the agent-gates pre-commit script runs lint-staged, then gate)` },
    );
  }

  // sidecars ignored
  let ignored = false;
  try {
    ignored = ctx.git.isIgnored(`${SIDECAR_IGNORE}explain-0.yaml`);
  } catch (e) {
    if (!isGateError(e)) throw e;
  }
  checks.push(
    ignored
      ? { id: 'ignore', title: 'sidecars ignored', status: 'ok', message: `${SIDECAR_IGNORE} is ignored by git` }
      : { id: 'ignore', title: 'sidecars ignored', status: 'problem', message: `${SIDECAR_IGNORE} is not ignored, so explain sidecars could be staged by \`git add -A\``, fix: `echo '${SIDECAR_IGNORE}' >> .gitignore` },
  );

  // notes survive rebase
  const rewrite = ctx.git.configGetAll('notes.rewriteRef');
  checks.push(
    rewrite.includes(NOTES_REF)
      ? { id: 'notes', title: 'notes rewrite', status: 'ok', message: `notes.rewriteRef includes ${NOTES_REF}` }
      : { id: 'notes', title: 'notes rewrite', status: 'problem', message: `notes.rewriteRef does not include ${NOTES_REF}: approval notes are lost when commits are rebased or amended`, fix: `git config --add notes.rewriteRef ${NOTES_REF}` },
  );

  // environment that silently skips husky hooks
  const skips: string[] = [];
  if (env.HUSKY === '0') skips.push('HUSKY=0 is set in this environment: husky skips every hook');
  const huskyInit = join(env.XDG_CONFIG_HOME ?? join(env.HOME ?? '', '.config'), 'husky', 'init.sh');
  if (/HUSKY\s*=\s*["']?0/.test(safeRead(huskyInit) ?? '')) skips.push(`${huskyInit} sets HUSKY=0: husky skips every hook for this user`);
  if (skips.length) {
    checks.push({ id: 'env', title: 'hook bypass', status: 'problem', message: 'hooks are switched off for this user', details: skips, fix: env.HUSKY === '0' ? 'unset HUSKY' : `remove HUSKY=0 from ${huskyInit}` });
  }

  // ledger. Doctor diagnoses and never writes it: deferred commit records (ADR 0009) are only
  // counted here; the next ledger write, `gate audit verify` or `gate review` folds them in.
  try {
    const v = await ctx.ledger.verify({ fold: false });
    const pending = v.fold.pending;
    const pendingNote = pending ? `; ${pending} deferred commit record${pending === 1 ? '' : 's'} waiting in ${ctx.ledger.pendingDir} (folded in by the next ledger write)` : '';
    checks.push(
      v.ok
        ? { id: 'ledger', title: 'ledger', status: 'ok', message: `verifies (${v.entries} entries)${pendingNote}`, ...(v.warnings.length ? { details: v.warnings } : {}) }
        : {
            id: 'ledger',
            title: 'ledger',
            status: 'problem',
            message: `does not verify: line ${v.problem!.line}: ${v.problem!.reason}: ${v.problem!.message}`,
            fix: v.problem!.reason === 'torn' || v.problem!.reason === 'head_missing' ? 'gate audit repair' : 'restore the ledger from a backup (gate audit verify shows the details); gates that need it fail closed until then',
          },
    );
  } catch (e) {
    if (!isGateError(e)) throw e;
    checks.push({ id: 'ledger', title: 'ledger', status: 'problem', message: e.message, ...(e.fix ? { fix: e.fix } : {}) });
  }

  // approval strength in force (terminal only, software key, FIDO touch)
  try {
    const { approvalStrengthFor } = await import('../approvals/signed.js');
    const st = await approvalStrengthFor(ctx);
    checks.push({
      id: 'approval-strength',
      title: 'approval strength',
      status: st.problems.length ? 'warn' : 'ok',
      message: st.explanation.replace(/^approval strength: /, ''),
      ...(st.problems.length ? { details: st.problems } : {}),
    });
  } catch (e) {
    if (!isGateError(e)) throw e;
    checks.push({ id: 'approval-strength', title: 'approval strength', status: 'problem', message: e.message, ...(e.fix ? { fix: e.fix } : {}) });
  }

  // agent runtimes configured here (src/app/agents/install.ts)
  checks.push(...(await import('../agents/install.js')).agentChecks(root));

  // notifications (per user, outside the repository; docs/inbox.md)
  checks.push(await (await import('../inbox/notify.js')).notifyCheck());

  return { root, initialised, healthy: !checks.some((c) => c.status === 'problem'), checks };
}

