import type { FileChange } from '../adapters/git.js';
import type { Finding } from './types.js';

export const SIDECAR_DIR = '.agents/gate-b/';

/** A staged file under .agents/gate-b/ blocks the commit: the sidecar cannot describe its own tree. */
export function stagedSidecars(changes: readonly FileChange[]): Finding[] {
  return changes
    .filter((c) => c.status !== 'D' && c.path.startsWith(SIDECAR_DIR))
    .map((c) => ({
      gate: 'B',
      code: 'B_SIDECAR_STAGED',
      severity: 'block' as const,
      path: c.path,
      message: `${c.path} is staged, but explain sidecars are never committed (a sidecar cannot be part of the tree it describes).`,
      fix: `git rm --cached -- '${c.path.replace(/'/g, `'\\''`)}' && echo '.agents/gate-b/' >> .gitignore`,
    }));
}
