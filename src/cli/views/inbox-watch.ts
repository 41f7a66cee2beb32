/**
 * `gate inbox --watch`: the inbox on screen, redrawn on every change (app/inbox/watch.ts), the
 * terminal bell (\a) when a new card needs a person. q, Q, Ctrl-C or Ctrl-D quits (exit 0).
 * Needs a terminal: the keys are read from stdin in raw mode.
 */
import type { Ctx } from '../../app/context.js';
import type { InboxListing } from '../../app/inbox/list.js';
import type { Result } from '../io.js';
import { usage } from '../io.js';
import { styleOut } from '../fast/style.js';
import { inboxLines } from './inbox.js';

const CLEAR = '\x1b[H\x1b[2J';
const BELL = '\x07';

export async function watchInboxView(ctx: Ctx, opts: { all: boolean }): Promise<Result> {
  const stdin = process.stdin;
  if (!stdin.isTTY || !process.stdout.isTTY) {
    throw usage('gate inbox --watch needs an interactive terminal (it redraws the screen and reads q to quit).', 'gate inbox  (once), or gate inbox --json for tools');
  }
  const { watchInbox } = await import('../../app/inbox/watch.js');
  const s = styleOut();
  const out = (t: string) => void process.stdout.write(t);
  const footer = s.dim('watching every worktree of this clone; q quits');
  let error: string | undefined;
  let last: { listing: InboxListing; at: number } | undefined;
  const draw = (listing: InboxListing, bell: boolean): void => {
    const lines = inboxLines(listing, s, ctx.paths.root);
    out(`${CLEAR}${lines.join('\n')}\n\n${error ? `${s.red(error)}\n` : ''}${footer}  ${s.dim(new Date().toISOString().slice(11, 19))}\n${bell ? BELL : ''}`);
  };
  const w = await watchInbox(ctx, {
    all: opts.all,
    onUpdate: ({ listing, fresh }) => {
      error = undefined;
      last = { listing, at: Date.now() };
      draw(listing, fresh.length > 0);
    },
    onError: (e) => {
      error = `could not read the inbox: ${(e as Error).message}`;
      out(`${s.red(error)}\n`);
    },
  });
  // the ages move on between changes: redraw them every 30 s (no bell)
  const ages = setInterval(() => {
    if (!last) return;
    const dt = Math.floor((Date.now() - last.at) / 1000);
    draw({ ...last.listing, cards: last.listing.cards.map((c) => ({ ...c, age_s: c.age_s + dt })) }, false);
  }, 30_000);
  await new Promise<void>((resolve) => {
    stdin.setRawMode(true);
    stdin.resume();
    const done = () => {
      stdin.off('data', onData);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      stdin.setRawMode(false);
      stdin.pause();
      resolve();
    };
    const onData = (b: Buffer) => {
      for (const c of b.toString('utf8')) if (c === 'q' || c === 'Q' || c === '\x03' || c === '\x04') return done();
    };
    stdin.on('data', onData);
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
  clearInterval(ages);
  w.close();
  return { code: 0, json: {}, text: [] };
}
