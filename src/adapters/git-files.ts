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
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
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

/** A stage-0 index entry for a regular file: its blob id and mode (0o100644 or 0o100755). */
export interface IndexEntry {
  oid: string;
  mode: number;
}

/**
 * The entry of `path` in an index file, read without git (ADR 0025), or undefined on any doubt:
 * a format other than versions 2 to 4 with SHA-1 ids, a truncated file, no entry or more than
 * one (a conflict), extended flags (intent-to-add, skip-worktree), anything other than a regular
 * file, or (when the walk reaches them) a required extension (`link`: split index, `sdir`: sparse
 * index, or any other lower-case one). An index git would refuse to read (a wrong checksum,
 * unsorted entries, an extension it does not know) never reaches a commit, so neither does an
 * entry read from one.
 */
export function indexEntryFromFile(indexFile: string, path: string): IndexEntry | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(indexFile);
  } catch {
    return undefined;
  }
  return indexEntryFromBytes(buf, Buffer.from(path, 'utf8'));
}

const HASH = 20; // SHA-1 ids only: a sha256 repository's index is refused by its header size checks below

/**
 * indexEntryFromFile on the index's bytes. Every commit runs this, so the walk stops at the first
 * name past the wanted one (the index is sorted) and allocates nothing per entry; version 4's
 * prefix-compressed names are rebuilt in one scratch buffer. Only a walk that reaches the end
 * reads the extensions; a split index (whose entries partly live in a shared index) is refused by
 * headAndIndexFromFiles, which sees its shared index file.
 */
export function indexEntryFromBytes(buf: Buffer, want: Buffer): IndexEntry | undefined {
  if (buf.length < 12 + HASH || buf.toString('latin1', 0, 4) !== 'DIRC' || want.length === 0) return undefined;
  const version = buf.readUInt32BE(4);
  if (version < 2 || version > 4) return undefined;
  const count = buf.readUInt32BE(8);
  const end = buf.length - HASH;
  const wantLen = want.length;
  const first = want[0]!;
  let scratch = version === 4 ? Buffer.alloc(4096) : undefined;
  let prevLen = 0;
  let pos = 12;
  let found: IndexEntry | undefined;
  let matches = 0;
  for (let i = 0; i < count; i++) {
    const start = pos;
    if (pos + 62 > end) return undefined;
    const flags = (buf[pos + 60]! << 8) | buf[pos + 61]!;
    const extended = (flags & 0x4000) !== 0;
    if (extended && version < 3) return undefined;
    pos += extended ? 64 : 62;
    let order: number; // this entry's name against the wanted one
    if (scratch !== undefined) {
      // version 4: strip N bytes from the previous name, then a NUL-terminated suffix
      let c = buf[pos++]!;
      let strip = c & 127;
      while (c & 128) {
        if (pos >= end || strip > 0xffffff) return undefined;
        c = buf[pos++]!;
        strip = ((strip + 1) << 7) | (c & 127);
      }
      const nul = buf.indexOf(0, pos);
      if (strip > prevLen || nul === -1 || nul >= end) return undefined;
      const keep = prevLen - strip;
      const len = keep + (nul - pos);
      if (len > scratch.length) scratch = Buffer.concat([scratch, Buffer.alloc(len)]);
      buf.copy(scratch, keep, pos, nul);
      prevLen = len;
      pos = nul + 1;
      order = scratch[0] !== first ? scratch[0]! - first : scratch.compare(want, 0, wantLen, 0, len);
    } else {
      const len = flags & 0xfff;
      const nul = len === 0xfff ? buf.indexOf(0, pos + len) : pos + len;
      if (nul === -1 || nul >= end || buf[nul] !== 0) return undefined;
      order = buf[pos] !== first ? buf[pos]! - first : buf.compare(want, 0, wantLen, pos, nul);
      // 1 to 8 NUL bytes pad the entry to a multiple of 8
      pos = start + ((nul - start + 8) & ~7);
      if (pos > end) return undefined;
    }
    // entries are sorted by name (git refuses an index that is not), then by stage: past the
    // wanted name, nothing later can be it
    if (order > 0) return matches === 1 ? found : undefined;
    if (order === 0) {
      matches++;
      const mode = buf.readUInt32BE(start + 24);
      const stage = (flags >> 12) & 3;
      if (stage === 0 && !extended && (mode === 0o100644 || mode === 0o100755)) found = { oid: buf.toString('hex', start + 40, start + 40 + HASH), mode };
    }
  }
  // extensions: a 4-byte signature and a 32-bit size each, up to the checksum
  while (pos < end) {
    if (pos + 8 > end) return undefined;
    const sig = buf[pos]!;
    if (sig >= 0x61 && sig <= 0x7a) return undefined; // required (link, sdir, ...): git's view differs from the entries
    pos += 8 + buf.readUInt32BE(pos + 4);
  }
  if (pos !== end) return undefined;
  return matches === 1 ? found : undefined;
}

/**
 * HEAD's commit and the active index file, for reading an index entry without git: the
 * conditions of locateFromFiles, a born HEAD, SHA-1 objects, no split or sparse index, and no
 * replace refs or grafts (which would change what `<commit>:<path>` names); else undefined.
 */
export function headAndIndexFromFiles(cwd: string, env: NodeJS.ProcessEnv = process.env): { paths: RepoPaths; head: string; indexFile: string } | undefined {
  if (env.GIT_REPLACE_REF_BASE !== undefined || env.GIT_INDEX_VERSION !== undefined) return undefined;
  const loc = locateFromFiles(cwd, env);
  if (!loc) return undefined;
  const head = headCommitFromFiles(loc);
  if (!head) return undefined;
  const { commonDir, gitDir } = loc.paths;
  const config = read(join(commonDir, 'config'));
  if (config === undefined || /^\s*(?:objectformat|splitindex|sparse)\s*=/im.test(config)) return undefined;
  if (existsSync(join(commonDir, 'info', 'grafts'))) return undefined;
  try {
    if (readdirSync(join(commonDir, 'refs', 'replace')).length > 0) return undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
  }
  const packed = read(join(commonDir, 'packed-refs'));
  if (packed !== undefined && packed.includes(' refs/replace/')) return undefined;
  const idx = env.GIT_INDEX_FILE;
  const indexFile = idx ? resolve(cwd, idx) : join(gitDir, 'index');
  // a split index keeps entries in `sharedindex.<id>` beside it (the file outlives
  // --no-split-index for a while: git answers until then)
  try {
    if (readdirSync(dirname(indexFile)).some((n) => n.startsWith('sharedindex.'))) return undefined;
    if (dirname(indexFile) !== gitDir && readdirSync(gitDir).some((n) => n.startsWith('sharedindex.'))) return undefined;
  } catch {
    return undefined;
  }
  return { paths: loc.paths, head, indexFile };
}
