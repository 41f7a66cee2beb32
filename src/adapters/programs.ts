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
