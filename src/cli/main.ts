/**
 * argv in; text, --json and an exit code out.
 *
 * Every commit runs `gate check --hook pre-commit|post-commit`, so those two invocations (and
 * `--version`) take a fast path that never loads commander: the same use-case, the same output
 * and exit codes as the commander action (both go through cli/check-hook.ts and cli/output.ts).
 * Anything else, including any argv the fast path does not recognise exactly, goes to the
 * commander program in program.ts (help, usage errors, suggestions).
 */
import { VERSION } from '../version.js';

const HOOKS: readonly string[] = ['pre-commit', 'post-commit'];

/** `check --hook <name>` / `check --hook=<name>`, optionally with one `--json` after `check`. */
export function hookFastPath(argv: readonly string[]): { hook: string; json: boolean } | undefined {
  if (argv[0] !== 'check' || argv.length > 4) return undefined;
  let hook: string | undefined;
  let json = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json' && !json) json = true;
    else if (a === '--hook' && hook === undefined && i + 1 < argv.length) hook = argv[++i];
    else if (a.startsWith('--hook=') && hook === undefined) hook = a.slice('--hook='.length);
    else return undefined;
  }
  return hook !== undefined && HOOKS.includes(hook) ? { hook, json } : undefined;
}

export async function run(argv: string[]): Promise<void> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`${VERSION}\n`);
    process.exitCode = 0;
    return;
  }
  const fast = hookFastPath(argv);
  if (fast) {
    const { checkHookResult, finish, failure } = await import('./check-hook.js');
    try {
      finish(await checkHookResult(fast.hook), { json: fast.json });
    } catch (e) {
      failure(e, fast.json);
    }
    return;
  }
  const { runProgram } = await import('./program.js');
  await runProgram(argv);
}
