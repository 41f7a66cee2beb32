/**
 * CLI glue for `gate check --hook <name>`: runs the use-case and turns its report into a Result.
 * Shared by the commander action (commands/check.ts) and the hook fast path in main.ts, and kept
 * free of commander: every commit runs this.
 */
import type { Result } from './output.js';
import { renderFindings, usage } from './output.js';
import { styleErr } from './style.js';
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
}

const LINT_STAGED_EXAMPLE = 'gate check --hook pre-commit --lint-staged ./node_modules/.bin/lint-staged';

/** The usage rules of --lint-staged, for both parsers (the fast path only takes valid argv). */
export function checkLintStagedUsage(hook: string | undefined, lintStaged: string | undefined): void {
  if (lintStaged === undefined) return;
  if (hook !== 'pre-commit') {
    throw usage('--lint-staged is only valid with --hook pre-commit: lint-staged runs before the pre-commit gates.', LINT_STAGED_EXAMPLE);
  }
  if (lintStaged === '') throw usage('--lint-staged needs the path of the lint-staged binary.', LINT_STAGED_EXAMPLE);
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
      const errText = ls.error
        ? [
            `agent-gates: lint-staged failed, so the commit is blocked: ${ls.error}`,
            `  fix: run ${opts.lintStaged} on its own to see the whole error (often its configuration), fix it, then commit again`,
          ]
        : ['agent-gates: lint-staged failed, so the commit is blocked (its output is above).'];
      return { code: 1, json: { hook, lintStaged, findings: [] }, errText };
    }
  }
  const report = await runHook(openContext(process.cwd(), { head: true }), parseHookName(hook));
  const errText: string[] = [];
  if (report.findings.length) {
    const s = styleErr();
    const nBlock = report.findings.filter((f) => f.severity === 'block').length;
    errText.push(nBlock ? s.red(s.bold(`agent-gates: commit blocked (${nBlock} problem${nBlock === 1 ? '' : 's'})`)) : s.yellow('agent-gates:'));
    errText.push(...renderFindings(report.findings));
  }
  return { code: report.ok ? 0 : 1, json: { ...report, ...(lintStaged ? { lintStaged } : {}) }, errText };
}
