/**
 * ADR use-cases: `gate adr new | accept | list | check`, plus the fact-gathering the pre-commit
 * gate shares (records in a tree, versions from history, numbers across branches and worktrees).
 */
import { isAbsolute, join } from 'node:path';
import { GateError } from '../../kernel/errors.js';
import type { Ctx } from '../context.js';
import { withMutex } from '../../adapters/mutex.js';
import { createExclusive, entryAt, exists, listDir, readText, removeFileOrThrow, writeFileAtomic } from '../../adapters/files.js';
import { parseAdr, splitFrontMatter, statusByText, type AdrMeta } from '../../schema/adr/schema.js';
import {
  adrFileName,
  checkRecords,
  clashFinding,
  deriveStatuses,
  formatNumber,
  historyFindings,
  isAdrPath,
  isFinal,
  normaliseDir,
  nextNumber,
  numberClashes,
  numberFromPath,
  type AdrDoc,
  type AdrVersion,
  type NumberSource,
  type WorktreeVersion,
} from '../../gates/adr.js';
import { blocks, type Finding } from '../../kernel/findings.js';
import { readTemplate } from '../../adapters/package-files.js';

// ---------------------------------------------------------------- facts

export async function adrDir(ctx: Ctx): Promise<string> {
  const raw = (await ctx.config()).config.adr.dir;
  const dir = normaliseDir(raw);
  if (isAbsolute(dir) || dir.split('/').includes('..')) {
    throw new GateError('CONFIG_INVALID', `adr.dir is "${raw}", but it must be a directory inside the repository.`, {
      fix: 'set `adr: { dir: adr }` in .agents/gates.yaml',
    });
  }
  return dir;
}

function readDirNames(abs: string): string[] {
  try {
    return listDir(abs, { filesOnly: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw new GateError('CANNOT_EVALUATE', `cannot read ${abs}: ${(e as Error).message}`, { fix: `check the permissions of ${abs}` });
  }
}

const join2 = (dir: string, name: string) => (dir === '.' ? name : `${dir}/${name}`);

/** The ADR files in a working directory (this worktree's, or another's). */
export function workingAdrPaths(worktreeRoot: string, dir: string): string[] {
  return readDirNames(join(worktreeRoot, dir))
    .map((n) => join2(dir, n))
    .filter((p) => isAdrPath(p, dir))
    .sort();
}

/** Every record in this worktree's working directory, parsed. */
export function readWorkingDocs(ctx: Ctx, dir: string): AdrDoc[] {
  return workingAdrPaths(ctx.paths.root, dir).map((path) => ({ path, parse: parseAdr(readText(join(ctx.paths.root, path))) }));
}

/** The status written in a version of a record: parsed, or by text when its YAML is broken. */
export function statusOf(bytes: Buffer | undefined): string | undefined {
  if (!bytes) return undefined;
  const text = bytes.toString('utf8');
  const p = parseAdr(text);
  return p.ok ? p.meta.status : statusByText(text);
}

/** Versions of each ADR path in `rev`'s history, oldest first. */
export function adrHistory(ctx: Ctx, dir: string, paths?: readonly string[], rev = 'HEAD'): Map<string, AdrVersion[]> {
  const out = new Map<string, AdrVersion[]>();
  if (!ctx.git.revParse(`${rev}^{commit}`)) return out;
  const commits = ctx.git.pathHistory(rev, paths && paths.length ? paths : [dir === '.' ? '.' : `${dir}/`]);
  const blobs = new Set<string>();
  for (const c of commits) for (const ch of c.changes) if (ch.status !== 'D' && isAdrPath(ch.path, dir)) blobs.add(ch.newBlob);
  const content = ctx.git.readBlobs([...blobs]);
  const statusCache = new Map<string, string | undefined>();
  for (const c of commits) {
    for (const ch of c.changes) {
      if (!isAdrPath(ch.path, dir)) continue;
      if (!out.has(ch.path)) out.set(ch.path, []);
      const deleted = ch.status === 'D';
      let status: string | undefined;
      if (!deleted) {
        if (!statusCache.has(ch.newBlob)) statusCache.set(ch.newBlob, statusOf(content.get(ch.newBlob)));
        status = statusCache.get(ch.newBlob);
      }
      out.get(ch.path)!.push({ commit: c.commit, blob: deleted ? undefined : ch.newBlob, mode: deleted ? ch.oldMode : ch.newMode, status });
    }
  }
  return out;
}

/** The first version of a path that was accepted (or rejected), if any. */
export function firstFinalVersion(versions: readonly AdrVersion[]): AdrVersion | undefined {
  return versions.find((v) => v.blob !== undefined && isFinal(v.status));
}

/**
 * Where ADR numbers are used: every worktree's working directory (uncommitted records count) and
 * local branches. With `clash: false` (numbering) every local and remote-tracking branch counts;
 * with `clash: true` a branch checked out in a worktree is represented by that worktree's files
 * (its newer state), so renaming a proposed record is not reported as a clash.
 */
export function numberSources(ctx: Ctx, dir: string, opts: { clash: boolean }): NumberSource[] {
  const sources: NumberSource[] = [];
  const checkedOut = new Set<string>();
  for (const wt of ctx.git.worktrees()) {
    if (wt.bare || wt.prunable || !exists(wt.path)) continue;
    if (wt.branch) checkedOut.add(`refs/heads/${wt.branch}`);
    sources.push({ where: `worktree ${wt.path}${wt.branch ? ` [${wt.branch}]` : ''}`, paths: workingAdrPaths(wt.path, dir) });
  }
  if (!opts.clash) sources.push({ where: 'index', paths: ctx.git.indexEntries(dir).map((e) => e.path) });
  const refs = ctx.git.refTips(opts.clash ? ['refs/heads'] : ['refs/heads', 'refs/remotes']);
  const byCommit = new Map<string, string[]>();
  for (const r of refs) {
    if (opts.clash && checkedOut.has(r.ref)) continue;
    if (!byCommit.has(r.commit)) byCommit.set(r.commit, []);
    byCommit.get(r.commit)!.push(r.ref.replace(/^refs\/heads\//, 'branch ').replace(/^refs\/remotes\//, 'remote '));
  }
  for (const [commit, names] of byCommit) {
    const paths = ctx.git.lsTreeDir(commit, dir).filter((p) => isAdrPath(p, dir));
    for (const where of names) sources.push({ where, paths });
  }
  return sources;
}

// ---------------------------------------------------------------- template

function templateText(): string {
  return readTemplate('templates', 'adr.md');
}

export function renderTemplate(template: string, v: { number: number; title: string; date: string; deciders: string[]; supersedes: number[]; supersedesFiles: string[] }): string {
  const note = v.supersedes.length
    ? `\nThis record supersedes ${v.supersedesFiles.map((f, i) => `[${formatNumber(v.supersedes[i]!)}](${f})`).join(', ')}.\n`
    : '';
  const values: Record<string, string> = {
    number: String(v.number),
    number_padded: formatNumber(v.number),
    title: v.title,
    title_yaml: JSON.stringify(v.title),
    date: v.date,
    deciders_yaml: JSON.stringify(v.deciders),
    supersedes_yaml: JSON.stringify(v.supersedes),
    supersedes_note: note,
  };
  return template.replace(/\{\{([a-z_]+)\}\}/g, (m, k: string) => values[k] ?? m);
}

// ---------------------------------------------------------------- use-cases

export interface NewAdrResult {
  number: number;
  path: string;
  title: string;
  supersedes: number[];
  deciders: string[];
  next: string;
}

function cleanTitle(title: string): string {
  const t = title.trim();
  if (!t) throw new GateError('USAGE', 'the ADR title is empty.', { fix: 'gate adr new "Use a hash-chained ledger"' });
  if (/[\u0000-\u001f\u007f]/.test(t)) throw new GateError('USAGE', 'the ADR title contains a newline or control character.', { fix: 'gate adr new "<one-line title>"' });
  if (t.length > 200) throw new GateError('USAGE', `the ADR title is ${t.length} characters; keep it under 200.`, { fix: 'gate adr new "<shorter title>"' });
  return t;
}

function acceptedTarget(docs: readonly AdrDoc[], n: number): { doc: AdrDoc; meta: AdrMeta } {
  const found = docs.filter((d) => d.parse.ok && d.parse.meta.adr === n);
  if (found.length === 0) {
    throw new GateError('USAGE', `--supersedes ${n}: there is no record ${formatNumber(n)} in this worktree.`, { fix: 'gate adr list' });
  }
  const hit = found.find((d) => d.parse.ok && d.parse.meta.status === 'accepted');
  if (!hit || !hit.parse.ok) {
    const st = found[0]!.parse.ok ? found[0]!.parse.meta.status : 'invalid';
    throw new GateError('USAGE', `--supersedes ${n}: record ${formatNumber(n)} is ${st}; only an accepted record can be superseded (edit or reject a proposed one instead).`, {
      fix: 'gate adr list',
    });
  }
  return { doc: hit, meta: hit.parse.meta };
}

export async function newAdr(ctx: Ctx, input: { title: string; supersedes?: number[]; deciders?: string[] }): Promise<NewAdrResult> {
  const title = cleanTitle(input.title);
  const supersedes = [...new Set(input.supersedes ?? [])].sort((a, b) => a - b);
  const dir = await adrDir(ctx);
  const docs = readWorkingDocs(ctx, dir);
  const supersedesFiles = supersedes.map((n) => acceptedTarget(docs, n).doc.path.slice(dir === '.' ? 0 : dir.length + 1));
  const deciders = (input.deciders ?? []).map((d) => d.trim()).filter(Boolean);
  if (deciders.length === 0) {
    const me = ctx.git.userName();
    if (me) deciders.push(me);
  }
  const template = templateText();
  const date = ctx.now().toISOString().slice(0, 10);
  return withMutex(
    join(ctx.stateDir, 'adr.lock'),
    async () => {
      const taken: number[] = [];
      for (const s of numberSources(ctx, dir, { clash: false })) for (const p of s.paths) taken.push(numberFromPath(p)!);
      const number = nextNumber(taken);
      const path = join2(dir, adrFileName(number, title));
      const text = renderTemplate(template, { number, title, date, deciders, supersedes, supersedesFiles });
      const check = parseAdr(text);
      if (!check.ok || check.meta.adr !== number || check.meta.status !== 'proposed') {
        throw new GateError('CANNOT_EVALUATE', 'the ADR template did not produce valid front matter.', {
          details: check.ok ? [] : check.problems.map((p) => `${p.field}: ${p.message}`),
          fix: 'reinstall agent-gates; templates/adr.md must start with the front matter fields',
        });
      }
      const abs = join(ctx.paths.root, path);
      try {
        writeFileAtomicExclusive(abs, text);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new GateError('CANNOT_EVALUATE', `${path} already exists.`, { fix: 'gate adr list' });
        }
        throw e;
      }
      try {
        await ctx.record({ event: 'adr.new', actor: ctx.actor(), subject: { paths: [path] }, data: { number, title, supersedes, deciders } });
      } catch (e) {
        removeFileOrThrow(abs); // nothing half-done: no record without its ledger entry
        throw e;
      }
      return {
        number,
        path,
        title,
        supersedes,
        deciders,
        next: `edit ${path} (context, decision, options, consequences, rollback), then \`gate adr accept ${number}\` when a human has decided`,
      };
    },
    { what: 'ADR numbering' },
  );
}

function writeFileAtomicExclusive(abs: string, text: string): void {
  // create-exclusive first so two writers can never both take the name, then write atomically
  createExclusive(abs);
  writeFileAtomic(abs, text);
}

function replaceField(yaml: string, key: string, line: string): string {
  const re = new RegExp(`^${key}:[^\\r\\n]*(?:\\r?\\n[ \\t]+-[^\\r\\n]*)*`, 'm');
  if (!re.test(yaml)) throw new GateError('CANNOT_EVALUATE', `the front matter has no "${key}:" line to update.`);
  return yaml.replace(re, line);
}

export interface AcceptResult {
  number: number;
  path: string;
  title: string;
  deciders: string[];
  supersedes: number[];
  next: string;
}

/** Flip a proposed record to accepted in the working tree. Committing it is Gate B's business. */
export async function acceptAdr(ctx: Ctx, number: number, opts: { deciders?: string[] } = {}): Promise<AcceptResult> {
  const dir = await adrDir(ctx);
  const docs = readWorkingDocs(ctx, dir);
  const mine = docs.filter((d) => (d.parse.ok ? d.parse.meta.adr : numberFromPath(d.path)) === number);
  if (mine.length === 0) throw new GateError('USAGE', `there is no record ${formatNumber(number)} in ${dir}/.`, { fix: 'gate adr list' });
  if (mine.length > 1) {
    throw new GateError('DENIED', `record number ${formatNumber(number)} is used by ${mine.map((d) => d.path).join(' and ')}.`, { fix: 'gate adr check' });
  }
  const doc = mine[0]!;
  if (!doc.parse.ok) {
    throw new GateError('DENIED', `${doc.path} has invalid front matter, so it cannot be accepted.`, {
      details: doc.parse.problems.map((p) => `${p.field}: ${p.message}`),
      fix: `fix the front matter of ${doc.path}, then \`gate adr check\``,
    });
  }
  const meta = doc.parse.meta;
  if (meta.status !== 'proposed') {
    throw new GateError('DENIED', `${doc.path} is already ${meta.status}; only a proposed record can be accepted, and ${meta.status} records never change.`, {
      fix: meta.status === 'accepted' ? `gate adr new "<title of the new decision>" --supersedes ${number}` : `gate adr new "<title of the new proposal>"`,
    });
  }
  const deciders = [...new Set([...meta.deciders, ...(opts.deciders ?? []).map((d) => d.trim()).filter(Boolean)])];
  if (deciders.length === 0) {
    throw new GateError('USAGE', `${doc.path} names no deciders; an accepted record says who decided.`, { fix: `gate adr accept ${number} --decider "<name>"` });
  }
  const abs = join(ctx.paths.root, doc.path);
  const text = readText(abs);
  const split = splitFrontMatter(text)!;
  let yaml = replaceField(split.yaml, 'status', 'status: accepted');
  yaml = replaceField(yaml, 'date', `date: ${ctx.now().toISOString().slice(0, 10)}`);
  if (deciders.length !== meta.deciders.length) yaml = replaceField(yaml, 'deciders', `deciders: ${JSON.stringify(deciders)}`);
  const next = text.slice(0, split.start) + yaml + text.slice(split.end);
  const after = parseAdr(next);
  if (!after.ok || after.meta.status !== 'accepted' || after.meta.adr !== number) {
    throw new GateError('CANNOT_EVALUATE', `could not update the front matter of ${doc.path} safely; the file is unchanged.`, {
      fix: `set \`status: accepted\` in ${doc.path} by hand, then \`gate adr check\``,
    });
  }
  // the record must satisfy every rule once accepted (e.g. what it supersedes is accepted)
  const problems = checkRecords(docs.map((d) => (d === doc ? { path: d.path, parse: after } : d))).filter((f) => f.path === doc.path);
  if (problems.length) {
    throw new GateError('DENIED', `${doc.path} cannot be accepted: ${problems.length} problem${problems.length === 1 ? '' : 's'}.`, {
      details: problems.map((f) => `${f.code}: ${f.message}`),
      fix: problems[0]!.fix ?? 'gate adr check',
    });
  }
  writeFileAtomic(abs, next);
  try {
    await ctx.record({ event: 'adr.accept', actor: ctx.actor(), subject: { paths: [doc.path] }, data: { number, title: meta.title, deciders, supersedes: meta.supersedes } });
  } catch (e) {
    writeFileAtomic(abs, text);
    throw e;
  }
  return {
    number,
    path: doc.path,
    title: meta.title,
    deciders,
    supersedes: meta.supersedes,
    next: `git add -- '${doc.path}' && git commit -m "docs(adr): accept ${formatNumber(number)}" (an ${dir}/** change: Gate B asks a human to approve it: gate explain, then gate approve)`,
  };
}

export interface ListedAdr {
  number: number;
  title: string;
  status: string;
  effective: string;
  label: string;
  supersededBy: number[];
  supersedes: number[];
  date: string;
  deciders: string[];
  path: string;
}

export async function listAdrs(ctx: Ctx): Promise<{ dir: string; records: ListedAdr[]; invalid: Array<{ path: string; problems: Array<{ field: string; message: string }> }> }> {
  const dir = await adrDir(ctx);
  const docs = readWorkingDocs(ctx, dir);
  const good = docs.filter((d): d is AdrDoc & { parse: { ok: true; meta: AdrMeta } } => d.parse.ok);
  const derived = deriveStatuses(good.map((d) => d.parse.meta));
  const records = good
    .map((d, i) => {
      const m = d.parse.meta;
      const s = derived[i]!;
      return { number: m.adr, title: m.title, status: m.status, effective: s.effective, label: s.label, supersededBy: s.supersededBy, supersedes: m.supersedes, date: m.date, deciders: m.deciders, path: d.path };
    })
    .sort((a, b) => a.number - b.number || a.path.localeCompare(b.path));
  const invalid = docs.flatMap((d) => (d.parse.ok ? [] : [{ path: d.path, problems: d.parse.problems }]));
  return { dir, records, invalid };
}

export interface AdrCheckReport {
  ok: boolean;
  dir: string;
  records: number;
  findings: Finding[];
}

function worktreeVersion(ctx: Ctx, path: string): WorktreeVersion {
  const abs = join(ctx.paths.root, path);
  const st = entryAt(abs);
  if (!st) return { blob: undefined };
  const mode = st.kind === 'symlink' ? '120000' : st.mode & 0o111 ? '100755' : '100644';
  return { blob: ctx.git.hashFiles([path])[0], mode };
}

/** Every rule, plus history: each accepted record still equals its first accepted version. */
export async function checkAdrs(ctx: Ctx): Promise<AdrCheckReport> {
  const dir = await adrDir(ctx);
  const docs = readWorkingDocs(ctx, dir);
  const findings = checkRecords(docs);
  const fileMode = ctx.git.configGet('core.fileMode') !== 'false';
  for (const [path, versions] of adrHistory(ctx, dir)) {
    if (!firstFinalVersion(versions)) continue;
    const wt = worktreeVersion(ctx, path);
    if (!fileMode) delete wt.mode;
    findings.push(...historyFindings(path, versions, wt));
  }
  for (const clash of numberClashes(numberSources(ctx, dir, { clash: true }), dir)) findings.push(clashFinding(clash, 'block'));
  return { ok: blocks(findings).length === 0, dir, records: docs.length, findings };
}
