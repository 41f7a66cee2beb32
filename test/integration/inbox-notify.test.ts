/**
 * Notifications when an agent writes an explanation (issue 17), through a real HTTP receiver on
 * loopback and the real detached `gate notify` child that `gate explain` starts: batching, min_tier,
 * no secrets in the body, `gate explain` unaffected when the receiver is down, and configuration
 * only from the per-user config dir (a repository's own files never configure it). `gate doctor
 * --json`, and the explanation that must notify no one, run in process (repo.gateIn); every
 * explanation that notifies runs the built CLI.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TempRepo } from '../helpers/repo.js';

let repo: TempRepo;
let server: Server;
let url: string;
const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let n = 0;

const cfgDir = () => join(repo.home, '.config', 'agent-gates');
function userConfig(yaml: string): void {
  mkdirSync(cfgDir(), { recursive: true });
  writeFileSync(join(cfgDir(), 'notify.yaml'), yaml);
}

/** A new worktree with a staged change under rules/ (CONFIRM) or .github/workflows/ (DOUBLE_CONFIRM), explained by an agent. */
async function explainIn(tier: 'CONFIRM' | 'DOUBLE_CONFIRM', intent: string, how: 'in' | 'real' = 'real'): Promise<{ dir: string; code: number; stdout: string; stderr: string }> {
  const dir = join(repo.dir, '..', `wt${++n}`);
  repo.gitOk('worktree', 'add', '-q', '-b', `wt${n}`, dir);
  const path = tier === 'CONFIRM' ? `rules/r${n}.md` : `.github/workflows/w${n}.yml`;
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), `DIFF-CONTENT-MARKER ${n}\nline two\n`);
  repo.gitOk('-C', dir, 'add', path);
  const args = ['explain', '--intent', intent, '--alternative', 'none', '--blast-radius', 'small', '--reversibility', 'full', '--rollback', 'git revert'];
  const opts = { cwd: dir, env: { GATE_SESSION: 'agent-notify', SECRET_ENV: 'ENV-SECRET-VALUE' } };
  const r = await repo.gateIn(args, { ...opts, binary: how === 'real' });
  return { dir, ...r };
}

async function until<T>(what: string, fn: () => T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

beforeAll(async () => {
  repo = makeRepo({ files: { 'rules/a.md': 'a\n', 'README.md': '# r\n' } });
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/SECRET-PATH`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('notifications from gate explain', { timeout: 180_000 }, () => {
  it("ignores a repository's own files: without the per-user config nothing is sent and gate doctor says off", async () => {
    const planted = `webhook: {url: "${url}"}\nbatch_seconds: 0\n`;
    repo.write('notify.yaml', planted);
    repo.write('.agents/notify.yaml', planted);
    repo.write('.config/agent-gates/notify.yaml', planted);
    const r = await explainIn('CONFIRM', 'planted config', 'in');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(repo.gate(['doctor', '--json']).stdout); // the file's --json output through the binary once
    expect(doc.checks.find((c: any) => c.id === 'notify')).toMatchObject({ status: 'ok', message: expect.stringContaining('off') });
    expect(existsSync(cfgDir())).toBe(false);
    // the next configured notification goes out alone: nothing of the planted one was queued
    userConfig(`webhook:\n  url: ${url}\nbatch_seconds: 0\n`);
    await explainIn('CONFIRM', 'after the user config');
    const got = await until('one webhook request', () => received[0]);
    expect(JSON.parse(got.body).cards.map((c: any) => c.intent)).toEqual(['after the user config']);
    await sleep(500);
    expect(received).toHaveLength(1);
    received.splice(0);
  });

  it('batches explanations within batch_seconds into one message, with the card summary and no secrets', async () => {
    userConfig(`desktop: true\nwebhook:\n  url: ${url}\n  headers: {Authorization: "Bearer SECRET-TOKEN"}\nmin_tier: CONFIRM\nbatch_seconds: 1\n`);
    // a live sender holds the batch (this test process): both explanations only queue, whatever the machine's speed
    const queue = join(cfgDir(), 'notify-queue.jsonl');
    writeFileSync(join(cfgDir(), 'notify-sender'), String(process.pid));
    const a = await explainIn('CONFIRM', 'first of the batch');
    const b = await explainIn('DOUBLE_CONFIRM', 'second of the batch');
    expect([a.code, b.code]).toEqual([0, 0]);
    await until('two queued cards', () => (existsSync(queue) && readFileSync(queue, 'utf8').trim().split('\n').length === 2) || undefined);
    expect(received).toHaveLength(0);
    // the held sender goes away: the next explanation's child becomes the sender and sends the whole batch
    rmSync(join(cfgDir(), 'notify-sender'));
    await explainIn('CONFIRM', 'third of the batch');
    const got = await until('the batched webhook request', () => received[0]);
    await sleep(500);
    expect(received).toHaveLength(1);
    expect(got.headers.authorization).toBe('Bearer SECRET-TOKEN');
    expect(got.headers['content-type']).toBe('application/json');
    const body = JSON.parse(got.body);
    expect(body).toMatchObject({ source: 'agent-gates', event: 'approval-requested', count: 3 });
    expect(body.cards.map((c: any) => c.intent).sort()).toEqual(['first of the batch', 'second of the batch', 'third of the batch']);
    const c = body.cards.find((x: any) => x.tier === 'DOUBLE_CONFIRM');
    expect(c).toMatchObject({ repo: 'repo', worktree: b.dir.replace(/\/repo\/\.\.\//, '/'), branch: expect.stringMatching(/^wt\d+$/), paths: [expect.stringMatching(/^\.github\/workflows\/w\d+\.yml$/)], diffstat: { files: 1, added: 2, removed: 0 }, asker: { kind: 'agent', id: 'agent-notify' } });
    expect(c.approve).toMatch(/^gate inbox approve [0-9a-f]{8}/);
    expect(body.text).toContain('gate inbox approve');
    for (const secret of ['DIFF-CONTENT-MARKER', 'ENV-SECRET-VALUE', 'SECRET-TOKEN', 'SECRET-PATH', 'line two']) expect(got.body).not.toContain(secret);
    // no desktop notifier on this machine: skipped silently (nothing logged)
    expect(existsSync(join(cfgDir(), 'notify.log')) ? readFileSync(join(cfgDir(), 'notify.log'), 'utf8') : '').not.toContain('desktop');
    received.splice(0);
  });

  it('sends nothing below min_tier', async () => {
    userConfig(`webhook: {url: "${url}"}\nmin_tier: DOUBLE_CONFIRM\nbatch_seconds: 0\n`);
    await explainIn('CONFIRM', 'below the line');
    await until('the logged skip', () => (existsSync(join(cfgDir(), 'notify.log')) && readFileSync(join(cfgDir(), 'notify.log'), 'utf8').includes('not sent: below min_tier DOUBLE_CONFIRM')) || undefined);
    await explainIn('DOUBLE_CONFIRM', 'above the line');
    const got = await until('the webhook request', () => received[0]);
    await sleep(500);
    expect(received).toHaveLength(1);
    expect(JSON.parse(got.body).cards.map((c: any) => c.intent)).toEqual(['above the line']);
    received.splice(0);
  });

  it('gate explain is unaffected when the receiver is down; the failure goes to notify.log, not to the agent', async () => {
    const down = url.replace(/:\d+\//, ':9/');
    userConfig(`webhook: {url: "${down}"}\nbatch_seconds: 0\n`);
    const r = await explainIn('CONFIRM', 'nobody listens');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('wrote .agents/gate-b/explain-');
    const log = await until('the logged failure', () => {
      const p = join(cfgDir(), 'notify.log');
      const t = existsSync(p) ? readFileSync(p, 'utf8') : '';
      return t.includes('webhook') ? t : undefined;
    });
    expect(log).toContain('webhook http://127.0.0.1:9 failed');
    expect(log).not.toContain('SECRET-PATH');
    // an invalid config is logged too, and explain still succeeds
    userConfig('webhook: {url: "ftp://nope"}\n');
    expect((await explainIn('CONFIRM', 'bad config')).code).toBe(0);
    await until('the logged config problem', () => readFileSync(join(cfgDir(), 'notify.log'), 'utf8').includes('notify.yaml is invalid') || undefined);
    const doc = JSON.parse((await repo.gateIn(['doctor', '--json'])).stdout);
    expect(doc.checks.find((c: any) => c.id === 'notify')).toMatchObject({ status: 'warn', details: [expect.stringContaining('webhook.url')] });
  });
});
