/**
 * Housekeeping of `.agents/gate-b/explain-<tree>.yaml` (issue 14): old explanations pile up. An
 * explanation is removed once its tree is committed (a commit holds exactly that tree) or it is
 * abandoned (untouched for longer than approval.max_age: any approval in it has expired). The one
 * for the staged tree is never touched. Best effort: a file that cannot be removed stays.
 */
import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SIDECAR_DIR, SIDECAR_NAME } from '../kernel/paths.js';

export interface SidecarFile {
  name: string;
  tree: string;
  mtimeMs: number;
}

export function listSidecars(root: string): SidecarFile[] {
  const dir = join(root, SIDECAR_DIR);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: SidecarFile[] = [];
  for (const name of names) {
    const m = SIDECAR_NAME.exec(name);
    if (!m) continue;
    try {
      out.push({ name, tree: m[1]!, mtimeMs: statSync(join(dir, name)).mtimeMs });
    } catch {
      /* vanished */
    }
  }
  return out;
}

/** Remove the named sidecars; returns the repository-relative paths removed. */
export function removeSidecars(root: string, names: readonly string[]): string[] {
  const removed: string[] = [];
  for (const name of names) {
    try {
      unlinkSync(join(root, SIDECAR_DIR, name));
      removed.push(`${SIDECAR_DIR}/${name}`);
    } catch {
      /* best effort */
    }
  }
  return removed;
}
