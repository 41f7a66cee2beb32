/**
 * Where the repository is, and what HEAD is, read from the files git itself reads, without
 * starting git: every commit runs the hooks and agents call `gate lock` constantly, and each git
 * process costs ~3 ms there. Only for the one layout that leaves no doubt: the directory we run in
 * is a work tree's top level with its own `.git` (a directory, or a `gitdir:` file for linked
 * worktrees and submodules), owned by this user, with nothing in the environment or the config
 * that changes where git would look (GIT_WORK_TREE, a GIT_DIR other than the one `.git` leads to,
 * core.worktree, includes, reftable…).
 * On any doubt these functions return undefined and the caller asks git (`git rev-parse`), so a
 * layout this reader does not know costs time, never a wrong answer.
 * test/integration/git-files.test.ts compares every answer with git's own.
 */
import { existsSync, lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { RepoPaths } from '../kernel/changes.js';
import { OBJECT_ID } from '../kernel/ids.js';

const OID = OBJECT_ID;
/** Variables that move the repository, the work tree or the refs git reads. */
const MOVING_ENV = ['GIT_WORK_TREE', 'GIT_COMMON_DIR', 'GIT_NAMESPACE', 'GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT', 'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_SYSTEM', 'GIT_OBJECT_DIRECTORY'];
/** Config that moves the work tree or changes how refs are stored, or pulls in other files. */
const MOVING_CONFIG = /^\s*(?:worktree\s*=|bare\s*=\s*(?:true|yes|on|1)\b|\[\s*include|refstorage\s*=|worktreeconfig\s*=\s*(?:true|yes|on|1)\b)/im;

/** A file's text, or undefined when it is absent or unreadable (absent files are the common case: no throw). */
function read(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export interface FilesLocation {
  paths: RepoPaths;
  /** HEAD as read: a branch (`refs/heads/…`) or a detached commit. */
  head: { ref: string } | { commit: string };
}

/** The repository at `cwd` when `cwd` is a work tree's top level git would use; else undefined. */
export function locateFromFiles(cwd: string, env: NodeJS.ProcessEnv = process.env): FilesLocation | undefined {
  if (MOVING_ENV.some((k) => env[k] !== undefined)) return undefined;
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  try {
    const root = realpathSync.native(cwd);
    const dotGit = join(root, '.git');
    const st = lstatSync(dotGit);
    let gitDir: string;
    if (st.isDirectory()) gitDir = dotGit;
    else if (st.isFile()) {
      const m = /^gitdir: (.+?)\r?\n?$/.exec(readFileSync(dotGit, 'utf8'));
      if (!m) return undefined;
      gitDir = realpathSync.native(isAbsolute(m[1]!) ? m[1]! : resolve(root, m[1]!));
    } else return undefined;
    // git sets GIT_DIR for hooks run in a linked worktree. Without GIT_WORK_TREE (or
    // core.worktree, refused below) the work tree is then the current directory, so GIT_DIR
    // changes nothing when it names the very git dir `.git` leads to; any other value: ask git.
    if (env.GIT_DIR !== undefined && realpathSync.native(resolve(root, env.GIT_DIR)) !== gitDir) return undefined;
    if (statSync(gitDir).uid !== uid) return undefined;
    const commondir = read(join(gitDir, 'commondir'));
    const commonDir = commondir === undefined ? gitDir : realpathSync.native(resolve(gitDir, commondir.trim()));
    if (commonDir !== gitDir && statSync(commonDir).uid !== uid) return undefined;
    const config = read(join(commonDir, 'config'));
    if (config === undefined || MOVING_CONFIG.test(config)) return undefined;
    if (existsSync(join(gitDir, 'config.worktree'))) return undefined;
    const head = readHead(gitDir);
    if (!head) return undefined;
    return { paths: { root, gitDir, commonDir }, head };
  } catch {
    return undefined;
  }
}

/** `<gitDir>/HEAD`: a branch of refs/heads or a detached commit id; anything else undefined. */
export function readHead(gitDir: string): FilesLocation['head'] | undefined {
  const text = read(join(gitDir, 'HEAD'));
  if (text === undefined) return undefined;
  const line = text.replace(/\r?\n$/, '');
  if (OID.test(line)) return { commit: line };
  const m = /^ref: (refs\/heads\/\S+)$/.exec(line);
  // reftable repositories keep a placeholder here ("refs/heads/.invalid"): git must answer
  if (!m || m[1]!.includes('/.') || m[1]!.endsWith('.lock')) return undefined;
  return { ref: m[1]! };
}

type RefLookup = { found: true; commit: string } | { found: false } | undefined;

/** A ref's commit from its loose file or packed-refs; `{found:false}` when neither has it. */
export function readRef(commonDir: string, ref: string): RefLookup {
  const loose = read(join(commonDir, ref));
  if (loose !== undefined) {
    const v = loose.replace(/\r?\n$/, '');
    return OID.test(v) ? { found: true, commit: v } : undefined; // symbolic or odd: ask git
  }
  // a directory where the ref's file would be, or a missing one: look in packed-refs
  const packed = read(join(commonDir, 'packed-refs'));
  if (packed === undefined) return { found: false };
  for (const l of packed.split('\n')) {
    if (l === '' || l.startsWith('#') || l.startsWith('^')) continue;
    const sp = l.indexOf(' ');
    if (sp === -1 || !OID.test(l.slice(0, sp))) return undefined;
    if (l.slice(sp + 1) === ref) return { found: true, commit: l.slice(0, sp) };
  }
  return { found: false };
}

/**
 * HEAD's commit (undefined on an unborn branch), or `null` when the files leave any doubt.
 */
export function headCommitFromFiles(loc: FilesLocation): string | undefined | null {
  if ('commit' in loc.head) return loc.head.commit;
  const r = readRef(loc.paths.commonDir, loc.head.ref);
  if (r === undefined) return null;
  return r.found ? r.commit : undefined;
}

/**
 * The short branch name `git symbolic-ref --short HEAD` prints, or null when git must answer:
 * git shortens `refs/heads/x` to `x` only when no other ref `x` could mean (refs/x, refs/tags/x,
 * refs/remotes/x, refs/remotes/x/HEAD, or a top-level `x` in the git dir), so any of those
 * existing, loose or packed, sends the question to git.
 */
export function shortBranchFromFiles(paths: RepoPaths): string | undefined | null {
  const head = readHead(paths.gitDir);
  if (!head) return null;
  if ('commit' in head) return undefined; // detached: no branch
  const name = head.ref.slice('refs/heads/'.length);
  const rivals = [name, `refs/${name}`, `refs/tags/${name}`, `refs/remotes/${name}`, `refs/remotes/${name}/HEAD`];
  for (const r of rivals) {
    for (const dir of new Set([paths.gitDir, paths.commonDir])) {
      try {
        lstatSync(join(dir, r));
        return null;
      } catch {
        /* absent: fine */
      }
    }
  }
  const packed = read(join(paths.commonDir, 'packed-refs'));
  if (packed !== undefined && rivals.slice(1).some((r) => packed.includes(` ${r}\n`) || packed.endsWith(` ${r}`))) return null;
  return name;
}
