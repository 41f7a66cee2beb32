/** `gate completion bash|zsh|fish`: a completion script generated from this program's command table. */
import { Argument, type Command } from 'commander';
import { act, type Result } from '../io.js';
import type { CommandGroup } from './index.js';

export const completionCommand: CommandGroup = {
  register(program) {
    program
      .command('completion')
      .summary('print a shell completion script (bash, zsh, fish)')
      .description(
        'Print a completion script for your shell, generated from the command table (commands, subcommands, options, file names).\n' +
          'Install: gate completion bash > ~/.local/share/bash-completion/completions/gate\n' +
          '         gate completion zsh > "${fpath[1]}/_gate"\n' +
          '         gate completion fish > ~/.config/fish/completions/gate.fish',
      )
      .addArgument(new Argument('<shell>', 'the shell to complete in').choices(['bash', 'zsh', 'fish']))
      .action(
        act(async (shell: 'bash' | 'zsh' | 'fish', _opts: unknown, cmd: Command): Promise<Result> => {
          const { completionScript } = await import('../views/completion.js');
          let root = cmd;
          while (root.parent) root = root.parent;
          return { code: 0, json: { shell }, text: completionScript(root, shell) };
        }),
      );
  },
};
