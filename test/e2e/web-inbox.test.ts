/**
 * `gate inbox --web` in a real headless browser (issue 17): Debian's chromium driven by
 * playwright-core, a virtual WebAuthn authenticator through the DevTools protocol, the server
 * run from the PACKED tarball (so the page files are proven to ship). One repository, one
 * server, one browser for the whole file.
 *
 * Flow: list the waiting changes, open one, read its diff (unified and side by side), register a
 * passkey in the page, commit its allowed_signers line through Gate B, let an agent explain a
 * DOUBLE_CONFIRM change (the page updates live), approve its intent and then its diff with the
 * virtual authenticator, commit, and `gate check --range` in a fresh clone accepts the note.
 * Refusals: no token / cookie, a spent token, a foreign Origin or Host, a non-JSON post, the port
 * on a non-loopback address, a tampered assertion, an assertion for another step or card, a
 * replayed one, a credential not in the signers file (the request policy's cases one by one:
 * test/unit/inbox/web-policy.test.ts). Screenshots at desktop and phone widths go
 * to test-artifacts/web-inbox/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { makeRepo, makeTempDir, PKG_ROOT, run, type TempRepo } from '../helpers/repo.js';
import { packTarball } from '../helpers/consumer.js';
import { openContext } from '../../src/app/context.js';
import { approve, type Terminal } from '../../src/app/approvals/approve.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(PKG_ROOT, 'test-artifacts', 'web-inbox');
const AGENT = { GATE_SESSION: 'agent-7' };
const explainArgs = (intent: string) => ['explain', '--intent', intent, '--alternative', 'leave it as it is', '--blast-radius', 'every agent that reads the rules', '--reversibility', 'fully: revert the commit', '--rollback', 'git revert <commit>'];

let repo: TempRepo;
let wtB: string;
let gateBin: string;
let server: ChildProcess;
let serverOut = '';
let port = 0;
let url = '';
let browser: BrowserContext;
let page: Page;
let cdp: CDPSession;

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with exactly these headers (node's http: the Host header is ours to set). */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string, host = '127.0.0.1'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method, headers: { host: `localhost:${port}`, ...headers }, setHost: false }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (b += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function sessionCookie(): Promise<string> {
  const c = (await browser.cookies()).find((x) => x.name === 'gate_inbox');
  if (!c) throw new Error('no session cookie');
  return `gate_inbox=${c.value}`;
}

function scriptedTerminal(): Terminal {
  return { interactive: true, color: false, write: () => {}, ask: async () => 'ACDEFG' };
}

/** The agent stages `files` in `cwd` and explains them. */
function agentExplains(cwd: string, files: Record<string, string>, intent: string): void {
  for (const [p, body] of Object.entries(files)) {
    mkdirSync(join(cwd, p, '..'), { recursive: true });
    appendFileSync(join(cwd, p), body);
    expect(run('git', ['add', p], { cwd, env: repo.env }).code).toBe(0);
  }
  const r = repo.gate(explainArgs(intent), { cwd, env: AGENT });
  expect(r.code, r.stderr).toBe(0);
}

/** navigator.credentials.get() in the page for these request options; the assertion as the page posts it. */
async function assertionFor(publicKey: Record<string, unknown>, allow?: string[]): Promise<Record<string, string>> {
  return page.evaluate(
    async ({ pk, allowIds }) => {
      const dec = (s: string) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (ch) => ch.charCodeAt(0));
      const enc = (b: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      const ids = allowIds ?? (pk.allowCredentials as Array<{ id: string }>).map((c) => c.id);
      // the page's own globals (this test file compiles without the DOM library)
      const nav = (globalThis as unknown as { navigator: { credentials: { get(o: unknown): Promise<{ rawId: ArrayBuffer; response: Record<'clientDataJSON' | 'authenticatorData' | 'signature', ArrayBuffer> }> } } }).navigator;
      const cred = await nav.credentials.get({
        publicKey: { challenge: dec(pk.challenge as string), rpId: pk.rpId, userVerification: pk.userVerification, allowCredentials: ids.map((id) => ({ type: 'public-key', id: dec(id) })) },
      });
      const r = cred.response;
      return { id: enc(cred.rawId), clientDataJSON: enc(r.clientDataJSON), authenticatorData: enc(r.authenticatorData), signature: enc(r.signature) };
    },
    { pk: publicKey, allowIds: allow },
  );
}

/** Click a card until its change is on screen (a live update may redraw the list under the click). */
async function openCard(id: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await page.locator(`.card[data-id="${id}"]`).click();
    try {
      await page.locator(`#detail[data-id="${id}"] #reason`).waitFor({ timeout: 45_000 });
      return;
    } catch {
      /* click again */
    }
  }
  throw new Error(`card ${id} does not open`);
}

/** POST from inside the page (same origin, the session cookie rides along). */
async function pagePost(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return page.evaluate(
    async ({ p, b }) => {
      const r = await fetch(p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    },
    { p: path, b: body },
  );
}

async function cardIds(): Promise<Array<{ id: string; tier: string; worktree: string; current: boolean; state: string }>> {
  const r = await raw('GET', '/api/cards', { cookie: await sessionCookie() });
  return (JSON.parse(r.body) as { cards: Array<{ id: string; tier: string; worktree: string; current: boolean; state: string }> }).cards;
}

beforeAll(async () => {
  // the server runs from the packed tarball, unpacked as npm would (no runtime dependencies)
  const unpack = makeTempDir('gate-web-pkg-');
  expect(run('tar', ['-xzf', packTarball(), '-C', unpack]).code).toBe(0);
  gateBin = join(unpack, 'package', 'bin', 'gate.js');
  expect(existsSync(join(unpack, 'package', 'assets', 'web-inbox', 'inbox.js'))).toBe(true);

  repo = makeRepo({
    files: {
      'README.md': '# project\n',
      '.agents/gates.yaml': 'version: 1\n',
      'rules/style.md': '# Style\n\nUse tabs.\nKeep functions short.\n',
    },
    hooks: ['pre-commit', 'post-commit'],
  });
  // an agent works in a second worktree and explains a CONFIRM change to the rules
  wtB = join(repo.dir, '..', 'wt-b');
  repo.gitOk('worktree', 'add', '-q', '-b', 'agent-b', wtB);
  agentExplains(wtB, { 'rules/style.md': 'Prefer early returns.\nName things for what they do.\n' }, 'Teach agents two more style rules: early returns and naming.');

  server = spawn(process.execPath, [gateBin, 'inbox', '--web', '--idle', '5'], { cwd: repo.dir, env: repo.env, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.setEncoding('utf8');
  server.stderr!.setEncoding('utf8');
  const hello = await new Promise<{ url: string; port: number; addresses: string[] }>((resolve, reject) => {
    server.stdout!.on('data', (c: string) => {
      serverOut += c;
      const m = /gate inbox: open (http:\/\/localhost:(\d+)\/#\S+)\n.*serving on (.+?) port \d+;/.exec(serverOut);
      if (m) resolve({ url: m[1]!, port: Number(m[2]), addresses: m[3]!.split(' and ') });
    });
    server.stderr!.on('data', (c: string) => (serverOut += c));
    server.once('exit', (code) => reject(new Error(`server exited ${code}: ${serverOut}`)));
  });
  ({ url, port } = hello);
  expect(hello.addresses.every((a) => a === '127.0.0.1' || a === '::1')).toBe(true);
  expect(url).toMatch(new RegExp(`^http://localhost:${port}/#[A-Za-z0-9_-]{43}$`));

  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launchPersistentContext(makeTempDir('gate-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  cdp = await browser.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (server && server.exitCode === null) server.kill('SIGKILL');
});

// generous timeouts: the whole file takes seconds on a quiet machine, but 2 shared cores can stretch it
describe('gate inbox --web in headless chromium', { timeout: 180_000 }, () => {
  it('refuses every request before the one-time token is exchanged, and any foreign Host', async () => {
    expect((await raw('GET', '/api/cards')).status).toBe(401);
    expect((await raw('GET', '/api/events')).status).toBe(401);
    const wrong = await raw('POST', '/api/session', { origin: `http://localhost:${port}`, 'content-type': 'application/json' }, JSON.stringify({ token: 'x'.repeat(43) }));
    expect(wrong.status).toBe(403);
    // DNS rebinding: a foreign name resolving to 127.0.0.1 gets nothing, not even the page
    expect((await raw('GET', '/', { host: `evil.example:${port}` })).status).toBe(421);
    expect((await raw('GET', '/', { host: `localhost.evil.example:${port}` })).status).toBe(421);
    expect((await raw('GET', '/', { host: 'localhost' })).status).toBe(421);
    const shell = await raw('GET', '/');
    expect(shell.status).toBe(200);
    expect(shell.headers['content-security-policy']).toContain("default-src 'none'");
    expect(Object.keys(shell.headers).some((h) => h.startsWith('access-control-'))).toBe(false);
  });

  it('is not reachable on a non-loopback address of this machine', async () => {
    const others = Object.values(networkInterfaces()).flat().filter((a) => a && !a.internal).map((a) => a!.address);
    for (const address of others) {
      const refused = await new Promise<boolean>((resolve) => {
        const s = connect({ host: address, port, timeout: 2000 });
        s.once('connect', () => {
          s.destroy();
          resolve(false);
        });
        s.once('error', () => resolve(true));
        s.once('timeout', () => {
          s.destroy();
          resolve(true);
        });
      });
      expect(refused, `port ${port} answered on ${address}`).toBe(true);
    }
  });

  it('lists the waiting change, opens it and shows the diff; the token is spent; screenshots', async () => {
    await page.goto(url);
    await page.locator('.card').first().waitFor();
    expect(page.url()).toBe(`http://localhost:${port}/`); // the token left the address bar
    const spent = await raw('POST', '/api/session', { origin: `http://localhost:${port}`, 'content-type': 'application/json' }, JSON.stringify({ token: url.split('#')[1] }));
    expect(spent.status).toBe(403);
    await expect.poll(() => page.locator('#live').textContent(), { timeout: 45_000 }).toBe('live');
    await page.locator('.card').first().click();
    await page.locator('#diff table').waitFor();
    const diff = await page.locator('#diff').innerText();
    expect(diff).toContain('Prefer early returns.');
    expect(diff).toContain('rules/style.md');
    expect(await page.locator('#intent').innerText()).toBe('Teach agents two more style rules: early returns and naming.');
    expect(await page.locator('#approve').innerText()).toContain('Approve this change');
    await page.screenshot({ path: join(ARTIFACTS, 'desktop.png') });
    await page.getByRole('button', { name: 'Side by side' }).click();
    await page.locator('#diff table.sbs').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'desktop-side-by-side.png') });
    await page.getByRole('button', { name: 'Unified' }).click();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(ARTIFACTS, 'phone.png'), fullPage: true });
    await page.getByRole('button', { name: '← All changes' }).click();
    await page.screenshot({ path: join(ARTIFACTS, 'phone-list.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('refuses a foreign Origin, a missing Origin and a non-JSON post even with the session cookie', async () => {
    const cookie = await sessionCookie();
    const [id] = (await cardIds()).map((c) => c.id);
    const post = (headers: Record<string, string>) => raw('POST', `/api/cards/${id}/reject`, { cookie, ...headers }, JSON.stringify({ reason: 'no' }));
    expect((await post({ origin: 'http://evil.example', 'content-type': 'application/json' })).status).toBe(403);
    expect((await post({ origin: `http://localhost:${port + 1}`, 'content-type': 'application/json' })).status).toBe(403);
    expect((await post({ 'content-type': 'application/json' })).status).toBe(403);
    expect((await post({ origin: `http://localhost:${port}`, 'content-type': 'text/plain' })).status).toBe(415);
    expect((await raw('GET', '/api/cards', { cookie, origin: 'http://evil.example' })).status).toBe(403);
    expect((await raw('GET', '/api/cards', { cookie, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await raw('GET', '/api/cards', { cookie: 'gate_inbox=forged' })).status).toBe(401);
    // nothing was rejected by any of those
    expect((await cardIds()).map((c) => c.state)).toEqual(['pending']);
  });

  let principalLine = '';
  let base = '';
  it('registers a passkey in the page and commits its signers line through Gate B', async () => {
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await page.locator('#register').click();
    await page.locator('#principal').fill('human@example.com');
    await page.locator('#reg-go').click();
    await page.locator('#reg-line').waitFor({ state: 'visible' });
    principalLine = await page.locator('#reg-line').innerText();
    expect(principalLine).toMatch(/^human@example\.com namespaces="[^"]+" sk-ecdsa-sha2-nistp256@openssh\.com \S+ \S+$/);
    const cmd = await page.locator('#reg-cmd').innerText();
    expect(cmd).toContain('>> .agents/allowed_signers');
    expect(cmd).toContain('gate approve');
    await page.screenshot({ path: join(ARTIFACTS, 'register.png') });
    await page.locator('#reg-close').click();
    // the person runs the commands the page shows: the first two add the line exactly as shown
    const lines = cmd.split('\n');
    expect(lines[0]).toMatch(/^printf '%s\\n' /);
    const sh = run('sh', ['-c', lines.slice(0, 2).join('\n')], { cwd: repo.dir, env: repo.env });
    expect(sh.code, sh.stderr).toBe(0);
    expect(readFileSync(join(repo.dir, '.agents/allowed_signers'), 'utf8')).toBe(`${principalLine}\n`);
    expect(repo.gitOk('diff', '--cached', '--name-only')).toBe('.agents/allowed_signers');
    // then the signers file, DOUBLE_CONFIRM, is explained and approved by the person
    expect(repo.gate(explainArgs('Trust the approver passkey for web approvals.'), { env: AGENT }).code).toBe(0);
    const a = await approve(openContext(repo.dir), scriptedTerminal(), { challenge: () => 'ACDEFG' });
    expect(a.complete).toBe(true);
    const c = repo.git('commit', '-q', '-m', 'chore(signers): add the approver passkey');
    expect(c.code, c.stderr).toBe(0);
    base = repo.gitOk('rev-parse', 'HEAD');
  });

  it('shows a new DOUBLE_CONFIRM change live, approves intent then diff with the passkey, and refuses forged, misdirected and replayed assertions', async () => {
    const before = (await cardIds()).length;
    agentExplains(repo.dir, { 'rules/gate-review.md': '# Review\n\nEvery gated change needs a second reader.\n', '.agents/gates.yaml': 'approval:\n  max_age: 30d\n' }, 'Add a review rule for gated changes; keep approvals for a month.');
    // the watcher tells the page; no reload
    await expect.poll(async () => page.locator('.card').count(), { timeout: 45_000 }).toBe(before + 1);
    const card = (await cardIds()).find((c) => c.worktree !== wtB && c.tier === 'DOUBLE_CONFIRM')!;
    expect(card).toBeDefined();
    await openCard(card.id);
    expect(await page.locator('#approve').innerText()).toContain('Approve the intent (step 1 of 2)');
    expect(await page.locator('#diff').count()).toBe(0); // step 1 is the intent alone

    // a credential that is not in the signers file (a second authenticator, no user verification)
    const { authenticatorId: other } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: false, automaticPresenceSimulation: true },
    });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const strangerId = randomBytes(16);
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId: other,
      credential: { credentialId: strangerId.toString('base64'), isResidentCredential: false, rpId: 'localhost', privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'), signCount: 0 },
    });
    let o = await pagePost(`/api/cards/${card.id}/options`, { step: 'intent' });
    expect(o.status, JSON.stringify(o.json)).toBe(200);
    const stranger = await assertionFor(o.json.publicKey as Record<string, unknown>, [strangerId.toString('base64url')]);
    let r = await pagePost(`/api/cards/${card.id}/approve`, { step: 'intent', assertion: stranger });
    expect(r.status).toBe(403);
    expect(r.json.reason).toBe('WEBAUTHN_NOT_SIGNER');
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: other });

    // a tampered assertion (one signature byte flipped)
    o = await pagePost(`/api/cards/${card.id}/options`, { step: 'intent' });
    const good = await assertionFor(o.json.publicKey as Record<string, unknown>);
    const tampered: string[] = [];
    const sig = Buffer.from(good.signature!, 'base64url');
    sig[sig.length - 1]! ^= 1;
    r = await pagePost(`/api/cards/${card.id}/approve`, { step: 'intent', assertion: { ...good, signature: sig.toString('base64url') } });
    expect(r.status).toBe(403);
    tampered.push(String(r.json.reason));
    expect(tampered.every((x) => x.startsWith('WEBAUTHN_')), tampered.join()).toBe(true);
    // a field that is not base64url is a usage error before any verification
    r = await pagePost(`/api/cards/${card.id}/approve`, { step: 'intent', assertion: { ...good, clientDataJSON: `${good.clientDataJSON}+/=` } });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.json)).toContain('assertion.clientDataJSON is not base64url');

    // a valid assertion for another payload (the intent step's, posted for the diff step and for
    // another card); the policy's other cases are pinned in test/unit/inbox/web-policy.test.ts
    o = await pagePost(`/api/cards/${card.id}/options`, { step: 'intent' });
    // this one is made without user verification (a touch only, as a security key without a PIN):
    // it approves, and the ledger says so
    const forIntent = await assertionFor({ ...(o.json.publicKey as Record<string, unknown>), userVerification: 'discouraged' });
    const cardB = (await cardIds()).find((c) => c.worktree === wtB)!;
    expect((await pagePost(`/api/cards/${cardB.id}/approve`, { step: 'confirm', assertion: forIntent })).status).toBe(403);
    expect((await pagePost(`/api/cards/${card.id}/approve`, { step: 'diff', assertion: forIntent })).status).toBe(403);
    // the real one still works, once
    r = await pagePost(`/api/cards/${card.id}/approve`, { step: 'intent', assertion: forIntent });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const replay = await pagePost(`/api/cards/${card.id}/approve`, { step: 'intent', assertion: forIntent });
    expect(replay.status).toBe(403);

    // step 2 through the page's own button: the diff is shown now, then approved with the passkey
    await openCard(card.id);
    await expect.poll(() => page.locator('#approve').innerText(), { timeout: 45_000 }).toContain('Approve this diff (step 2 of 2)');
    expect(await page.locator('#diff').innerText()).toContain('Every gated change needs a second reader.');
    // the config weakening in plain words, as gate approve prints it
    expect(await page.locator('#weakenings').innerText()).toContain('approvals stay valid longer: max_age 7d → 30d');
    await page.screenshot({ path: join(ARTIFACTS, 'double-confirm-step-2.png') });
    await page.locator('#approve').click();
    await page.locator('#approved').waitFor({ timeout: 45_000 });

    // the ledger says where and how: the intent by a touch, the diff with user verification
    const approvals = readFileSync(join(repo.commonDir(), 'agent-gates', 'ledger.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"event":"approve"') && l.includes('webauthn'));
    type Data = { step: string; signature?: { webauthn?: { user_verified: boolean } } };
    expect(approvals.slice(-2).map((l) => (JSON.parse(l) as { data: Data }).data).map((d) => [d.step, d.signature?.webauthn?.user_verified])).toEqual([
      ['intent', false],
      ['diff', true],
    ]);
    const c = repo.git('commit', '-q', '-m', 'docs(rules): review rule');
    expect(c.code, c.stderr + c.stdout).toBe(0);
    const note = JSON.parse(repo.gitOk('notes', '--ref', 'refs/notes/agent-gates', 'show', 'HEAD')) as unknown;
    expect(JSON.stringify(note)).toContain('webauthn');

    // CI's view: a fresh clone with the notes, the range from the commit that added the passkey
    const clone = join(makeTempDir('gate-web-clone-'), 'c');
    expect(run('git', ['clone', '-q', repo.dir, clone], { env: repo.env }).code).toBe(0);
    expect(run('git', ['fetch', '-q', 'origin', 'refs/notes/agent-gates:refs/notes/agent-gates'], { cwd: clone, env: repo.env }).code).toBe(0);
    const range = run(process.execPath, [gateBin, 'check', '--range', `${base}..HEAD`, '--json'], { cwd: clone, env: repo.env });
    expect(range.code, range.stdout + range.stderr).toBe(0);
  });

  it('rejects with a reason from the page; the change leaves the list', async () => {
    const cardB = (await cardIds()).find((c) => c.worktree === wtB)!;
    await openCard(cardB.id);
    await page.locator('#reason').fill('Split this into two changes, one rule each.');
    await page.locator('#reject').click();
    await expect.poll(async () => (await cardIds()).some((c) => c.id === cardB.id), { timeout: 45_000 }).toBe(false);
    const ledger = readFileSync(join(repo.commonDir(), 'agent-gates', 'ledger.jsonl'), 'utf8');
    expect(ledger).toContain('"event":"reject"');
    expect(ledger).toContain('Split this into two changes, one rule each.');
  });

  it('stops on Ctrl-C', async () => {
    server.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => (server.exitCode !== null ? resolve(server.exitCode) : server.once('exit', (c) => resolve(c))));
    expect(code).toBe(0);
    expect(serverOut).toContain('gate inbox: stopped (interrupted)');
  });

  it('stops by itself when no page connects; --web has no --json', async () => {
    const j = run(process.execPath, [gateBin, 'inbox', '--web', '--json'], { cwd: repo.dir, env: repo.env, timeout: 20_000 });
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).error.code).toBe('USAGE');
    // --open hands the link to the platform's opener (here a stand-in xdg-open that records it)
    const bin = makeTempDir('gate-opener-');
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${join(bin, 'opened')}'\n`, { mode: 0o755 });
    const r = run(process.execPath, [gateBin, 'inbox', '--web', '--open', '--idle', '0.01'], { cwd: repo.dir, env: { ...repo.env, PATH: `${bin}:${repo.env.PATH}` }, timeout: 20_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(readFileSync(join(bin, 'opened'), 'utf8'));
    expect(r.stdout).toMatch(/gate inbox: open http:\/\/localhost:\d+\/#/);
    expect(r.stdout).toContain('stopped (no page connected');
  });
});

// a test artefact directory must never be committed
it('keeps test-artifacts/ out of git', () => {
  expect(readFileSync(join(PKG_ROOT, '.gitignore'), 'utf8')).toMatch(/^test-artifacts\/$/m);
});
