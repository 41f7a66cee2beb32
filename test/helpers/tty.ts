/**
 * Drive a command in a real pseudo-terminal with tmux: its stdin and stdout are TTYs, so
 * interactive flows (`gate approve`) run exactly as they do for a person.
 *
 *   const t = startTty([process.execPath, GATE_BIN, 'approve'], { cwd: repo.dir, env: repo.env });
 *   const screen = await t.waitFor(/type ([A-Z0-9]{6})/);
 *   t.type('ABC123'); t.enter();
 *   const rc = await t.exitCode();
 *   t.kill();
 *
 * Each session gets its own tmux server (a private socket), started with the given environment,
 * so parallel tests never share state. Waits poll the screen until a pattern appears; the timeout
 * only bounds a hang, it asserts nothing about speed. The pane's output is also piped to a file
 * (tmux pipe-pane): a wait reads the screen (a tmux client process) when that file grew, and at
 * least every half second regardless, not every 50 ms while a slow command has printed nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface TtySession {
  /** The visible screen plus scrollback, as plain text. */
  screen(): string;
  /** Wait until the screen matches; returns the screen. Throws with the screen when it never does. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Type literal text (no Enter). */
  type(text: string): void;
  enter(): void;
  /** Send tmux key names, e.g. 'C-c', 'C-d'. */
  keys(...names: string[]): void;
  /** Whether the terminal bell (\a) rang since the session started (tmux's window_bell_flag). */
  bell(): boolean;
  /** Wait for the command to exit; its exit code. */
  exitCode(timeoutMs?: number): Promise<number>;
  kill(): void;
}

export function hasTmux(): boolean {
  return spawnSync('tmux', ['-V']).status === 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function startTty(argv: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; width?: number; height?: number }): TtySession {
  const dir = mkdtempSync(join(tmpdir(), 'gate-tty-'));
  const socket = `gate-tty-${process.pid}-${randomBytes(4).toString('hex')}`;
  const rcFile = join(dir, 'rc');
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env), TERM: 'xterm-256color' };
  delete env.TMUX;
  const tmux = (...args: string[]) => {
    const r = spawnSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { env, encoding: 'utf8' });
    if (r.error) throw r.error;
    return r;
  };
  // The exit marker is printed into the same terminal after the command's output, so once the
  // screen shows it, everything the command printed is on the screen too.
  const script = `cd ${shQuote(opts.cwd)} && ${argv.map(shQuote).join(' ')}; rc=$?; printf '\\n[tty-exit %s]\\n' "$rc"; echo "$rc" > ${shQuote(rcFile)}`;
  const r = tmux('new-session', '-d', '-s', 'main', '-x', String(opts.width ?? 200), '-y', String(opts.height ?? 50), 'sh', '-c', script);
  if (r.status !== 0) throw new Error(`tmux new-session failed: ${r.stderr}`);
  tmux('set-option', '-t', 'main', 'remain-on-exit', 'on');
  tmux('set-option', '-t', 'main', 'history-limit', '50000');
  // the pane's raw output, appended to a file whose size says when the screen may have changed
  const outFile = join(dir, 'out');
  tmux('pipe-pane', '-t', 'main', `cat >> ${shQuote(outFile)}`);
  const outSize = (): number => {
    try {
      return statSync(outFile).size;
    } catch {
      return -1;
    }
  };
  let dead = false;
  const session: TtySession = {
    screen() {
      const c = tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'main');
      return c.stdout ?? '';
    },
    async waitFor(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let seen = -2;
      let readAt = 0;
      for (;;) {
        // read the screen when the output grew since the last read, else every 500 ms (the pipe is only a hint)
        const size = outSize();
        if (size !== seen || Date.now() - readAt >= 500) {
          seen = size;
          readAt = Date.now();
          const s = session.screen();
          if (pattern.test(s)) return s;
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} on the terminal; screen:\n${session.screen()}`);
        await sleep(50);
      }
    },
    type(text) {
      tmux('send-keys', '-t', 'main', '-l', text);
    },
    enter() {
      tmux('send-keys', '-t', 'main', 'Enter');
    },
    bell() {
      return tmux('display-message', '-p', '-t', 'main', '#{window_bell_flag}').stdout.trim() === '1';
    },
    keys(...names) {
      tmux('send-keys', '-t', 'main', ...names);
    },
    async exitCode(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (existsSync(rcFile)) {
          const t = readFileSync(rcFile, 'utf8').trim();
          if (t !== '') {
            await session.waitFor(/\[tty-exit \d+\]/, Math.max(1000, deadline - Date.now()));
            return Number(t);
          }
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for the command to exit; screen:\n${session.screen()}`);
        await sleep(50);
      }
    },
    kill() {
      if (dead) return;
      dead = true;
      tmux('kill-server');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return session;
}
