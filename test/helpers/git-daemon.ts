/**
 * `git daemon` on the loopback interface for tests of git:// remotes. `git daemon` runs git-daemon as
 * a child process of its own, so killing the process `spawn` returns leaves the daemon serving, an
 * orphan, after the test file ends: the daemon here leads its own process group, and stopping it
 * kills the group and waits until no process serves the directory any more.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export function startGitDaemon(base: string, port: number, env?: NodeJS.ProcessEnv, extra: readonly string[] = []): ChildProcess {
  return spawn('git', ['daemon', '--reuseaddr', `--base-path=${base}`, '--export-all', '--enable=receive-pack', '--listen=127.0.0.1', `--port=${port}`, ...extra, base], { stdio: 'ignore', env, detached: true });
}

/** Pids of the processes whose command line has `--base-path=<base>`. */
export function daemonsServing(base: string): number[] {
  const needle = `--base-path=${base}\0`;
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'latin1').includes(needle)) pids.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Kill the daemon's process group; throws when a process still serves `base` after 5 s. */
export async function stopGitDaemon(daemon: ChildProcess | undefined, base: string): Promise<void> {
  if (daemon?.pid) {
    try {
      process.kill(-daemon.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }
  for (let i = 0; i < 100; i++) {
    if (daemonsServing(base).length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`git daemon still serving ${base} after it was stopped: pids ${daemonsServing(base).join(', ')}`);
}
