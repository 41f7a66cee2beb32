import { act, jsonOption } from '../io.js';
import type { CommandGroup } from './index.js';
import { styleOut } from '../fast/style.js';

const MARK: Record<string, string> = { removed: 'x', restored: '<', updated: '~', skipped: '-', 'already present': '=', created: '+', overwritten: '!' };

export const uninstallCommands: CommandGroup = {
  register(program) {
    program
      .command('uninstall')
      .summary('remove the hooks gate init installed and restore the project\'s other hooks; keeps the config and ledger')
      .description(
        'Remove what `gate init` installed: its hook scripts, the lines and entries it added to husky, lefthook, pre-commit or ' +
          'simple-git-hooks, its wrappers in .git/hooks (the hooks they chained to are put back), the core.hooksPath and ' +
          'notes.rewriteRef it set. The other hooks of the project run as before. .agents/ (config, sidecars), the agent rules ' +
          'and the ledger stay, unless --purge. A file changed by hand is left in place and named.',
      )
      .option('--purge', 'also remove .agents/, the shipped rules/gate-*.md, the .gitignore entry and the ledger (<git common dir>/agent-gates)')
      .addOption(jsonOption())
      .action(
        act(async (opts: { purge?: boolean }) => {
          const [{ openContext }, { runUninstall }] = await Promise.all([import('../../app/context.js'), import('../../app/setup/uninstall.js')]);
          const r = await runUninstall(openContext(), opts);
          const s = styleOut();
          const text: string[] = [`${s.green('agent-gates uninstalled')} from ${r.root}${r.purged ? ' (purged)' : ''}`];
          for (const f of r.files) text.push(`  ${MARK[f.status] ?? ' '} ${f.path.padEnd(28)} ${f.status}${f.note ? ` (${f.note})` : ''}`);
          text.push(...r.actions.map((a) => `  * ${a}`));
          if (r.kept.length) text.push('kept:', ...r.kept.map((k) => `  - ${k}`));
          if (r.next.length) text.push('next:', ...r.next.map((n) => `  - ${n}`));
          return { code: 0, json: { ...r }, text };
        }),
      );
  },
};
