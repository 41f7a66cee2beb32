#!/usr/bin/env node
/**
 * One-off codemod: the re-foldering of issue #15 (ADR 0014). Kept in the repository so the move
 * can be re-run on a tree that gained files after it was written, and so the mapping is on record.
 *
 *   node scripts/refolder.mjs --dry-run   print what would move and why, change nothing
 *   node scripts/refolder.mjs             apply: split, move (git mv), rewrite imports and path mentions
 *   node scripts/refolder.mjs --check     exit 1 when something is left to do (0 on a refoldered tree)
 *
 * Deterministic and idempotent: every target path matches a rule that maps it to itself, so a
 * second run finds nothing to do. A src/ file no rule covers stops the run before anything
 * changes, naming the file (add a rule below). Afterwards: `npm run build && npm run typecheck && npm test`.
 *
 * What it does, in order (each phase skips what is already done):
 *  1. kernel/ files that define each shared fact once (object ids, the sidecar directory, human
 *     actor ids, terminal colours, the package root) are written if missing;
 *  2. declarations move by name (FileChange & co. out of adapters/git.ts into kernel/changes.ts,
 *     ZERO_BLOB/EMPTY_TREE into kernel/ids.ts, ...): the declaration is cut from its file (or
 *     dropped where kernel/ already defines it) and every import of those names in src/, test/,
 *     scripts/ and bench/ is pointed at the new module;
 *  3. text rules replace duplicated literals with the kernel's names (reported when they no
 *     longer match: the duplicates test then says what is left);
 *  4. cli/commands/gate-b.ts is split into one file per command (status, explain, approve, reject),
 *     its pager moving to adapters/pager.ts;
 *  5. every src/ file is mapped by the ordered RULES below, moved with `git mv`, and every relative
 *     specifier (import/export/import()/require()/vi.mock) in src/, test/, scripts/, bench/ is
 *     rewritten to the file's new place;
 *  6. path mentions (`src/cli/main.ts`, `cli/output.ts`, ...) are rewritten in src/, test/, scripts/,
 *     bench/, CONTRIBUTING.md, README.md and docs/*.md (never adr/: accepted ADRs are immutable);
 *  7. test/unit/{layers,duplicates,contributing-map}.test.ts and CONTRIBUTING.md's map of src/ are
 *     installed by the run that applied it (commit db87f31); this script only checks they are there.
 *
 * Not done here (judgement, not rules): adapters/ledger-store.ts's five jobs and one ledger reader;
 * the node:fs uses left in app/ and cli/fast/; one cli/messages.ts; the zod/fast-twin type equality.
 * A failing duplicates test after a merge names a new copy of a fact (define it in kernel/ instead).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const DRY = args.has('--dry-run') || args.has('--check');
const log = (...a) => console.log(...a);

// ------------------------------------------------------------------------------------------ rules
/**
 * Ordered: the first rule whose `from` matches decides. Exact paths first, then folder and name
 * patterns for files that did not exist when this was written. A target (string) may use $1, $2
 * from a RegExp `from`; a function gets the match. `null` as a target means "no rule: fail".
 */
const leaseName = (s) => s.replace(/locks?/g, (m) => (m === 'locks' ? 'leases' : 'lease'));
const RULES = [
  // kernel: shared vocabulary
  ['src/errors.ts', 'src/kernel/errors.ts'],
  ['src/builtins.ts', 'src/kernel/builtins.ts'],
  ['src/esm-import.ts', 'src/kernel/esm-import.ts'],
  ['src/version.ts', 'src/kernel/version.ts'],
  ['src/gates/types.ts', 'src/kernel/findings.ts'],
  ['src/gates/glob.ts', 'src/kernel/glob.ts'],
  // schema: one folder per persisted format; schema.ts = the documented (zod) schema, fast.ts = its zod-free twin
  ['src/schema/config.ts', 'src/schema/config/schema.ts'],
  ['src/schema/defaults.ts', 'src/schema/config/defaults.ts'],
  ['src/schema/sidecar.ts', 'src/schema/sidecar/schema.ts'],
  ['src/schema/sidecar-core.ts', 'src/schema/sidecar/fast.ts'],
  ['src/schema/sidecar-render.ts', 'src/schema/sidecar/render.ts'],
  ['src/schema/adr.ts', 'src/schema/adr/schema.ts'],
  ['src/schema/lease.ts', 'src/schema/lease/schema.ts'],
  ['src/schema/ledger.ts', 'src/schema/ledger/schema.ts'],
  ['src/schema/yaml.ts', 'src/schema/yaml.ts'],
  // signing keeps verification; what spawns ssh-keygen or writes files is an adapter
  ['src/signing/sign.ts', 'src/adapters/ssh-keygen.ts'],
  ['src/signing/checkpoint-store.ts', 'src/adapters/checkpoint-store.ts'],
  // adapters: everything that touches the world
  ['src/adapters/ledger-file.ts', 'src/adapters/ledger-store.ts'],
  ['src/adapters/leases.ts', 'src/adapters/lease-store.ts'],
  ['src/app/install.ts', 'src/adapters/hook-managers.ts'],
  ['src/app/hook-history.ts', 'src/adapters/hook-history.ts'],
  ['src/app/identity.ts', 'src/adapters/identity.ts'],
  // gates: one noun per gate
  ['src/gates/locks.ts', 'src/gates/leases.ts'],
  ['src/gates/mutation.ts', 'src/gates/classify.ts'],
  // app: composition root and hook runner on top, use-cases grouped by gate
  ['src/app/check.ts', 'src/app/hooks/run.ts'],
  ['src/app/hooks/gate-a.ts', 'src/app/leases/hook.ts'],
  ['src/app/hooks/gate-b.ts', 'src/app/approvals/hook.ts'],
  ['src/app/hooks/signed-approval.ts', 'src/app/approvals/signed-hook.ts'],
  ['src/app/hooks/sidecar-guard.ts', 'src/app/approvals/sidecar-guard-hook.ts'],
  ['src/app/hooks/adr.ts', 'src/app/adr/hook.ts'],
  ['src/app/lock.ts', 'src/app/leases/lease.ts'],
  ['src/app/task.ts', 'src/app/leases/task.ts'],
  ['src/app/agent-claude.ts', 'src/app/leases/claude-hook.ts'],
  ['src/app/mutation.ts', 'src/app/approvals/facts.ts'],
  ['src/app/explain.ts', 'src/app/approvals/explain.ts'],
  ['src/app/approve.ts', 'src/app/approvals/approve.ts'],
  ['src/app/status.ts', 'src/app/approvals/status.ts'],
  ['src/app/signed-approval.ts', 'src/app/approvals/signed.ts'],
  ['src/app/adr.ts', 'src/app/adr/records.ts'],
  ['src/app/range.ts', 'src/app/review/range.ts'],
  ['src/app/signed-range.ts', 'src/app/review/signed-range.ts'],
  ['src/app/review.ts', 'src/app/review/review.ts'],
  ['src/app/audit.ts', 'src/app/review/audit.ts'],
  ['src/app/checkpoint.ts', 'src/app/review/checkpoint.ts'],
  ['src/app/signed-points.ts', 'src/app/review/signed-points.ts'],
  ['src/app/init.ts', 'src/app/setup/init.ts'],
  ['src/app/doctor.ts', 'src/app/setup/doctor.ts'],
  // cli: fast/ is the one room the hot file may enter; views/ renders; commands/ as typed
  ['src/cli/main.ts', 'src/cli/fast/main.ts'],
  ['src/cli/stdout.ts', 'src/cli/fast/stdout.ts'],
  ['src/cli/style.ts', 'src/cli/fast/style.ts'],
  ['src/cli/output.ts', 'src/cli/fast/output.ts'],
  ['src/cli/check-hook.ts', 'src/cli/fast/hook.ts'],
  ['src/cli/lock-result.ts', 'src/cli/fast/lock.ts'],
  ['src/cli/range-result.ts', 'src/cli/views/range.ts'],
  ['src/cli/review-result.ts', 'src/cli/views/review.ts'],
  // added by the reliability/perimeter/range branches (issues #12, #13)
  ['src/cli/terminal.ts', 'src/cli/views/terminal.ts'],
  ['src/app/lock-break.ts', 'src/app/leases/lease-break.ts'],

  // ---- patterns: the new layout maps to itself (idempotence), new files land by folder and name
  [/^src\/(kernel|ledger|signing|review|gates|adapters)\/[^/]+\.ts$/, '$0'],
  [/^src\/schema\/[^/]+\/[^/]+\.ts$/, '$0'],
  [/^src\/schema\/([^/]+)\.ts$/, 'src/schema/$1/schema.ts'],
  [/^src\/app\/(context|composition)\.ts$/, '$0'],
  [/^src\/app\/(hooks|leases|approvals|adr|review|setup)\/[^/]+\.ts$/, '$0'],
  [/^src\/app\/([^/]*(?:lock|lease|task|claude|agent)[^/]*)\.ts$/, (m) => `src/app/leases/${leaseName(m[1])}.ts`],
  [/^src\/app\/([^/]*(?:approv|explain|sidecar|signed-approval|mutation|status|reject)[^/]*)\.ts$/, 'src/app/approvals/$1.ts'],
  [/^src\/app\/([^/]*adr[^/]*)\.ts$/, 'src/app/adr/$1.ts'],
  [/^src\/app\/([^/]*(?:range|review|audit|checkpoint|signed|ledger|notes)[^/]*)\.ts$/, 'src/app/review/$1.ts'],
  [/^src\/app\/([^/]*(?:init|doctor|install|setup|hook)[^/]*)\.ts$/, 'src/app/setup/$1.ts'],
  [/^src\/cli\/(fast|commands|views)\/[^/]+\.ts$/, '$0'],
  [/^src\/cli\/(program|io|messages)\.ts$/, '$0'],
  [/^src\/cli\/([^/]+)-result\.ts$/, (m) => `src/cli/views/${leaseName(m[1])}.ts`],
  [/^src\/([^/]+)\.ts$/, 'src/kernel/$1.ts'],
  [/.*/, null],
];

function target(path) {
  for (const [from, to] of RULES) {
    let m;
    if (typeof from === 'string') {
      if (from !== path) continue;
      m = [path];
    } else if (!(m = from.exec(path))) continue;
    if (to === null) return null;
    if (typeof to === 'function') return to(m);
    return to.replace(/\$(\d)/g, (_, i) => m[Number(i)] ?? '');
  }
  return null;
}

// --------------------------------------------------------------------------- kernel templates
/** Files written when missing: each fact defined once. */
const KERNEL_FILES = {
  'src/kernel/ids.ts': `/**
 * Git object ids, defined once: SHA-1 repositories use 40 hex digits, SHA-256 ones 64.
 * ZERO_BLOB stands for "no content" (an added or deleted path), EMPTY_TREE is git's empty tree.
 */
export const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export function isObjectId(s: string): boolean {
  return OBJECT_ID.test(s);
}

export const ZERO_BLOB = '0000000000000000000000000000000000000000';
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
`,
  'src/kernel/paths.ts': `/** Repository-relative names agent-gates owns, defined once. */
import { OBJECT_ID } from './ids.js';

/** Where \`gate explain\` writes sidecars (never committed: git ignores it). */
export const SIDECAR_DIR = '.agents/gate-b';
/** The ignore entry for SIDECAR_DIR (\`gate init\` adds it, \`gate doctor\` checks it). */
export const SIDECAR_IGNORE = \`\${SIDECAR_DIR}/\`;
/** A sidecar's file name: explain-<tree id>.yaml. */
export const SIDECAR_NAME = new RegExp(\`^explain-(\${OBJECT_ID.source.slice(1, -1)})\\\\.yaml$\`);
`,
  'src/kernel/actor.ts': `/**
 * How a person is named in leases, the ledger and the review, defined once: \`human:<git email>\`,
 * or \`human:<fallback>\` (the OS user, or what the caller knows) when git has no email. One
 * person's commits, approvals and leases group as one actor.
 */
export const HUMAN_PREFIX = 'human:';

export function humanId(email: string | undefined, fallback: string): string {
  return \`\${HUMAN_PREFIX}\${email || fallback}\`;
}

export function isHumanId(id: string): boolean {
  return id.startsWith(HUMAN_PREFIX);
}
`,
  'src/kernel/ansi.ts': `/** Terminal colours (SGR sequences), defined once; \`on: false\` returns text unchanged. */
export function paint(on: boolean) {
  const wrap = (open: number, close: number) => (s: string) => (on ? \`\\u001b[\${open}m\${s}\\u001b[\${close}m\` : s);
  return { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
}
`,
};

// --------------------------------------------------------------------------- declaration moves
/**
 * Move (or, where the kernel file already defines them, drop) top-level declarations by name and
 * point every import of those names at the new module. `from`/`to` are paths before the move.
 */
const DECL_RULES = [
  { from: 'src/adapters/git.ts', to: 'src/kernel/changes.ts', names: ['ChangeStatus', 'FileChange', 'CommitInfo', 'RepoPaths'],
    header: '/** What changed: the change and commit shapes every layer shares (git produces them, gates judge them). */\n' },
  { from: 'src/adapters/git.ts', to: 'src/kernel/ids.ts', names: ['EMPTY_TREE'] },
  { from: 'src/gates/mutation.ts', to: 'src/kernel/ids.ts', names: ['ZERO_BLOB'] },
  { from: 'src/gates/range.ts', to: 'src/kernel/ids.ts', names: ['ZERO_BLOB'] },
  { from: 'src/ledger/pending.ts', to: 'src/kernel/ids.ts', names: ['isObjectId'] },
  { from: 'src/schema/sidecar-core.ts', to: 'src/kernel/paths.ts', names: ['SIDECAR_DIR'] },
  { from: 'src/app/mutation.ts', to: 'src/kernel/paths.ts', names: ['SIDECAR_DIR'] },
  { from: 'src/app/init.ts', to: 'src/kernel/paths.ts', names: ['SIDECAR_IGNORE'] },
  { from: 'src/app/approve.ts', to: 'src/kernel/ansi.ts', names: ['paint'] },
  { from: 'src/app/install.ts', to: 'src/adapters/package-files.ts', names: ['pkgRootCache', 'packageRoot', 'readTemplate'],
    header: '/** The installed agent-gates package: where templates/ and rules/ live, found once. */\n' },
];

// --------------------------------------------------------------------------------- text rules
/**
 * Exact text replacements (before the move, old paths). `imports`: names the new text needs,
 * from a module (path before/after the move: kernel paths do not move). Skipped (and reported)
 * when `find` is absent; a no-op when `replace` is already there.
 */
const OID_RE = '/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/';
const TEXT_RULES = [
  { file: 'src/schema/sidecar.ts', find: `z.string().regex(${OID_RE},`, replace: 'z.string().regex(OBJECT_ID,', imports: [['src/kernel/ids.ts', 'OBJECT_ID']] },
  { file: 'src/schema/sidecar-core.ts', find: `const OID = ${OID_RE};`, replace: 'const OID = OBJECT_ID;', imports: [['src/kernel/ids.ts', 'OBJECT_ID']] },
  { file: 'src/schema/sidecar-core.ts', find: '/^explain-([0-9a-f]{40}|[0-9a-f]{64})\\.yaml$/.exec(name)', replace: 'SIDECAR_NAME.exec(name)', imports: [['src/kernel/paths.ts', 'SIDECAR_NAME']] },
  { file: 'src/app/mutation.ts', find: '/^explain-([0-9a-f]{40,64})\\.yaml$/.exec(name)', replace: 'SIDECAR_NAME.exec(name)', imports: [['src/kernel/paths.ts', 'SIDECAR_NAME']] },
  { file: 'src/signing/payload.ts', find: `const OID = ${OID_RE};`, replace: 'const OID = OBJECT_ID;', imports: [['src/kernel/ids.ts', 'OBJECT_ID']] },
  { file: 'src/ledger/pending.ts', find: `const OID = ${OID_RE};\n`, replace: '' },
  { file: 'src/adapters/git-files.ts', find: `const OID = ${OID_RE};`, replace: 'const OID = OBJECT_ID;', imports: [['src/kernel/ids.ts', 'OBJECT_ID']] },
  // the sidecar guard matches the directory with its trailing slash
  { file: 'src/gates/sidecar-guard.ts', find: "export const SIDECAR_DIR = '.agents/gate-b/';", replace: '', imports: [['src/kernel/paths.ts', 'SIDECAR_IGNORE']] },
  { file: 'src/gates/sidecar-guard.ts', find: 'c.path.startsWith(SIDECAR_DIR)', replace: 'c.path.startsWith(SIDECAR_IGNORE)' },
  { file: 'src/gates/sidecar-guard.ts', find: "&& echo '.agents/gate-b/' >> .gitignore", replace: "&& echo '${SIDECAR_IGNORE}' >> .gitignore" },
  // one human id
  { file: 'src/app/approve.ts', find: "id: p.email ? `human:${p.email}` : `human:${p.os_user}@${p.host}`", replace: 'id: humanId(p.email, p.os_user)', imports: [['src/kernel/actor.ts', 'humanId']] },
  { file: 'src/app/lock.ts', find: "return { id: `human:${email}`, source: 'terminal' };", replace: "return { id: humanId(email, 'unknown'), source: 'terminal' };", imports: [['src/kernel/actor.ts', 'humanId']] },
  { file: 'src/app/lock.ts', find: "owner.startsWith('human:')", replace: 'isHumanId(owner)', imports: [['src/kernel/actor.ts', 'isHumanId']] },
  { file: 'src/app/lock.ts', find: 'const by = who.email ? `human:${who.email}` : `human:${who.osUser}`;', replace: 'const by = humanId(who.email, who.osUser);', imports: [['src/kernel/actor.ts', 'humanId']] },
  { file: 'src/app/lock-break.ts', find: "return `human:${proof.principal}`;", replace: "return humanId(proof.principal, 'unknown');", imports: [['src/kernel/actor.ts', 'humanId']] },
  { file: 'src/app/lock-break.ts', find: 'return proof.git_email ? `human:${proof.git_email}` : `human:${proof.os_user}`;', replace: 'return humanId(proof.git_email, proof.os_user);', imports: [['src/kernel/actor.ts', 'humanId']] },
  { file: 'src/app/identity.ts', find: "id: email ? `human:${email}` : `human:${safeUser()}`", replace: 'id: humanId(email, safeUser())', imports: [['src/kernel/actor.ts', 'humanId']] },
  { file: 'src/ledger/pending.ts', find: "id: `human:${c.committerEmail || 'unknown'}`", replace: "id: humanId(c.committerEmail, 'unknown')", imports: [['src/kernel/actor.ts', 'humanId']] },
  // one package-root lookup: the ADR template is read like every other packaged template
  { file: 'src/app/adr.ts',
    find: "  let d = dirname(fileURLToPath(import.meta.url));\n  for (let i = 0; i < 6; i++) {\n    const p = join(d, 'templates', 'adr.md');\n    if (existsSync(p)) return readFileSync(p, 'utf8');\n    d = dirname(d);\n  }\n  throw new GateError('TOOL_MISSING', 'the ADR template (templates/adr.md) is missing from the agent-gates installation.', {\n    fix: 'reinstall agent-gates (npm install --save-dev agent-gates)',\n  });\n",
    replace: "  return readTemplate('templates', 'adr.md');\n", imports: [['src/adapters/package-files.ts', 'readTemplate']] },
  // terminal colours: cli/style.ts builds on kernel/ansi.ts
  { file: 'src/cli/style.ts',
    find: '  const wrap = (open: number, close: number) => (s: string) => (on ? `\\u001b[${open}m${s}\\u001b[${close}m` : s);\n  return {\n    on,\n    bold: wrap(1, 22),\n    dim: wrap(2, 22),\n    red: wrap(31, 39),\n    green: wrap(32, 39),\n    yellow: wrap(33, 39),\n    cyan: wrap(36, 39),\n  };',
    replace: '  return { on, ...paint(on) };', imports: [['src/kernel/ansi.ts', 'paint']] },
];

/** Literal rules: like TEXT_RULES, for every src/ file that contains `find` (files added later too). */
const LITERAL_RULES = [
  { find: OID_RE, replace: 'OBJECT_ID', imports: [['src/kernel/ids.ts', 'OBJECT_ID']], except: ['src/kernel/ids.ts'] },
  { find: '/^[0-9a-f]{40}$|^[0-9a-f]{64}$/', replace: 'OBJECT_ID', imports: [['src/kernel/ids.ts', 'OBJECT_ID']], except: ['src/kernel/ids.ts'] },
  { find: "'0000000000000000000000000000000000000000'", replace: 'ZERO_BLOB', imports: [['src/kernel/ids.ts', 'ZERO_BLOB']], except: ['src/kernel/ids.ts'], skipIf: /\bconst ZERO_BLOB\b/ },
];

// ------------------------------------------------------------------------------------ helpers
const sh = (cmd, a) => execFileSync(cmd, a, { cwd: ROOT, encoding: 'utf8' });
const abs = (p) => join(ROOT, p);
const read = (p) => readFileSync(abs(p), 'utf8');
const written = new Map(); // path -> text (pending writes in dry-run, so later phases see them)
const readNow = (p) => (written.has(p) ? written.get(p) : read(p));
const existsNow = (p) => written.has(p) || existsSync(abs(p));
function write(p, text) {
  written.set(p, text);
  if (DRY) return;
  mkdirSync(dirname(abs(p)), { recursive: true });
  writeFileSync(abs(p), text);
}
let changes = 0;
const note = (msg) => {
  changes++;
  log(msg);
};
const warnings = [];
const splitRemoved = new Set();

function listFiles(dirs, exts) {
  const out = [];
  const walk = (d) => {
    if (!existsSync(abs(d))) return;
    for (const name of readdirSync(abs(d))) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const p = `${d}/${name}`;
      if (statSync(abs(p)).isDirectory()) walk(p);
      else if (exts.some((e) => name.endsWith(e))) out.push(p);
    }
  };
  for (const d of dirs) walk(d);
  return out.sort();
}
const notPayload = (p) => !p.startsWith('scripts/refolder/');
const CODE_DIRS = ['src', 'test', 'scripts', 'bench'];
const CODE_EXTS = ['.ts', '.mts', '.cts', '.mjs', '.cjs', '.js'];
const codeFiles = () => [...new Set([...listFiles(CODE_DIRS, CODE_EXTS), ...[...written.keys()].filter((p) => CODE_EXTS.some((e) => p.endsWith(e)))])].filter((p) => existsNow(p) && notPayload(p)).sort();

/** Specifier from file `fromFile` to repository path `toFile` (.ts → .js as TypeScript ESM wants). */
function specifier(fromFile, toFile) {
  let r = posix.relative(posix.dirname(fromFile), toFile);
  if (!r.startsWith('.')) r = `./${r}`;
  return /\.m?ts$/.test(toFile) && !/\.(mjs|cjs|js)$/.test(fromFile) || /\.ts$/.test(toFile) ? r.replace(/\.ts$/, '.js') : r;
}
/** The repository path a relative specifier in `file` names, if it is one of `known`. */
function resolveSpec(file, spec, known) {
  if (!spec.startsWith('.')) return undefined;
  const base = posix.normalize(posix.join(posix.dirname(file), spec));
  for (const c of [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, `${base}/index.ts`]) if (known.has(c)) return c;
  return undefined;
}
const SPEC_RE = /(\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bvi\.(?:mock|doMock|importActual)\s*\(\s*|^\s*import\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"\n]*)\2/gm;

/** Insert `import { names } from '<spec>'` (merging into an existing import of that module). */
function addImport(file, text, modPath, names, typeOnly = false) {
  const spec = specifier(file, modPath);
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const need = names.filter((n) => !new RegExp(`\\bimport\\b[^;]*\\b${n.split(' as ').pop()}\\b[^;]*from`).test(text) || !text.includes(spec));
  if (!need.length) return text;
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && st.moduleSpecifier.text === spec && st.importClause?.namedBindings && ts.isNamedImports(st.importClause.namedBindings) && !st.importClause.isTypeOnly === !typeOnly && !st.importClause.name) {
      const have = st.importClause.namedBindings.elements.map((e) => e.getText(sf));
      const all = [...have, ...need.filter((n) => !have.includes(n))];
      const nb = st.importClause.namedBindings;
      return text.slice(0, nb.getStart(sf)) + `{ ${all.join(', ')} }` + text.slice(nb.getEnd());
    }
  }
  const line = `import ${typeOnly ? 'type ' : ''}{ ${need.join(', ')} } from '${spec}';\n`;
  const imports = sf.statements.filter((s) => ts.isImportDeclaration(s));
  let at = firstCodePos(sf, text);
  if (imports.length) {
    const nl = text.indexOf('\n', imports[imports.length - 1].getEnd());
    at = nl === -1 ? text.length : nl + 1;
  }
  const after = text.slice(at);
  return text.slice(0, at) + line + (imports.length && !/^(\n|import\b)/.test(after) ? '\n' : '') + after;
}
/** `import { name } from 'module'` for a package or node: module, merged into an existing one. */
function addModuleImport(text, mod, name, typeOnly) {
  const re = new RegExp(`^import ${typeOnly ? 'type ' : ''}\\{([^}]*)\\} from '${mod.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}';$`, 'm');
  const m = re.exec(text);
  if (m) {
    const names = m[1].split(',').map((x) => x.trim()).filter(Boolean);
    if (names.includes(name)) return text;
    return text.replace(re, `import ${typeOnly ? 'type ' : ''}{ ${[...names, name].join(', ')} } from '${mod}';`);
  }
  const sf = ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const at = firstCodePos(sf, text);
  return `${text.slice(0, at)}import ${typeOnly ? 'type ' : ''}{ ${name} } from '${mod}';\n${text.slice(at)}`;
}
function firstCodePos(sf, text) {
  const first = sf.statements[0];
  if (!first) return text.length;
  const ranges = ts.getLeadingCommentRanges(text, first.getFullStart()) ?? [];
  // keep a file's header comment (/** ... */ followed by a blank line) above the import
  const header = ranges.find((r) => r.pos === first.getFullStart() || text.slice(first.getFullStart(), r.pos).trim() === '');
  if (header && /^\s*\n/.test(text.slice(header.end))) return header.end + 1;
  return first.getFullStart();
}

function declNames(st) {
  if (ts.isVariableStatement(st)) return st.declarationList.declarations.map((d) => d.name.getText());
  if (st.name && (ts.isFunctionDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) || ts.isClassDeclaration(st) || ts.isEnumDeclaration(st))) return [st.name.text];
  return [];
}
const isTypeDecl = (st) => ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st);

// --------------------------------------------------------------------------------- phase 0: map
const srcFiles = listFiles(['src'], ['.ts']);
const mapping = new Map();
const unmapped = [];
for (const f of srcFiles) {
  const t = target(f);
  if (t === null) unmapped.push(f);
  else mapping.set(f, t);
}
if (unmapped.length) {
  console.error(`refolder: no rule covers ${unmapped.join(', ')}: add a rule to RULES in scripts/refolder.mjs`);
  process.exit(2);
}
{
  const byTarget = new Map();
  for (const [f, t] of mapping) {
    if (byTarget.has(t)) {
      console.error(`refolder: ${byTarget.get(t)} and ${f} would both become ${t}`);
      process.exit(2);
    }
    byTarget.set(t, f);
  }
}

// Phase 7's files (the layer, duplicates and CONTRIBUTING-map tests and the new map) were installed by
// the run that applied this codemod (commit db87f31) and live in the tree since; they are not kept a
// second time here. On a tree without them, take them from that commit.
const INSTALLED_BY_THE_MOVE = ['test/unit/layers.test.ts', 'test/unit/duplicates.test.ts', 'test/unit/contributing-map.test.ts'];

// ---------------------------------------------------------------------- phase 1: kernel files
for (const [p, text] of Object.entries(KERNEL_FILES)) {
  if (!existsNow(p)) {
    write(p, text);
    note(`create ${p}`);
  }
}

// ------------------------------------------------------------------ phase 2: declaration moves
for (const rule of DECL_RULES) {
  if (!existsNow(rule.from)) continue;
  let text = readNow(rule.from);
  const sf = ts.createSourceFile(rule.from, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found = sf.statements.filter((st) => declNames(st).some((n) => rule.names.includes(n)));
  if (!found.length) continue;
  const movedNames = found.flatMap(declNames).filter((n) => rule.names.includes(n));
  const typeNames = new Set(found.filter(isTypeDecl).flatMap(declNames));
  let dest = existsNow(rule.to) ? readNow(rule.to) : rule.header ?? '';
  const destSf = ts.createSourceFile(rule.to, dest, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const destHas = new Set(destSf.statements.flatMap(declNames));
  const raw = [];
  for (const st of [...found].reverse()) {
    const start = st.getFullStart();
    const end = st.getEnd();
    raw.unshift({ st, text: text.slice(start, end).replace(/^\n+/, '') });
    text = text.slice(0, start) + text.slice(end);
  }
  text = text.replace(/\n{3,}/g, '\n\n');
  const code = (t) => t.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  // the source file still using the names imports them (so they must be exported)
  const stillUsed = movedNames.filter((n) => new RegExp(`\\b${n}\\b`).test(code(text)));
  const chunks = raw
    .filter(({ st }) => !declNames(st).every((n) => destHas.has(n)))
    .map(({ st, text: t }) => {
      const exported = /^(\/\*\*[\s\S]*?\*\/\s*)?export /.test(t);
      return exported || !declNames(st).some((n) => stillUsed.includes(n)) ? t : t.replace(/^((?:\/\*\*[\s\S]*?\*\/\s*)?)/, '$1export ');
    });
  if (chunks.length) {
    dest = `${dest.replace(/\n*$/, '\n')}\n${chunks.join('\n\n')}\n`.replace(/^\n+/, '');
    // what the moved code uses from the source's imports comes along
    const body = code(chunks.join('\n'));
    for (const imp of sf.statements.filter((x) => ts.isImportDeclaration(x))) {
      const clause = imp.importClause;
      const nb = clause?.namedBindings;
      if (!nb || !ts.isNamedImports(nb)) continue;
      const spec = imp.moduleSpecifier.text;
      const modPath = spec.startsWith('.') ? posix.normalize(posix.join(posix.dirname(rule.from), spec)).replace(/\.js$/, '.ts') : spec;
      if (modPath === rule.to) continue;
      for (const e of nb.elements) {
        if (!new RegExp(`\\b${e.name.text}\\b`).test(body)) continue;
        dest = spec.startsWith('.') ? addImport(rule.to, dest, modPath, [e.getText(sf)], clause.isTypeOnly) : addModuleImport(dest, spec, e.getText(sf), clause.isTypeOnly);
      }
    }
    write(rule.to, dest);
  }
  const vals = stillUsed.filter((n) => !typeNames.has(n));
  const types = stillUsed.filter((n) => typeNames.has(n));
  if (vals.length) text = addImport(rule.from, text, rule.to, vals);
  if (types.length) text = addImport(rule.from, text, rule.to, types, true);
  write(rule.from, text);
  note(`move ${movedNames.join(', ')}: ${rule.from} → ${rule.to}${chunks.length ? '' : ' (already defined there)'}`);
  redirectImports(rule.from, rule.to, new Set(movedNames));
}

/** Every `import/export {…} from` naming `names` from `fromPath` gets those names from `toPath`. */
function redirectImports(fromPath, toPath, names) {
  const known = new Set([fromPath]);
  for (const file of codeFiles()) {
    if (file === toPath) continue;
    let text = readNow(file);
    if (!text.includes(posix.basename(fromPath).replace(/\.ts$/, ''))) continue;
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS);
    const edits = [];
    const visit = (node) => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && resolveSpec(file, node.moduleSpecifier.text, known) === fromPath) {
        const nb = ts.isImportDeclaration(node) ? node.importClause?.namedBindings : node.exportClause;
        if (!nb || !(ts.isNamedImports(nb) || ts.isNamedExports(nb))) return;
        const moved = nb.elements.filter((e) => names.has((e.propertyName ?? e.name).text));
        if (!moved.length) return;
        const kept = nb.elements.filter((e) => !moved.includes(e));
        const typeOnly = ts.isImportDeclaration(node) ? node.importClause.isTypeOnly : node.isTypeOnly;
        const kw = ts.isImportDeclaration(node) ? 'import' : 'export';
        const spec = specifier(file, toPath);
        const q = node.moduleSpecifier.getText(sf)[0];
        const movedDecl = `${kw} ${typeOnly ? 'type ' : ''}{ ${moved.map((e) => e.getText(sf)).join(', ')} } from ${q}${spec}${q};`;
        let replacement;
        if (kept.length || (ts.isImportDeclaration(node) && node.importClause.name)) {
          const keptText = text.slice(node.getStart(sf), nb.getStart(sf)) + `{ ${kept.map((e) => e.getText(sf)).join(', ')} }` + text.slice(nb.getEnd(), node.getEnd());
          replacement = `${keptText.replace(/,\s*\{\s*\}/, '')}\n${movedDecl}`;
        } else replacement = movedDecl;
        edits.push([node.getStart(sf), node.getEnd(), replacement]);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    if (!edits.length) continue;
    for (const [s, e, r] of edits.sort((a, b) => b[0] - a[0])) text = text.slice(0, s) + r + text.slice(e);
    write(file, text);
    note(`  imports of ${[...names].join(', ')} in ${file} → ${toPath}`);
  }
}

// ------------------------------------------------------------------------ phase 3: text rules
for (const r of TEXT_RULES) {
  if (!existsNow(r.file)) continue;
  let text = readNow(r.file);
  if (!text.includes(r.find)) {
    if (r.replace === '' || text.includes(r.replace)) continue;
    warnings.push(`text rule not applied (text not found) in ${r.file}: ${r.find.split('\n')[0].slice(0, 80)}`);
    continue;
  }
  text = text.split(r.find).join(r.replace);
  for (const [mod, name] of r.imports ?? []) {
    if (mod === r.file) continue;
    text = addImport(r.file, text, mod, [name]);
  }
  write(r.file, text);
  note(`text ${r.file}: ${r.find.split('\n')[0].slice(0, 70)} → ${r.replace.split('\n')[0].slice(0, 50) || '(removed)'}`);
}

for (const r of LITERAL_RULES) {
  for (const file of codeFiles().filter((p) => p.startsWith('src/') && !r.except.includes(p))) {
    let text = readNow(file);
    if (!text.includes(r.find) || (r.skipIf && r.skipIf.test(text))) continue;
    text = text.split(r.find).join(r.replace);
    for (const [mod, name] of r.imports) text = addImport(file, text, mod, [name]);
    write(file, text);
    note(`literal ${file}: ${r.find} → ${r.replace}`);
  }
}

// ------------------------------------------------------------- phase 4: split cli/commands/gate-b.ts
splitCommandGroup('src/cli/commands/gate-b.ts', 'gateBCommands', 'src/cli/views/approvals.ts', { pageText: 'src/adapters/pager.ts' });

/**
 * One file per command of a CommandGroup: each `program.command('<name>')…;` statement of
 * `register` becomes src/cli/commands/<name>.ts exporting `<name>Command`. Helper declarations go
 * to cli/views/<group>.ts (exported), or where `placeHelpers` says; index.ts lists the new groups.
 */
function splitCommandGroup(file, groupName, viewsPath, placeHelpers) {
  if (!existsNow(file)) return;
  const text = readNow(file);
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const dir = posix.dirname(file);
  const groupDecl = sf.statements.find((s) => ts.isVariableStatement(s) && declNames(s).includes(groupName));
  if (!groupDecl) {
    warnings.push(`${file}: no ${groupName}; not split`);
    return;
  }
  let register;
  const findRegister = (n) => {
    if (!register && (ts.isMethodDeclaration(n) || ts.isPropertyAssignment(n)) && n.name.getText(sf) === 'register') register = n;
    ts.forEachChild(n, findRegister);
  };
  findRegister(groupDecl);
  const body = ts.isMethodDeclaration(register) ? register.body : register.initializer.body;
  const commands = [];
  for (const st of body.statements) {
    const m = /\.command\(\s*'([a-z][a-z-]*)'/.exec(st.getText(sf));
    if (!m) {
      warnings.push(`${file}: a statement of register() names no command; not split`);
      return;
    }
    commands.push({ name: m[1], text: text.slice(st.getFullStart(), st.getEnd()).replace(/^\n+/, '') });
  }
  const imports = sf.statements.filter((s) => ts.isImportDeclaration(s));
  const helpers = sf.statements.filter((s) => !imports.includes(s) && s !== groupDecl);
  const helperHome = new Map();
  for (const h of helpers) for (const n of declNames(h)) helperHome.set(n, placeHelpers[n] ?? viewsPath);
  const importLinesFor = (code, selfPath) => {
    const lines = [];
    for (const imp of imports) {
      const clause = imp.importClause;
      const spec = imp.moduleSpecifier.text;
      const resolved = spec.startsWith('.') ? posix.normalize(posix.join(dir, spec)).replace(/\.js$/, '.ts') : undefined;
      const newSpec = resolved ? specifier(selfPath, resolved) : spec;
      if (clause?.namedBindings && ts.isNamedImports(clause.namedBindings)) {
        const els = clause.namedBindings.elements.filter((e) => new RegExp(`\\b${e.name.text}\\b`).test(code));
        if (els.length) lines.push(`import ${clause.isTypeOnly ? 'type ' : ''}{ ${els.map((e) => e.getText(sf)).join(', ')} } from '${newSpec}';`);
      } else if (clause?.name && new RegExp(`\\b${clause.name.text}\\b`).test(code)) lines.push(`import ${clause.name.text} from '${newSpec}';`);
    }
    for (const [n, home] of helperHome) if (home !== selfPath && new RegExp(`\\b${n}\\b`).test(code)) lines.push(`import { ${n} } from '${specifier(selfPath, home)}';`);
    return lines;
  };
  // helpers
  const byHome = new Map();
  for (const h of helpers) {
    const home = helperHome.get(declNames(h)[0]) ?? viewsPath;
    const t = text.slice(h.getFullStart(), h.getEnd()).replace(/^\n+/, '');
    const exported = /^(\/\*\*[\s\S]*?\*\/\s*)?export /.test(t) ? t : t.replace(/^((?:\/\*\*[\s\S]*?\*\/\s*)?)/, '$1export ');
    byHome.set(home, [...(byHome.get(home) ?? []), exported]);
  }
  const rewrittenHome = (p) => mapping.get(p) ?? p;
  for (const [home, parts] of byHome) {
    const code = parts.join('\n\n');
    const header = home.includes('/adapters/') ? '/** The person\'s pager for long previews (an adapter: it spawns a process). */\n' : '/** Terminal rendering shared by the Gate B commands (status, explain, approve, reject). */\n';
    write(home, `${header}${importLinesFor(code, home).join('\n')}${importLinesFor(code, home).length ? '\n\n' : ''}${code}\n`);
    note(`create ${home} (${parts.length} helper(s) from ${file})`);
  }
  for (const c of commands) {
    const p = `${dir}/${c.name}.ts`;
    if (existsNow(p)) {
      console.error(`refolder: ${p} exists; cannot split ${file}`);
      process.exit(2);
    }
    const exportName = `${c.name.replace(/-([a-z])/g, (_, x) => x.toUpperCase())}Command`;
    const code = `export const ${exportName}: CommandGroup = {\n  register(program) {\n    ${c.text.trim()}\n  },\n};\n`;
    const lines = importLinesFor(code, p);
    if (!lines.some((l) => /\bCommandGroup\b/.test(l))) lines.push("import type { CommandGroup } from './index.js';");
    write(p, `/** \`gate ${c.name}\` (Gate B). */\n${lines.join('\n')}\n\n${code}`);
    c.exportName = exportName;
    note(`create ${p} (from ${file})`);
  }
  // index.ts: the group's import and list entry become the commands'
  const indexPath = `${dir}/index.ts`;
  let index = readNow(indexPath);
  const base = posix.basename(file, '.ts');
  index = index.replace(new RegExp(`import \\{ ${groupName} \\} from '\\./${base}\\.js';`), commands.map((c) => `import { ${c.exportName} } from './${c.name}.js';`).join('\n'));
  index = index.replace(new RegExp(`\\b${groupName}\\b`), commands.map((c) => c.exportName).join(', '));
  write(indexPath, index);
  if (!DRY) sh('git', ['rm', '-q', '-f', file]);
  written.delete(file);
  splitRemoved.add(file);
  note(`split ${file} into ${commands.map((c) => `${c.name}.ts`).join(', ')}; ${indexPath} updated`);
  void rewrittenHome;
}

// -------------------------------------------------------------- phase 5: moves and specifiers
{
  // files created by earlier phases map too (they are at their targets already)
  for (const p of [...written.keys()]) if (p.startsWith('src/') && p.endsWith('.ts') && !mapping.has(p)) {
    const t = target(p);
    if (t === null) {
      console.error(`refolder: no rule covers ${p}`);
      process.exit(2);
    }
    mapping.set(p, t);
  }
  for (const f of splitRemoved) mapping.delete(f);
  const moves = [...mapping].filter(([f, t]) => f !== t);
  const known = new Set(mapping.keys());
  const newPathOf = (p) => mapping.get(p) ?? p;
  for (const file of codeFiles()) {
    if (splitRemoved.has(file)) continue;
    const text = readNow(file);
    const fileNew = newPathOf(file);
    const out = text.replace(SPEC_RE, (all, pre, q, spec) => {
      const r = resolveSpec(file, spec, known);
      if (!r) return all;
      const to = newPathOf(r);
      if (to === r && fileNew === file) return all;
      let ns = specifier(fileNew, to);
      if (!/\.[cm]?js$/.test(spec) && /\.js$/.test(ns) && !/\.ts$/.test(spec)) ns = ns.replace(/\.js$/, ''); // keep the author's extension style
      if (/\.ts$/.test(spec)) ns = ns.replace(/\.js$/, '.ts');
      return `${pre}${q}${ns}${q}`;
    });
    if (out !== text) {
      write(file, out);
      if (fileNew === file) note(`imports ${file}`);
    }
  }
  for (const [f, t] of moves) {
    if (existsSync(abs(t)) && !DRY) {
      console.error(`refolder: ${t} exists; cannot move ${f} there`);
      process.exit(2);
    }
    note(`move ${f} → ${t}`);
    if (DRY) continue;
    mkdirSync(dirname(abs(t)), { recursive: true });
    const tracked = sh('git', ['ls-files', '--', f]).trim() !== '';
    if (tracked) {
      sh('git', ['add', '--', f]);
      sh('git', ['mv', f, t]);
      sh('git', ['add', '--', t]);
    } else {
      writeFileSync(abs(t), readFileSync(abs(f)));
      execFileSync('rm', [abs(f)]);
    }
  }
  // -------------------------------------------------------- phase 6: path mentions in text
  const renames = new Map(moves);
  for (const f of splitRemoved) renames.set(f, `${posix.dirname(f)}/{${['status', 'explain', 'approve', 'reject'].join(',')}}.ts`);
  const docFiles = [...listFiles(CODE_DIRS, [...CODE_EXTS, '.md', '.json', '.yaml']), 'CONTRIBUTING.md', 'README.md', ...listFiles(['docs'], ['.md'])].filter((p) => existsSync(abs(p)) && !p.startsWith('adr/') && notPayload(p));
  const pairs = [...renames].sort((a, b) => b[0].length - a[0].length);
  const baseCount = new Map();
  for (const f of srcFiles) baseCount.set(posix.basename(f), (baseCount.get(posix.basename(f)) ?? 0) + 1);
  const uniqueBase = new Set([...baseCount].filter(([, n]) => n === 1).map(([b]) => b));
  const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const file of [...new Set(docFiles)]) {
    if (file === 'scripts/refolder.mjs') continue;
    const path = DRY ? file : newPathOf(file);
    if (!existsSync(abs(path))) continue;
    const text = DRY && written.has(file) ? written.get(file) : readFileSync(abs(path), 'utf8');
    let out = text;
    for (const [from, to] of pairs) {
      // full mentions (src/cli/main.ts) and, inside src/ and the docs, ones without src/ (cli/main.ts)
      out = out.replace(new RegExp(`(^|[^\\w./-])${esc(from)}(?![\\w/-])`, 'g'), (_, p) => `${p}${to}`);
      const short = from.slice(4);
      if (path.startsWith('test/')) continue;
      // cli/output.ts, cli/output.js and cli/output (comments and docs name modules all three ways)
      for (const [f, t] of [[short, to.slice(4)], [short.replace(/\.ts$/, '.js'), to.slice(4).replace(/\.ts$/, '.js')], [short.replace(/\.ts$/, ''), to.slice(4).replace(/\.ts$/, '')]]) {
        if (f.includes('/')) out = out.replace(new RegExp(`(^|[\\s\`'"(])${esc(f)}(?![\\w/-]|\\.[a-z])`, 'g'), (_, p) => `${p}${t}`);
      }
      // a bare file name that names exactly one src/ file (sidecar-core.ts) and changed
      const base = posix.basename(from);
      if (uniqueBase.has(base) && base !== posix.basename(to)) out = out.replace(new RegExp(`(^|[\\s\`'"(])${esc(base)}(?![\\w/-]|\\.[a-z])`, 'g'), (_, p) => `${p}${to.slice(4)}`);
    }
    if (out !== text) {
      if (!DRY) writeFileSync(abs(path), out);
      note(`mentions ${path}`);
    }
  }
}

// ------------------------------------------- phase 7: the tests that belong to the new tree
for (const p of INSTALLED_BY_THE_MOVE) {
  if (!existsSync(abs(p))) warnings.push(`${p} is missing: git show db87f31:${p} > ${p} (and the "## Layout" map of CONTRIBUTING.md from the same commit)`);
}

if (!DRY) sh('git', ['add', '-A', '--', 'src', 'test', 'scripts', 'bench', 'docs', 'CONTRIBUTING.md', 'README.md']);
for (const w of warnings) console.warn(`warning: ${w}`);
if (changes === 0) log('refolder: nothing to do (the tree is already refoldered)');
else log(`refolder: ${changes} change(s)${DRY ? ' (dry run: nothing written)' : '; now run: npm run build && npm run typecheck && npm test'}`);
if (args.has('--check') && changes > 0) process.exit(1);
