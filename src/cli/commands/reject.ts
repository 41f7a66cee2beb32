/** `gate reject` (Gate B). */
import { Option } from 'commander';
import { act, jsonOption, type Result } from '../io.js';
import type { CommandGroup } from './index.js';

export const rejectCommand: CommandGroup = {
  register(program) {
    program
      .command('reject')
      .summary("Gate B: reject the staged change with a reason (a person's command)")
      .description('Record a rejection of the staged tree in the ledger and the sidecar. A rejected tree can never be approved; the agent must change something and explain again, and `gate explain` shows it this reason.')
      .addOption(new Option('--reason <text>', 'what is wrong and what must change').makeOptionMandatory(true))
      .addOption(jsonOption())
      .action(
        act(async (opts: { reason: string }): Promise<Result> => {
          const [{ openContext }, { reject }] = await Promise.all([import('../../app/context.js'), import('../../app/approvals/approve.js')]);
          const r = await reject(openContext(), opts.reason);
          return {
            code: 0,
            json: { ...r },
            text: [`rejected tree ${r.tree.slice(0, 12)} (${r.tier}); ledger #${r.seq}${r.sidecar_updated ? `; recorded in ${r.path}` : ''}`, `next: ${r.next}`],
          };
        }),
      );
  },
};
