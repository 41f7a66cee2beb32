/**
 * `gate inbox --web` (issue 17, ADR 0021): start the loopback server, print the one-time URL,
 * push a `cards` event to the page whenever the inbox listing changes (an explanation written or
 * withdrawn, a card turning stale) in any worktree of the clone, and stop when no browser has been connected for `idleMinutes` or on
 * Ctrl-C. The socket and the page files are adapters, the watcher is the inbox's (watch.ts); the request
 * policy is web.ts.
 */
import { GateError } from '../../kernel/errors.js';
import type { Ctx } from '../context.js';
import { createWebInbox, type WebInbox } from './web.js';
import { webBackend } from './web-backend.js';

export interface WebServeOptions {
  /** Stop after this many minutes with no page connected (default 15). */
  idleMinutes?: number;
  /** Open the URL in the person's browser. */
  open?: boolean;
  /** How often the watcher's polling fallback compares the directories (the inbox's default when unset). */
  pollMs?: number;
}

export interface WebServer {
  url: string;
  port: number;
  addresses: string[];
  inbox: WebInbox;
  /** Resolves with why the server stopped: 'idle', 'interrupted' or 'closed'. */
  done: Promise<'idle' | 'interrupted' | 'closed'>;
  close(): Promise<void>;
}

export async function startWebInbox(ctx: Ctx, opts: WebServeOptions = {}): Promise<WebServer> {
  const idleMinutes = opts.idleMinutes ?? 15;
  if (!(idleMinutes > 0) || idleMinutes > 24 * 60) throw new GateError('USAGE', `--idle must be between 0 and 1440 minutes (got ${idleMinutes}).`, { fix: 'gate inbox --web --idle 15' });
  const [{ startLoopbackServer }, { loadWebAssets }, { watchInbox }] = await Promise.all([
    import('../../adapters/http-server.js'),
    import('../../adapters/web-assets.js'),
    import('./watch.js'),
  ]);
  const assets = loadWebAssets();
  let inbox: WebInbox | undefined;
  let finish: (why: 'idle' | 'interrupted' | 'closed') => void = () => {};
  const done = new Promise<'idle' | 'interrupted' | 'closed'>((resolve) => (finish = resolve));
  const backend = webBackend(ctx);
  // declared before anything that can call stop(): the idle timer may fire while the watcher starts
  let stopped = false;
  let watcher: { close(): void } | undefined;
  const onSigint = (): void => void stop('interrupted');
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  const server = await startLoopbackServer({
    handle: (req) => inbox!.handle(req),
    idleMs: idleMinutes * 60_000,
    onIdle: () => void stop('idle'),
  });
  const port = server.port;
  inbox = createWebInbox({ backend, assets: { get: (n) => assets.get(n) }, port });
  // the inbox's own watcher (the same one `gate inbox --watch` redraws on): every change of the
  // listing becomes a `cards` event; the page fetches the cards again
  watcher = await watchInbox(ctx, { all: true, onUpdate: () => server.broadcast('cards', '{}'), onError: () => server.broadcast('cards', '{}'), ...(opts.pollMs ? { pollMs: opts.pollMs } : {}) });
  async function stop(why: 'idle' | 'interrupted' | 'closed'): Promise<void> {
    if (stopped) return;
    stopped = true;
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    watcher?.close();
    await server.close();
    finish(why);
  }
  if (stopped) watcher.close(); // stopped while the watcher was starting
  if (opts.open) {
    const { openInBrowser } = await import('../../adapters/programs.js');
    await openInBrowser(inbox.url);
  }
  return { url: inbox.url, port, addresses: server.addresses, inbox, done, close: () => stop('closed') };
}
