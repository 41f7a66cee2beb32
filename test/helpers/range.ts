/**
 * `gate check --range` in process: the range use-case through the composition root (openContext +
 * checkRange), with the report as the CLI's `--json` prints it and the CLI's exit code (0 when the
 * range passes, 1 when it is refused). The adversarial range tests judge most of their branches
 * this way (no node process per check) and keep one run of the packed binary per exit-code class;
 * the CLI glue (argv, rendering, exit codes) has its own tests (test/integration/range.test.ts).
 *
 * The use-case runs under the repository's environment (`env`: the isolated HOME, no GIT_*), as
 * the spawned CLI would: process.env is swapped for the call and restored after it.
 */
import { openContext } from '../../src/app/context.js';
import { checkRange } from '../../src/app/review/range.js';
import { camelKeys } from '../../src/cli/views/json.js';

export interface RangeRun {
  code: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the JSON report, read field by field by the tests
  json: any;
  stderr: string;
}

/** Run `fn` with process.env replaced by `env` (keys not in `env` removed), then restore it. */
export async function withEnv<T>(env: NodeJS.ProcessEnv, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/** `gate check --range <spec> --json` in `dir`, in process: { code, json (the report as printed), stderr: '' }. */
export async function checkRangeInProcess(dir: string, spec: string, env: NodeJS.ProcessEnv): Promise<RangeRun> {
  const report = await withEnv(env, () => checkRange(openContext(dir), spec));
  const code = report.ok ? 0 : 1; // as cli/views/range.ts decides it
  // the document `finish` prints: {ok, exitCode, ...payload} (the report carries `ok`), keys camelCase (cli/io.ts)
  return { code, json: JSON.parse(JSON.stringify({ exitCode: code, ...camelKeys({ ...report }) })), stderr: '' };
}
