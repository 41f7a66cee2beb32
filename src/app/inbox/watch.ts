/**
 * `gate inbox --watch`: the listing again whenever an explanation appears, changes or goes, or a
 * worktree's index changes (a card turns stale), through the directory watcher adapter (fs.watch
 * with a polling fallback). Each update says which cards are new since the previous one and need
 * a person (pending, current, CONFIRM or above): the view rings the bell for those.
 */
import { join } from 'node:path';
import type { Ctx } from '../context.js';
import { watchDirs } from '../../adapters/watch.js';
import { listDir, realPath } from '../../adapters/files.js';
import { SIDECAR_DIR } from '../../kernel/paths.js';
import { inboxListing, type InboxCard, type InboxListing } from './list.js';

export interface InboxUpdate {
  listing: InboxListing;
  /** Cards not in the previous update that wait for a person now (none on the first update). */
  fresh: InboxCard[];
}

export interface InboxWatch {
  close(): void;
}

export function needsPerson(c: InboxCard): boolean {
  return c.state === 'pending' && c.current && c.tier !== 'AUTO';
}

/** The directories whose change can change the listing: each worktree's sidecar dir, the git dirs (index writes). */
function watchedDirs(ctx: Ctx): string[] {
  const dirs = new Set<string>([ctx.paths.commonDir, join(ctx.paths.commonDir, 'worktrees')]);
  for (const n of safeList(join(ctx.paths.commonDir, 'worktrees'))) dirs.add(join(ctx.paths.commonDir, 'worktrees', n));
  try {
    for (const w of ctx.git.worktrees()) {
      if (w.bare || w.prunable) continue;
      dirs.add(join(w.path, SIDECAR_DIR));
    }
  } catch {
    dirs.add(join(ctx.paths.root, SIDECAR_DIR));
  }
  return [...dirs].map(realOr);
}

function realOr(d: string): string {
  try {
    return realPath(d);
  } catch {
    return d;
  }
}

function safeList(d: string): string[] {
  try {
    return listDir(d);
  } catch {
    return [];
  }
}

export async function watchInbox(ctx: Ctx, opts: { all?: boolean; pollMs?: number; onUpdate: (u: InboxUpdate) => void; onError?: (e: unknown) => void }): Promise<InboxWatch> {
  let seen: Set<string> | undefined;
  let dirs = watchedDirs(ctx);
  const update = async (): Promise<void> => {
    try {
      const listing = await inboxListing(ctx, { all: Boolean(opts.all) });
      const fresh = seen ? listing.cards.filter((c) => needsPerson(c) && !seen!.has(c.id)) : [];
      seen = new Set(listing.cards.filter(needsPerson).map((c) => c.id));
      opts.onUpdate({ listing, fresh });
    } catch (e) {
      opts.onError?.(e);
    }
  };
  await update();
  const sidecarDirs = (): Set<string> => new Set(dirs.filter((d) => d.endsWith(SIDECAR_DIR)));
  // git's worktrees/ holds one directory per linked worktree, each watched on its own: there only a
  // worktree added or removed counts. An entry's mtime moves with every index.lock git takes in it,
  // reads included (write-tree), so the page's own fetches would wake the watcher, which tells the
  // page, which fetches again: a loop that kept the server, git and the browser busy
  let worktreesDir = realOr(join(ctx.paths.commonDir, 'worktrees'));
  let own = sidecarDirs();
  let n = 0;
  const w = watchDirs({
    // worktrees come and go: ask git again every 5th check
    dirs: () => {
      if (++n % 5 === 0) {
        dirs = watchedDirs(ctx);
        own = sidecarDirs();
        worktreesDir = realOr(join(ctx.paths.commonDir, 'worktrees'));
      }
      return dirs;
    },
    onChange: update,
    // reading the inbox refreshes the indexes (git dirs); only the sidecar directories are never written by it
    settles: (d) => !own.has(d),
    namesOnly: (d) => d === worktreesDir,
    ...(opts.pollMs ? { pollMs: opts.pollMs } : {}),
  });
  return { close: () => w.close() };
}
