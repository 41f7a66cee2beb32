import { Option } from 'commander';
import { act, jsonOption } from '../io.js';
import type { CommandGroup } from './index.js';
import { CHECK_HOOK_OR_RANGE, CHECK_NEEDS_MODE, CHECK_RANGE_EXAMPLE, checkRangeTooMany, LINT_STAGED_ONLY_PRE_COMMIT } from '../messages.js';

export const checkCommands: CommandGroup = {
  register(program) {
    program
      .command('check')
      .summary('run the gates: --hook for git hooks, --range for CI')
      .description(
        'Run every gate registered for a git hook on the facts git gives it (the final index for pre-commit).\nHooks call this; it reports every problem at once and exits 1 when any gate blocks.',
      )
      .argument('[hook-args...]', "with --hook post-rewrite or pre-push: the arguments git passes the hook (its stdin is read too)")
      .addOption(new Option('--hook <name>', 'the git hook that is running').choices(['pre-commit', 'post-commit', 'pre-merge-commit', 'post-rewrite', 'pre-push']))
      .addOption(new Option('--range <base..head>', 'check every commit in a range against its approval notes (CI)'))
      .addOption(
        new Option('--lint-staged <path>', 'with --hook pre-commit: run lint-staged (its binary at <path>) in this process first, then the gates on the final index'),
      )
      .addOption(jsonOption())
      .action(
        act(async (hookArgs: string[], opts: { hook?: string; range?: string; lintStaged?: string; json?: boolean }) => {
          const { usage } = await import('../io.js');
          if (opts.hook === 'post-rewrite' || opts.hook === 'pre-push') {
            if (opts.range !== undefined) throw usage('use either --hook or --range, not both.', `gate check --range ${opts.range}`);
            const { travelHookResult } = await import('../views/travel.js');
            return travelHookResult(opts.hook, hookArgs);
          }
          if (hookArgs.length) throw usage(`unexpected argument${hookArgs.length === 1 ? '' : 's'}: ${hookArgs.join(' ')} (only --hook post-rewrite and pre-push take git's hook arguments).`, 'gate check --hook pre-commit');
          if (opts.range !== undefined) {
            if (opts.hook) throw usage(CHECK_HOOK_OR_RANGE, `gate check --range ${opts.range}`);
            if (opts.lintStaged !== undefined) {
              throw usage(LINT_STAGED_ONLY_PRE_COMMIT, `gate check --range ${opts.range}`);
            }
            if (opts.range.split('..').length > 2) throw usage(checkRangeTooMany(opts.range), CHECK_RANGE_EXAMPLE);
            const { runRangeCommand } = await import('../views/range.js');
            return runRangeCommand(opts.range);
          }
          const { checkHookResult, checkLintStagedUsage } = await import('../fast/hook.js');
          checkLintStagedUsage(opts.hook, opts.lintStaged);
          if (!opts.hook) throw usage(CHECK_NEEDS_MODE, 'gate check --hook pre-commit');
          return checkHookResult(opts.hook, { ...(opts.lintStaged !== undefined ? { lintStaged: opts.lintStaged } : {}), json: Boolean(opts.json) });
        }),
      );
  },
};
