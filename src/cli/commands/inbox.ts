/** `gate inbox` (issue 17): every waiting change; `--web` serves it as a local page (inbox-web.ts). */
import { act, jsonOption, type Result } from '../io.js';
import type { CommandGroup } from './index.js';
import { addWebOptions, runWeb, type WebFlags } from './inbox-web.js';

export const inboxCommand: CommandGroup = {
  register(program) {
    const cmd = program
      .command('inbox')
      .summary('Gate B: every change waiting for a person, in every worktree (--web: a local page with passkey approval)')
      .description('List every explanation waiting for approval. With --web, serve a page on the loopback interface only (a random port, a one-time link) that shows each change as a readable diff and approves it with a passkey or security key.');
    addWebOptions(cmd)
      .addOption(jsonOption())
      .action(
        act(async (opts: WebFlags): Promise<Result> => {
          if (opts.web) return runWeb(opts);
          return { code: 0, json: {}, text: ['gate inbox: the listing is not in this build yet; use gate inbox --web'] };
        }),
      );
  },
};
