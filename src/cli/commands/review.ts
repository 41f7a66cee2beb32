import { Option } from 'commander';
import { act, jsonOption, usage } from '../io.js';
import type { CommandGroup } from './index.js';
import { remoteOption } from './ledger.js';

export const reviewCommands: CommandGroup = {
  register(program) {
    program
      .command('review')
      .summary('Gate C: the periodic review of every gate, with evidence and recommendations')
      .description(
        'Aggregate the ledger, git history and approval notes over a window: integrity first (an unverifiable ledger marks every figure untrusted),\nthen leases, control-plane changes, ADRs, bypasses (commits failing `gate check --range`), health, drift and recommendations.',
      )
      .option('--since <window>', 'how far back: a duration (30d, 12h) or a date (2026-01-31); default review.since in .agents/gates.yaml')
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'md', 'json', 'html']).default('text'))
      .option('--out <file>', 'write the report to a file instead of stdout')
      .option('--team', "aggregate every clone's ledger published on the shared remote (refs/agent-gates/ledger/*), each verified first (ADR 0024)")
      .addOption(remoteOption())
      .addOption(jsonOption())
      .action(
        act(async (opts: { since?: string; format: string; out?: string; json?: boolean; team?: boolean; remote?: string }) => {
          const { runReviewCommand } = await import('../views/review.js');
          if (opts.json && opts.format !== 'text' && opts.format !== 'json') throw usage('--json prints the report as JSON; do not combine it with --format ' + opts.format + '.', 'gate review --format json');
          if (opts.remote !== undefined && !opts.team) throw usage('--remote goes with --team.', 'gate review --team --remote ' + opts.remote);
          return runReviewCommand(opts);
        }),
      );
  },
};
