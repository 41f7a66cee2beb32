/**
 * CLI glue for `gate check --hook <name>`: runs the use-case and turns its report into a Result.
 * Shared by the commander action (commands/check.ts) and the hook fast path in main.ts, and kept
 * free of commander: every commit runs this.
 */
import type { Result } from './output.js';
import { renderFindings } from './output.js';
import { styleErr } from './style.js';
// Static on purpose: this module is itself loaded lazily, only for the hooks, and every hook run
// needs both. Each separate chunk costs an ESM load (~0.4 ms of CPU) on every commit.
import { openContext } from '../app/context.js';
import { parseHookName, runHook } from '../app/check.js';

export { finish, failure } from './output.js';

export async function checkHookResult(hook: string): Promise<Result> {
  const report = await runHook(openContext(process.cwd(), { head: true }), parseHookName(hook));
  const s = styleErr();
  const errText: string[] = [];
  if (report.findings.length) {
    const nBlock = report.findings.filter((f) => f.severity === 'block').length;
    errText.push(nBlock ? s.red(s.bold(`agent-gates: commit blocked (${nBlock} problem${nBlock === 1 ? '' : 's'})`)) : s.yellow('agent-gates:'));
    errText.push(...renderFindings(report.findings));
  }
  return { code: report.ok ? 0 : 1, json: { ...report }, errText };
}
