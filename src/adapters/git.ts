/**
 * The one module that runs git. Synchronous child processes on purpose: the hot path runs a
 * handful of short git commands and an event loop buys nothing there.
 *
 * Rules: every exit code is checked; stderr on success is ignored (git warns on success);
 * every path list uses -z; GIT_INDEX_FILE is honoured (git sets it for `commit -a` and
 * `commit <path>`), resolved against the directory the hook started in.
 */
import { isAbsolute, resolve } from 'node:path';
import { GateError } from '../kernel/errors.js';
import { profiled } from '../kernel/profile.js';
import { headAndIndexFromFiles, headCommitFromFiles, locateFromFiles, shortBranchFromFiles } from './git-files.js';
import type { ChangeStatus, FileChange, CommitInfo, RepoPaths } from '../kernel/changes.js';
import { EMPTY_TREE } from '../kernel/ids.js';

export const EMPTY_TREE_SHA256 = '6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321';
export const NOTES_REF = 'refs/notes/agent-gates';

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
  /** Set when `timeoutMs` ran out and git was killed (code is then 124). */
  timedOut?: boolean;
}

export interface WorktreeInfo {
  path: string;
  head?: string;
  branch?: string;
  bare: boolean;
  detached: boolean;
  locked: boolean;
  prunable: boolean;
}

function gitEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const idx = env.GIT_INDEX_FILE;
  if (idx && !isAbsolute(idx)) env.GIT_INDEX_FILE = resolve(process.cwd(), idx);
  return env;
}

export class Git {
  readonly cwd: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(cwd: string, env: NodeJS.ProcessEnv = gitEnv()) {
    this.cwd = cwd;
    // git's real objects, never a `git replace` substitute: a replace ref is one local command away
    // for an agent, and would let it show gate a different commit, tree or allowed_signers
    this.env = { ...env, GIT_NO_REPLACE_OBJECTS: '1' };
  }

  /** Run git; never throws on a non-zero exit (see `run` for the checked form). */
  exec(args: readonly string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): GitResult {
    // loaded on first use: `gate lock` usually answers from git's files without starting git
    const r = profiled('git', () => process.getBuiltinModule('node:child_process').spawnSync('git', args as string[], {
      cwd: this.cwd,
      env: opts.env ? { ...this.env, ...opts.env } : this.env,
      input: opts.input,
      maxBuffer: 1024 * 1024 * 1024,
      windowsHide: true,
      ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs, killSignal: 'SIGKILL' as const } : {}),
    }));
    if (r.error && opts.timeoutMs !== undefined && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
      return { code: 124, stdout: r.stdout ?? Buffer.alloc(0), stderr: r.stderr?.toString('utf8') ?? '', timedOut: true };
    }
    if (r.error) {
      const code = (r.error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new GateError('TOOL_MISSING', 'git was not found on PATH, so no gate can be evaluated.', {
          fix: 'install git (2.31 or newer) and make sure it is on PATH',
        });
      }
      throw new GateError('GIT_FAILED', `could not run git ${args[0]}: ${r.error.message}`, { cause: r.error });
    }
    return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
  }

  /** Run git and return stdout; a non-zero exit is CANNOT_EVALUATE naming the command. */
  run(args: readonly string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Buffer {
    const r = this.exec(args, opts);
    if (r.code !== 0) {
      throw new GateError('GIT_FAILED', `git ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim() || 'no message'}`);
    }
    return r.stdout;
  }

  text(args: readonly string[], opts: { input?: string | Buffer } = {}): string {
    return this.run(args, opts).toString('utf8').replace(/\n$/, '');
  }

  /** Locate the repository; NOT_A_REPO when cwd is not inside a work tree. */
  paths(): RepoPaths {
    return this.locate(false).paths;
  }

  /**
   * `paths()` and HEAD's commit id (undefined on an unborn branch) from ONE git process: the
   * commit hooks need both, and every process they start is paid for on every commit.
   */
  pathsAndHead(): { paths: RepoPaths; head: string | undefined } {
    return this.locate(true);
  }

  private locate(withHead: boolean): { paths: RepoPaths; head: string | undefined } {
    // From git's own files when the layout leaves no doubt (adapters/git-files.ts); else git.
    const files = locateFromFiles(this.cwd, this.env);
    if (files) {
      const head = withHead ? headCommitFromFiles(files) : undefined;
      if (head !== null) return { paths: files.paths, head };
    }
    const args = ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-dir', '--git-common-dir'];
    // --verify --quiet: exit 1 (after printing the three paths) when HEAD names no commit yet
    if (withHead) args.push('--verify', '--quiet', 'HEAD^{commit}');
    const r = this.exec(args);
    if (r.code !== 0 && !(withHead && r.code === 1)) {
      throw new GateError('NOT_A_REPO', `${this.cwd} is not inside a git work tree.`, {
        fix: 'cd into your repository (or run `git init`) and try again',
      });
    }
    const [root, gitDir, commonDir, head] = r.stdout.toString('utf8').trimEnd().split('\n');
    if (!root || !gitDir || !commonDir) {
      throw new GateError('NOT_A_REPO', `${this.cwd} is not inside a git work tree (bare repository?).`, {
        fix: 'run gate from inside a checked-out work tree',
      });
    }
    return { paths: { root, gitDir, commonDir }, head: withHead && r.code === 0 && head ? head.trim() : undefined };
  }

  /** The tree the next commit would have: `git write-tree` on the active index. */
  writeTree(): string {
    return this.text(['write-tree']);
  }

  /**
   * HEAD's commit id, or undefined on an unborn branch. From git's own files when the layout
   * leaves no doubt (as `pathsAndHead` does; adapters/git-files.ts), else one git process.
   */
  head(): string | undefined {
    const files = locateFromFiles(this.cwd, this.env);
    if (files) {
      const head = headCommitFromFiles(files);
      if (head !== null) return head;
    }
    const r = this.exec(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
    return r.code === 0 ? r.stdout.toString('utf8').trim() : undefined;
  }

  revParse(rev: string): string | undefined {
    const r = this.exec(['rev-parse', '--verify', '--quiet', '--end-of-options', rev]);
    return r.code === 0 ? r.stdout.toString('utf8').trim() : undefined;
  }

  /**
   * Staged changes: index vs HEAD (vs the empty tree before the first commit). Pass `base` when
   * HEAD (or EMPTY_TREE) is already known, to save a git process.
   */
  stagedChanges(base: string = this.head() ?? EMPTY_TREE): FileChange[] {
    return parseRawNumstat(this.run([...DIFF_FLAGS, '--cached', this.treeish(base)]));
  }

  /** Changes between two tree-ishes (commits or trees). */
  diffTrees(from: string, to: string): FileChange[] {
    return parseRawNumstat(this.run([...DIFF_FLAGS, this.treeish(from), this.treeish(to)]));
  }

  private objectFormat: 'sha1' | 'sha256' | undefined;

  /** The repository's empty tree id (asks git for the object format once, only when needed). */
  emptyTree(): string {
    if (!this.objectFormat) {
      const r = this.exec(['rev-parse', '--show-object-format']);
      this.objectFormat = r.code === 0 && r.stdout.toString('utf8').trim() === 'sha256' ? 'sha256' : 'sha1';
    }
    return this.objectFormat === 'sha256' ? EMPTY_TREE_SHA256 : EMPTY_TREE;
  }

  private treeish(id: string): string {
    return id === EMPTY_TREE ? this.emptyTree() : id;
  }

  /** Raw bytes of a blob, or undefined when it does not exist. */
  readBlob(spec: string): Buffer | undefined {
    const r = this.exec(['cat-file', 'blob', spec]);
    return r.code === 0 ? r.stdout : undefined;
  }

  /** Raw bytes of several blobs with one `cat-file --batch`; missing ids are absent from the map. */
  readBlobs(ids: readonly string[]): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    for (const [id, o] of this.readObjects(ids)) if (o.type === 'blob') out.set(id, o.body);
    return out;
  }

  /**
   * HEAD's commit and the active index file (GIT_INDEX_FILE honoured) from git's files, when they
   * leave no doubt (adapters/git-files.ts); else undefined and the caller asks git.
   */
  headAndIndexFromFiles(): ReturnType<typeof headAndIndexFromFiles> {
    return headAndIndexFromFiles(this.cwd, this.env);
  }

  /** Several objects (any type) with one `cat-file --batch`; missing ids are absent from the map. */
  readObjects(ids: readonly string[]): Map<string, GitObject> {
    const want = [...new Set(ids)];
    if (want.length === 0) return new Map();
    return parseCatFileBatch(this.run(['cat-file', '--batch'], { input: `${want.join('\n')}\n` }), want);
  }

  /** The staged blob id of a path (stage 0), or undefined when it is not in the index. */
  stagedBlob(path: string): string | undefined {
    const out = this.run(['ls-files', '-s', '-z', '--', path]).toString('utf8');
    const m = /^\d+ ([0-9a-f]+) 0\t/.exec(out);
    return m ? m[1] : undefined;
  }

  configGet(key: string): string | undefined {
    const r = this.exec(['config', '--get', key]);
    return r.code === 0 ? r.stdout.toString('utf8').trim() : undefined;
  }

  configSet(key: string, value: string, scope: '--local' | '--worktree' = '--local'): void {
    this.run(['config', scope, key, value]);
  }

  worktrees(): WorktreeInfo[] {
    return parseWorktreeList(this.run(['worktree', 'list', '--porcelain', '-z']));
  }

  currentBranch(): string | undefined {
    const files = locateFromFiles(this.cwd, this.env);
    const short = files ? shortBranchFromFiles(files.paths) : null;
    if (short !== null) return short;
    const r = this.exec(['symbolic-ref', '--quiet', '--short', 'HEAD']);
    return r.code === 0 ? r.stdout.toString('utf8').trim() : undefined;
  }

  userEmail(): string | undefined {
    return this.configGet('user.email');
  }

  userName(): string | undefined {
    return this.configGet('user.name');
  }

  /** Attach (replace) a note on a commit under refs/notes/agent-gates. */
  addNote(commit: string, body: string, ref = NOTES_REF): void {
    this.run(['notes', '--ref', ref, 'add', '-f', '-F', '-', commit], { input: body });
  }

  /** Append a document to a commit's note (a blank line between; the note readers split documents). */
  appendNote(commit: string, body: string, ref = NOTES_REF): void {
    this.run(['notes', '--ref', ref, 'append', '-F', '-', commit], { input: body });
  }

  readNote(commit: string, ref = NOTES_REF): string | undefined {
    const r = this.exec(['notes', '--ref', ref, 'show', commit]);
    return r.code === 0 ? r.stdout.toString('utf8') : undefined;
  }

  /**
   * Commits of a rev-list selection with tree, parents, commit time and subject, in the order
   * given by `extra` (e.g. ['--topo-order', '--reverse'] for parents before children).
   */
  commitInfos(revs: readonly string[], extra: readonly string[] = []): CommitInfo[] {
    const out = this.run(['log', '--no-color', '-z', '--format=%H%x1f%T%x1f%P%x1f%ct%x1f%s', ...extra, '--end-of-options', ...revs, '--']).toString('utf8');
    const infos: CommitInfo[] = [];
    for (const rec of out.split('\0')) {
      const r = rec.replace(/^\n/, '');
      if (!r) continue;
      const [commit, tree, parents, time, subject] = r.split('\x1f') as [string, string, string, string, string];
      infos.push({ commit, tree, parents: parents ? parents.split(' ') : [], time: Number(time) * 1000, subject: subject ?? '' });
    }
    return infos;
  }

  /** commit → note blob for every note under `ref` (empty when the ref does not exist). */
  notesMap(ref = NOTES_REF): Map<string, string> {
    const out = this.text(['notes', '--ref', ref, 'list']);
    const map = new Map<string, string>();
    for (const line of out.split('\n')) {
      const [blob, commit] = line.trim().split(' ');
      if (blob && commit) map.set(commit, blob);
    }
    return map;
  }

  /** Every tracked path in the index of this worktree (`ls-files -z`). */
  lsFiles(): string[] {
    return this.run(['-c', 'core.quotePath=false', 'ls-files', '-z']).toString('utf8').split('\0').filter((p) => p.length > 0);
  }

  /** The blob id of a path in a commit or tree, or undefined when the path is absent there. */
  blobAt(treeish: string, path: string): string | undefined {
    const r = this.exec(['rev-parse', '--verify', '--quiet', `${treeish}:${path}`]);
    return r.code === 0 ? r.stdout.toString('utf8').trim() : undefined;
  }

  /** Commits in a range, oldest first. */
  revList(range: string, extra: readonly string[] = []): string[] {
    const out = this.text(['rev-list', '--reverse', ...extra, range]);
    return out ? out.split('\n') : [];
  }

  /**
   * The root commit on `rev`'s first-parent chain (clone-independent repository identity for
   * signed approvals); undefined when `rev` does not name a commit.
   */
  firstParentRoot(rev: string): string | undefined {
    const r = this.exec(['rev-list', '--first-parent', '--max-parents=0', '--end-of-options', rev]);
    if (r.code !== 0) return undefined;
    const roots = r.stdout.toString('utf8').trim().split('\n').filter(Boolean);
    return roots.length === 1 ? roots[0] : undefined;
  }

  /** Every value of a multi-valued config key (empty when unset). */
  configGetAll(key: string): string[] {
    const r = this.exec(['config', '--get-all', key]);
    if (r.code === 1) return [];
    if (r.code !== 0) throw new GateError('GIT_FAILED', `git config --get-all ${key} failed (exit ${r.code}): ${r.stderr.trim()}`);
    return r.stdout.toString('utf8').split('\n').filter((l) => l !== '');
  }

  /** Add one more value to a multi-valued key in the repository's config. */
  configAdd(key: string, value: string): void {
    this.run(['config', '--local', '--add', key, value]);
  }

  /** `git rev-parse --git-path <name>`, absolute (honours core.hooksPath for "hooks"). */
  gitPath(name: string): string {
    const p = this.text(['rev-parse', '--git-path', name]);
    return isAbsolute(p) ? p : resolve(this.cwd, p);
  }

  /** Whether git ignores a (repository-relative) path, by any ignore rule. */
  isIgnored(path: string): boolean {
    const r = this.exec(['check-ignore', '-q', '--no-index', '--', path]);
    if (r.code === 0) return true;
    if (r.code === 1) return false;
    throw new GateError('GIT_FAILED', `git check-ignore ${path} failed (exit ${r.code}): ${r.stderr.trim()}`);
  }

  /** Refs under the given prefixes (e.g. refs/heads) with the commit they point at. */
  refTips(prefixes: readonly string[]): Array<{ ref: string; commit: string }> {
    const out = this.text(['for-each-ref', '--format=%(objectname) %(refname)', ...prefixes]);
    return out
      ? out.split('\n').map((l) => {
          const sp = l.indexOf(' ');
          return { commit: l.slice(0, sp), ref: l.slice(sp + 1) };
        })
      : [];
  }

  /** Paths of the entries directly inside `dir` in a tree-ish (`ls-tree -z --name-only`). */
  lsTreeDir(treeish: string, dir: string): string[] {
    const spec = dir === '.' || dir === '' ? [] : [`${dir}/`];
    return this.run(['-c', 'core.quotePath=false', 'ls-tree', '-z', '--name-only', '--end-of-options', treeish, '--', ...spec])
      .toString('utf8')
      .split('\0')
      .filter((p) => p.length > 0);
  }

  /** Index entries directly inside `dir` (honours GIT_INDEX_FILE): mode, blob, stage, path. */
  indexEntries(dir: string): Array<{ mode: string; blob: string; stage: number; path: string }> {
    const spec = dir === '.' || dir === '' ? [] : [`${dir}/`];
    const out: Array<{ mode: string; blob: string; stage: number; path: string }> = [];
    for (const rec of this.run(['-c', 'core.quotePath=false', 'ls-files', '-s', '-z', '--', ...spec]).toString('utf8').split('\0')) {
      const m = /^(\d+) ([0-9a-f]+) (\d)\t(.*)$/s.exec(rec);
      if (m) out.push({ mode: m[1]!, blob: m[2]!, stage: Number(m[3]), path: m[4]! });
    }
    return out;
  }

  /**
   * Every commit reachable from `rev` that touched `pathspec`, oldest first (topological), with
   * its raw changes (no rename detection: a rename is a delete plus an add). Merge commits are
   * diffed against their first parent, so an edit made while resolving a merge is seen too.
   */
  pathHistory(rev: string, pathspec: readonly string[]): Array<{ commit: string; changes: Array<{ status: string; path: string; oldMode: string; newMode: string; oldBlob: string; newBlob: string }> }> {
    const buf = this.run([
      '-c',
      'core.quotePath=false',
      'log',
      '--no-color',
      '--reverse',
      '--topo-order',
      '-z',
      '--no-renames',
      '--raw',
      '--no-abbrev',
      '--diff-merges=first-parent',
      '--format=%x01%H',
      '--end-of-options',
      rev,
      '--',
      ...pathspec,
    ]);
    const commits: Array<{ commit: string; changes: Array<{ status: string; path: string; oldMode: string; newMode: string; oldBlob: string; newBlob: string }> }> = [];
    const parts = splitZ(buf);
    for (let i = 0; i < parts.length; i++) {
      const tok = parts[i]!.replace(/^\n/, '');
      if (tok.startsWith('\x01')) {
        commits.push({ commit: tok.slice(1).trim(), changes: [] });
      } else if (tok.startsWith(':') && commits.length) {
        const [oldMode, newMode, oldBlob, newBlob, status] = tok.slice(1).split(' ') as [string, string, string, string, string];
        commits[commits.length - 1]!.changes.push({ status: status[0]!, path: parts[i + 1]!, oldMode, newMode, oldBlob, newBlob });
        i += 1;
      }
    }
    return commits;
  }

  /** Blob ids the given working-tree files would have (`hash-object`, with the repo's filters). */
  /**
   * `git diff-tree --stdin` for many commits in one process: each line is "<commit> <parent>"
   * (the commit against that parent) or "<commit>" (a root, against the empty tree). No rename
   * detection. One record per line, in order (see parseDiffTreeBatch).
   */
  diffTreeBatch(lines: readonly string[]): Buffer {
    if (lines.length === 0) return Buffer.alloc(0);
    return this.run(
      ['-c', 'core.quotePath=false', 'diff-tree', '--stdin', '-r', '-z', '--root', '--always', '--no-renames', '--no-ext-diff', '--no-textconv', '--raw', '--numstat', '--full-index', '--abbrev=40'],
      { input: `${lines.join('\n')}\n` },
    );
  }

  /** Every entry of a tree-ish, recursively: path → mode and object id (`ls-tree -r -z --full-tree`). */
  lsTreeAll(treeish: string): Map<string, { mode: string; blob: string }> {
    const out = new Map<string, { mode: string; blob: string }>();
    const buf = this.run(['-c', 'core.quotePath=false', 'ls-tree', '-r', '-z', '--full-tree', treeish]);
    for (const rec of splitZ(buf)) {
      if (!rec) continue;
      const tab = rec.indexOf('\t');
      const [mode, , id] = rec.slice(0, tab).split(' ') as [string, string, string];
      out.set(rec.slice(tab + 1), { mode, blob: id });
    }
    return out;
  }

  hashFiles(paths: readonly string[]): string[] {
    if (paths.length === 0) return [];
    return this.text(['hash-object', '--', ...paths]).split('\n');
  }
}

const DIFF_FLAGS = [
  '-c',
  'core.quotePath=false',
  'diff',
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  '--ignore-submodules=none',
  '-z',
  '-M',
  '--raw',
  '--numstat',
  '--abbrev=40',
  '--full-index',
] as const;

/**
 * Parse `git diff -z --raw --numstat` output. Raw records come first
 * (":oldmode newmode oldblob newblob STATUS\0path\0[path2\0]"), then numstat records
 * ("added\tdeleted\tpath\0" or, for renames, "added\tdeleted\t\0old\0new\0").
 */
/** One object as `git cat-file --batch` prints it. */
export interface GitObject {
  /** The object's id as git printed it. */
  oid: string;
  type: string;
  body: Buffer;
}

/** Parse `git cat-file --batch` output for `ids` (asked in that order); "<id> missing" is skipped. */
export function parseCatFileBatch(buf: Buffer, ids: readonly string[]): Map<string, GitObject> {
  const out = new Map<string, GitObject>();
  let pos = 0;
  for (const id of ids) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl === -1) break;
    const header = buf.toString('utf8', pos, nl);
    pos = nl + 1;
    const m = /^([0-9a-f]+) (\w+) (\d+)$/.exec(header);
    if (!m) continue; // "<id> missing"
    const size = Number(m[3]);
    out.set(id, { oid: m[1]!, type: m[2]!, body: buf.subarray(pos, pos + size) });
    pos += size + 1;
  }
  return out;
}

/**
 * NUL-separated git output (paths as raw bytes) split into strings. A path that is not valid UTF-8
 * keeps every byte that does not decode as a lone surrogate U+DC00+byte ("surrogateescape"), which no
 * valid UTF-8 decodes to: two paths that differ only in such bytes stay two paths (decoding both to
 * U+FFFD made one governed path's approved or carved-out change stand for the other's).
 */
export function splitZ(buf: Buffer): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const end = buf.indexOf(0, start);
    out.push(decodePathBytes(end === -1 ? buf.subarray(start) : buf.subarray(start, end)));
    if (end === -1) return out;
    start = end + 1;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes to a string, escaping bytes that are not part of valid UTF-8 as U+DC00+byte. */
export function decodePathBytes(b: Buffer): string {
  const s = b.toString('utf8');
  if (!s.includes('\uFFFD')) return s;
  let out = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    let ch: string | undefined;
    if (len > 0 && i + len <= b.length) {
      try {
        ch = strictUtf8.decode(b.subarray(i, i + len));
      } catch {
        ch = undefined;
      }
    }
    if (ch === undefined) {
      out += String.fromCharCode(0xdc00 + c);
      i += 1;
    } else {
      out += ch;
      i += len;
    }
  }
  return out;
}

export function parseRawNumstat(buf: Buffer): FileChange[] {
  const parts = splitZ(buf);
  const changes: FileChange[] = [];
  let i = 0;
  while (i < parts.length && parts[i]!.startsWith(':')) {
    const meta = parts[i]!.slice(1).split(' ');
    const [oldMode, newMode, oldBlob, newBlob, statusField] = meta as [string, string, string, string, string];
    const status = statusField[0] as ChangeStatus;
    const score = statusField.length > 1 ? Number(statusField.slice(1)) : undefined;
    if (status === 'R' || status === 'C') {
      const change: FileChange = { status, oldPath: parts[i + 1]!, path: parts[i + 2]!, oldMode, newMode, oldBlob, newBlob };
      if (score !== undefined) change.similarity = score;
      changes.push(change);
      i += 3;
    } else {
      changes.push({ status, path: parts[i + 1]!, oldMode, newMode, oldBlob, newBlob });
      i += 2;
    }
  }
  // numstat records, in the same order as the raw records
  let k = 0;
  while (i < parts.length && k < changes.length) {
    const rec = parts[i]!;
    if (rec === '') {
      i += 1;
      continue;
    }
    const tab1 = rec.indexOf('\t');
    const tab2 = rec.indexOf('\t', tab1 + 1);
    const a = rec.slice(0, tab1);
    const d = rec.slice(tab1 + 1, tab2);
    const pathPart = rec.slice(tab2 + 1);
    const ch = changes[k]!;
    if (a !== '-') ch.added = Number(a);
    if (d !== '-') ch.deleted = Number(d);
    i += pathPart === '' ? 3 : 1; // rename: old and new path follow as separate fields
    k += 1;
  }
  return changes;
}

export function parseWorktreeList(buf: Buffer): WorktreeInfo[] {
  const out: WorktreeInfo[] = [];
  let cur: WorktreeInfo | undefined;
  for (const field of buf.toString('utf8').split('\0')) {
    if (field === '') {
      if (cur) out.push(cur);
      cur = undefined;
      continue;
    }
    const sp = field.indexOf(' ');
    const key = sp === -1 ? field : field.slice(0, sp);
    const val = sp === -1 ? '' : field.slice(sp + 1);
    if (key === 'worktree') {
      if (cur) out.push(cur);
      cur = { path: val, bare: false, detached: false, locked: false, prunable: false };
    } else if (cur) {
      if (key === 'HEAD') cur.head = val;
      else if (key === 'branch') cur.branch = val.replace(/^refs\/heads\//, '');
      else if (key === 'bare') cur.bare = true;
      else if (key === 'detached') cur.detached = true;
      else if (key === 'locked') cur.locked = true;
      else if (key === 'prunable') cur.prunable = true;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * Convenience for callers that want a Git rooted at the repository top level. With
 * `{ head: true }` it also returns HEAD's commit as read in the same git process (a snapshot).
 */
/**
 * The variables that tie git to one repository (`git rev-parse --local-env-vars`, git 2.39). A
 * process started inside a hook, or by an agent's shell, may carry them for ITS worktree; reading
 * another worktree of the clone with them would read this worktree's index or git dir instead.
 */
const LOCAL_REPO_ENV = [
  'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_CONFIG', 'GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT', 'GIT_OBJECT_DIRECTORY',
  'GIT_DIR', 'GIT_WORK_TREE', 'GIT_IMPLICIT_WORK_TREE', 'GIT_GRAFT_FILE', 'GIT_INDEX_FILE', 'GIT_NO_REPLACE_OBJECTS',
  'GIT_REPLACE_REF_BASE', 'GIT_PREFIX', 'GIT_INTERNAL_SUPER_PREFIX', 'GIT_SHALLOW_FILE', 'GIT_COMMON_DIR',
] as const;

/** This process's environment without the variables that point git at one repository (for another worktree). */
export function otherWorktreeEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const k of LOCAL_REPO_ENV) delete env[k];
  for (const k of Object.keys(env)) if (/^GIT_CONFIG_(?:KEY|VALUE)_\d+$/.test(k)) delete env[k];
  return env;
}

export function openGit(cwd: string = process.cwd(), opts: { head?: boolean; env?: NodeJS.ProcessEnv } = {}): { git: Git; paths: RepoPaths; head?: { commit: string | undefined } } {
  const probe = new Git(cwd, opts.env);
  const at = (root: string): Git => (root === cwd ? probe : new Git(root, opts.env));
  if (opts.head) {
    const { paths, head } = probe.pathsAndHead();
    return { git: at(paths.root), paths, head: { commit: head } };
  }
  const paths = probe.paths();
  return { git: at(paths.root), paths };
}

/** One record of `diffTreeBatch`: the commit the line named and its raw changes with line counts. */
export interface DiffTreeRecord {
  commit: string;
  changes: FileChange[];
}

/** Parse `git diff-tree --stdin -z --always --raw --numstat` output, one record per input line. */
export function parseDiffTreeBatch(buf: Buffer): DiffTreeRecord[] {
  const parts = splitZ(buf);
  const out: DiffTreeRecord[] = [];
  let i = 0;
  while (i < parts.length) {
    let head = parts[i]!;
    i += 1;
    head = head.replace(/^\n+/, '').trim();
    if (head === '') continue;
    const changes: FileChange[] = [];
    while (i < parts.length && parts[i]!.replace(/^\n/, '').startsWith(':')) {
      const [oldMode, newMode, oldBlob, newBlob, statusField] = parts[i]!.replace(/^\n/, '').slice(1).split(' ') as [string, string, string, string, string];
      changes.push({ status: statusField[0] as ChangeStatus, path: parts[i + 1]!, oldMode, newMode, oldBlob, newBlob });
      i += 2;
    }
    for (const ch of changes) {
      const rec = parts[i] ?? '';
      i += 1;
      const t1 = rec.indexOf('\t');
      const t2 = rec.indexOf('\t', t1 + 1);
      const a = rec.slice(0, t1).replace(/^\n+/, '');
      const d = rec.slice(t1 + 1, t2);
      if (a !== '-' && a !== '') ch.added = Number(a);
      if (d !== '-' && d !== '') ch.deleted = Number(d);
    }
    out.push({ commit: head, changes });
  }
  return out;
}
