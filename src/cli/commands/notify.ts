/**
 * `gate notify --sidecar <file>` (hidden): started detached by `gate explain` when the per-user
 * notify config exists (docs/inbox.md). Prints nothing and exits 0 whatever happens: failures go
 * to notify.log under the user config dir.
 */
import { Option } from 'commander';
import type { CommandGroup } from './index.js';

export const notifyCommand: CommandGroup = {
  register(program) {
    program
      .command('notify', { hidden: true })
      .description('Send the notification for one explanation (started by gate explain; see docs/inbox.md).')
      .addOption(new Option('--sidecar <file>', 'the explanation file just written').makeOptionMandatory(true))
      .action(async (opts: { sidecar: string }) => {
        const [{ notifySidecar }, { logNotify }] = await Promise.all([import('../../app/inbox/notify.js'), import('../../adapters/user-config.js')]);
        try {
          await notifySidecar(opts.sidecar);
        } catch (e) {
          logNotify(`gate notify failed: ${(e as Error).message}`);
        }
        process.exitCode = 0;
      });
  },
};
