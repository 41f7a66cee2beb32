/**
 * The config in force (issue 14): the strictest of the config committed at HEAD, the staged one
 * (the active index: GIT_INDEX_FILE is honoured) and the working tree's, so an unstaged or staged
 * edit of `.agents/gates.yaml` can add gates but never lower one before a commit carries it past
 * the gates (ADR 0012's "strictest of" rule, applied to the commit path).
 *
 * - HEAD's and the index's blobs are read with ONE `git cat-file --batch`; each text is parsed
 *   through the content-addressed config cache (config-file.ts), and identical texts only once.
 * - Without git at all (ADR 0025) in the common case, where the three are one text: the index
 *   entry's blob id (read from the index file, git-files.ts) is the blob id HEAD's commit names
 *   for the config, and that blob's text equals the working-tree file's bytes (content, never
 *   stat data); both remembered from an earlier `cat-file`, keyed by the commit id, which fixes
 *   them for good. Then the index's and HEAD's texts ARE the file's bytes. Any other case, or any
 *   doubt, asks git.
 * - A working-tree file that is invalid fails closed (CONFIG_INVALID), as before; one that is
 *   missing contributes nothing (HEAD's and the index's still hold).
 * - A staged config that is invalid fails closed: it is what the commit would carry.
 * - HEAD's config, when invalid, counts as the built-in defaults (the floor configAt uses), but
 *   the same invalid text staged or in the working tree still fails closed.
 * - No config anywhere: CONFIG_MISSING once `gate init` ran, else the defaults.
 */
import { existsSync, readFileSync } from 'node:fs';
import { OBJECT_ID } from '../kernel/ids.js';
import { indexEntryFromFile } from './git-files.js';
import { writeFileAtomic } from './files.js';
import { join } from 'node:path';
import { GateError } from '../kernel/errors.js';
import { defaultConfig, type GatesConfig } from '../schema/config/defaults.js';
import { strictestOf } from '../gates/config-diff.js';
import { profiled } from '../kernel/profile.js';
import { CONFIG_PATH, parseConfigCached, type LoadedConfig } from './config-file.js';
import type { Git } from './git.js';

export interface ConfigSources {
  head?: Buffer;
  index?: Buffer;
  work?: Buffer;
}

/**
 * `<state dir>/cache/head-config.json`: for a few recent commits (most recent first), the blob id
 * of the config at that commit and that blob's text, as one `git cat-file` printed them for
 * `<commit>:.agents/gates.yaml`. A commit id fixes its tree and so this answer for good (replace
 * refs and grafts send readConfigSources to git), so an entry is never stale; a missing,
 * unreadable or odd file is a miss. Holding the text lets the working-tree file be compared byte
 * for byte instead of hashed (node:crypto costs a commit more than the git process it saves).
 * Same trust boundary as the parse cache beside it (ADR 0006): the state dir belongs to the user.
 */
const HEAD_CACHE_ENTRIES = 8;
interface HeadEntry {
  commit: string;
  blob: string;
  text: string;
}
const headCachePath = (stateDir: string): string => join(stateDir, 'cache', 'head-config.json');

function readHeadCache(stateDir: string): HeadEntry[] {
  try {
    const v: unknown = JSON.parse(readFileSync(headCachePath(stateDir), 'utf8'));
    if (!Array.isArray(v)) return [];
    return v.filter((e: Partial<HeadEntry> | null): e is HeadEntry => typeof e?.commit === 'string' && typeof e.blob === 'string' && typeof e.text === 'string' && OBJECT_ID.test(e.commit) && OBJECT_ID.test(e.blob));
  } catch {
    return [];
  }
}

function rememberHead(stateDir: string, entry: HeadEntry): void {
  const entries = readHeadCache(stateDir);
  const first = entries[0];
  if (first && first.commit === entry.commit && first.blob === entry.blob && first.text === entry.text) return;
  const next = [entry, ...entries.filter((e) => e.commit !== entry.commit)].slice(0, HEAD_CACHE_ENTRIES);
  try {
    writeFileAtomic(headCachePath(stateDir), JSON.stringify(next), undefined, { fsync: false });
  } catch {
    /* a cache that cannot be written only costs time */
  }
}

/**
 * The three texts of `.agents/gates.yaml` (absent ones undefined): none or one git process for
 * two. `stateDir` enables the no-git case (see the header); without it git is always asked.
 */
export function readConfigSources(git: Git, root: string, stateDir?: string): ConfigSources {
  const path = join(root, CONFIG_PATH);
  let work: Buffer | undefined;
  if (existsSync(path)) work = readFileSync(path);
  const files = stateDir !== undefined ? git.headAndIndexFromFiles() : undefined;
  if (files && work && stateDir !== undefined && files.paths.root === root) {
    const cached = readHeadCache(stateDir).find((e) => e.commit === files.head);
    // HEAD's blob is the index entry's, and that blob's text is the file's bytes: one text, three places
    if (cached && work.equals(Buffer.from(cached.text, 'utf8')) && indexEntryFromFile(files.indexFile, CONFIG_PATH)?.oid === cached.blob) {
      return { head: work, index: work, work };
    }
  }
  // HEAD by the commit id just read, when known: the blob remembered is then that commit's
  const specs = [`${files?.head ?? 'HEAD'}:${CONFIG_PATH}`, `:${CONFIG_PATH}`];
  const objects = git.readObjects(specs);
  const blob = (s: string): Buffer | undefined => {
    const o = objects.get(s);
    return o && o.type === 'blob' ? o.body : undefined;
  };
  const head = blob(specs[0]!);
  const index = blob(specs[1]!);
  if (files && head && stateDir !== undefined) {
    const oid = objects.get(specs[0]!)!.oid;
    const text = head.toString('utf8');
    // only text that survives the round trip through JSON as UTF-8 (else: no entry, git each time)
    if (OBJECT_ID.test(oid) && Buffer.from(text, 'utf8').equals(head)) rememberHead(stateDir, { commit: files.head, blob: oid, text });
  }
  return { ...(head ? { head } : {}), ...(index ? { index } : {}), ...(work ? { work } : {}) };
}

export async function configInForce(
  sources: ConfigSources,
  root: string,
  stateDir: string,
  initialised: boolean,
  opts: { cache?: boolean } = {},
): Promise<LoadedConfig> {
  const path = join(root, CONFIG_PATH);
  const parsed: Array<{ bytes: Buffer; config: GatesConfig; invalid?: true }> = [];
  const parse = async (bytes: Buffer | undefined, label: string, onInvalid: 'throw' | 'defaults'): Promise<void> => {
    if (!bytes) return;
    // identical texts are parsed once, except that HEAD's invalid text standing in as the defaults
    // never excuses the same invalid text staged or in the working tree: that fails closed
    const seen = parsed.find((p) => p.bytes.equals(bytes));
    if (seen && !(seen.invalid && onInvalid === 'throw')) return;
    try {
      parsed.push({ bytes, config: (await parseConfigCached(bytes, stateDir, label, opts)).config });
    } catch (e) {
      if (onInvalid === 'throw' || !(e instanceof GateError)) throw e;
      parsed.push({ bytes, config: defaultConfig(), invalid: true });
    }
  };
  // order matters only for what cannot be merged: HEAD's first, then the index's, then the file's
  await parse(sources.head, `${CONFIG_PATH} at HEAD`, 'defaults');
  await parse(sources.index, `${CONFIG_PATH} (staged)`, 'throw');
  await parse(sources.work, CONFIG_PATH, 'throw');
  if (parsed.length === 0) {
    if (initialised) {
      throw new GateError('CONFIG_MISSING', `${CONFIG_PATH} is missing (at HEAD, in the index and in the working tree), but \`gate init\` ran in this repository: the gates will not guess.`, {
        fix: 'restore it with `git checkout -- .agents/gates.yaml`, or recreate it with `gate init`',
      });
    }
    return { config: defaultConfig(), source: 'defaults', path };
  }
  return { config: strictestOf(parsed.map((p) => p.config)), source: 'file', path };
}

/** readConfigSources + configInForce: what `ctx.config()` returns. */
export async function loadConfigInForce(git: Git, root: string, stateDir: string, initialised: boolean, opts: { cache?: boolean } = {}): Promise<LoadedConfig> {
  // git phase (when git is asked); { cache: false } also skips the remembered HEAD blob ids
  const sources = readConfigSources(git, root, opts.cache === false ? undefined : stateDir);
  return profiled('config', () => configInForce(sources, root, stateDir, initialised, opts));
}
