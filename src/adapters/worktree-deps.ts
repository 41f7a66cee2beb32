/**
 * Dependencies in worktrees `gate task start` makes (issue 14): without `node_modules` the Claude
 * Code hook cannot find `gate` and the project's lint-staged tasks fail. The new worktree gets a
 * symbolic link to the main worktree's `node_modules` (instant, offline, the same lockfile the
 * branch forked from; a task that changes dependencies runs its package manager there, which
 * replaces the link). The link is excluded in the clone's info/exclude when the project's
 * .gitignore would not ignore it (`node_modules/` matches directories only, not a link).
 */
import { appendFileSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface DepsState {
  /** 'dir': its own node_modules; 'link': a link to the main worktree's; 'missing'; 'none-needed': no package.json. */
  state: 'dir' | 'link' | 'missing' | 'broken-link' | 'none-needed';
  target?: string;
}

export function depsState(root: string): DepsState {
  if (!existsSync(join(root, 'package.json'))) return { state: 'none-needed' };
  const p = join(root, 'node_modules');
  try {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) {
      try {
        return { state: 'link', target: realpathSync(p) };
      } catch {
        return { state: 'broken-link' };
      }
    }
    return st.isDirectory() ? { state: 'dir' } : { state: 'missing' };
  } catch {
    return { state: 'missing' };
  }
}

/** Link `newRoot/node_modules` to `mainRoot/node_modules`; returns what was done (undefined: nothing to do). */
export function linkNodeModules(mainRoot: string, newRoot: string, commonDir: string, isIgnored: (path: string) => boolean): string | undefined {
  const from = join(mainRoot, 'node_modules');
  if (!existsSync(from) || depsState(newRoot).state !== 'missing') return undefined;
  symlinkSync(from, join(newRoot, 'node_modules'), 'dir');
  if (!isIgnored('node_modules')) {
    const exclude = join(commonDir, 'info', 'exclude');
    mkdirSync(dirname(exclude), { recursive: true });
    const text = existsSync(exclude) ? readFileSync(exclude, 'utf8') : '';
    if (!/^\/?node_modules$/m.test(text)) appendFileSync(exclude, `${text && !text.endsWith('\n') ? '\n' : ''}# agent-gates: task worktrees link the main worktree's node_modules\n/node_modules\n`);
  }
  return `linked ${join(newRoot, 'node_modules')} → ${from}`;
}
