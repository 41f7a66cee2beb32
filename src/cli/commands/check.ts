import { Option } from 'commander';
import { act, jsonOption } from '../io.js';
import { renderFindings } from '../io.js';
import type { CommandGroup } from './index.js';
import { styleErr } from '../style.js';

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
          const [{ openContext }, { runHook, parseHookName }] = await Promise.all([import('../../app/context.js'), import('../../app/check.js')]);
          const report = await runHook(openContext(), parseHookName(opts.hook));
          const s = styleErr();
          const errText: string[] = [];
          if (report.findings.length) {
            const nBlock = report.findings.filter((f) => f.severity === 'block').length;
            errText.push(
              nBlock ? s.red(s.bold(`agent-gates: commit blocked (${nBlock} problem${nBlock === 1 ? '' : 's'})`)) : s.yellow('agent-gates:'),
            );
            errText.push(...renderFindings(report.findings));
          }
          return { code: report.ok ? 0 : 1, json: { ...report }, errText };
        }),
      );
  },
};
