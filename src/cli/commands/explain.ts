/** `gate explain` (Gate B). */
import { act, jsonOption, type Result } from '../io.js';
import type { CommandGroup } from './index.js';
import { styleOut } from '../fast/style.js';
import { fileLine } from '../views/approvals.js';
import { readAll } from '../views/approvals.js';

export const explainCommand: CommandGroup = {
  register(program) {
    program
      .command('explain')
      .summary("Gate B: explain the staged change (the agent's command)")
      .description(
        'Write .agents/gate-b/explain-<tree>.yaml for the current staged tree: intent, alternatives and risk, with the gated files filled in from the staged diff. Missing required fields are listed by name and nothing is written. Prints the tier, the path, the command a person runs next, and earlier rejections of the same paths.\n\nDocument for --from (YAML or JSON):\n  intent: why this change\n  alternatives: [what else was considered]\n  risk: {blast_radius: ..., reversibility: ..., rollback: ...}',
      )
      .option('--intent <text>', 'why this change is needed')
      .option('--alternative <text>', 'an alternative considered (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
      .option('--blast-radius <text>', 'what the change can affect')
      .option('--reversibility <text>', 'how reversible it is')
      .option('--rollback <text>', 'how to undo it')
      .option('--from <file>', 'read the explanation from a YAML/JSON file, or "-" for stdin')
      .addOption(jsonOption())
      .action(
        act(async (opts: { intent?: string; alternative?: string[]; blastRadius?: string; reversibility?: string; rollback?: string; from?: string }): Promise<Result> => {
          const [{ openContext }, { explain, parseExplainDoc }] = await Promise.all([import('../../app/context.js'), import('../../app/approvals/explain.js')]);
          let input = {};
          if (opts.from !== undefined) {
            let text: string;
            if (opts.from === '-') text = await readAll(process.stdin);
            else {
              const { readFileSync } = await import('node:fs');
              try {
                text = readFileSync(opts.from, 'utf8');
              } catch (e) {
                const { usage } = await import('../io.js');
                throw usage(`cannot read ${opts.from}: ${(e as Error).message}`, 'gate explain --from <existing file>  (or --from - to read stdin)');
              }
            }
            input = await parseExplainDoc(text, opts.from === '-' ? 'stdin' : opts.from);
          }
          const merged = {
            ...input,
            ...(opts.intent ? { intent: opts.intent } : {}),
            ...(opts.alternative?.length ? { alternatives: opts.alternative } : {}),
            ...(opts.blastRadius ? { blast_radius: opts.blastRadius } : {}),
            ...(opts.reversibility ? { reversibility: opts.reversibility } : {}),
            ...(opts.rollback ? { rollback: opts.rollback } : {}),
          };
          const r = await explain(openContext(), merged);
          const s = styleOut();
          const text: string[] = [];
          if (r.formatted) {
            const f = r.formatted;
            text.push(`formatted first by lint-staged${f.tasks.length ? ` (${f.tasks.join('; ')})` : ''}: ${f.changed.length ? `rewrote and restaged ${f.changed.join(', ')}` : 'no file changed'}`);
          }
          text.push(`tier: ${s.bold(r.tier)}  tree ${r.tree.slice(0, 12)}`);
          for (const f of r.files) text.push(fileLine(f));
          if (r.carve_out.considered) text.push(r.carve_out.reason);
          if (r.written) text.push(`wrote ${r.path}${r.replaced_approvals ? ` (replacing ${r.replaced_approvals} approval(s), which no longer count)` : ''}`);
          if (r.prior_rejections.length) {
            text.push(s.yellow(`earlier rejections of these paths (address them, do not repeat them):`));
            for (const x of r.prior_rejections) text.push(`  #${x.seq} ${x.ts} by ${x.by} [${x.paths.join(', ')}]: ${x.reason}`);
          }
          text.push(`next: ${r.next}`);
          return { code: 0, json: { ...r }, text };
        }),
      );
  },
};
