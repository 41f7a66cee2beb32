/**
 * Adapter: notice when an agent writes or withdraws an explanation (issue 17's live page). Watches
 * each worktree's `.agents/gate-b/` with fs.watch where the platform has it, and re-reads the
 * directory listing every `pollMs` as a backstop (a directory that does not exist yet, a network
 * file system, an editor's rename dance). `onChange` fires once per change of the listing (names,
 * sizes, modification times), debounced, never for a listing that is the same as the last one.
 */
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { SIDECAR_DIR } from '../kernel/paths.js';

export interface SidecarWatcher {
  close(): void;
}

function signature(dir: string): string {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return '-';
  }
  const parts: string[] = [];
  for (const n of names) {
    try {
      const s = statSync(join(dir, n));
      parts.push(`${n}:${s.size}:${s.mtimeMs}`);
    } catch {
      /* vanished between the listing and the stat */
    }
  }
  return parts.join('|');
}

export function watchSidecars(roots: () => readonly string[], onChange: () => void, opts: { pollMs?: number; debounceMs?: number } = {}): SidecarWatcher {
  const pollMs = opts.pollMs ?? 2000;
  const debounceMs = opts.debounceMs ?? 150;
  const last = new Map<string, string>();
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const check = (): void => {
    if (closed) return;
    let changed = false;
    const seen = new Set<string>();
    for (const root of roots()) {
      const dir = join(root, SIDECAR_DIR);
      seen.add(dir);
      const sig = signature(dir);
      if (last.get(dir) !== sig) {
        if (last.has(dir)) changed = true;
        last.set(dir, sig);
      }
      if (!watchers.has(dir) && sig !== '-') {
        try {
          const w = watch(dir, { persistent: false }, () => schedule());
          w.on('error', () => {
            w.close();
            watchers.delete(dir);
          });
          watchers.set(dir, w);
        } catch {
          /* polling covers it */
        }
      }
    }
    for (const dir of [...last.keys()]) {
      if (!seen.has(dir)) {
        last.delete(dir);
        watchers.get(dir)?.close();
        watchers.delete(dir);
        changed = true;
      }
    }
    if (changed) onChange();
  };
  const schedule = (): void => {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      check();
    }, debounceMs);
    timer.unref();
  };
  check();
  const poll = setInterval(check, pollMs);
  poll.unref();
  return {
    close() {
      closed = true;
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
