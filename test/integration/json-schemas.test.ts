/**
 * Every `--json` output is documented by schema/json/<command>.schema.json, generated from the zod
 * definitions in src/cli/views/json-output.ts (`npm run schemas`). This file:
 *  - lists the commands that take --json from the program table itself, so a command that gains
 *    --json without a schema fails here with "no schema for <command>";
 *  - checks the committed files equal the definitions (scripts/json-schemas.mjs --check);
 *  - runs every such command with --json in one repository and validates what it printed: most
 *    in process (repo.gateIn prints the same document as the binary), and real runs of the binary
 *    for each exit code and each path: the program's report (init, exit 0), the fast path's lock
 *    and hook (exit 1), the program's error envelope (approve, exit 1) and its usage error (exit 2);
 *  - checks one naming style (camelCase keys; keys of data maps such as byEvent are data);
 *  - checks usage errors honour --json (a JSON error object with code/message/fix, exit 2).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSON_OUTPUTS, errorEnvelope } from '../../src/cli/views/json-output.js';
import { makeRepo, PKG_ROOT, run, type RunResult, type TempRepo } from '../helpers/repo.js';

const fileFor = (cmd: string) => `${cmd.replace(/ /g, '-')}.schema.json`;

async function jsonCommands(): Promise<string[]> {
  const { buildProgram } = (await import(pathToFileURL(join(PKG_ROOT, 'dist', 'program.js')).href)) as { buildProgram(): Command };
  const out: string[] = [];
  const walk = (c: Command, path: string) => {
    for (const s of c.commands) {
      const p = path ? `${path} ${s.name()}` : s.name();
      if (s.options.some((o) => o.long === '--json')) out.push(p);
      walk(s, p);
    }
  };
  walk(buildProgram(), '');
  return out;
}

/** Every run below: the command path it documents, and what it printed. */
const samples: Array<{ cmd: string; args: string[]; r: RunResult; real: boolean }> = [];
let repo: TempRepo;
let commands: string[];

beforeAll(async () => {
  commands = await jsonCommands();
  repo = makeRepo();
  const gate = async (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, how: 'in' | 'real' = 'in') => {
    const r = await repo.gateIn([...args, '--json'], { env, binary: how === 'real' });
    samples.push({ cmd, args, r, real: how === 'real' });
    return r;
  };
  const A = { GATE_SESSION: 'agent-a' };
  repo.write('README.md', '# r\n');
  repo.gitOk('add', 'README.md');
  repo.gitOk('commit', '-q', '-m', 'initial');
  await gate('init', ['init'], {}, 'real');
  repo.gitOk('add', '-A');
  repo.gitOk('commit', '-q', '--no-verify', '-m', 'chore: gate init');
  await gate('doctor', ['doctor']);
  // Gate A
  await gate('lock acquire', ['lock', 'acquire', 'progress.md', '--reason', 'json'], A);
  await gate('lock acquire', ['lock', 'acquire', 'progress.md'], { GATE_SESSION: 'agent-b' }, 'real'); // denied
  await gate('lock renew', ['lock', 'renew', 'progress.md'], A);
  await gate('lock status', ['lock', 'status'], A);
  await gate('lock status', ['lock', 'status', 'todos.md'], A);
  await gate('lock release', ['lock', 'release', 'progress.md'], { GATE_SESSION: 'agent-b' }); // denied
  await gate('lock release', ['lock', 'release', 'progress.md'], A);
  await gate('lock break', ['lock', 'break', 'progress.md', '--reason', 'json']); // not interactive
  await gate('task start', ['task', 'start', 't1'], A);
  await gate('task list', ['task', 'list'], A);
  await gate('task finish', ['task', 'finish', 't1'], A);
  // Gate B
  repo.write('rules/review.md', '# Review\n\n- Ask for a test.\n');
  repo.gitOk('add', 'rules/review.md');
  await gate('status', ['status']);
  await gate('check', ['check', '--hook', 'pre-commit'], A, 'real'); // the hot path, blocked
  await gate('explain', ['explain', '--intent', 'i', '--alternative', 'a', '--blast-radius', 'b', '--reversibility', 'r', '--rollback', 'g'], A);
  await gate('status', ['status']);
  await gate('approve', ['approve'], {}, 'real'); // not interactive: the error envelope
  const card = JSON.parse((await gate('inbox', ['inbox'])).stdout).cards[0].id as string;
  await gate('inbox approve', ['inbox', 'approve', card]); // not interactive: the error envelope
  await gate('reject', ['reject', '--reason', 'no']);
  await gate('inbox', ['inbox', '--all']);
  await gate('inbox reject', ['inbox', 'reject', card, '--reason', 'still no']);
  await gate('explain', ['explain', '--intent', 'i', '--alternative', 'a', '--blast-radius', 'b', '--reversibility', 'r', '--rollback', 'g'], A); // refused: rejected
  repo.gitOk('commit', '-q', '--no-verify', '-m', 'docs(rules): bypass');
  await gate('check', ['check', '--range', 'HEAD~2..HEAD']);
  await gate('check', ['check', '--hook', 'post-commit']);
  // ADRs
  await gate('adr new', ['adr', 'new', 'Use JSON schemas']);
  await gate('adr accept', ['adr', 'accept', '1']);
  await gate('adr list', ['adr', 'list']);
  await gate('adr check', ['adr', 'check']);
  // the ledger and the review
  await gate('audit verify', ['audit', 'verify']);
  await gate('audit repair', ['audit', 'repair']);
  await gate('audit checkpoint', ['audit', 'checkpoint']); // no key configured: an error
  // the team's ledger on a shared remote (a bare repository beside the clone)
  const shared = join(repo.home, 'shared.git');
  repo.gitOk('init', '-q', '--bare', shared);
  repo.gitOk('remote', 'add', 'shared', shared);
  await gate('ledger publish', ['ledger', 'publish', '--remote', 'shared']);
  await gate('ledger pending', ['ledger', 'pending', '--remote', 'shared', '--all']);
  await gate('audit verify', ['audit', 'verify', '--team', '--remote', 'shared']);
  await gate('review', ['review', '--team', '--remote', 'shared']);
  await gate('review', ['review']);
  await gate('review', ['review', '--out', 'review.json', '--format', 'json']);
  await gate('uninstall', ['uninstall']);
  // usage errors honour --json
  await gate('lock acquire', ['lock', 'acquire'], {}, 'real');
  await gate('review', ['review', '--format', 'nope']);
}, 180_000);
afterAll(() => repo?.cleanup());

describe('--json outputs and their schemas', () => {
  it('every command that takes --json has a committed schema', () => {
    expect(commands.length).toBeGreaterThan(15);
    const missing = commands.filter((c) => !existsSync(join(PKG_ROOT, 'schema', 'json', fileFor(c))) || !JSON_OUTPUTS[c]).map((c) => `no schema for ${c} (define it in src/cli/views/json-output.ts, then npm run schemas)`);
    expect(missing).toEqual([]);
  });

  it('the committed schemas are generated from the definitions (fix: npm run schemas)', () => {
    const r = run(process.execPath, [join(PKG_ROOT, 'scripts', 'json-schemas.mjs'), '--check'], { cwd: PKG_ROOT });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('every command with --json was run here', () => {
    expect(commands.filter((c) => !samples.some((s) => s.cmd === c)).map((c) => `no run of gate ${c} --json in this test`)).toEqual([]);
  });

  it('each output is one JSON document that its schema accepts, with ok/exitCode matching the exit code', () => {
    const problems: string[] = [];
    for (const { cmd, args, r } of samples) {
      const label = `gate ${args.join(' ')} --json (exit ${r.code})`;
      let doc: any;
      try {
        doc = JSON.parse(r.stdout);
      } catch {
        problems.push(`${label}: stdout is not JSON: ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 200)}`);
        continue;
      }
      if (doc.exitCode !== r.code || doc.ok !== (r.code === 0)) problems.push(`${label}: ok/exitCode ${doc.ok}/${doc.exitCode} do not match the exit code`);
      const v = JSON_OUTPUTS[cmd]!.safeParse(doc);
      if (!v.success) problems.push(`${label}: does not match schema/json/${fileFor(cmd)} (a changed output: document it in src/cli/views/json-output.ts, then npm run schemas): ${JSON.stringify(v.error.issues.slice(0, 4))}`);
    }
    expect(problems).toEqual([]);
    // every exit code seen here also comes from a real run of the binary
    expect([...new Set(samples.filter((s) => s.real).map((s) => s.r.code))].sort()).toEqual([...new Set(samples.map((s) => s.r.code))].sort());
  });

  it('spells every key camelCase (keys of data maps are data)', () => {
    const bad = new Set<string>();
    const walk = (v: unknown, path: string, inMap: boolean) => {
      if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}[${i}]`, false));
      if (v === null || typeof v !== 'object') return;
      for (const [k, x] of Object.entries(v)) {
        if (!inMap && !/^[a-z][a-zA-Z0-9]*$/.test(k)) bad.add(`${path}.${k}`.replace(/\[\d+\]/g, '[]'));
        if (k === 'data') continue; // a finding's or a hook report's free-form facts (documented as such)
        walk(x, `${path}.${k}`, /(^by|By)[A-Z]/.test(k));
      }
    };
    for (const { cmd, r } of samples) {
      try {
        walk(JSON.parse(r.stdout), cmd, false);
      } catch {}
    }
    expect([...bad]).toEqual([]);
  });

  it('usage errors honour --json: a JSON error object with code, message and fix, exit 2', () => {
    const r = samples.find((s) => s.args.join(' ') === 'lock acquire')!.r;
    expect(r.code).toBe(2);
    const doc = errorEnvelope.parse(JSON.parse(r.stdout));
    expect(doc.error).toMatchObject({ code: 'USAGE', message: "missing required argument 'path'", fix: 'gate lock acquire --help' });
    expect(r.stderr).toBe('');
    const choice = samples.find((s) => s.args.join(' ') === 'review --format nope')!.r;
    expect([choice.code, JSON.parse(choice.stdout).error.code]).toEqual([2, 'USAGE']);
  });

  it('review --format json --out writes the same camelCase document', () => {
    const doc = JSON.parse(readFileSync(join(repo.dir, 'review.json'), 'utf8'));
    expect(JSON_OUTPUTS.review!.safeParse(doc).success).toBe(true);
    expect(doc.thresholds).toHaveProperty('minSamples');
  });
});
