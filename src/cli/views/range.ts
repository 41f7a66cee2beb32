/** CLI glue for `gate check --range`: runs the use-case and turns its report into a Result. */
import type { Result } from '../io.js';
import { renderFindings } from '../io.js';
import { styleErr, styleOut } from '../fast/style.js';
import { rangeCheckFailed } from '../messages.js';

export async function runRangeCommand(spec: string): Promise<Result> {
  const [{ openContext }, { checkRange, rangeSummaryLines }] = await Promise.all([import('../../app/context.js'), import('../../app/review/range.js')]);
  const report = await checkRange(openContext(), spec);
  const so = styleOut();
  const se = styleErr();
  const text = rangeSummaryLines(report);
  text.push(report.ok ? so.green('range check passed') : '');
  const errText: string[] = report.warnings.map((w) => `${se.yellow('warning:')} ${w}`);
  if (!report.ok) {
    errText.push(se.red(se.bold(rangeCheckFailed(report.violations.length, new Set(report.violations.map((v) => v.commit)).size))));
    errText.push(...renderFindings(report.findings));
  }
  return { code: report.ok ? 0 : 1, json: { ...report }, text: text.filter((l) => l !== ''), errText };
}
