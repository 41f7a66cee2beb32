import type { CommandGroup } from './index.js';

export const mcpCommand: CommandGroup = {
  register(program) {
    program
      .command('mcp')
      .summary('Model Context Protocol server over stdio: leases, status, explain, review and ADRs as tools')
      .description(
        'Serve the agent-facing commands over MCP (stdio): lock_acquire, lock_release, lock_renew, lock_status,\n' +
          'status, explain, review_summary, adr_list, and the agent rules (rules/gate-*.md) as resources.\n' +
          'Each tool runs the same `gate` command with --json in the directory the server was started in;\n' +
          'GATE_SESSION names the session. There is no approve, reject or lock break tool: those stay with a person.\n' +
          'See docs/agents.md.',
      )
      .action(async () => {
        try {
          const { serveMcp } = await import('../../adapters/agents/mcp.js');
          await serveMcp();
        } catch (e) {
          process.stderr.write(`agent-gates: the MCP server failed: ${(e as Error)?.message ?? String(e)}\n`);
          process.exitCode = 70;
        }
      });
  },
};
