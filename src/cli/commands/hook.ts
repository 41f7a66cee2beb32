import type { CommandGroup } from './index.js';
import { claudeHookFailed } from '../messages.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const hookCommands: CommandGroup = {
  register(program) {
    const hook = program.command('hook').summary('adapters for agent tools\' hooks (Claude Code)');
    hook
      .command('claude')
      .description(
        'Claude Code hook (PreToolUse and SessionStart): reads the hook JSON on stdin.\n' +
          'Blocks (exit 2, reason on stderr) an Edit/Write/MultiEdit/NotebookEdit of a handoff document the session does not lease,\n' +
          'and anything it cannot evaluate; adds a `gate explain` reminder for control-plane surfaces.',
      )
      .action(async () => {
        // Claude Code blocks only on exit 2: every failure here must map to 2, never 1, 3 or 70.
        try {
          const { claudeHook } = await import('../../app/leases/claude-hook.js');
          const r = await claudeHook(await readStdin());
          if (r.stdout) process.stdout.write(r.stdout);
          if (r.stderr) process.stderr.write(r.stderr);
          process.exitCode = r.exitCode;
        } catch (e) {
          process.stderr.write(`${claudeHookFailed((e as Error)?.message ?? String(e))}\n`);
          process.exitCode = 2;
        }
      });
  },
};
