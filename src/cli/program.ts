/**
 * The commander program. Command definitions are cheap and registered eagerly (so --help can
 * list them); each action lazy-imports its use-case. main.ts loads this module for every
 * invocation except its fast paths.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../kernel/errors.js';
import { VERSION } from '../kernel/version.js';
import { failure } from './fast/output.js';
import { COMMAND_GROUPS } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('gate');
  program
    .description('Governance gates between AI coding agents and a git repository.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str.startsWith('error:') ? `gate: usage ${str}` : str) })
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 denied, 2 usage, 3 cannot evaluate (fail closed), 70 internal error.
Run \`gate <command> --help\` for a command's options. Docs: README.md in the agent-gates package.`,
    );
  for (const g of COMMAND_GROUPS) g.register(program);
  return program;
}

export async function runProgram(argv: string[]): Promise<void> {
  const program = buildProgram();
  const jsonErrors = argv.includes('--json') ? (await import('./views/json.js')).jsonUsageErrors(program) : undefined;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      const clean = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || (e.code === 'commander.help' && e.exitCode === 0);
      if (!clean) jsonErrors?.report(e);
      process.exitCode = clean ? ExitCode.OK : ExitCode.USAGE;
      return;
    }
    failure(e, argv.includes('--json'));
  }
}
