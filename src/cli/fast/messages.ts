/**
 * User-facing text the hot path prints (hooks, `gate lock`). It lives in cli/fast/ because only this
 * folder may enter dist/hook.cjs (CONTRIBUTING.md, "Layout"); src/cli/messages.ts re-exports it, so
 * the rest of the CLI imports every message from one module. Docs and tests quote some of these
 * lines verbatim (test/unit/cli/messages.test.ts).
 */
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export const LINT_STAGED_EXAMPLE = 'gate check --hook pre-commit --lint-staged ./node_modules/.bin/lint-staged';
export const LINT_STAGED_ONLY_PRE_COMMIT = '--lint-staged is only valid with --hook pre-commit: lint-staged runs before the pre-commit gates.';
export const LINT_STAGED_NEEDS_PATH = '--lint-staged needs the path of the lint-staged binary.';

/** The pre-commit's lines when lint-staged fails (docs/install.md quotes the first words). */
export function lintStagedFailed(bin: string, error?: string): string[] {
  return error
    ? [
        `agent-gates: lint-staged failed, so the commit is blocked: ${error}`,
        `  fix: run ${bin} on its own to see the whole error (often its configuration), fix it, then commit again`,
      ]
    : ['agent-gates: lint-staged failed, so the commit is blocked (its output is above).'];
}

/** The header above a hook's findings. */
export const commitBlocked = (blocking: number): string => `agent-gates: commit blocked (${plural(blocking, 'problem')})`;
export const HOOK_NOTES = 'agent-gates:';

/** What a bug looks like (exit 70). */
export const internalError = (message: string, stack: string): string =>
  `gate: internal error (a bug): ${message}\n${stack}\nPlease report it with the command you ran and the output above.\n`;
