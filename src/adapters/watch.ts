/**
 * Watching a few directories for change (`gate inbox --watch`): node's fs.watch on each directory
 * for a prompt wake-up, and a polling fallback that compares a signature of the directories
 * (entry names and modification times) on an interval, for file systems where fs.watch misses
 * events or is not supported. Either way `onChange` runs at most once per settle period, only
 * when the signature changed. Missing directories are simply part of the signature.
 */
import { watch, readdirSync, statSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export interface DirWatcher {
  close(): void;
}

export interface WatchOptions {
  /** The directories to watch, asked again at every check (worktrees come and go). */
  dirs: () => readonly string[];
  onChange: () => void | Promise<void>;
  /** Polling interval (ms), default 1000. */
  pollMs?: number;
  /** fs.watch can be turned off (the polling fallback alone), e.g. on network file systems. */
  native?: boolean;
  /**
   * Directories that `onChange` itself may touch (git refreshes an index it reads): their state
   * after `onChange` is taken as the new baseline, so the watcher does not wake itself up.
   */
  settles?: (dir: string) => boolean;
  /**
   * Directories whose entries count by name alone (added or removed), not by their mtimes: for a
   * directory of directories that are watched on their own (git's `worktrees/`), where an entry's
   * mtime moves whenever git creates and removes a lock file inside it, even for a read.
   */
  namesOnly?: (dir: string) => boolean;
}

/** Entry names with their mtimes and sizes, or the names alone (a missing directory reads as absent). */
export function dirSignature(d: string, namesOnly = false): string {
  let names: string[];
  try {
    names = readdirSync(d).sort();
  } catch {
    return '-';
  }
  if (namesOnly) return names.join('|');
  return names
    .map((n) => {
      try {
        const st = statSync(join(d, n));
        return `${n}@${st.mtimeMs}:${st.size}`;
      } catch {
        return `${n}@gone`;
      }
    })
    .join('|');
}

function signatures(dirs: readonly string[], namesOnly: (dir: string) => boolean): Map<string, string> {
  return new Map(dirs.map((d) => [d, dirSignature(d, namesOnly(d))]));
}

function same(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

export function watchDirs(opts: WatchOptions): DirWatcher {
  const pollMs = opts.pollMs ?? 1000;
  const watchers = new Map<string, FSWatcher>();
  const namesOnly = opts.namesOnly ?? (() => false);
  let last = signatures(opts.dirs(), namesOnly);
  let closed = false;
  let running = false;
  let again = false;
  const check = async (): Promise<void> => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        const dirs = opts.dirs();
        if (opts.native !== false) rewatch(dirs);
        const sig = signatures(dirs, namesOnly);
        if (!same(sig, last)) {
          last = sig;
          await opts.onChange();
          if (opts.settles) for (const d of dirs) if (opts.settles(d)) last.set(d, dirSignature(d, namesOnly(d)));
        }
      } while (again && !closed);
    } finally {
      running = false;
    }
  };
  const rewatch = (dirs: readonly string[]): void => {
    const want = new Set(dirs);
    for (const [d, w] of watchers) {
      if (!want.has(d)) {
        w.close();
        watchers.delete(d);
      }
    }
    for (const d of dirs) {
      if (watchers.has(d)) continue;
      try {
        const w = watch(d, { persistent: false }, () => void check());
        w.on('error', () => {
          w.close();
          watchers.delete(d);
        });
        watchers.set(d, w);
      } catch {
        /* missing or unsupported: polling covers it */
      }
    }
  };
  if (opts.native !== false) rewatch(opts.dirs());
  const timer = setInterval(() => void check(), pollMs);
  return {
    close() {
      closed = true;
      clearInterval(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
