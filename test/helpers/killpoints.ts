/**
 * The kill-point harness (issue 13, ADR 0011). Each operation (a ledger append, a lease grant or
 * release, a gated commit through the real hooks) is first traced once to count, per process,
 * every syscall that writes (write, pwrite64, rename*, fsync, fdatasync, unlink*, mkdir*, rmdir,
 * ftruncate); then it is run again under `strace -f -e inject=<syscall>:signal=SIGKILL:when=N`
 * for each chosen boundary, so the process making its N-th such call dies right there (before
 * the call runs). After every kill the invariants are checked:
 *   - the next command works, or `gate audit repair` makes `gate audit verify` pass;
 *   - no acknowledged operation (exit 0) is missing from the ledger, and none is recorded twice;
 *   - fencing tokens strictly increase (never reused);
 *   - never two holders: a second owner is refused exactly when the first one's lease stands.
 * Without strace the same operations are SIGKILLed at random times instead (never skipped).
 * `error=ENOSPC` replaces the signal for the disk-full variant.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { GATE_BIN, makeRepo, run, type RunResult, type TempRepo } from './repo.js';

export const WRITE_SYSCALLS = ['write', 'pwrite64', 'rename', 'renameat', 'renameat2', 'fsync', 'fdatasync', 'unlink', 'unlinkat', 'mkdir', 'mkdirat', 'rmdir', 'ftruncate'] as const;

const ENOSPC_SYSCALLS: readonly string[] = ['pwrite64', 'fsync', 'fdatasync', 'mkdir', 'mkdirat'];

/** GATE_KILLPOINTS_NO_STRACE=1 exercises the fallback (random-time kills) where strace exists. */
export const HAS_STRACE = process.env.GATE_KILLPOINTS_NO_STRACE !== '1' && spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;

export interface Figures {
  operation: string;
  mode: 'strace-kill' | 'strace-enospc' | 'random-time-kill';
  boundaries: number;
  runs: number;
  killed: number;
  /** Runs after which `gate audit verify` failed and `gate audit repair` restored it. */
  repaired: number;
  /** Runs after which the next command needed nothing at all. */
  clean: number;
  acknowledged: number;
  lost: number;
  duplicated: number;
  tokensReused: number;
  twoHolders: number;
  stacks: number;
  failures: string[];
}

export interface Lab {
  r: TempRepo;
  env: NodeJS.ProcessEnv;
  gate(args: string[]): RunResult;
  /** The same command in process (test/helpers/gate-in.ts), for the invariant checks after the first command. */
  gateIn(args: string[]): Promise<RunResult>;
  ledger(): { seq: number; event: string; subject: { commit?: string; paths?: string[] }; data: Record<string, unknown> }[];
  stateDir: string;
  /** Commits acknowledged so far (git commit exited 0). */
  commits: Set<string>;
  /** Tokens acknowledged so far, in order. */
  tokens: number[];
  counter: number;
}

/** A repo after `gate init` with gate on PATH (the hooks call it), one bootstrap commit. */
export function makeLab(): Lab {
  const r = makeRepo();
  const bin = join(r.home, 'bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(GATE_BIN, join(bin, 'gate'));
  r.env.PATH = `${bin}:${r.env.PATH ?? ''}`;
  // commits dated an hour back: their reflog lines are old enough to be recovered at once
  r.env.GIT_COMMITTER_DATE = r.env.GIT_AUTHOR_DATE = `${Math.floor(Date.now() / 1000) - 3600} +0000`;
  const init = r.gate(['init']);
  if (init.code !== 0) throw new Error(init.stderr);
  r.write('README.md', '# p\n');
  r.gitOk('add', '-A');
  r.gitOk('commit', '-q', '--no-verify', '-m', 'bootstrap');
  const stateDir = join(r.commonDir(), 'agent-gates');
  const lab: Lab = {
    r,
    env: r.env,
    gate: (args) => r.gate(args),
    gateIn: (args) => r.gateIn(args),
    stateDir,
    ledger: () => {
      const p = join(stateDir, 'ledger.jsonl');
      if (!existsSync(p)) return [];
      return readFileSync(p, 'utf8').split('\n').flatMap((l) => {
        try {
          return l ? [JSON.parse(l)] : [];
        } catch {
          return [];
        }
      });
    },
    commits: new Set(),
    tokens: [],
    counter: 0,
  };
  return lab;
}

export interface Operation {
  name: string;
  /** The command (argv) to run, traced; prepared fresh for each run. */
  prepare(lab: Lab): { cmd: string; args: string[] };
  /** What an exit 0 acknowledged (recorded into the lab). */
  acknowledge(lab: Lab, out: RunResult): void;
  /** Back to the starting state (must succeed: that is "the next command works"). */
  reset(lab: Lab): string | undefined;
}

const json = (s: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(s) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

export const OPERATIONS: Operation[] = [
  {
    name: 'lock acquire',
    prepare: () => ({ cmd: process.execPath, args: [GATE_BIN, 'lock', 'acquire', 'progress.md', '--owner', 'a', '--json'] }),
    acknowledge: (lab, out) => {
      const j = json(out.stdout) as { granted?: { token: number }[] } | undefined;
      for (const g of j?.granted ?? []) lab.tokens.push(g.token);
    },
    reset: (lab) => {
      const rel = lab.gate(['lock', 'release', 'progress.md', '--owner', 'a']);
      return rel.code === 0 ? undefined : `release after acquire: exit ${rel.code}: ${rel.stderr}`;
    },
  },
  {
    name: 'lock release',
    prepare: (lab) => {
      const a = lab.gate(['lock', 'acquire', 'progress.md', '--owner', 'a', '--json']);
      if (a.code !== 0) throw new Error(`acquire before release: ${a.stderr}`);
      for (const g of (json(a.stdout) as { granted: { token: number }[] }).granted) lab.tokens.push(g.token);
      return { cmd: process.execPath, args: [GATE_BIN, 'lock', 'release', 'progress.md', '--owner', 'a'] };
    },
    acknowledge: () => undefined,
    reset: (lab) => {
      const rel = lab.gate(['lock', 'release', 'progress.md', '--owner', 'a']);
      return rel.code === 0 ? undefined : `release again: exit ${rel.code}: ${rel.stderr}`;
    },
  },
  {
    name: 'ledger append',
    // one plain append (and the fold of anything pending): `gate lock renew` of a free path
    // records a lease.deny and exits 1
    prepare: () => ({ cmd: process.execPath, args: [GATE_BIN, 'lock', 'renew', 'free-doc/progress.md', '--owner', 'z'] }),
    acknowledge: () => undefined,
    reset: () => undefined,
  },
  {
    name: 'git commit through the hooks',
    prepare: (lab) => {
      lab.counter += 1;
      lab.r.write(`src/f${lab.counter}.txt`, `${lab.counter}\n`);
      lab.r.gitOk('add', '-A');
      return { cmd: 'git', args: ['commit', '-q', '-m', `c${lab.counter}`] };
    },
    acknowledge: (lab) => {
      lab.commits.add(lab.r.gitOk('rev-parse', 'HEAD'));
    },
    reset: (lab) => {
      // git killed mid-commit leaves its own index.lock (git's recovery, not gate's: git says to
      // remove it); a commit whose pre-commit died did not happen: drop what was staged for it
      // The same for the ref locks a kill during the ref update leaves (HEAD.lock, refs/heads/*.lock):
      // left in place, every later commit fails with git's exit 128.
      for (const lock of ['index.lock', 'HEAD.lock', 'ORIG_HEAD.lock', join('refs', 'heads', 'main.lock'), join('refs', 'heads', 'master.lock')]) {
        rmSync(join(lab.r.dir, '.git', lock), { force: true });
      }
      lab.r.git('reset', '-q', '--hard');
      lab.r.git('clean', '-qfd', 'src');
      return undefined;
    },
  },
];

/** Per process, how many times each write syscall runs in one uninterrupted run. */
export function boundaries(lab: Lab, op: Operation): { syscall: string; n: number }[] {
  const log = join(lab.r.home, 'strace.log');
  const { cmd, args } = op.prepare(lab);
  const t = run('strace', ['-f', '-qq', '-o', log, '-e', `trace=${WRITE_SYSCALLS.join(',')}`, cmd, ...args], { cwd: lab.r.dir, env: lab.env });
  if (t.code === 0) op.acknowledge(lab, t);
  const reset = op.reset(lab);
  if (reset) throw new Error(reset);
  const counts = new Map<string, Map<string, number>>();
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const m = /^(\d+)\s+([a-z0-9_]+)\(/.exec(line);
    if (!m) continue;
    const per = counts.get(m[2]!) ?? new Map<string, number>();
    per.set(m[1]!, (per.get(m[1]!) ?? 0) + 1);
    counts.set(m[2]!, per);
  }
  rmSync(log, { force: true });
  const out: { syscall: string; n: number }[] = [];
  for (const [syscall, per] of counts) {
    const max = Math.max(...per.values());
    for (let n = 1; n <= max; n++) out.push({ syscall, n });
  }
  return out;
}

/** Longer than any operation takes; a run still going then is a hang (reported, its group killed). */
const HANG_MS = 120_000;

/** Run in its own process group; SIGKILL the group after `killAfterMs` (a kill point) or HANG_MS (a hang). */
function runGroup(cmd: string, args: readonly string[], lab: Lab, killAfterMs?: number): Promise<RunResult & { signalled: boolean; hung: boolean }> {
  const p = spawn(cmd, args as string[], { cwd: lab.r.dir, env: lab.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let hung = false;
  p.stdout.on('data', (d) => (stdout += d));
  p.stderr.on('data', (d) => (stderr += d));
  const killGroup = () => {
    try {
      process.kill(-p.pid!, 'SIGKILL'); // the whole group: git, its hooks, strace's tracees
    } catch {
      /* already done */
    }
  };
  const timer = killAfterMs === undefined ? undefined : setTimeout(killGroup, killAfterMs);
  const hang = setTimeout(() => {
    hung = true;
    killGroup();
  }, HANG_MS);
  return new Promise((res) =>
    p.on('close', (c, sig) => {
      clearTimeout(timer);
      clearTimeout(hang);
      const code = c ?? (sig ? 137 : -1);
      res({ code, stdout, stderr, signalled: code >= 128, hung });
    }),
  );
}

function runTraced(lab: Lab, op: Operation, inject: string | undefined): Promise<RunResult & { signalled: boolean; hung: boolean }> {
  const { cmd, args } = op.prepare(lab);
  if (!inject) return runGroup(cmd, args, lab);
  return runGroup('strace', ['-f', '-qq', '-o', '/dev/null', '-e', `trace=${WRITE_SYSCALLS.join(',')}`, '-e', `inject=${inject}`, cmd, ...args], lab);
}

/** A run SIGKILLed (its whole process group) after a random delay. */
function runRandomKill(lab: Lab, op: Operation, maxMs: number): Promise<RunResult & { signalled: boolean; hung: boolean }> {
  const { cmd, args } = op.prepare(lab);
  return runGroup(cmd, args, lab, Math.random() * maxMs);
}

const STACK = /\n\s+at .+\(.+:\d+:\d+\)|internal error \(a bug\)/;

/**
 * After a run: verify (repairing when needed) and check every invariant. The first command after
 * the kill (`gate audit verify`, and `gate audit repair` when it fails) and the operation's reset
 * run as processes of their own, as a person's next commands would; the lease checks in between
 * ask the same commands in process.
 */
async function check(lab: Lab, op: Operation, out: RunResult & { signalled: boolean; hung?: boolean }, f: Figures, label: string): Promise<void> {
  if (out.hung) f.failures.push(`${label}: still running after ${HANG_MS} ms (killed)`);
  if (STACK.test(out.stderr) || out.code === 70) {
    f.stacks += 1;
    f.failures.push(`${label}: a stack or exit 70: ${out.stderr.slice(0, 400)}`);
  }
  if (out.code === 0) {
    f.acknowledged += 1;
    op.acknowledge(lab, out);
  }
  if (out.signalled) f.killed += 1;
  const v = lab.gate(['audit', 'verify', '--json']);
  if (v.code !== 0) {
    const rep = lab.gate(['audit', 'repair']);
    const v2 = lab.gate(['audit', 'verify', '--json']);
    if (rep.code !== 0 || v2.code !== 0) {
      f.failures.push(`${label}: not recovered: verify ${v.code} ${v.stdout.slice(0, 300)} repair ${rep.code} ${rep.stderr.slice(0, 300)} verify ${v2.code} ${v2.stdout.slice(0, 300)}`);
      return;
    }
    f.repaired += 1;
  } else f.clean += 1;
  // never two holders: b is refused exactly when a's lease stands
  const st = json((await lab.gateIn(['lock', 'status', 'progress.md', '--json'])).stdout) as { leases?: { state: string; owner?: string }[] } | undefined;
  const heldByA = st?.leases?.[0]?.state === 'held' && st.leases[0].owner === 'a';
  const b = await lab.gateIn(['lock', 'acquire', 'progress.md', '--owner', 'b', '--json']);
  if (heldByA ? b.code !== 1 : b.code !== 0) {
    f.twoHolders += heldByA && b.code === 0 ? 1 : 0;
    f.failures.push(`${label}: lease held by a: ${heldByA}, acquire by b: exit ${b.code} ${b.stderr.slice(0, 300)}`);
  }
  if (b.code === 0) {
    for (const g of (json(b.stdout) as { granted: { token: number }[] }).granted) lab.tokens.push(g.token);
    const rb = await lab.gateIn(['lock', 'release', 'progress.md', '--owner', 'b']);
    if (rb.code !== 0) f.failures.push(`${label}: release by b: exit ${rb.code} ${rb.stderr.slice(0, 300)}`);
  }
  const reset = op.reset(lab);
  if (reset) f.failures.push(`${label}: the next command failed: ${reset}`);
}

/** The final accounting over the whole ledger: nothing acknowledged lost or doubled, no token reused. */
export function account(lab: Lab, f: Figures): void {
  // a ledger write recovers commits whose post-commit died, and folds pending records
  const w = lab.gate(['lock', 'renew', 'free-doc/progress.md', '--owner', 'z']);
  if (w.code !== 1) f.failures.push(`final ledger write: exit ${w.code} ${w.stderr.slice(0, 300)}`);
  const v = lab.gate(['audit', 'verify', '--json']);
  if (v.code !== 0) f.failures.push(`final verify: ${v.stdout.slice(0, 400)}`);
  const entries = lab.ledger();
  const recorded = new Map<string, number>();
  for (const e of entries) if (e.event === 'commit' && e.subject.commit) recorded.set(e.subject.commit, (recorded.get(e.subject.commit) ?? 0) + 1);
  for (const c of lab.commits) {
    const n = recorded.get(c) ?? 0;
    if (n === 0) {
      f.lost += 1;
      f.failures.push(`commit ${c} acknowledged but not in the ledger`);
    } else if (n > 1) {
      f.duplicated += 1;
      f.failures.push(`commit ${c} recorded ${n} times`);
    }
  }
  const granted = entries.filter((e) => e.event === 'lease.grant' || e.event === 'lease.takeover').map((e) => e.data.token as number);
  for (const t of lab.tokens) {
    if (!granted.includes(t)) {
      f.lost += 1;
      f.failures.push(`token ${t} acknowledged but its grant is not in the ledger`);
    }
  }
  for (let i = 1; i < granted.length; i++) {
    if (!(granted[i]! > granted[i - 1]!)) {
      f.tokensReused += 1;
      f.failures.push(`token ${granted[i]} after ${granted[i - 1]}: not increasing`);
    }
  }
}

export function figures(operation: string, mode: Figures['mode']): Figures {
  return { operation, mode, boundaries: 0, runs: 0, killed: 0, repaired: 0, clean: 0, acknowledged: 0, lost: 0, duplicated: 0, tokensReused: 0, twoHolders: 0, stacks: 0, failures: [] };
}

/** Pick `n` items spread over the list (all when n >= length). */
export function sample<T>(xs: readonly T[], n: number): T[] {
  if (n >= xs.length) return [...xs];
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(xs[Math.floor(((i + 0.5) * xs.length) / n)]!);
  return out;
}

export async function killOperation(lab: Lab, op: Operation, opts: { points: number | 'all'; random: number; enospc: number }): Promise<Figures[]> {
  const out: Figures[] = [];
  if (HAS_STRACE) {
    const all = boundaries(lab, op);
    const f = figures(op.name, 'strace-kill');
    f.boundaries = all.length;
    const chosen = opts.points === 'all' ? all : sample(all, opts.points);
    for (const b of chosen) {
      f.runs += 1;
      await check(lab, op, await runTraced(lab, op, `${b.syscall}:signal=SIGKILL:when=${b.n}`), f, `${op.name} killed at ${b.syscall}#${b.n}`);
    }
    out.push(f);
    if (opts.enospc > 0) {
      // ENOSPC where a filesystem can report it: positional writes (the ledger's data), fsync
      // (delayed allocation), mkdir. Not plain write(): most of those go to pipes and sockets
      // (stdout, libuv's internal pipes), where ENOSPC cannot happen and an injected one deadlocks
      // the runtime. A real full disk on every write is the tmpfs case in disk-faults.test.ts.
      const writes = all.filter((b) => ENOSPC_SYSCALLS.includes(b.syscall));
      const g = figures(op.name, 'strace-enospc');
      g.boundaries = writes.length;
      for (const b of sample(writes, opts.enospc)) {
        g.runs += 1;
        const r = await runTraced(lab, op, `${b.syscall}:error=ENOSPC:when=${b.n}`);
        await check(lab, op, r, g, `${op.name} ENOSPC at ${b.syscall}#${b.n}`);
      }
      out.push(g);
    }
  }
  if (opts.random > 0 || !HAS_STRACE) {
    const f = figures(op.name, 'random-time-kill');
    const t0 = Date.now();
    const probe = await runTraced(lab, op, undefined);
    const dur = Math.max(50, Date.now() - t0);
    await check(lab, op, probe, f, `${op.name} (unkilled)`);
    const n = HAS_STRACE ? opts.random : Math.max(opts.random, typeof opts.points === 'number' ? opts.points : 200);
    for (let i = 0; i < n; i++) {
      f.runs += 1;
      await check(lab, op, await runRandomKill(lab, op, dur * 1.2), f, `${op.name} random kill ${i}`);
    }
    out.push(f);
  }
  return out;
}

