import type { FileChange } from '../kernel/changes.js';
import type { Finding } from '../kernel/findings.js';
import { SIDECAR_IGNORE } from '../kernel/paths.js';



/** A staged file under .agents/gate-b/ blocks the commit: the sidecar cannot describe its own tree. */
export function stagedSidecars(changes: readonly FileChange[]): Finding[] {
  return changes
    .filter((c) => c.status !== 'D' && c.path.startsWith(SIDECAR_IGNORE))
    .map((c) => ({
      gate: 'B',
      code: 'B_SIDECAR_STAGED',
      severity: 'block' as const,
      path: c.path,
      message: `${c.path} is staged, but explain sidecars are never committed (a sidecar cannot be part of the tree it describes).`,
      fix: `git rm --cached -- '${c.path.replace(/'/g, `'\\''`)}' && echo '${SIDECAR_IGNORE}' >> .gitignore`,
    }));
}
