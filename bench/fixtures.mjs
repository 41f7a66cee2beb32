/**
 * Benchmark fixtures, all created under one temporary directory that the caller removes:
 * git repositories of a given size with staged changes, hash-chained ledgers written directly
 * with the real chain functions (src/ledger/chain.ts, bundled on the fly), and consumer repos
 * with husky + lint-staged installed from the packed tarball.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, realpathSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID, createHash } from 'node:crypto';

export const PKG_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The CLI under test; `snapshotPackage` points it at a private copy. */
export let GATE_BIN = join(PKG_ROOT, 'bin', 'gate.js');
let PACK_ROOT = PKG_ROOT;

/**
 * Copy the built package (bin, dist, templates, …) into the temp dir and benchmark that copy:
 * other people rebuild dist/ in this tree while the bench runs, and a figure must describe one
 * build. Returns the copy's root.
 */
export function snapshotPackage(tmp) {
  const dest = join(tmp, 'pkg');
  mkdirSync(dest, { recursive: true });
  for (const f of ['package.json', 'README.md', 'LICENSE', 'bin', 'dist', 'templates', 'rules', 'schema']) {
    if (existsSync(join(PKG_ROOT, f))) cpSync(join(PKG_ROOT, f), join(dest, f), { recursive: true });
  }
  GATE_BIN = join(dest, 'bin', 'gate.js');
  PACK_ROOT = dest;
  return dest;
}

export function makeTmp() {
  return realpathSync(mkdtempSync(join(tmpdir(), 'gate-bench-')));
}

/** The environment without inherited git/husky/session variables (the bench may run in a hook). */
export function cleanEnv(home, extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('GIT_') || k === 'HUSKY' || k.startsWith('GATE_') || k === 'NODE_OPTIONS' || k === 'FORCE_COLOR' || k.startsWith('npm_')) continue;
    env[k] = v;
  }
  mkdirSync(home, { recursive: true });
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    NO_COLOR: '1',
    TZ: 'UTC',
    ...extra,
  };
}

export function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}) in ${opts.cwd ?? process.cwd()}:\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

export function git(dir, env, ...args) {
  return sh('git', args, { cwd: dir, env }).stdout.trim();
}

/** Does `gate <words...>` exist in the built CLI? (its --help exits 0; an unknown command exits 2) */
export function gateHas(env, ...words) {
  const r = spawnSync(process.execPath, [GATE_BIN, ...words, '--help'], { encoding: 'utf8', env });
  if (r.status !== 0) return false;
  // commander prints the parent's help for an unknown sub-command of a known group
  const last = words[words.length - 1];
  return new RegExp(`\\b${last}\\b`).test(r.stdout.split('\n')[0] ?? '') || r.stdout.includes(`gate ${words.join(' ')}`);
}

/**
 * A committed repository of `files` text files (50 per directory), with the default gate
 * configuration committed as .agents/gates.yaml. Returns its directory.
 */
export function makeRepo(root, name, files, env) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  git(dir, env, 'init', '-q', '-b', 'main');
  git(dir, env, 'config', 'user.name', 'Bench Human');
  git(dir, env, 'config', 'user.email', 'bench@example.com');
  git(dir, env, 'config', 'commit.gpgsign', 'false');
  for (let i = 0; i < files; i++) {
    const d = join(dir, 'src', `m${String(Math.floor(i / 50)).padStart(3, '0')}`);
    if (i % 50 === 0) mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `file${String(i).padStart(5, '0')}.ts`), `// file ${i}\nexport const v${i} = ${i};\nexport function f${i}(x: number) {\n  return x + ${i};\n}\n`);
  }
  mkdirSync(join(dir, '.agents'), { recursive: true });
  const tpl = join(PACK_ROOT, 'templates', 'gates.yaml');
  if (existsSync(tpl)) writeFileSync(join(dir, '.agents', 'gates.yaml'), readFileSync(tpl));
  writeFileSync(join(dir, '.gitignore'), 'node_modules/\n.agents/gate-b/\n');
  git(dir, env, 'add', '-A');
  git(dir, env, 'commit', '-q', '-m', 'initial');
  return dir;
}

/** Edit `n` existing files (appending a line) and stage them. */
export function stageEdits(dir, env, n, tag = 'edit') {
  for (let i = 0; i < n; i++) {
    const p = join(dir, 'src', `m${String(Math.floor(i / 50)).padStart(3, '0')}`, `file${String(i).padStart(5, '0')}.ts`);
    writeFileSync(p, `${readFileSync(p, 'utf8')}// ${tag}\n`);
  }
  git(dir, env, 'add', '-A');
}

/** Add `n` new files under `under/` and stage them. */
export function stageNewFiles(dir, env, n, under = 'gen') {
  for (let i = 0; i < n; i++) {
    const d = join(dir, under, `g${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `new${String(i).padStart(5, '0')}.ts`), `export const n${i} = ${i};\n`);
  }
  git(dir, env, 'add', '-A');
}

/** Bundle the real chain functions (src/ledger/chain.ts) and import them. */
export async function loadChain(tmp) {
  const { build } = await import('esbuild');
  const out = join(tmp, 'chain.mjs');
  await build({ absWorkingDir: PKG_ROOT, entryPoints: ['src/ledger/chain.ts'], outfile: out, bundle: true, format: 'esm', platform: 'node', logLevel: 'warning' });
  return import(out);
}

const hex = (s) => createHash('sha1').update(s).digest('hex');

/** A plausible ledger event for entry `i` (mixed kinds, like a busy clone). */
function eventFor(i) {
  const k = i % 20;
  const session = `agent-${i % 7}`;
  const agent = { kind: 'agent', id: session, session };
  const human = { kind: 'human', id: 'human:bench@example.com' };
  const paths = [];
  const nPaths = 1 + (i % 9);
  for (let j = 0; j < nPaths; j++) paths.push(`src/m${String((i + j) % 40).padStart(3, '0')}/file${String((i * 7 + j) % 2000).padStart(5, '0')}.ts`);
  if (k < 12) return { event: 'commit', actor: i % 3 ? agent : human, subject: { commit: hex(`c${i}`), tree: hex(`t${i}`), paths }, data: { files: nPaths } };
  if (k < 14) return { event: 'lease.grant', actor: agent, subject: { paths: [`tasks/t${i % 50}/progress.md`] }, data: { token: i, ttl: '30m' } };
  if (k < 16) return { event: 'lease.release', actor: agent, subject: { paths: [`tasks/t${i % 50}/progress.md`] }, data: { token: i - 2 } };
  if (k === 16) return { event: 'explain', actor: agent, subject: { tree: hex(`t${i}`), paths: ['rules/style.md'] }, data: { tier: 'CONFIRM', surfaces: ['agent-rules'] } };
  if (k === 17) return { event: 'approve', actor: human, subject: { tree: hex(`t${i - 1}`), paths: ['rules/style.md'] }, data: { tier: 'CONFIRM', strength: 'terminal', surfaces: ['agent-rules'] } };
  if (k === 18) return { event: 'check.block', actor: agent, subject: { tree: hex(`t${i}`), paths: ['rules/style.md'] }, data: { hook: 'pre-commit', codes: ['B_UNEXPLAINED'] } };
  return { event: 'reject', actor: human, subject: { tree: hex(`t${i}`), paths: ['skills/x.md'] }, data: { tier: 'CONFIRM', reason: 'not needed' } };
}

/**
 * Write a correctly chained ledger of `n` entries plus its head file and repo-id into
 * `stateDir`, spread over the last `days` days. Returns {path, bytes}.
 */
export function writeLedger(chain, stateDir, n, { days = 20 } = {}) {
  mkdirSync(stateDir, { recursive: true });
  const repoId = randomUUID();
  writeFileSync(join(stateDir, 'repo-id'), `${repoId}\n`);
  const path = join(stateDir, 'ledger.jsonl');
  const fd = openSync(path, 'w');
  let prev = chain.genesisHash(repoId);
  const end = Date.now() - 3_600_000;
  const start = end - days * 86_400_000;
  const step = (end - start) / Math.max(n, 1);
  let size = 0;
  let buf = [];
  let bufLen = 0;
  try {
    for (let i = 1; i <= n; i++) {
      const ev = eventFor(i);
      const line = chain.serializeEntry({ seq: i, ts: new Date(start + i * step).toISOString(), event: ev.event, actor: ev.actor, subject: ev.subject, data: ev.data, prev });
      prev = chain.linkHash(line);
      buf.push(line);
      bufLen += line.length + 1;
      if (bufLen > 4 << 20) {
        const s = `${buf.join('\n')}\n`;
        size += writeSync(fd, s);
        buf = [];
        bufLen = 0;
      }
    }
    if (buf.length) size += writeSync(fd, `${buf.join('\n')}\n`);
  } finally {
    closeSync(fd);
  }
  writeFileSync(join(stateDir, 'ledger.head'), `${JSON.stringify({ seq: n, hash: prev, size })}\n`);
  return { path, bytes: size };
}

/** `npm pack` this package (without lifecycle scripts: `prepare` would install husky here). */
export function packTarball(tmp, env) {
  const dest = join(tmp, 'pack');
  mkdirSync(dest, { recursive: true });
  const r = sh('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dest], { cwd: PACK_ROOT, env });
  const name = r.stdout.trim().split('\n').pop();
  return join(dest, name);
}

/** Copy a directory tree (node_modules between the two consumer repos). */
export function copyTree(from, to) {
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

/**
 * The lock contender of rows 4c and R2: `node <script> <gate bin> <dir> <marker> <cycles> <path>`
 * loops acquire (--wait: the CLI retries in-process) → critical section → release and prints
 * {grants, overlaps, denials}. The critical section creates `marker` exclusively (O_EXCL): two
 * holders at once make the second create fail, and it is counted.
 */
export const CONTENDER_SOURCE = `
import { spawnSync } from 'node:child_process';
import { openSync, closeSync, unlinkSync } from 'node:fs';
const [gateBin, dir, marker, cyclesText, doc] = process.argv.slice(2);
const cycles = Number(cyclesText);
let grants = 0, overlaps = 0, denials = 0;
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
while (grants < cycles) {
  const a = spawnSync(process.execPath, [gateBin, 'lock', 'acquire', doc, '--ttl', '5m', '--wait', '10m'], { cwd: dir, encoding: 'utf8' });
  if (a.status === 1) { denials++; sleep(5 + Math.random() * 40); continue; }
  if (a.status !== 0) { console.error('acquire failed', a.status, a.stderr); process.exit(2); }
  grants++;
  let fd;
  try { fd = openSync(marker, 'wx'); } catch { overlaps++; }
  sleep(1);
  if (fd !== undefined) { closeSync(fd); unlinkSync(marker); }
  const r = spawnSync(process.execPath, [gateBin, 'lock', 'release', doc], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) { console.error('release failed', r.status, r.stderr); process.exit(2); }
}
process.stdout.write(JSON.stringify({ grants, overlaps, denials }));
`;
