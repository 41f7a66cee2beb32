/** `gate status` (Gate B). */
import { act, jsonOption, renderFindings, type Result } from '../io.js';
import type { CommandGroup } from './index.js';
import { styleOut } from '../fast/style.js';
import { fileLine } from '../views/approvals.js';

export const statusCommand: CommandGroup = {
  register(program) {
    program
      .command('status')
      .summary('Gate B: how the staged changes are classified and what they still need')
      .description(
        'Show the staged tree, its tier (AUTO, CONFIRM, DOUBLE_CONFIRM), each gated file with its surfaces, the doc-only carve-out decision and why, and whether an explanation and its approvals exist. Runs the same evaluation as the pre-commit check and records nothing.',
      )
      .addOption(jsonOption())
      .action(
        act(async (): Promise<Result> => {
          const [{ openContext }, { status }] = await Promise.all([import('../../app/context.js'), import('../../app/approvals/status.js')]);
          const r = await status(openContext());
          const s = styleOut();
          const text: string[] = [];
          text.push(`staged tree ${r.tree.slice(0, 12)}  (${r.staged_files} staged file${r.staged_files === 1 ? '' : 's'})`);
          text.push(`tier: ${s.bold(r.tier)}${r.classified_tier !== r.tier ? ` (classified ${r.classified_tier})` : ''}`);
          if (r.files.length) {
            text.push('gated files:');
            for (const f of r.files) text.push(fileLine(f));
          }
          if (r.carve_out.considered || r.carve_out.applied) text.push(r.carve_out.reason);
          if (r.tier !== 'AUTO') {
            const state = r.sidecar.state === 'missing' ? 'none' : r.sidecar.state;
            text.push(`explanation: ${state}${r.sidecar.path ? ` (${r.sidecar.path}${r.sidecar.state === 'missing' ? ' does not exist' : ''})` : ''}`);
            if (r.sidecar.others?.length) text.push(`  older explanations of other staged trees (the staged content changed since): ${r.sidecar.others.join(', ')}`);
            for (const p of r.sidecar.problems ?? []) text.push(`  - ${p}`);
            text.push(`approvals required: ${r.approvals.required.join(', ')}; present: ${r.approvals.present.map((a) => `${a.step} by ${a.approver}${a.via === 'terminal' ? '' : ` (${a.via})`} (#${a.seq})`).join(', ') || 'none'}`);
            for (const x of r.approvals.rejections) text.push(`  rejected: ${x}`);
          }
          text.push(r.would_commit ? s.green('a commit now would pass Gate B') : s.red('a commit now would be blocked:'));
          // status is a report (exit 0): what would block goes to stdout with the rest, in order.
          if (r.findings.length) text.push(...renderFindings(r.findings, false));
          return { code: 0, json: { ...r }, text };
        }),
      );
  },
};
