import { act, jsonOption } from '../io.js';
import type { CommandGroup } from './index.js';
import { styleErr, styleOut } from '../style.js';

export const auditCommands: CommandGroup = {
  register(program) {
    const audit = program.command('audit').summary('verify (or minimally repair) the hash-chained ledger');
    audit
      .command('verify')
      .description('Check the whole ledger chain and name the first bad line and why. Never modifies anything.')
      .addOption(jsonOption())
      .action(
        act(async (opts: { json?: boolean }) => {
          const [{ openContext }, { auditVerify }] = await Promise.all([import('../../app/context.js'), import('../../app/audit.js')]);
          const showProgress = !opts.json && process.stderr.isTTY;
          let last = 0;
          const r = await auditVerify(openContext(), showProgress ? (done, total) => {
            const pct = Math.floor((done / Math.max(total, 1)) * 100);
            if (pct !== last) { last = pct; process.stderr.write(`\rverifying ledger… ${pct}%`); }
          } : undefined);
          if (showProgress) process.stderr.write('\r\u001b[K');
          const so = styleOut();
          const se = styleErr();
          if (r.ok) {
            return {
              code: 0,
              json: { ...r },
              text: [
                `${so.green('ledger verifies')}: ${r.entries} entries, ${r.size} bytes, head ${r.tip.slice(0, 12)}`,
                r.signed?.newest ? `newest signed point: ${r.signed.newest.size} entries, head ${r.signed.newest.head.slice(0, 12)}, signed by ${r.signed.newest.principal} (${r.signed.newest.source})` : `no signed point${r.signed?.note ? `: ${r.signed.note}` : ' (no signed approval or checkpoint yet): a full rewrite with recomputed hashes would go unnoticed'}`,
                ...r.warnings.map((w) => `warning: ${w}`),
              ],
            };
          }
          return {
            code: 3,
            json: { ...r },
            errText: [
              `${se.red('ledger does not verify')}: line ${r.problem!.line}: ${r.problem!.reason}`,
              `  ${r.problem!.message}`,
              `  file: ${r.path}`,
              r.problem!.reason === 'torn' ? 'fix: gate audit repair' : 'fix: restore the ledger from a backup; every gate that needs it fails closed until then',
            ],
          };
        }),
      );
    audit
      .command('repair')
      .description('Cut a torn (partially written) last line, and nothing else. The repair is recorded in the ledger.')
      .addOption(jsonOption())
      .action(
        act(async () => {
          const [{ openContext }, { auditRepair }] = await Promise.all([import('../../app/context.js'), import('../../app/audit.js')]);
          const r = await auditRepair(openContext());
          return {
            code: 0,
            json: { ...r },
            text: r.cut ? `cut a torn last line of ${r.cut} bytes; the repair is recorded in the ledger` : 'nothing to repair: the ledger ends with a complete line',
          };
        }),
      );
  },
};
