/**
 * Where notifications leave the machine or reach the person: the detached hand-off from
 * `gate explain`, the desktop notifier (notify-send on Linux, osascript on macOS, when present),
 * an HTTP(S) POST of a JSON body, and the small queue that batches events between processes
 * (appends and drains under the mutex adapter; one sender at a time).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, unlinkSync, mkdirSync, appendFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { packageRoot } from './package-files.js';
import { notifyConfigured, userConfigDir } from './user-config.js';
import { withMutex } from './mutex.js';

/**
 * `gate explain` wrote an explanation: when (and only when) the per-user notify config exists,
 * start `gate notify --sidecar <file>` detached (its own process group, no stdio, not waited for),
 * so the agent's command is neither slowed nor failed by what the notification does.
 */
export function handOffNotification(sidecarAbs: string): boolean {
  if (!notifyConfigured()) return false;
  try {
    const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'gate.js'), 'notify', '--sidecar', sidecarAbs], { detached: true, stdio: 'ignore', env: process.env });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (d && existsSync(join(d, name))) return join(d, name);
  }
  return undefined;
}

/** The desktop notifier this machine has, if any. */
export function desktopNotifier(): { name: 'notify-send' | 'osascript'; path: string } | undefined {
  if (process.platform === 'darwin') {
    const p = onPath('osascript');
    return p ? { name: 'osascript', path: p } : undefined;
  }
  const p = onPath('notify-send');
  return p ? { name: 'notify-send', path: p } : undefined;
}

/** Show a desktop notification; undefined when shown or when there is no notifier, else why it failed. */
export function sendDesktop(title: string, body: string): string | undefined {
  const n = desktopNotifier();
  if (!n) return undefined;
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const args = n.name === 'osascript' ? ['-e', `display notification ${q(body)} with title ${q(title)}`] : ['--app-name=agent-gates', title, body];
  const r = spawnSync(n.path, args, { stdio: 'ignore', timeout: 10_000 });
  if (r.error) return `${n.name}: ${r.error.message}`;
  return r.status === 0 ? undefined : `${n.name} exited ${r.status ?? r.signal}`;
}

/** POST a JSON body; resolves with the HTTP status or the error (never rejects). */
export async function postJson(url: string, body: unknown, headers: Record<string, string>, timeoutMs = 10_000): Promise<{ ok: boolean; status?: number; error?: string }> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    const req = mod.request(u, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': String(data.length), 'user-agent': 'agent-gates' }, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ok: (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300, status: res.statusCode ?? 0 }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ ok: false, error: e.message }));
    req.end(data);
  });
}

const QUEUE = 'notify-queue.jsonl';
const SENDER = 'notify-sender';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Add an event to the queue. Returns true when this process becomes the sender of the batch (no
 * live sender is waiting); the sender drains the queue after the batch window.
 */
export async function enqueue(event: unknown): Promise<boolean> {
  const dir = userConfigDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const queue = join(dir, QUEUE);
  return withMutex(queue, () => {
    appendFileSync(queue, `${JSON.stringify(event)}\n`, { mode: 0o600 });
    const sender = join(dir, SENDER);
    let pid = 0;
    try {
      pid = Number(readFileSync(sender, 'utf8').trim());
    } catch {
      pid = 0;
    }
    if (pid > 0 && pid !== process.pid && processAlive(pid)) return false;
    writeFileSync(sender, String(process.pid), { mode: 0o600 });
    return true;
  }, { what: 'the notification queue', timeoutMs: 30_000 });
}

/** Take every queued event and give up the sender role (events after this start a new batch). */
export async function drain(): Promise<unknown[]> {
  const dir = userConfigDir();
  const queue = join(dir, QUEUE);
  return withMutex(queue, () => {
    let text = '';
    try {
      text = readFileSync(queue, 'utf8');
    } catch {
      text = '';
    }
    writeFileSync(queue, '', { mode: 0o600 });
    try {
      unlinkSync(join(dir, SENDER));
    } catch {
      /* already gone */
    }
    const out: unknown[] = [];
    for (const l of text.split('\n')) {
      if (!l.trim()) continue;
      try {
        out.push(JSON.parse(l));
      } catch {
        /* a torn line is dropped */
      }
    }
    return out;
  }, { what: 'the notification queue', timeoutMs: 30_000 });
}

/** Run `fn` as the only sender on this machine for this user (batches go out one at a time). */
export async function asSender<T>(fn: () => Promise<T>): Promise<T> {
  return withMutex(join(userConfigDir(), 'notify-send'), fn, { what: 'the notification sender', timeoutMs: 120_000 });
}
