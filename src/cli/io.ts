/**
 * The CLI's output contract (see output.ts, re-exported here) plus the commander glue: `act`
 * wraps a command action, `jsonOption` is the shared --json flag.
 */
import { Option, type Command } from 'commander';
import { failure, finish, type Result } from './fast/output.js';
import { camelKeys } from './views/json.js';

export { finish, failure, renderFindings, usage, type Result, type GlobalOpts } from './fast/output.js';

export type Action = (...args: any[]) => Promise<Result>;

/** Wrap a command action: run it, print its result or error, set the exit code. */
export function act(fn: Action): (...args: any[]) => Promise<void> {
  return async (...args: any[]) => {
    const cmd = args[args.length - 1] as Command;
    const json = Boolean(cmd.optsWithGlobals().json);
    try {
      const r = await fn(...args);
      // one naming style for every --json payload (views/json.ts)
      finish(json ? { ...r, json: camelKeys(r.json) } : r, { json });
    } catch (e) {
      failure(e, json);
    }
  };
}

export const jsonOption = () => new Option('--json', 'machine-readable output on stdout');

