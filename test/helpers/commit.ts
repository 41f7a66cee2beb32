/**
 * `git commit` with the gate hooks' verdicts in process: what a repository whose pre-commit and
 * post-commit hooks run `gate check --hook <name>` (makeRepo's `hooks`, or the plain scripts the
 * Gate B tests write) does on `git commit`, without a node process per hook.
 *
 * The pre-commit's verdict comes from its CLI glue in process (checkHookResult, the exit code and
 * the stderr `gate check --hook pre-commit` prints), under the repository's environment; when it
 * blocks, git makes no commit and says nothing more (-q), so neither does this. Otherwise the real
 * `git commit` runs with the hooks switched off (core.hooksPath names no directory), then the
 * post-commit's glue in process, as git would run it after the commit (its exit code does not
 * change git's). Use it where the test is not about the hook's process (each test file keeps real
 * hook commits for its exit-code classes); `verify: false` is `git commit --no-verify` (no
 * pre-commit; the post-commit still runs).
 */
import { checkHookResult } from '../../src/cli/fast/hook.js';
import { withEnv } from './range.js';
import type { RunResult, TempRepo } from './repo.js';

/** The stderr `gate check --hook <hook>` prints for this verdict. */
async function hookIn(repo: TempRepo, hook: 'pre-commit' | 'post-commit', cwd: string): Promise<{ code: number; stderr: string }> {
  const r = await withEnv(repo.env, () => checkHookResult(hook, { cwd }));
  const err = r.errText === undefined ? '' : [r.errText].flat().join('\n');
  return { code: r.code, stderr: err.length && !err.endsWith('\n') ? `${err}\n` : err };
}

/**
 * `git commit <args>` (default `-q -m change`) in `repo` (or `opts.cwd`, one of its worktrees),
 * with the pre-commit and post-commit verdicts in process. Only for commits of the index as it
 * is: no `-a`, no pathspec, no --amend (git builds another index or rewrites a commit there, and
 * those tests run the real hooks).
 */
export async function commitIn(repo: TempRepo, args: readonly string[] = ['-q', '-m', 'change'], opts: { verify?: boolean; cwd?: string } = {}): Promise<RunResult> {
  const cwd = opts.cwd ?? repo.dir;
  if (args.some((a) => a === '-a' || a === '--all' || a === '--amend' || a === '--' || a === '--no-verify' || a === '-n')) {
    throw new Error(`commitIn: ${args.join(' ')} is not a commit of the index as it is`);
  }
  let stderr = '';
  if (opts.verify !== false) {
    const pre = await hookIn(repo, 'pre-commit', cwd);
    if (pre.code !== 0) return { code: 1, stdout: '', stderr: pre.stderr };
    stderr += pre.stderr;
  }
  const c = repo.git('-C', cwd, '-c', 'core.hooksPath=/dev/null', 'commit', ...(opts.verify === false ? ['--no-verify'] : []), ...args);
  if (c.code !== 0) return { code: c.code, stdout: c.stdout, stderr: stderr + c.stderr };
  const post = await hookIn(repo, 'post-commit', cwd);
  return { code: 0, stdout: c.stdout, stderr: stderr + c.stderr + post.stderr };
}
