/**
 * Adapter: the web inbox's HTTP server (issue 17, ADR 0021). Loopback only: it binds 127.0.0.1
 * and, when the machine has it, ::1, on one random port; never a wildcard address. Everything
 * about what a request may do (Host, Origin, token, cookie, routes) is decided by the handler the
 * app layer passes in (src/app/inbox/web.ts); this file only moves bytes, holds the Server-Sent
 * Events streams and tells the caller when no browser has been connected for a while.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebRequest {
  method: string;
  /** Path and query as sent (never a full URL). */
  url: string;
  /** Lower-case header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The peer's address as the socket sees it. */
  remoteAddress: string;
  /** The local address the request arrived on. */
  localAddress: string;
  body: Buffer;
}

export interface WebResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Keep the response open as a Server-Sent Events stream (headers are sent at once). */
  stream?: true;
}

export interface LoopbackServer {
  port: number;
  /** The addresses actually bound (127.0.0.1, and ::1 when available). */
  addresses: string[];
  /** Send one event to every open stream. */
  broadcast(event: string, data: string): void;
  /** Open event streams now. */
  streams(): number;
  close(): Promise<void>;
}

/** Largest request body read (JSON posts are small); more is refused with 413. */
const MAX_BODY = 256 * 1024;

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}

function listen(server: Server, host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const onError = (): void => resolve(undefined);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Start the server on 127.0.0.1 (a random port) and ::1 (the same port, when the machine has IPv6
 * loopback). `handle` decides every response; `onIdle` is called when no event stream has been
 * open for `idleMs` (checked every `idleMs / 4`, at most once a minute).
 */
export async function startLoopbackServer(opts: {
  handle: (req: WebRequest) => Promise<WebResponse> | WebResponse;
  idleMs: number;
  onIdle: () => void;
}): Promise<LoopbackServer> {
  const streams = new Set<ServerResponse>();
  let lastSeen = Date.now();
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    lastSeen = Date.now();
    void (async () => {
      const body = await readBody(req);
      if (body === undefined) {
        res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8' }).end('request too large\n');
        return;
      }
      let out: WebResponse;
      try {
        out = await opts.handle({
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: headersOf(req),
          remoteAddress: req.socket.remoteAddress ?? '',
          localAddress: req.socket.localAddress ?? '',
          body,
        });
      } catch (e) {
        out = { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `internal error: ${(e as Error).message}\n` };
      }
      if (out.stream) {
        res.writeHead(out.status, out.headers);
        res.write(': open\n\n');
        streams.add(res);
        const done = (): void => {
          streams.delete(res);
          lastSeen = Date.now();
        };
        req.on('close', done);
        res.on('close', done);
        return;
      }
      res.writeHead(out.status, out.headers).end(out.body ?? '');
    })();
  };
  const v4 = createServer(onRequest);
  const port = await listen(v4, '127.0.0.1', 0);
  if (port === undefined) throw new Error('cannot listen on 127.0.0.1');
  const servers: Server[] = [v4];
  const addresses = ['127.0.0.1'];
  const v6 = createServer(onRequest);
  if ((await listen(v6, '::1', port)) !== undefined) {
    servers.push(v6);
    addresses.push('::1');
  }
  // comments keep proxies and the browser from timing the stream out; they also reveal a dead peer
  const keepAlive = setInterval(() => {
    for (const s of streams) s.write(': ping\n\n');
  }, 15_000);
  keepAlive.unref();
  const idleTimer = setInterval(() => {
    if (streams.size === 0 && Date.now() - lastSeen >= opts.idleMs) opts.onIdle();
  }, Math.max(50, Math.min(60_000, Math.floor(opts.idleMs / 4))));
  idleTimer.unref();
  return {
    port,
    addresses,
    broadcast(event, data) {
      const payload = `event: ${event}\ndata: ${data.replace(/\n/g, '\ndata: ')}\n\n`;
      for (const s of streams) s.write(payload);
    },
    streams: () => streams.size,
    async close() {
      clearInterval(keepAlive);
      clearInterval(idleTimer);
      for (const s of streams) s.end();
      streams.clear();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
