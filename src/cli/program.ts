/**
 * The commander program. Command definitions are cheap and registered eagerly (so --help can
 * list them); each action lazy-imports its use-case. bin/gate.js loads this bundle (dist/program.js)
 * for every invocation that cli/fast/main.ts's `run` does not take (ADR 0016).
 */
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../kernel/errors.js';
import { VERSION } from '../kernel/version.js';
import { failure } from './fast/output.js';
import { stdout } from './fast/stdout.js';
import { COMMAND_GROUPS } from './commands/index.js';
import { EXIT_CODES_LINE, HELP_FOOTER, USAGE_PREFIX } from './messages.js';

export function buildProgram(): Command {
  const program = new Command('gate');
  program
    .description('Governance gates between AI coding agents and a git repository.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str.startsWith('error:') ? `${USAGE_PREFIX}${str}` : str) })
    .addHelpText(
      'after',
      `\n${EXIT_CODES_LINE}\n${HELP_FOOTER}`,
    );
  for (const g of COMMAND_GROUPS) g.register(program);
  return program;
}

export async function runProgram(argv: string[]): Promise<void> {
  stdout(); // the EPIPE guard, on this bundle's stream helper (the one every command writes through)
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
