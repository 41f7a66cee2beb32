/**
 * The CLI's user-facing text, in one module: usage errors and their fix lines, hint lines, the
 * exit-code line of `gate --help`. The rule: a message lives here when it is repeated or when docs
 * quote it; a message printed on the hot path lives in cli/fast/messages.ts (only cli/fast/ may enter
 * dist/hook.cjs) and is re-exported from here. Lines said once, next to the data they format, stay
 * where they are. test/unit/cli/messages.test.ts checks that the docs quoting these lines still match.
 */
export * from './fast/messages.js';

/** The exit codes as `gate --help` lists them (docs/cli.md and README.md quote it). */
export const EXIT_CODES_LINE = 'Exit codes: 0 ok, 1 denied, 2 usage, 3 cannot evaluate (fail closed), 70 internal error.';
export const HELP_FOOTER = "Run `gate <command> --help` for a command's options. Docs: README.md in the agent-gates package.";
/** commander's `error: …` lines, as gate prints them (exit 2). */
export const USAGE_PREFIX = 'gate: usage ';

export const CHECK_HOOK_OR_RANGE = 'use either --hook or --range, not both.';
export const CHECK_NEEDS_MODE = 'gate check needs --hook <name> (or --range, once available).';
export const CHECK_RANGE_EXAMPLE = 'gate check --range origin/main..HEAD';
export const checkRangeTooMany = (range: string): string => `--range "${range}" names more than two revisions; give one range <base>..<head>.`;

export const rangeCheckFailed = (violations: number, commits: number): string =>
  `agent-gates: range check failed (${violations} violation${violations === 1 ? '' : 's'} in ${commits} commit(s))`;
