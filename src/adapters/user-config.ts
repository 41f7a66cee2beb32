/**
 * The per-user config directory of agent-gates, outside every repository:
 * `$XDG_CONFIG_HOME/agent-gates` (default `~/.config/agent-gates`). Holds notify.yaml (where
 * notifications go), notify.log (their failures) and the small notification queue.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.config');
  return join(base, 'agent-gates');
}

export const NOTIFY_CONFIG = 'notify.yaml';
export const NOTIFY_LOG = 'notify.log';

export function notifyConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(userConfigDir(env), NOTIFY_CONFIG);
}

/** One stat: the hand-off from `gate explain` costs nothing more when nobody configured notifications. */
export function notifyConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return existsSync(notifyConfigPath(env));
}

export function readNotifyConfigText(): string | undefined {
  try {
    return readFileSync(notifyConfigPath(), 'utf8');
  } catch {
    return undefined;
  }
}

/** Append one line to notify.log (best effort: a log that cannot be written is not reported anywhere). */
export function logNotify(line: string, now: Date = new Date()): void {
  try {
    const dir = userConfigDir();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    appendFileSync(join(dir, NOTIFY_LOG), `${now.toISOString()} ${line.replace(/[\r\n]+/g, ' ')}\n`, { mode: 0o600 });
  } catch {
    /* nowhere left to say it */
  }
}
