/**
 * The web inbox's request policy (src/app/inbox/web.ts), table-driven and in process: what a
 * request may do before any data is read. The same rules run end to end in headless chromium in
 * test/e2e/web-inbox.test.ts; here each refusal is pinned one by one, including the peer address
 * a loopback-bound server can never see from outside (the second lock behind the bind).
 */
import { describe, expect, it } from 'vitest';
import { createWebInbox, isLoopback, SESSION_COOKIE, type InboxBackend } from '../../../src/app/inbox/web.js';
import type { WebRequest } from '../../../src/adapters/http-server.js';

const PORT = 40123;
const ORIGIN = `http://localhost:${PORT}`;
const calls: string[] = [];
// the policy under test never reaches the backend on a refused request: record what it is asked
const backend: InboxBackend = {
  cards: async () => (calls.push('cards'), [{ id: 'abcd1234' }]),
  detail: async () => undefined,
  approvalOptions: async () => (calls.push('options'), { challenge: 'Y2hhbGxlbmdl' }),
  approve: async () => (calls.push('approve'), {}),
  reject: async () => (calls.push('reject'), {}),
  registrationOptions: async () => ({ challenge: 'x' }),
  register: async () => ({ line: '', commands: [], signers_path: '' }),
};
const assets = { get: (n: string) => (n === 'index.html' ? Buffer.from('<!doctype html>') : undefined) };

function req(over: Partial<WebRequest> & { headers?: Record<string, string> } = {}): WebRequest {
  return { method: 'GET', url: '/', remoteAddress: '127.0.0.1', localAddress: '127.0.0.1', body: Buffer.alloc(0), ...over, headers: { host: `localhost:${PORT}`, ...over.headers } };
}

async function session() {
  const inbox = createWebInbox({ backend, assets, port: PORT });
  const r = await inbox.handle(req({ method: 'POST', url: '/api/session', headers: { origin: ORIGIN, 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ token: inbox.token })) }));
  expect(r.status).toBe(200);
  const cookie = String(r.headers['set-cookie']).split(';')[0]!;
  expect(cookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);
  expect(String(r.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict; Path=\//);
  return { inbox, cookie };
}

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.3.2.1', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.5', false],
    ['192.168.1.20', false],
    ['::ffff:10.0.0.5', false],
    ['fe80::1', false],
    ['0.0.0.0', false],
    ['', false],
    ['127.0.0.1.evil', false],
  ])('%s → %s', (a, want) => expect(isLoopback(a)).toBe(want));
});

describe('the web inbox request policy', () => {
  it('refuses a non-loopback peer and a foreign Host before anything else', async () => {
    const inbox = createWebInbox({ backend, assets, port: PORT });
    expect((await inbox.handle(req({ remoteAddress: '192.168.1.20' }))).status).toBe(403);
    for (const host of [`evil.example:${PORT}`, 'localhost', `localhost:${PORT + 1}`, `127.0.0.1.nip.io:${PORT}`, '']) {
      expect((await inbox.handle(req({ headers: { host } }))).status, host).toBe(421);
    }
    for (const host of [`localhost:${PORT}`, `127.0.0.1:${PORT}`, `[::1]:${PORT}`]) expect((await inbox.handle(req({ headers: { host } }))).status, host).toBe(200);
  });

  it('trades the token once for the cookie; the API needs the cookie', async () => {
    const { inbox, cookie } = await session();
    const again = await inbox.handle(req({ method: 'POST', url: '/api/session', headers: { origin: ORIGIN, 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ token: inbox.token })) }));
    expect(again.status).toBe(403);
    expect((await inbox.handle(req({ url: '/api/cards' }))).status).toBe(401);
    expect((await inbox.handle(req({ url: '/api/cards', headers: { cookie: `${SESSION_COOKIE}=${inbox.token}` } }))).status).toBe(401);
    expect((await inbox.handle(req({ url: '/api/cards', headers: { cookie } }))).status).toBe(200);
  });

  it('refuses cross-origin and non-JSON state changes, and never sends CORS headers', async () => {
    const { inbox, cookie } = await session();
    calls.length = 0;
    const body = Buffer.from(JSON.stringify({ reason: 'x' }));
    const post = (headers: Record<string, string>) => inbox.handle(req({ method: 'POST', url: '/api/cards/abcd1234/reject', body, headers: { cookie, ...headers } }));
    expect((await post({ origin: 'http://evil.example', 'content-type': 'application/json' })).status).toBe(403);
    expect((await post({ 'content-type': 'application/json' })).status).toBe(403);
    expect((await post({ origin: 'null', 'content-type': 'application/json' })).status).toBe(403);
    expect((await post({ origin: ORIGIN, 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post({ origin: ORIGIN, 'content-type': 'application/json', 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect(calls).toEqual([]);
    const ok = await post({ origin: ORIGIN, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(200);
    expect(calls).toEqual(['reject']);
    for (const h of Object.keys(ok.headers)) expect(h.startsWith('access-control-')).toBe(false);
    expect(ok.headers['content-security-policy']).toContain("default-src 'none'");
    expect((await inbox.handle(req({ method: 'OPTIONS', url: '/api/cards', headers: { cookie, origin: ORIGIN } }))).status).toBe(405);
  });

  it('accepts an assertion only for a challenge it handed out for that card and step, once', async () => {
    const { inbox, cookie } = await session();
    const h = { cookie, origin: ORIGIN, 'content-type': 'application/json' };
    const post = (url: string, b: unknown) => inbox.handle(req({ method: 'POST', url, headers: h, body: Buffer.from(JSON.stringify(b)) }));
    const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: 'Y2hhbGxlbmdl', origin: ORIGIN })).toString('base64url');
    const assertion = { id: 'aWQ', clientDataJSON, authenticatorData: 'YQ', signature: 'cw' };
    expect((await post('/api/cards/abcd1234/approve', { step: 'confirm', assertion })).status).toBe(403); // never issued
    expect((await post('/api/cards/abcd1234/options', { step: 'confirm' })).status).toBe(200);
    expect((await post('/api/cards/abcd9999/approve', { step: 'confirm', assertion })).status).toBe(403); // another card
    expect((await post('/api/cards/abcd1234/approve', { step: 'diff', assertion })).status).toBe(403); // another step
    calls.length = 0;
    expect((await post('/api/cards/abcd1234/approve', { step: 'confirm', assertion })).status).toBe(200);
    expect((await post('/api/cards/abcd1234/approve', { step: 'confirm', assertion })).status).toBe(403); // replay
    expect(calls).toEqual(['approve']);
    expect((await post('/api/cards/abcd1234/approve', { step: 'confirm', assertion: { ...assertion, signature: 'not base64url!' } })).status).toBe(400);
  });
});
