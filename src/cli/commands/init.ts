import { Option } from 'commander';
import { act, jsonOption } from '../io.js';
import type { CommandGroup } from './index.js';
import { styleOut } from '../fast/style.js';

const MARK: Record<string, string> = {
  created: '+',
  'already present': '=',
  overwritten: '!',
  updated: '~',
  skipped: '-',
  removed: 'x',
  restored: '<',
};

export const initCommands: CommandGroup = {
  register(program) {
    program
      .command('init')
      .summary('set up agent-gates in this repository (config, rules, hooks); safe to re-run')
      .description(
        'Scaffold agent-gates into the current repository: .agents/gates.yaml, the .agents/gate-b/ ignore entry, ' +
          'rules/gate-*.md, the git hooks (pre-commit, post-commit, pre-merge-commit) and notes.rewriteRef. ' +
          'The hooks go into the hook manager in use (husky, lefthook, pre-commit, simple-git-hooks, plain .git/hooks), in its own idiom, ' +
          'beside the project\'s own hooks; without one, .husky/ scripts run directly (core.hooksPath=.husky). ' +
          'Idempotent: an existing file is never overwritten without --force; reports what happened to each file.',
      )
      .option('--force', 'overwrite files that differ from the templates (and take over core.hooksPath)')
      .addOption(new Option('--hooks <manager>', 'install the hooks into this manager instead of the one detected (what `gate doctor` suggests)').choices(['husky', 'lefthook', 'pre-commit', 'simple-git-hooks', 'git', 'direct']))
      .option('--hooks-only', 'only make the hooks active (e.g. in a worktree where they are not)')
      .addOption(new Option('--worktree <path>', 'with --hooks-only: the worktree to install into (default: this one)'))
      .addOption(new Option('--ci <host>', 'also write a CI workflow running `gate check --range` that never runs the pull request\'s code (github: .github/workflows/agent-gates.yml, gitlab: .gitlab-ci.yml)'))
      .addOption(new Option('--agent <name>', 'also configure agent runtimes: claude, cursor, gemini, codex, aider, all, or a comma-separated list (hooks running `gate hook <name>`; Aider: git-commit-verify; merged into existing settings; see docs/agents.md)'))
      .addOption(jsonOption())
      .action(
        act(async (opts: { force?: boolean; hooksOnly?: boolean; worktree?: string; hooks?: string; ci?: string; agent?: string }) => {
          const [{ openContext }, { runInit }] = await Promise.all([import('../../app/context.js'), import('../../app/setup/init.js')]);
          const r = await runInit(openContext(), opts);
          const s = styleOut();
          const text: string[] = [];
          const fileLines = (files: { path: string; status: string; note?: string }[]) =>
            files.map((f) => `  ${MARK[f.status] ?? ' '} ${f.path.padEnd(28)} ${f.status}${f.note ? ` (${f.note})` : ''}`);
          if ('hooksOnly' in r) {
            text.push(`${s.green('hooks active')} in ${r.hooks.worktree} (${managerLine(r.hooks)})`);
            text.push(...fileLines(r.hooks.files), ...r.hooks.actions.map((a) => `  * ${a}`));
            if (r.hooks.next.length) text.push('next:', ...r.hooks.next.map((n) => `  - ${n}`));
            return { code: 0, json: { ...r }, text };
          }
          text.push(`${s.green('agent-gates initialised')} in ${r.root}${r.firstRun ? '' : ' (re-run)'}`);
          text.push(...fileLines(r.files));
          text.push(...r.hooks.actions.map((a) => `  * ${a}`));
          if (r.notesRewriteRef === 'configured') text.push('  * git config notes.rewriteRef refs/notes/agent-gates (approval notes survive rebase and amend)');
          text.push(`  hooks: ${managerLine(r.hooks)}; lint-staged: ${r.lintStaged.configured ? (r.lintStaged.installed ? 'runs before gate' : 'configured, not installed') : 'not used'}`);
          if (r.next.length) text.push('next:', ...r.next.map((n) => `  - ${n}`));
          return { code: 0, json: { ...r }, text };
        }),
      );
  },
};

function managerLine(h: { manager: string; hooksPath: string; hooks: string[] }): string {
  const where =
    h.manager === 'husky' ? 'husky (core.hooksPath=.husky/_)' : h.manager === 'direct' ? 'direct (core.hooksPath=.husky)' : h.manager === 'git' ? `plain git hooks${h.hooksPath ? ` (core.hooksPath=${h.hooksPath})` : ' (.git/hooks)'}` : h.manager;
  return `${where}: ${h.hooks.join(', ')}`;
}
