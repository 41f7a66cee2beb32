import { act, jsonOption } from '../io.js';
import type { CommandGroup } from './index.js';
import { styleOut } from '../fast/style.js';

export const doctorCommands: CommandGroup = {
  register(program) {
    program
      .command('doctor')
      .summary('check the installation: config, hooks active in every worktree, ignore rules, ledger')
      .description(
        'Check that agent-gates is installed and working, in this worktree and every other worktree of the clone. ' +
          'Each problem comes with the exact fix. Exit 0 when healthy, 1 when problems were found, 3 when it cannot evaluate.',
      )
      .addOption(jsonOption())
      .action(
        act(async () => {
          const [{ openContext }, { runDoctor }] = await Promise.all([import('../../app/context.js'), import('../../app/setup/doctor.js')]);
          const r = await runDoctor(openContext());
          const s = styleOut();
          const text: string[] = [];
          for (const c of r.checks) {
            const tag = c.status === 'ok' ? s.green('✔') : c.status === 'warn' ? s.yellow('!') : s.red('✖');
            text.push(`${tag} ${c.title}: ${c.message}`);
            for (const d of c.details ?? []) text.push(`    - ${d}`);
            if (c.status !== 'ok' && c.fix) text.push(`    ${s.bold('fix:')} ${c.fix}`);
          }
          const n = r.checks.filter((c) => c.status === 'problem').length;
          text.push(n === 0 ? s.green('healthy') : s.red(`${n} problem${n === 1 ? '' : 's'} found`));
          return { code: n === 0 ? 0 : 1, json: { ...r }, text };
        }),
      );
  },
};
