/**
 * `gate inbox --web` (issue 17, ADR 0021): the options and the action of the web page, added to
 * the `gate inbox` command (inbox.ts) so the listing command stays the inbox's own.
 */
import { Option, type Command } from 'commander';
import type { Result } from '../io.js';

export interface WebFlags {
  web?: boolean;
  open?: boolean;
  idle?: string;
  json?: boolean;
}

export function addWebOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--web', 'serve the inbox as a local web page (loopback only, one-time link) to read each change and approve it with a passkey'))
    .addOption(new Option('--open', 'with --web: open the link in your browser'))
    .addOption(new Option('--idle <minutes>', 'with --web: stop after this many minutes without a page connected').default('15'));
}

/** Serve until idle or Ctrl-C; prints the one-time link first. */
export async function runWeb(opts: WebFlags): Promise<Result> {
  if (opts.json) {
    const { usage } = await import('../io.js');
    throw usage('--web serves a page for a person; it has no --json output.', 'gate inbox --web  (or gate inbox --json for the list)');
  }
  const idle = Number(opts.idle ?? '15');
  const [{ openContext }, { startWebInbox }] = await Promise.all([import('../../app/context.js'), import('../../app/inbox/web-serve.js')]);
  const s = await startWebInbox(openContext(), { idleMinutes: idle, open: Boolean(opts.open) });
  process.stdout.write(`gate inbox: open ${s.url}\n  (the link works once, from this machine only; serving on ${s.addresses.join(' and ')} port ${s.port}; stops after ${idle} min without a page, or Ctrl-C)\n`);
  const why = await s.done;
  return { code: 0, json: {}, text: [`gate inbox: stopped (${why === 'idle' ? `no page connected for ${idle} min` : why})`] };
}
