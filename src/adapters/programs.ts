/**
 * Adapter: running a program the repository installed (husky in a new task worktree) and
 * reporting how it exited. Git and ssh-keygen have their own adapters.
 */
import { spawnSync } from 'node:child_process';

/** Run `bin` with `args` in `cwd`; its exit status (null when it could not run or was killed). */
export function runProgram(bin: string, args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): number | null {
  const r = spawnSync(bin, args as string[], { cwd: opts.cwd, env: opts.env, encoding: 'utf8' });
  return r.status;
}

/**
 * Open `url` in the person's browser (`gate inbox --web --open`): xdg-open, open (macOS) or
 * start (Windows), detached, its output discarded. False when no opener could be started.
 */
export async function openInBrowser(url: string): Promise<boolean> {
  const { spawn } = await import('node:child_process');
  const [bin, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  return new Promise((resolve) => {
    try {
      const child = spawn(bin, args, { stdio: 'ignore', detached: true });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}
