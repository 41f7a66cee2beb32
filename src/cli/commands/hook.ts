import type { CommandGroup } from './index.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const RUNTIMES: Array<{ name: 'claude' | 'cursor' | 'gemini' | 'codex'; label: string; what: string }> = [
  {
    name: 'claude',
    label: 'Claude Code',
    what: 'PreToolUse (Edit/Write/MultiEdit/NotebookEdit, Bash) and SessionStart, from .claude/settings.json',
  },
  { name: 'cursor', label: 'Cursor', what: 'beforeShellExecution and preToolUse (file edits), from .cursor/hooks.json' },
  { name: 'gemini', label: 'Gemini CLI', what: 'BeforeTool (write_file, replace, run_shell_command) and SessionStart, from .gemini/settings.json' },
  { name: 'codex', label: 'Codex CLI', what: 'PreToolUse (Bash, apply_patch) and SessionStart, from .codex/hooks.json' },
];

export const hookCommands: CommandGroup = {
  register(program) {
    const hook = program.command('hook').summary("adapters for agent runtimes' hooks (Claude Code, Cursor, Gemini CLI, Codex CLI)");
    for (const rt of RUNTIMES) {
      hook
        .command(rt.name)
        .description(
          `${rt.label} hook: reads the hook JSON on stdin (${rt.what}).\n` +
            'Blocks (exit 2, reason on stderr) an edit of a handoff document the session does not lease, an edit of the\n' +
            "gates' own machinery, a shell command that bypasses or weakens the gates (--no-verify, HUSKY=0, core.hooksPath,\n" +
            'gate approve, …), and anything it cannot evaluate; adds a `gate explain` reminder for control-plane surfaces.\n' +
            'See docs/agents.md.',
        )
        .action(async () => {
          // Agent runtimes block only on exit 2: every failure here must map to 2, never 1, 3 or 70.
          try {
            const { runAgentHook } = await import('../../app/agents/run.js');
            const r = await runAgentHook(rt.name, await readStdin());
            if (r.stdout) process.stdout.write(r.stdout);
            if (r.stderr) process.stderr.write(r.stderr);
            process.exitCode = r.exitCode;
          } catch (e) {
            process.stderr.write(`agent-gates: the ${rt.label} hook failed, so the action is blocked (fail closed): ${(e as Error)?.message ?? String(e)}\n`);
            process.exitCode = 2;
          }
        });
    }
  },
};
