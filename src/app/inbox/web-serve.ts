/**
 * `gate inbox --web` (issue 17, ADR 0021): start the loopback server, print the one-time URL,
 * push a `cards` event to the page whenever an explanation is written or withdrawn in any
 * worktree of the clone, and stop when no browser has been connected for `idleMinutes` or on
 * Ctrl-C. The socket, the watcher and the page files are adapters; the request policy is web.ts.
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
  /** How often the watcher re-reads the explanation directories (default 2000 ms). */
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
  const [{ startLoopbackServer }, { loadWebAssets }, { watchSidecars }] = await Promise.all([
    import('../../adapters/http-server.js'),
    import('../../adapters/web-assets.js'),
    import('../../adapters/sidecar-watch.js'),
  ]);
  const assets = loadWebAssets();
  let inbox: WebInbox | undefined;
  let finish: (why: 'idle' | 'interrupted' | 'closed') => void = () => {};
  const done = new Promise<'idle' | 'interrupted' | 'closed'>((resolve) => (finish = resolve));
  const backend = webBackend(ctx);
  const server = await startLoopbackServer({
    handle: (req) => inbox!.handle(req),
    idleMs: idleMinutes * 60_000,
    onIdle: () => void stop('idle'),
  });
  const port = server.port;
  inbox = createWebInbox({ backend, assets: { get: (n) => assets.get(n) }, port });
  // the worktree list changes rarely: read it again at most every 10 s
  let roots: string[] = [];
  let rootsAt = 0;
  const worktrees = (): string[] => {
    if (Date.now() - rootsAt > 10_000) {
      try {
        roots = ctx.git.worktrees().filter((w) => !w.bare && !w.prunable).map((w) => w.path);
      } catch {
        roots = roots.length ? roots : [ctx.paths.root];
      }
      rootsAt = Date.now();
    }
    return roots;
  };
  const watcher = watchSidecars(worktrees, () => server.broadcast('cards', '{}'), { ...(opts.pollMs ? { pollMs: opts.pollMs } : {}) });
  let stopped = false;
  const onSigint = (): void => void stop('interrupted');
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  async function stop(why: 'idle' | 'interrupted' | 'closed'): Promise<void> {
    if (stopped) return;
    stopped = true;
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    watcher.close();
    await server.close();
    finish(why);
  }
  if (opts.open) {
    const { openInBrowser } = await import('../../adapters/programs.js');
    await openInBrowser(inbox.url);
  }
  return { url: inbox.url, port, addresses: server.addresses, inbox, done, close: () => stop('closed') };
}
