/**
 * CLI glue for `gate check --hook <name>`: runs the use-case and turns its report into a Result.
 * Shared by the commander action (commands/check.ts) and the hook fast path in main.ts, and kept
 * free of commander: every commit runs this.
 */
import type { Result } from './output.js';
import { renderFindings, usage } from './output.js';
import { styleErr } from './style.js';
import { commitBlocked, HOOK_NOTES, LINT_STAGED_EXAMPLE, LINT_STAGED_NEEDS_PATH, LINT_STAGED_ONLY_PRE_COMMIT, lintStagedFailed } from './messages.js';
// Static on purpose: this module is itself loaded lazily, only for the hooks, and every hook run
// needs both. Each separate chunk costs an ESM load (~0.4 ms of CPU) on every commit.
import { openContext } from '../../app/context.js';
import { parseHookName, runHook } from '../../app/hooks/run.js';

export { finish, failure } from './output.js';

export interface CheckHookOptions {
  /** `--lint-staged <bin>`: run lint-staged (in this process) before the pre-commit gates. */
  lintStaged?: string;
  /** `--json`: stdout carries the report only. */
  json?: boolean;
  /** The directory git runs the hook in (default: this process's); the tests ask for a verdict in process. */
  cwd?: string;
}

/** The usage rules of --lint-staged, for both parsers (the fast path only takes valid argv). */
export function checkLintStagedUsage(hook: string | undefined, lintStaged: string | undefined): void {
  if (lintStaged === undefined) return;
  if (hook !== 'pre-commit') {
    throw usage(LINT_STAGED_ONLY_PRE_COMMIT, LINT_STAGED_EXAMPLE);
  }
  if (lintStaged === '') throw usage(LINT_STAGED_NEEDS_PATH, LINT_STAGED_EXAMPLE);
}

export async function checkHookResult(hook: string, opts: CheckHookOptions = {}): Promise<Result> {
  checkLintStagedUsage(hook, opts.lintStaged);
  let lintStaged: Record<string, unknown> | undefined;
  if (opts.lintStaged !== undefined) {
    // lint-staged first (its tasks may restage files); the gates then read the final index.
    const { runLintStaged } = await import('../../adapters/lint-staged.js');
    const ls = await runLintStaged(opts.lintStaged, { stdoutToStderr: Boolean(opts.json) });
    lintStaged = { ...ls };
    if (!ls.ok) {
      const errText = lintStagedFailed(opts.lintStaged, ls.error);
      return { code: 1, json: { hook, lintStaged, findings: [] }, errText };
    }
  }
  const report = await runHook(openContext(opts.cwd ?? process.cwd(), { head: true }), parseHookName(hook));
  const errText: string[] = [];
  if (report.findings.length) {
    const s = styleErr();
    const nBlock = report.findings.filter((f) => f.severity === 'block').length;
    errText.push(nBlock ? s.red(s.bold(commitBlocked(nBlock))) : s.yellow(HOOK_NOTES));
    errText.push(...renderFindings(report.findings));
  }
  return { code: report.ok ? 0 : 1, json: { ...report, ...(lintStaged ? { lintStaged } : {}) }, errText };
}
