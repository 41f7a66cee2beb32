#!/usr/bin/env node
/**
 * `npm run bench` (after `npm run build`): the performance targets of issue 8, measured side by
 * side. Creates every fixture under one temporary directory (removed at the end unless --keep),
 * runs each pair interleaved (see bench/harness.mjs), prints one table and writes it as JSON to
 * bench-results/latest.json.
 *
 *   node scripts/bench.mjs [--quick] [--runs N] [--only 1,4,6] [--keep]
 *
 * --only takes row numbers; 4a and 4b (without 4c, the long contention run) may be named alone.
 *
 * --quick: fewer runs, 10k/100k-entry ledgers instead of 100k/1M, 4×10 lock contenders: a sanity
 * check, not the figures to quote.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, totalmem, loadavg } from 'node:os';
import { interleave, pairedRatio, verify, median, harnessOverhead, usesRunner, closeRunner } from '../bench/harness.mjs';
import {
  PKG_ROOT, GATE_BIN, snapshotPackage, makeTmp, cleanEnv, git, sh, gateHas, makeRepo, stageEdits, stageNewFiles, loadChain, writeLedger, packTarball, CONTENDER_SOURCE,
} from '../bench/fixtures.mjs';
import { confirmFixture } from '../bench/confirm.mjs';

const argv = process.argv.slice(2);
const flag = (f) => argv.includes(f);
const opt = (f) => {
  const i = argv.indexOf(f);
  return i === -1 ? undefined : argv[i + 1];
};
const QUICK = flag('--quick');
const KEEP = flag('--keep');
const RUNS = Number(opt('--runs') ?? (QUICK ? 8 : 30));
const HEAVY_RUNS = Number(opt('--heavy-runs') ?? (QUICK ? 2 : 5));
const ONLY = opt('--only')?.split(',').map((s) => s.trim());
const LEDGER_SMALL = QUICK ? 10_000 : 100_000;
const LEDGER_BIG = QUICK ? 100_000 : 1_000_000;
const CONTENDERS = QUICK ? 4 : 16;
const CYCLES = QUICK ? 10 : 50;
const want = (id) => !ONLY || ONLY.includes(id);

const NODE = process.execPath;
const tmp = makeTmp();
const env = cleanEnv(join(tmp, 'home'));
const rows = [];
const t0 = Date.now();
const log = (...a) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${a.join(' ')}\n`);

const nodeE0 = (cwd = tmp) => ({ name: 'node -e 0', cmd: NODE, args: ['-e', '0'], cwd, env });
// extra.env adds to the bench environment (it must not replace it: a command started without
// the caller's environment, e.g. NODE_EXTRA_CA_CERTS, starts node ~40 ms faster than its baseline)
const gate = (name, args, cwd, extra = {}) => ({ name, cmd: NODE, args: [GATE_BIN, ...args], cwd, ...extra, env: { ...env, ...(extra.env ?? {}) } });

function row(id, target, r, threshold, unit = '×', extra = {}, cpu = undefined) {
  const pass = threshold === null ? null : r.median <= threshold; // null: an information row
  const out = { id, target, median: r.median, min: r.min, max: r.max, threshold, unit, pass, ...extra };
  if (r.baseMs !== undefined) Object.assign(out, { base_ms: r.baseMs, subject_ms: r.subjMs, runs: r.runs });
  if (cpu) Object.assign(out, { cpu_median: cpu.median, cpu_min: cpu.min, cpu_max: cpu.max, cpu_base_ms: cpu.baseMs, cpu_subject_ms: cpu.subjMs });
  rows.push(out);
  log(`${id}: ${fmt(r.median)}${unit} (${fmt(r.min)}–${fmt(r.max)}) ${pass === null ? 'information' : `threshold ${threshold}${unit}: ${pass ? 'pass' : 'MISS'}`}${r.baseMs !== undefined ? `  [wall ${r.baseMs.toFixed(1)} vs ${r.subjMs.toFixed(1)} ms]` : ''}${cpu ? `  [cpu ${fmt(cpu.median)}×: ${cpu.baseMs.toFixed(1)} vs ${cpu.subjMs.toFixed(1)} ms]` : ''}`);
}
function missing(id, target, threshold, why, unit = '×') {
  rows.push({ id, target, median: null, min: null, max: null, threshold, unit, pass: null, note: why });
  log(`${id}: ${why}`);
}
const fmt = (x) => (x === null || x === undefined ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(2));

async function pair(id, target, threshold, base, subject, runs = RUNS, opts = {}) {
  verify(base);
  verify(subject);
  const { samples, cpu } = await interleave([base, subject], { runs, ...opts });
  row(id, target, pairedRatio(samples, base.name, subject.name), threshold, '×', {}, pairedRatio(cpu, base.name, subject.name));
}

async function main() {
  log(`tmp ${tmp}; ${cpus().length} CPUs; node ${process.version}; runner ${usesRunner() ? 'python3 wait4 (wall + cpu)' : 'spawnSync (wall only)'}; spawn overhead ${(await harnessOverhead()).toFixed(2)} ms (subtracted from wall)`);
  if (!existsSync(join(PKG_ROOT, 'dist', 'hook.cjs'))) throw new Error('dist/ is missing or stale: run `npm run build` (npm run bench does)');
  const pkg = snapshotPackage(tmp);
  log(`benchmarking a private copy of the built package: ${pkg}`);

  // ---- fixtures shared by targets 1, 3 ----------------------------------------------------
  let small;
  if (want('1') || want('3')) {
    log('fixture: 2,000-file repo with a 10-file staged change');
    small = makeRepo(tmp, 'repo-2k', 2000, env);
    stageEdits(small, env, 10);
  }

  // ---- 1: pre-commit on a 10-file AUTO commit ---------------------------------------------
  if (want('1')) {
    await pair('1', 'check --hook pre-commit, 10 files (AUTO) in a 2,000-file repo vs node -e 0', 1.3,
      nodeE0(small), gate('check pre-commit 10', ['check', '--hook', 'pre-commit'], small));
  }

  // ---- 2: pre-commit on a CONFIRM commit with a valid approved sidecar -----------------------
  if (want('2')) {
    const fx = await confirmFixture(tmp, env, log);
    if (fx.missing) missing('2', 'check --hook pre-commit, CONFIRM with approved sidecar vs node -e 0', 1.6, fx.missing);
    else {
      await pair('2', `check --hook pre-commit, CONFIRM with approved sidecar (${fx.how}) vs node -e 0`, 1.6,
        nodeE0(fx.dir), gate('check pre-commit confirm', ['check', '--hook', 'pre-commit'], fx.dir));
    }
  }

  // ---- 3: 5,000 staged files vs 10 ------------------------------------------------------
  if (want('3')) {
    log('fixture: the same repo with 5,000 new files staged (plus the 10 edits)');
    const big = join(tmp, 'repo-2k-5000');
    cpSync(small, big, { recursive: true });
    stageNewFiles(big, env, 4990);
    const n = git(big, env, 'diff', '--cached', '--name-only').split('\n').length;
    if (n !== 5000) throw new Error(`expected 5000 staged files, got ${n}`);
    await pair('3', 'check --hook pre-commit, 5,000 staged files vs 10 staged files', 3,
      gate('check pre-commit 10', ['check', '--hook', 'pre-commit'], small),
      gate('check pre-commit 5000', ['check', '--hook', 'pre-commit'], big), Math.max(6, Math.round(RUNS / 2)));
  }

  // ---- 4: lock acquire / release, and 16 contenders ---------------------------------------
  if (want('4') || want('4a') || want('4b') || want('4c')) await lockTargets();

  // ---- 5: ledger verify and review -------------------------------------------------------
  if (want('5')) await ledgerTargets();

  // ---- 6: a full commit through husky + lint-staged (+ gate) -------------------------------
  if (want('6')) await commitTarget();

  // ---- R: remote leases (handoff.remote) through a bare remote on this machine ------------
  if (want('R')) {
    const { remoteTargets } = await import('../bench/remote.mjs');
    await remoteTargets({ tmp, env, RUNS, CYCLES: Math.max(3, Math.round(CYCLES / 5)), CONTENDERS, NODE, GATE_BIN, git, makeRepo, interleave, pairedRatio, verify, row, rows, log });
  }

  // ---- 7: --help / --version ------------------------------------------------------------
  if (want('7')) {
    const base = nodeE0();
    const help = gate('gate --help', ['--help'], tmp);
    const version = gate('gate --version', ['--version'], tmp);
    verify(base);
    verify(help);
    verify(version);
    const { samples, cpu } = await interleave([base, help, version], { runs: RUNS });
    row('7a', 'gate --help vs node -e 0', pairedRatio(samples, base.name, help.name), 1.3, '×', {}, pairedRatio(cpu, base.name, help.name));
    row('7b', 'gate --version vs node -e 0', pairedRatio(samples, base.name, version.name), 1.3, '×', {}, pairedRatio(cpu, base.name, version.name));
  }

  // ---- 8: a command of the commander program (information) -------------------------------
  // `gate adr list` loads what the hot file leaves out: commander, the program's chunks, zod (the
  // ADR front matter) and yaml. No target: a figure to compare builds by (CHANGELOG, Performance).
  if (want('8')) {
    log('fixture: repo with two ADRs');
    const dir = makeRepo(tmp, 'repo-adr', 10, env);
    mkdirSync(join(dir, 'adr'), { recursive: true });
    for (const [n, title] of [[1, 'use sqlite'], [2, 'use yaml']]) {
      writeFileSync(join(dir, 'adr', `000${n}-${title.replace(' ', '-')}.md`), `---\nnumber: ${n}\ntitle: ${title}\nstatus: proposed\ndate: 2026-12-01\n---\n\n# ${title}\n\n## Context\n\nx\n\n## Decision\n\ny\n\n## Consequences\n\nz\n`);
    }
    git(dir, env, 'add', '-A');
    git(dir, env, 'commit', '-q', '-m', 'adrs');
    const base = nodeE0(dir);
    const adr = gate('gate adr list', ['adr', 'list'], dir);
    verify(base);
    verify(adr);
    const { samples, cpu } = await interleave([base, adr], { runs: RUNS });
    row('8', 'information: gate adr list (commander, zod, yaml) vs node -e 0', pairedRatio(samples, base.name, adr.name), null, '×', { info: true }, pairedRatio(cpu, base.name, adr.name));
  }
}

async function lockTargets() {
  const id4 = 'gate lock acquire / release vs node -e 0';
  if (!gateHas(env, 'lock', 'acquire') || !gateHas(env, 'lock', 'release')) {
    missing('4a', 'gate lock acquire vs node -e 0', 1.3, 'n/a (command missing)');
    missing('4b', 'gate lock release vs node -e 0', 1.3, 'n/a (command missing)');
    missing('4c', `${CONTENDERS} contenders × ${CYCLES} cycles, overlapping grants`, 0, 'n/a (command missing)', ' overlaps');
    return;
  }
  log('fixture: repo for leases');
  const dir = makeRepo(tmp, 'repo-lock', 50, env);
  mkdirSync(join(dir, 'tasks', 't1'), { recursive: true });
  writeFileSync(join(dir, 'tasks', 't1', 'progress.md'), '# progress\n');
  git(dir, env, 'add', '-A');
  git(dir, env, 'commit', '-q', '-m', 'handoff doc');
  const lenv = { env: { GATE_SESSION: 'bench-agent' } };
  const base = nodeE0(dir);
  const acq = gate('lock acquire', ['lock', 'acquire', 'tasks/t1/progress.md'], dir, lenv);
  const rel = gate('lock release', ['lock', 'release', 'tasks/t1/progress.md'], dir, lenv);
  verify(acq);
  verify(rel);
  const { samples, cpu } = await interleave([base, acq, rel], { runs: RUNS, fixedOrder: true });
  row('4a', 'gate lock acquire vs node -e 0', pairedRatio(samples, base.name, acq.name), 1.3, '×', {}, pairedRatio(cpu, base.name, acq.name));
  row('4b', 'gate lock release vs node -e 0', pairedRatio(samples, base.name, rel.name), 1.3, '×', {}, pairedRatio(cpu, base.name, rel.name));
  void id4;
  if (!want('4') && !want('4c')) return; // --only 4a,4b: the start-up rows without the long contention run

  // Correctness under contention: every contender loops acquire → critical section → release.
  // The critical section creates a marker file exclusively (O_EXCL): if two holders ever overlap,
  // the second create fails and is counted. The ledger's grant/release sequence is checked too.
  log(`lock contention: ${CONTENDERS} contenders × ${CYCLES} cycles`);
  const marker = join(tmp, 'critical-section');
  const script = join(tmp, 'contender.mjs');
  writeFileSync(script, CONTENDER_SOURCE);
  const started = Date.now();
  const results = await Promise.all(
    Array.from({ length: CONTENDERS }, (_, i) =>
      new Promise((resolve, reject) => {
        const p = spawn(NODE, [script, GATE_BIN, dir, marker, String(CYCLES), 'tasks/t1/progress.md'], { env: { ...env, GATE_SESSION: `contender-${i}` }, stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.on('error', reject);
        p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`contender ${i} exited ${code}: ${out}`))));
      })),
  );
  const secs = (Date.now() - started) / 1000;
  const overlaps = results.reduce((s, r) => s + r.overlaps, 0);
  const grants = results.reduce((s, r) => s + r.grants, 0);
  // ledger sequence: grants and releases of the path must alternate, each release by the holder
  const seqProblems = checkLeaseSequence(dir, 'tasks/t1/progress.md');
  const total = overlaps + seqProblems.length;
  rows.push({
    id: '4c', target: `${CONTENDERS} contenders × ${CYCLES} cycles: overlapping grants (marker file + ledger sequence)`,
    median: total, min: total, max: total, threshold: 0, unit: ' overlaps', pass: total === 0 && grants === CONTENDERS * CYCLES,
    note: `${grants} grants in ${secs.toFixed(0)} s; ${overlaps} marker overlaps; ${seqProblems.length} ledger sequence problems${seqProblems.length ? `: ${seqProblems.slice(0, 3).join('; ')}` : ''}`,
  });
  log(`4c: ${grants} grants, ${overlaps} overlaps, ${seqProblems.length} ledger problems, ${secs.toFixed(0)} s`);
}

function checkLeaseSequence(dir, path) {
  const common = git(dir, env, 'rev-parse', '--path-format=absolute', '--git-common-dir');
  const ledger = join(common, 'agent-gates', 'ledger.jsonl');
  const problems = [];
  if (!existsSync(ledger)) return ['no ledger'];
  let holder;
  for (const line of readFileSync(ledger, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line);
    if (!String(e.event).startsWith('lease.')) continue;
    const paths = e.subject?.paths ?? [];
    if (!paths.includes(path)) continue;
    const who = e.actor?.id;
    if (e.event === 'lease.grant' || e.event === 'lease.takeover' || e.event === 'lease.break') {
      if (holder !== undefined && holder !== who) problems.push(`seq ${e.seq}: ${e.event} to ${who} while ${holder} held it`);
      holder = who;
    } else if (e.event === 'lease.release') {
      if (holder !== who) problems.push(`seq ${e.seq}: release by ${who} while ${holder ?? 'nobody'} held it`);
      holder = undefined;
    }
  }
  return problems;
}

async function ledgerTargets() {
  log(`fixture: ledgers of ${LEDGER_SMALL} and ${LEDGER_BIG} entries`);
  const chain = await loadChain(tmp);
  const mk = (name, n) => {
    const dir = join(tmp, name);
    mkdirSync(dir, { recursive: true });
    git(dir, env, 'init', '-q', '-b', 'main');
    git(dir, env, 'config', 'user.email', 'bench@example.com');
    git(dir, env, 'config', 'user.name', 'Bench Human');
    const t = Date.now();
    const r = writeLedger(chain, join(dir, '.git', 'agent-gates'), n);
    log(`  ${name}: ${n} entries, ${(r.bytes / 1e6).toFixed(0)} MB in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return { dir, ...r };
  };
  const smallL = mk('ledger-small', LEDGER_SMALL);
  const bigL = mk('ledger-big', LEDGER_BIG);
  const big = LEDGER_BIG.toLocaleString('en-US');
  const smallN = LEDGER_SMALL.toLocaleString('en-US');

  const sha = { name: 'sha256sum', cmd: 'sha256sum', args: [bigL.path], cwd: bigL.dir, env };
  const ver = gate('audit verify big', ['audit', 'verify'], bigL.dir);
  await pair('5a', `gate audit verify vs sha256sum, ${big}-entry ledger (${(bigL.bytes / 1e6).toFixed(0)} MB)`, 3, sha, ver, HEAVY_RUNS, { warmup: 1 });

  if (!gateHas(env, 'review')) {
    missing('5b', `gate review, ${big} vs ${smallN} entries`, 11, 'n/a (command missing)');
    missing('5c', `gate review peak RSS, ${big} entries`, 200, 'n/a (command missing)', ' MB');
    return;
  }
  const revS = gate('review small', ['review'], smallL.dir);
  const revB = gate('review big', ['review'], bigL.dir);
  await pair('5b', `gate review, ${big} vs ${smallN} entries (linear ≤ 11×)`, 11, revS, revB, HEAVY_RUNS, { warmup: 1 });
  const rss = (c) => {
    const out = join(tmp, 'time.txt');
    const xs = [];
    for (let i = 0; i < Math.max(2, HEAVY_RUNS - 2); i++) {
      const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', out, c.cmd, ...c.args], { cwd: c.cwd, env: c.env, stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`${c.name} failed under /usr/bin/time`);
      xs.push(Number(readFileSync(out, 'utf8').trim().split('\n').pop()) / 1024);
    }
    return xs;
  };
  const hasTime = existsSync('/usr/bin/time');
  const ms = hasTime ? rss(revS) : [];
  const mb = hasTime ? rss(revB) : [];
  if (!hasTime) missing('5c', 'gate review peak RSS', 200, 'n/a (/usr/bin/time missing)', ' MB');
  else {
    row('5c', `gate review peak RSS at ${big} entries (at ${smallN}: ${median(ms).toFixed(0)} MB)`, { median: median(mb), min: Math.min(...mb), max: Math.max(...mb) }, 200, ' MB',
      { rss_small_mb: median(ms) });
  }
}

async function commitTarget() {
  const tplPre = join(tmp, 'pkg', 'templates', 'hooks', 'pre-commit');
  const tplPost = join(tmp, 'pkg', 'templates', 'hooks', 'post-commit');
  if (!existsSync(tplPre)) {
    missing('6', 'git commit: husky + lint-staged + gate vs husky + lint-staged', 1.35, 'n/a (hook templates missing)');
    return;
  }
  log('fixture: consumer repos with husky + lint-staged (+ agent-gates from the packed tarball)');
  const tarball = packTarball(tmp, env);
  const consumer = (name) => {
    const dir = makeRepo(tmp, name, 200, env);
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({
      name, version: '1.0.0', private: true, scripts: { prepare: 'husky' },
      'lint-staged': { '*.ts': 'true' },
    }, null, 2)}\n`);
    return dir;
  };
  const a = consumer('consumer-plain');
  const b = consumer('consumer-gate');
  // Install once (tarball + husky + lint-staged from the registry/cache), then copy node_modules.
  const deps = ['husky@^9', 'lint-staged@^16', tarball];
  sh('npm', ['install', '--no-audit', '--no-fund', '--save-dev', '--loglevel=error', ...deps], { cwd: b, env });
  cpSync(join(b, 'node_modules'), join(a, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  cpSync(join(b, 'package.json'), join(a, 'package.json'));
  for (const dir of [a, b]) {
    sh('npx', ['--no-install', 'husky'], { cwd: dir, env }); // what `prepare` does
  }
  // Plain: husky's pre-commit runs lint-staged exactly as the agent-gates template runs it.
  writeFileSync(join(a, '.husky', 'pre-commit'), './node_modules/.bin/lint-staged\n');
  // With gate: `gate init` (config, rules, hooks, as a user would set it up), else the templates.
  const init = spawnSync(join(b, 'node_modules', '.bin', 'gate'), ['init'], { cwd: b, env, encoding: 'utf8' });
  let how = 'gate init';
  if (init.status !== 0 || !existsSync(join(b, '.husky', 'post-commit'))) {
    how = 'hook templates';
    cpSync(tplPre, join(b, '.husky', 'pre-commit'));
    if (existsSync(tplPost)) cpSync(tplPost, join(b, '.husky', 'post-commit'));
  }
  for (const dir of [a, b]) {
    git(dir, env, 'add', '-A');
    git(dir, env, 'commit', '-q', '--no-verify', '-m', 'husky setup');
  }
  let k = 0;
  const commit = (name, dir) => ({
    name, cmd: 'git', args: ['commit', '-q', '-m', 'bench commit'], cwd: dir, env,
    prepare: () => {
      k += 1;
      stageEdits(dir, env, 10, `round ${k}`);
    },
  });
  const ca = commit('commit husky+lint-staged', a);
  const cb = commit('commit husky+lint-staged+gate', b);
  for (const x of [ca, cb]) verify(x);
  const { samples, cpu } = await interleave([ca, cb], { runs: Math.max(8, Math.round(RUNS / 2)) });
  row('6', `git commit (10 files): husky + lint-staged + gate (${how}) vs husky + lint-staged`, pairedRatio(samples, ca.name, cb.name), 1.35, '×', {}, pairedRatio(cpu, ca.name, cb.name));

  // 6f (information): where the post-commit's work went. An ordinary commit leaves a pending record
  // (ADR 0009) that the next ledger write folds into the ledger; the rounds above left one per
  // commit. Measured: `gate status` (which folds) with those records waiting vs with none waiting.
  const pendingDir = join(b, '.git', 'agent-gates', 'pending');
  const names = existsSync(pendingDir) ? readdirSync(pendingDir).filter((n) => /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(n)) : [];
  if (names.length === 0) {
    rows.push({ id: '6f', target: 'information: folding the pending commit records', median: null, min: null, max: null, threshold: null, unit: '×', pass: null, info: true, note: 'n/a (no pending records: the post-commit fast path did not run)' });
  } else {
    const saved = join(tmp, 'pending-saved');
    cpSync(pendingDir, saved, { recursive: true });
    const status = (name, restore) => ({
      name, cmd: join(b, 'node_modules', '.bin', 'gate'), args: ['status'], cwd: b, env,
      prepare: () => {
        rmSync(pendingDir, { recursive: true, force: true });
        mkdirSync(pendingDir, { recursive: true });
        if (restore) for (const n of names) cpSync(join(saved, n), join(pendingDir, n));
      },
    });
    const s0 = status('gate status, no pending record', false);
    const s1 = status(`gate status folding ${names.length} pending records`, true);
    for (const x of [s0, s1]) verify(x);
    const f = await interleave([s0, s1], { runs: Math.max(8, Math.round(RUNS / 3)) });
    const w = pairedRatio(f.samples, s0.name, s1.name);
    const wc = pairedRatio(f.cpu, s0.name, s1.name);
    rows.push({ id: '6f', target: `information: gate status folding the ${names.length} pending commit records those commits left (ADR 0009) vs nothing pending`, median: w.median, min: w.min, max: w.max, threshold: null, unit: '×', pass: null, info: true,
      base_ms: w.baseMs, subject_ms: w.subjMs, runs: w.runs, cpu_median: wc.median, cpu_min: wc.min, cpu_max: wc.max, cpu_base_ms: wc.baseMs, cpu_subject_ms: wc.subjMs });
    log(`6f: ${fmt(w.median)}× (${fmt(w.min)}–${fmt(w.max)})  [${fmt(w.baseMs)} vs ${fmt(w.subjMs)} ms]`);
  }
  const log1 = git(b, env, 'log', '-1', '--format=%s');
  if (log1 !== 'bench commit') throw new Error('the gated consumer repo did not commit');
}

function printTable() {
  const head = ['target', 'measured (median)', 'min–max', 'cpu-time ratio', 'threshold', 'result'];
  const body = rows.map((r) => [
    `${r.id}. ${r.target}`,
    r.median === null ? r.note : `${fmt(r.median)}${r.unit}`,
    r.median === null ? '' : `${fmt(r.min)}–${fmt(r.max)}${r.unit}`,
    r.cpu_median === undefined ? '' : `${fmt(r.cpu_median)}×`,
    r.threshold === null ? '—' : `≤ ${r.threshold}${r.unit}`,
    r.info ? 'info' : r.pass === null ? 'n/a' : r.pass ? 'pass' : 'MISS',
  ]);
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((b) => `| ${b.join(' | ')} |`)];
  process.stdout.write(`\n${lines.join('\n')}\n`);
  return lines.join('\n');
}

let failed;
try {
  await main();
} catch (e) {
  failed = e;
  process.stderr.write(`bench: ${e.stack ?? e}\n`);
} finally {
  const table = printTable();
  const dir = join(PKG_ROOT, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const result = {
    date: new Date().toISOString(),
    quick: QUICK,
    runs: RUNS,
    heavy_runs: HEAVY_RUNS,
    node: process.version,
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model,
    mem_gb: +(totalmem() / 2 ** 30).toFixed(1),
    git: spawnSync('git', ['--version'], { encoding: 'utf8' }).stdout.trim(),
    commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PKG_ROOT, encoding: 'utf8' }).stdout.trim(),
    harness_overhead_ms: await harnessOverhead(),
    // environment that changes node's own start-up cost (and so every ratio to node -e 0)
    node_env: Object.fromEntries(['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'].filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]])),
    loadavg_end: loadavg(),
    rows,
    table,
    ...(failed ? { error: String(failed.message ?? failed) } : {}),
  };
  const file = join(dir, QUICK ? 'latest-quick.json' : 'latest.json');
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\nwritten: ${file}\n`);
  if (KEEP) process.stdout.write(`fixtures kept in ${tmp}\n`);
  else rmSync(tmp, { recursive: true, force: true });
  closeRunner();
  process.exitCode = failed ? 1 : rows.some((r) => r.pass === false) ? 1 : 0;
}
