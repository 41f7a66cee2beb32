import { Option } from 'commander';
import { act, jsonOption } from '../io.js';
import type { CommandGroup } from './index.js';

export const checkCommands: CommandGroup = {
  register(program) {
    program
      .command('check')
      .summary('run the gates: --hook for git hooks, --range for CI')
      .description(
        'Run every gate registered for a git hook on the facts git gives it (the final index for pre-commit).\nHooks call this; it reports every problem at once and exits 1 when any gate blocks.',
      )
      .addOption(new Option('--hook <name>', 'the git hook that is running').choices(['pre-commit', 'post-commit']))
      .addOption(new Option('--range <base..head>', 'check every commit in a range against its approval notes (CI)'))
      .addOption(jsonOption())
      .action(
        act(async (opts: { hook?: string; range?: string; json?: boolean }) => {
          const { usage } = await import('../io.js');
          if (opts.range !== undefined) {
            if (opts.hook) throw usage('use either --hook or --range, not both.', `gate check --range ${opts.range}`);
            const { runRangeCommand } = await import('../range-result.js');
            return runRangeCommand(opts.range);
          }
          if (!opts.hook) throw usage('gate check needs --hook <name> (or --range, once available).', 'gate check --hook pre-commit');
          const { checkHookResult } = await import('../check-hook.js');
          return checkHookResult(opts.hook);
        }),
      );
  },
};
