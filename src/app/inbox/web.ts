/**
 * `gate inbox --web`: what a request to the local page may do (issue 17, ADR 0021). Pure request
 * policy and routing over a `WebRequest`; the socket lives in src/adapters/http-server.ts, the
 * data and the approval in an `InboxBackend` (web-backend.ts: the inbox listing and the passkey
 * verification, never re-implemented here).
 *
 * The rules, in the order every request meets them:
 *  1. the peer is a loopback address (the server binds loopback only; this is the second lock);
 *  2. the Host header is exactly localhost:<port>, 127.0.0.1:<port> or [::1]:<port> (DNS
 *     rebinding: a foreign name that resolves to 127.0.0.1 is refused);
 *  3. an Origin header, when present, is this server's own origin; a state-changing request
 *     (anything but GET/HEAD) must carry one, and JSON (no form can post it cross-site);
 *  4. /api/* needs the session cookie, which only the one-time token buys: the URL printed on
 *     the terminal carries it in the fragment (never sent to a server, never in a Referer), the
 *     page posts it once, gets an HttpOnly SameSite=Strict cookie, and the token is spent;
 *  5. no CORS header is ever sent; every response forbids framing, sniffing and caching, and the
 *     page runs under a CSP that allows only this server's own script and style.
 */
import { GateError } from '../../kernel/errors.js';
import { nodeCrypto } from '../../kernel/builtins.js';
import type { WebRequest, WebResponse } from '../../adapters/http-server.js';

/** One card of the inbox, as the page shows it (the inbox listing's fields, passed through). */
export type WebCard = Record<string, unknown> & { id: string };

export interface CardDetail {
  card: WebCard;
  /** The explanation as the agent wrote it. */
  explanation: { intent: string; alternatives: string[]; risk: { blast_radius: string; reversibility: string; rollback: string }; created_by: string; created_at: string };
  tier: string;
  tree: string;
  /** The steps a person still has to approve, in order (confirm; or intent then diff). */
  steps: string[];
  /** Each gated file's unified diff (raw text: the page puts it on screen as text, never HTML). */
  files: Array<{ path: string; old_path?: string; status: string; tier: string; surfaces: string[]; patch?: string; binary?: boolean; note?: string }>;
  /** Every weakening of .agents/gates.yaml in plain words (and a note when it is unusable). */
  weakenings: { messages: string[]; note?: string } | undefined;
}

/** The JSON a browser sends back from navigator.credentials.get() (base64url fields). */
export interface AssertionJSON {
  id: string;
  clientDataJSON: string;
  authenticatorData: string;
  signature: string;
  userHandle?: string | null;
}

/** The JSON a browser sends back from navigator.credentials.create() (base64url fields). */
export interface RegistrationJSON {
  id: string;
  clientDataJSON: string;
  attestationObject: string;
  /** SubjectPublicKeyInfo DER (AuthenticatorAttestationResponse.getPublicKey()). */
  publicKey?: string;
  publicKeyAlgorithm?: number;
  authenticatorData?: string;
  principal?: string;
}

/** What the page needs from the rest of the product. */
export interface InboxBackend {
  cards(): Promise<WebCard[]>;
  detail(id: string): Promise<CardDetail | undefined>;
  /** PublicKeyCredentialRequestOptions (JSON, base64url) for approving `step` of a card. */
  approvalOptions(id: string, step: string): Promise<{ challenge: string } & Record<string, unknown>>;
  /** `origin`: the request's Origin header, already checked to be this server's. */
  approve(id: string, step: string, assertion: AssertionJSON, origin: string): Promise<Record<string, unknown>>;
  reject(id: string, reason: string): Promise<Record<string, unknown>>;
  /** PublicKeyCredentialCreationOptions (JSON, base64url) for registering a passkey. */
  registrationOptions(principal: string | undefined): Promise<{ challenge: string } & Record<string, unknown>>;
  /** The allowed_signers line for a new credential and the exact commands to commit it. */
  register(credential: RegistrationJSON, principal: string | undefined, origin: string): Promise<{ line: string; commands: string[]; signers_path: string } & Record<string, unknown>>;
}

export interface WebAssets {
  /** name (index.html, inbox.js, inbox.css) → bytes. */
  get(name: string): Buffer | undefined;
}

export const SESSION_COOKIE = 'gate_inbox';

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/inbox.js': { file: 'inbox.js', type: 'text/javascript; charset=utf-8' },
  '/inbox.css': { file: 'inbox.css', type: 'text/css; charset=utf-8' },
  '/icon.svg': { file: 'icon.svg', type: 'image/svg+xml' },
};

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every response (and never an Access-Control-* one). */
const BASE_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'content-security-policy': CSP,
  'permissions-policy': 'publickey-credentials-get=(self), publickey-credentials-create=(self), camera=(), microphone=(), geolocation=()',
};

function json(status: number, body: unknown, extra: Record<string, string | string[]> = {}): WebResponse {
  return { status, headers: { ...BASE_HEADERS, 'content-type': 'application/json; charset=utf-8', ...extra }, body: `${JSON.stringify(body)}\n` };
}

function refuse(status: number, why: string): WebResponse {
  return json(status, { ok: false, code: 'DENIED', message: why });
}

function b64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/** 127.0.0.0/8, ::1, and IPv4-mapped 127.x. */
export function isLoopback(address: string): boolean {
  const a = address.toLowerCase();
  if (a === '::1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

function sameSecret(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const { createHash, timingSafeEqual } = nodeCrypto();
  const h = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

function errorResponse(e: unknown): WebResponse {
  if (e instanceof GateError) {
    const status = e.code === 'USAGE' ? 400 : e.exitCode === 1 ? 403 : 409;
    const reason = typeof e.data?.reason === 'string' ? { reason: e.data.reason } : {};
    return json(status, { ok: false, code: e.code, ...reason, message: e.message, details: e.details, ...(e.fix ? { fix: e.fix } : {}) });
  }
  return json(500, { ok: false, code: 'INTERNAL', message: (e as Error).message });
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* below */
  }
  throw new GateError('USAGE', 'the request body is not a JSON object.');
}

function str(v: unknown, what: string, max = 64 * 1024): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new GateError('USAGE', `${what} is missing or not a string.`);
  return v;
}

function optStr(v: unknown, what: string): string | undefined {
  return v === undefined || v === null || v === '' ? undefined : str(v, what, 1024);
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/** The object as read from the page, once every string field is checked to be base64url. */
function base64urlFields<T extends object>(out: T, what: string): T {
  for (const [k, x] of Object.entries(out)) if (typeof x === 'string' && !B64URL.test(x)) throw new GateError('USAGE', `${what}.${k} is not base64url.`);
  return out;
}

function assertionOf(v: unknown): AssertionJSON {
  if (!v || typeof v !== 'object') throw new GateError('USAGE', 'the assertion is missing.');
  const o = v as Record<string, unknown>;
  return base64urlFields<AssertionJSON>({
    id: str(o.id, 'assertion.id', 1024),
    clientDataJSON: str(o.clientDataJSON, 'assertion.clientDataJSON'),
    authenticatorData: str(o.authenticatorData, 'assertion.authenticatorData'),
    signature: str(o.signature, 'assertion.signature', 1024),
    ...(typeof o.userHandle === 'string' ? { userHandle: o.userHandle } : {}),
  }, 'assertion');
}

function registrationOf(v: unknown): RegistrationJSON {
  if (!v || typeof v !== 'object') throw new GateError('USAGE', 'the credential is missing.');
  const o = v as Record<string, unknown>;
  return base64urlFields<RegistrationJSON>({
    id: str(o.id, 'credential.id', 1024),
    clientDataJSON: str(o.clientDataJSON, 'credential.clientDataJSON'),
    attestationObject: str(o.attestationObject, 'credential.attestationObject'),
    ...(typeof o.publicKey === 'string' ? { publicKey: o.publicKey } : {}),
    ...(typeof o.publicKeyAlgorithm === 'number' ? { publicKeyAlgorithm: o.publicKeyAlgorithm } : {}),
    ...(typeof o.authenticatorData === 'string' ? { authenticatorData: o.authenticatorData } : {}),
  }, 'credential');
}

export interface WebInbox {
  /** The one-time token (goes in the printed URL's fragment). */
  token: string;
  /** http://localhost:<port>/#<token> */
  url: string;
  handle(req: WebRequest): Promise<WebResponse>;
  /** True once the token was exchanged for the cookie. */
  claimed(): boolean;
}

export function createWebInbox(opts: { backend: InboxBackend; assets: WebAssets; port: number }): WebInbox {
  const { randomBytes } = nodeCrypto();
  const token = b64url(randomBytes(32));
  const session = b64url(randomBytes(32));
  let spent = false;
  const { port, backend, assets } = opts;
  const hosts = new Set([`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
  const origins = new Set([...hosts].map((h) => `http://${h}`));
  /** Challenges handed out and not yet used: an assertion is accepted once (replay → refused). */
  const outstanding = new Map<string, { id: string; step: string }>();

  const handle = async (req: WebRequest): Promise<WebResponse> => {
    if (!isLoopback(req.remoteAddress)) return refuse(403, 'this page answers loopback clients only');
    const host = req.headers.host?.toLowerCase();
    if (!host || !hosts.has(host)) return refuse(421, `unexpected Host header; open http://localhost:${port}/ from this machine`);
    // no preflight is ever answered (no CORS), and nothing but GET, HEAD and POST is served
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'POST') return refuse(405, 'method not allowed');
    const origin = req.headers.origin;
    const changing = req.method !== 'GET' && req.method !== 'HEAD';
    if (origin !== undefined && !origins.has(origin)) return refuse(403, 'foreign Origin');
    if (changing && origin === undefined) return refuse(403, 'a state-changing request needs an Origin header');
    // a browser says where a request comes from; anything but this page itself is refused
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return refuse(403, 'cross-site request');
    const path = req.url.split('?')[0]!;

    if (!path.startsWith('/api/')) {
      const s = STATIC[path];
      if (!s || changing) return refuse(404, 'not found');
      const body = assets.get(s.file);
      if (!body) return refuse(404, 'not found');
      return { status: 200, headers: { ...BASE_HEADERS, 'content-type': s.type }, body: req.method === 'HEAD' ? '' : body };
    }
    if (changing && !(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      return refuse(415, 'state-changing requests are JSON');
    }
    try {
      if (path === '/api/session' && req.method === 'POST') {
        const body = parseJson(req.body);
        if (spent || !sameSecret(typeof body.token === 'string' ? body.token : undefined, token)) {
          return refuse(403, spent ? 'this link was already used; run gate inbox --web again for a new one' : 'wrong token');
        }
        spent = true;
        return json(200, { ok: true }, { 'set-cookie': `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/` });
      }
      if (!sameSecret(cookieValue(req.headers.cookie, SESSION_COOKIE), session)) {
        return refuse(401, 'no session: open the link gate inbox --web printed (it works once)');
      }
      if (path === '/api/events' && req.method === 'GET') {
        return { status: 200, headers: { ...BASE_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' }, stream: true };
      }
      if (path === '/api/cards' && req.method === 'GET') return json(200, { ok: true, cards: await backend.cards() });
      if (path === '/api/passkeys/options' && req.method === 'POST') {
        const body = parseJson(req.body);
        return json(200, { ok: true, publicKey: await backend.registrationOptions(optStr(body.principal, 'principal')) });
      }
      if (path === '/api/passkeys' && req.method === 'POST') {
        const body = parseJson(req.body);
        return json(200, { ok: true, ...(await backend.register(registrationOf(body.credential), optStr(body.principal, 'principal'), origin!)) });
      }
      const m = /^\/api\/cards\/([0-9a-f]{4,64})(?:\/(options|approve|reject))?$/.exec(path);
      if (m) {
        const id = m[1]!;
        const action = m[2];
        if (!action && req.method === 'GET') {
          const d = await backend.detail(id);
          return d ? json(200, { ok: true, ...d }) : refuse(404, 'no such card (it may have been withdrawn)');
        }
        if (action === 'options' && req.method === 'POST') {
          const step = str(parseJson(req.body).step, 'step', 32);
          const options = await backend.approvalOptions(id, step);
          outstanding.set(options.challenge, { id, step });
          return json(200, { ok: true, publicKey: options });
        }
        if (action === 'approve' && req.method === 'POST') {
          const body = parseJson(req.body);
          const step = str(body.step, 'step', 32);
          const assertion = assertionOf(body.assertion);
          const challenge = challengeOf(assertion);
          const issued = challenge === undefined ? undefined : outstanding.get(challenge);
          if (!issued || issued.id !== id || issued.step !== step) {
            return refuse(403, 'this assertion answers no challenge this page handed out for this card and step (replayed, or for another change)');
          }
          outstanding.delete(challenge!);
          return json(200, { ok: true, ...(await backend.approve(id, step, assertion, origin!)) });
        }
        if (action === 'reject' && req.method === 'POST') {
          const reason = str(parseJson(req.body).reason, 'reason', 4000);
          return json(200, { ok: true, ...(await backend.reject(id, reason)) });
        }
      }
      return refuse(404, 'not found');
    } catch (e) {
      return errorResponse(e);
    }
  };
  return { token, url: `http://localhost:${port}/#${token}`, handle, claimed: () => spent };
}

/** The challenge the browser signed (from clientDataJSON); undefined when unreadable. */
function challengeOf(a: AssertionJSON): string | undefined {
  try {
    const c: unknown = JSON.parse(Buffer.from(a.clientDataJSON, 'base64url').toString('utf8'));
    const ch = (c as { challenge?: unknown }).challenge;
    return typeof ch === 'string' ? ch : undefined;
  } catch {
    return undefined;
  }
}
