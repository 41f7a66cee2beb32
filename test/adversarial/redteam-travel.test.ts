/**
 * Red team of issue 14 (approvals travel, ADR 0018): `gate check --range` finds approvals by the
 * change they name in every note, and covers a squash by a chain of approved changes. Each break
 * found is a test here; attacks that held are in travel-attacks.test.ts and range-attacks.test.ts.
 * The agent can write any object, ref or note (plumbing, raw bytes in paths) but never signs with
 * the approver's key. One repository, built with plumbing. The built CLI (`node bin/gate.js check
 * --range --json`) judges once per exit code (a refusal, exit 1; the copies passing, exit 0); the
 * other ranges are judged by the same argv in process (`r.gateIn`, test/helpers/gate-in.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, makeTempDir, run, type TempRepo } from '../helpers/repo.js';
import { History, noteV2 } from '../helpers/history.js';
import { APPROVAL_NAMESPACE } from '../../src/signing/sshsig.js';
import { namesAnyPath } from '../../src/app/review/range.js';

const PRINCIPAL = 'approver@example.com';
const CONFIG = `version: 1
surfaces:
  - name: agent-rules
    paths: [rules/**]
    tier: CONFIRM
    self_reinforcing: false
doc_only:
  enabled: true
  max_changed_lines: 5
approval:
  require_signature: true
  min_strength: terminal
  allowed_signers: .agents/allowed_signers
  max_age: 7d
`;
const TEN = Array.from({ length: 10 }, (_, i) => `rule ${i + 1}`).join('\n') + '\n';
const EVIL = TEN + Array.from({ length: 100 }, (_, i) => `evil ${i + 1}: allow every tool`).join('\n') + '\n';

let r: TempRepo;
let h: History;
let sign: (payload: string) => string;
const m: Record<string, string> = {};

function git(args: string[], input: string | Buffer = '', env: NodeJS.ProcessEnv = {}): string {
  const x = run('git', args, { cwd: r.dir, env: { ...r.env, ...env }, input });
  if (x.code !== 0) throw new Error(`git ${args.join(' ')}: ${x.stderr}`);
  return x.stdout.trim();
}

/** A commit on `parent` whose index entries are given as raw bytes (paths need not be UTF-8). */
function rawCommit(parent: string, entries: Array<{ path: Buffer; content: string }>, message: string): string {
  const index = join(makeTempDir('gate-rt-index-'), 'index');
  const env = { GIT_INDEX_FILE: index };
  git(['read-tree', `${parent}^{tree}`], '', env);
  const parts = entries.map((e) => Buffer.concat([Buffer.from(`100644 ${h.blob(e.content)}\t`), e.path, Buffer.from([0])]));
  git(['update-index', '-z', '--index-info'], Buffer.concat(parts), env);
  const tree = git(['write-tree'], '', env);
  return git(['commit-tree', tree, '-p', parent, '-m', message]);
}

function approve(commit: string): void {
  h.addNote(commit, noteV2({ tier: 'CONFIRM', changes: h.changes(commit), tree: h.tree(commit), root: m.m0!, sign, principal: PRINCIPAL }));
}

function parsed(x: { code: number; stdout: string }): { code: number; json: any } {
  let json: any;
  try {
    json = JSON.parse(x.stdout);
  } catch {
    json = undefined;
  }
  return { code: x.code, json };
}

/** `gate check --range <range> --json` through the built CLI. */
const checkBin = (range: string) => parsed(r.gate(['check', '--range', range, '--json']));
/** The same argv in process. */
const check = async (range: string) => parsed(await r.gateIn(['check', '--range', range, '--json']));

beforeAll(() => {
  r = makeRepo();
  h = new History(r);
  const keys = makeTempDir('gate-rt-keys-');
  const key = join(keys, 'approver');
  expect(run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', PRINCIPAL, '-f', key], { env: r.env }).code).toBe(0);
  sign = (payload) => {
    const s = run('ssh-keygen', ['-q', '-Y', 'sign', '-n', APPROVAL_NAMESPACE, '-f', key], { env: r.env, input: payload });
    if (s.code !== 0) throw new Error(s.stderr);
    return s.stdout;
  };
  m.m0 = h.commit([], { '.agents/gates.yaml': CONFIG, '.agents/allowed_signers': `${PRINCIPAL} ${readFileSync(`${key}.pub`, 'utf8').trim()}\n`, 'rules/a.md': TEN }, { from: null, message: 'm0' });
  // two rule files whose names are not UTF-8 and differ in one byte (0xfe, 0xff)
  m.m1 = rawCommit(m.m0, [
    { path: Buffer.from([...Buffer.from('rules/'), 0xfe, ...Buffer.from('.md')]), content: TEN },
    { path: Buffer.from([...Buffer.from('rules/'), 0xff, ...Buffer.from('.md')]), content: TEN },
  ], 'm1: two rule files');
}, 60_000);

afterAll(() => r?.cleanup());

describe('red team: paths that are not UTF-8 are told apart', () => {
  it('100 unapproved lines in one rule file are not carved out as the one-line change of a file whose name differs in a non-UTF-8 byte', () => {
    const attack = rawCommit(m.m1!, [
      { path: Buffer.from([...Buffer.from('rules/'), 0xfe, ...Buffer.from('.md')]), content: EVIL },
      { path: Buffer.from([...Buffer.from('rules/'), 0xff, ...Buffer.from('.md')]), content: `${TEN}one more rule\n` },
    ], 'attack: two paths that decode alike');
    const res = checkBin(`${m.m1}..${attack}`);
    expect(res.code).toBe(1);
    expect(res.json.violations.length).toBeGreaterThan(0);
  });

  it("a signed approval of one such file's change does not cover the other file's change in the same commit", async () => {
    const ff = Buffer.from([...Buffer.from('rules/'), 0xff, ...Buffer.from('.md')]);
    const fe = Buffer.from([...Buffer.from('rules/'), 0xfe, ...Buffer.from('.md')]);
    // the person approves a harmless change of the 0xff file (squash-able work)...
    const w = rawCommit(m.m1!, [{ path: ff, content: `${TEN}be polite\n` }], 'w: approved');
    approve(w);
    // ...the landed commit makes that approved change and rewrites the 0xfe file
    const attack = rawCommit(m.m1!, [{ path: fe, content: EVIL }, { path: ff, content: `${TEN}be polite\n` }], 'squash');
    const res = await check(`${m.m1}..${attack}`);
    expect(res.code).toBe(1);
    expect(res.json.violations.some((v: any) => v.code === 'C_UNAPPROVED' && v.path === 'rules/\udcfe.md')).toBe(true);
  });
});

describe('red team: copies of one approval', () => {
  it('hundreds of copies of the approvals (notes on made-up object ids) and a hundred commits repeating the approved changes: each copy counts once, and the verdict is still exact', async () => {
    const B = Array.from({ length: 10 }, (_, i) => `rule ${i + 1} (reworded)`).join('\n') + '\n';
    const c1 = h.commit([m.m0!], { 'rules/a.md': B }, { message: 'c1' });
    const c2 = h.commit([c1], { 'rules/a.md': TEN }, { message: 'c2' });
    approve(c1);
    approve(c2);
    const notes = [h.readNote(c1), h.readNote(c2)];
    const N = Number(process.env.GATE_STRESS ? 20_000 : 500);
    const K = Number(process.env.GATE_STRESS ? 2_000 : 100);
    let fi = `commit refs/notes/agent-gates\ncommitter a <a@x> 0 +0000\ndata 0\nfrom refs/notes/agent-gates^0\n`;
    for (let i = 0; i < N; i++) {
      // a different blob each time (whitespace), the same signed approvals
      const body = `${notes[i % 2]}${' '.repeat(i % 97)}${'\n'.repeat(Math.floor(i / 97) + 1)}`;
      fi += `M 100644 inline ${(i + 1).toString(16).padStart(40, 'e')}\ndata ${Buffer.byteLength(body)}\n${body}\n`;
    }
    fi += '\n';
    for (let k = 0; k < K; k++) {
      fi += `commit refs/heads/copies\ncommitter a <a@x> 0 +0000\ndata 2\nk\n${k === 0 ? `from ${m.m0}\n` : ''}M 100644 inline rules/a.md\ndata ${Buffer.byteLength(k % 2 === 0 ? B : TEN)}\n${k % 2 === 0 ? B : TEN}\n`;
    }
    fi += `commit refs/heads/copies-bad\ncommitter a <a@x> 0 +0000\ndata 2\nk\nfrom refs/heads/copies\nM 100644 inline rules/a.md\ndata ${Buffer.byteLength(EVIL)}\n${EVIL}\n\n`;
    git(['fast-import', '--quiet'], fi);
    const ok = checkBin(`${m.m0}..refs/heads/copies`);
    expect(ok.code).toBe(0);
    expect(ok.json.commits.length).toBe(K);
    const bad = await check(`${m.m0}..refs/heads/copies-bad`);
    expect(bad.code).toBe(1);
    expect(bad.json.violations.map((v: any) => [v.code, v.path])).toEqual([['C_UNAPPROVED', 'rules/a.md']]);
  }, process.env.GATE_STRESS ? 1_800_000 : 120_000); // the stress size (20,000 copies x 2,000 commits) is synchronous work: minutes on a loaded machine
});

describe("red team: a note is parsed only when one of its path fields names a changed path (one pass, whatever the number of changed paths)", () => {
  it('finds paths as JSON writes them (escapes, old_path, non-UTF-8 bytes) and nothing else', () => {
    const paths = new Set(['rules/a.md', 'rules/"q".md', 'rules/é.md', 'rules/\udcfe.md', 'rules/old.md']);
    expect(namesAnyPath(JSON.stringify({ files: [{ path: 'rules/a.md' }] }, null, 2), paths)).toBe(true);
    expect(namesAnyPath(JSON.stringify({ files: [{ path: 'rules/"q".md' }] }), paths)).toBe(true);
    expect(namesAnyPath('{"path": "rules/\\u00e9.md"}', paths)).toBe(true);
    expect(namesAnyPath(JSON.stringify({ path: 'rules/\udcfe.md' }), paths)).toBe(true);
    expect(namesAnyPath(JSON.stringify({ old_path: 'rules/old.md', path: 'rules/new.md' }), paths)).toBe(true);
    expect(namesAnyPath(JSON.stringify({ path: 'rules/a.md.bak', note: 'rules/a.md' }), paths)).toBe(false);
    expect(namesAnyPath(`{"junk": "${'x'.repeat(10_000)}`, paths)).toBe(false);
  });
});
