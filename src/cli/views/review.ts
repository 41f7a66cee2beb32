/** CLI glue for `gate review`: progress on a TTY, the chosen renderer, --out. */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { GateError } from '../../kernel/errors.js';
import type { Result } from '../io.js';
import { styleErr } from '../fast/style.js';
import { camelKeys } from './json.js';

export async function runReviewCommand(opts: { since?: string; format: string; out?: string; json?: boolean; team?: boolean; remote?: string }): Promise<Result> {
  if (opts.out !== undefined) checkOutDir(resolve(process.cwd(), opts.out));
  const [{ openContext }, { buildReview }] = await Promise.all([import('../../app/context.js'), import('../../app/review/review.js')]);
  const showProgress = Boolean(process.stderr.isTTY);
  let last = '';
  const report = await buildReview(openContext(), {
    ...(opts.since !== undefined ? { since: opts.since } : {}),
    ...(opts.team ? { team: { ...(opts.remote !== undefined ? { remote: opts.remote } : {}), ...(showProgress ? { onProgress: (t: string) => process.stderr.write(`\r\u001b[K${t}`) } : {}) } } : {}),
    ...(showProgress
      ? {
          onProgress: (phase: string, done: number, total: number) => {
            const msg = `\r${phase === 'verify' ? 'verifying' : 'reading'} ledger… ${Math.floor((done / Math.max(total, 1)) * 100)}%`;
            if (msg !== last) {
              last = msg;
              process.stderr.write(msg);
            }
          },
        }
      : {}),
  });
  if (showProgress && last) process.stderr.write('\r\u001b[K');
  const format = opts.json ? 'json' : opts.format;
  const s = styleErr();
  const errText: string[] = [];
  if (!report.trusted) errText.push(s.red(s.bold(report.team ? 'gate review --team: a ledger of the team does not verify; every figure in this report is untrusted (run `gate audit verify --team`).' : 'gate review: the ledger does not verify; every figure in this report is untrusted (run `gate audit verify`).')));
  if (report.team && showProgress) process.stderr.write('\r\u001b[K');
  // The review reports; it does not gate. An untrusted ledger is CANNOT_EVALUATE (3) so CI notices.
  const code = report.trusted ? 0 : 3;
  let rendered: string;
  if (opts.json && !opts.out) return { code, json: { ...report }, errText };
  if (format === 'json') rendered = `${JSON.stringify({ ok: code === 0, exitCode: code, ...camelKeys(report) }, null, 2)}\n`;
  else if (format === 'md') rendered = (await import('../../review/render-text.js')).renderMarkdown(report);
  else if (format === 'html') rendered = (await import('../../review/render-html.js')).renderHtml(report);
  else rendered = (await import('../../review/render-text.js')).renderText(report);
  if (opts.out) {
    const { writeFileAtomic } = await import('../../adapters/files.js');
    const abs = resolve(process.cwd(), opts.out);
    writeFileAtomic(abs, rendered);
    return { code, json: { out: abs, format, trusted: report.trusted, recommendations: report.recommendations.length }, text: `wrote the ${format} review to ${abs}`, errText };
  }
  return { code, json: { ...report }, text: rendered, errText };
}

/** --out goes into an existing directory: a missing one is a mistake to report, not to create. */
function checkOutDir(abs: string): void {
  const dir = dirname(abs);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new GateError('FS_FAILED', `--out ${abs}: the directory ${dir} does not exist (gate review does not create directories).`, {
      fix: `mkdir -p '${dir.replace(/'/g, `'\\''`)}' and run the command again, or choose another --out`,
      data: { path: dir },
    });
  }
}
