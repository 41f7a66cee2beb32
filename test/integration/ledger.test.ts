/**
 * The ledger on disk, through real processes and the built CLI: concurrent appenders,
 * `gate audit verify` on tampered files, `gate audit repair` on a torn tail.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleEntry } from '../helpers/bundle.js';
import { copyRepo, makeRepo, run, type TempRepo } from '../helpers/repo.js';

let appender = '';
/** Repositories whose ledgers a real appender process wrote (5 and 10 entries), built once and copied per test. */
const seeds = new Map<number, TempRepo>();
beforeAll(async () => {
  appender = await bundleEntry('test/helpers/procs/ledger-append.ts');
  for (const n of [5, 10]) {
    const repo = makeRepo();
    const r = run(process.execPath, [appender, repo.dir, 'agent-x', String(n)], { env: repo.env });
    if (r.code !== 0) throw new Error(r.stderr);
    seeds.set(n, repo);
  }
});

const repos: TempRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

/** A copy of the repository whose ledger holds n entries (n: 5 or 10), and that ledger's path. */
function repoWithEntries(n: 5 | 10): { repo: TempRepo; ledger: string } {
  const repo = copyRepo(seeds.get(n)!, { home: true, cleanup: 'manual' });
  repos.push(repo);
  return { repo, ledger: join(repo.dir, '.git', 'agent-gates', 'ledger.jsonl') };
}

function exitOf(child: ReturnType<typeof spawn>): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((res) => child.on('close', (code) => res({ code, stderr })));
}

interface VerifyJson {
  ok: boolean;
  exitCode: number;
  entries: number;
  problem?: { line: number; reason: string; message: string };
}

// 16 × 200 under GATE_STRESS=1 (npm run test:stress); a small version in the default run, where a
// loaded machine could otherwise starve one appender past the mutex's 15 s wait
const APPENDERS = process.env.GATE_STRESS === '1' ? 16 : 4;
const EACH = process.env.GATE_STRESS === '1' ? 200 : 50;
const ALL = APPENDERS * EACH;

describe('concurrent appenders', () => {
  it(`${APPENDERS} processes appending ${EACH} events each leave exactly ${ALL} valid chained entries`, async () => {
    const repo = makeRepo();
    repos.push(repo);
    const kids = Array.from({ length: APPENDERS }, (_, k) =>
      exitOf(spawn(process.execPath, [appender, repo.dir, `agent-${k}`, String(EACH)], { env: repo.env, stdio: ['ignore', 'ignore', 'pipe'] })),
    );
    const results = await Promise.all(kids);
    for (const r of results) expect(r.code, r.stderr).toBe(0);

    const v = repo.gate(['audit', 'verify', '--json']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const j = JSON.parse(v.stdout) as VerifyJson;
    expect(j.ok).toBe(true);
    expect(j.entries).toBe(ALL);

    const lines = readFileSync(join(repo.commonDir(), 'agent-gates', 'ledger.jsonl'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(ALL);
    const entries = lines.map((l) => JSON.parse(l) as { seq: number; actor: { id: string }; data: { i: number } });
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: ALL }, (_, i) => i + 1));
    // every writer's events are there, in its own order
    for (let k = 0; k < APPENDERS; k++) {
      const mine = entries.filter((e) => e.actor.id === `agent-${k}`).map((e) => e.data.i);
      expect(mine).toEqual(Array.from({ length: EACH }, (_, i) => i + 1));
    }
  }, 300_000);
});

describe('gate audit verify on tampered files', () => {
  const cases: Array<[string, (lines: string[]) => string[], number, string]> = [
    ['an edited field', (l) => l.map((x, i) => (i === 4 ? x.replace('"i":5', '"i":55') : x)), 5, 'edited'],
    ['a deleted line', (l) => l.filter((_, i) => i !== 6), 7, 'deleted'],
    ['two swapped lines', (l) => l.map((x, i) => (i === 2 ? l[3]! : i === 3 ? l[2]! : x)), 3, 'reordered'],
    ['a duplicated line', (l) => [...l.slice(0, 4), l[3]!, ...l.slice(4)], 5, 'duplicated'],
    ['CRLF line endings', (l) => l.map((x) => `${x}\r`), 1, 'crlf'],
  ];
  for (const [k, [what, tamper, line, reason]] of cases.entries()) {
    it(`names the line for ${what} (exit 3)`, async () => {
      const { repo, ledger } = repoWithEntries(10);
      const lines = readFileSync(ledger, 'utf8').trimEnd().split('\n');
      writeFileSync(ledger, `${tamper(lines).join('\n')}\n`);
      // the first case through the binary (exit 3, --json and text), the others in process
      const gate = (args: string[]) => (k === 0 ? Promise.resolve(repo.gate(args)) : repo.gateIn(args));
      const v = await gate(['audit', 'verify', '--json']);
      expect(v.code).toBe(3);
      const j = JSON.parse(v.stdout) as VerifyJson;
      expect(j.ok).toBe(false);
      expect(j.problem).toMatchObject({ line, reason });
      const text = await gate(['audit', 'verify']);
      expect(text.code).toBe(3);
      expect(text.stderr).toContain(`line ${line}`);
      expect(text.stderr).toContain('fix:');
      expect(text.stderr).not.toMatch(/\n\s+at /); // never a stack trace
    });
  }

  it('detects a truncated tail through the head file', async () => {
    const { repo, ledger } = repoWithEntries(10);
    const lines = readFileSync(ledger, 'utf8').trimEnd().split('\n');
    writeFileSync(ledger, `${lines.slice(0, 8).join('\n')}\n`);
    const j = JSON.parse((await repo.gateIn(['audit', 'verify', '--json'])).stdout) as VerifyJson;
    expect(j.problem).toMatchObject({ line: 9, reason: 'truncated' });
  });

  it('never modifies the file', async () => {
    const { repo, ledger } = repoWithEntries(5);
    appendFileSync(ledger, '{"seq":6,"torn');
    const before = readFileSync(ledger);
    expect((await repo.gateIn(['audit', 'verify'])).code).toBe(3);
    expect(readFileSync(ledger).equals(before)).toBe(true);
  });
});

describe('gate audit repair', () => {
  it('cuts only a torn last line, records the repair, and the chain verifies again', async () => {
    const { repo, ledger } = repoWithEntries(5);
    const good = readFileSync(ledger);
    appendFileSync(ledger, '{"seq":6,"ts":"2026-');
    const torn = JSON.parse((await repo.gateIn(['audit', 'verify', '--json'])).stdout) as VerifyJson;
    expect(torn.problem).toMatchObject({ line: 6, reason: 'torn' });

    const r = repo.gate(['audit', 'repair', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ cut: '{"seq":6,"ts":"2026-'.length, recorded: true });
    const after = readFileSync(ledger);
    expect(after.subarray(0, good.length).equals(good)).toBe(true); // the five good lines untouched
    const last = JSON.parse(after.toString('utf8').trimEnd().split('\n').pop()!) as { seq: number; event: string; data: { cut_bytes: number } };
    expect(last).toMatchObject({ seq: 6, event: 'ledger.repair', data: { cut_bytes: 20 } });
    const v = JSON.parse((await repo.gateIn(['audit', 'verify', '--json'])).stdout) as VerifyJson;
    expect(v).toMatchObject({ ok: true, entries: 6 });
  });

  it('does not touch an edited middle line (only a torn tail is repairable)', async () => {
    const { repo, ledger } = repoWithEntries(5);
    const lines = readFileSync(ledger, 'utf8').trimEnd().split('\n');
    lines[1] = lines[1]!.replace('"i":2', '"i":22');
    writeFileSync(ledger, `${lines.join('\n')}\n`);
    const before = readFileSync(ledger);
    const r = await repo.gateIn(['audit', 'repair', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ cut: 0, recorded: false });
    expect(readFileSync(ledger).equals(before)).toBe(true);
    expect((await repo.gateIn(['audit', 'verify'])).code).toBe(3);
  });
});
