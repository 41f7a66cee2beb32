/**
 * Issue 14, approvals that travel: `gate check --range` looks approvals up by the change they
 * approve in ANY note under the approval refs (refs/notes/agent-gates and the remote-tracking
 * copies refs/notes/remotes/<remote>/agent-gates), and accepts a chain of approved changes of one
 * path old → mid → new for a squash. Each attack an agent could try on that widening is built here
 * as a real history (plumbing, any note, never the approver's key) and refused in a fresh CI clone;
 * the honest hosting merges (squash, rebase, merge, a fork's notes) pass. The range use-case judges
 * each range in process (test/helpers/range.ts: the report the CLI prints with --json); the PACKED
 * tool (installed once from the tarball) runs once per exit-code class, its JSON checked equal.
 *
 * Base (origin/main = m1): m0 root (rules/**, tools/policy/** governed, signatures required,
 * .agents/gates.yaml and allowed_signers self-reinforcing), m1 an unrelated edit. Every branch
 * `w-*` is the approved work (signed notes), `s-*` / `r-*` what the merge buttons make of it
 * (commits without notes, another committer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeConsumer, type Consumer } from '../helpers/consumer.js';
import { makeTempDir, run } from '../helpers/repo.js';
import { History, noteV2 } from '../helpers/history.js';
import { checkRangeInProcess, type RangeRun } from '../helpers/range.js';
import { APPROVAL_NAMESPACE } from '../../src/signing/sshsig.js';

const PRINCIPAL = 'approver@example.com';
const DAY = 86_400_000;
const CONFIG = `version: 1
surfaces:
  - name: agent-rules
    paths: [rules/**]
    tier: CONFIRM
    self_reinforcing: false
  - name: policy
    paths: [tools/policy/**]
    tier: CONFIRM
    self_reinforcing: false
doc_only:
  enabled: false
  max_changed_lines: 1
approval:
  require_signature: true
  min_strength: terminal
  allowed_signers: .agents/allowed_signers
  max_age: 7d
`;

let c: Consumer;
let h: History;
let ci: string;
let forkUrl: string;
let gateBin: string;
let sign: (payload: string) => string;
let agentSign: (payload: string) => string;
const m: Record<string, string> = {};

type Opts = { tier?: 'CONFIRM' | 'DOUBLE_CONFIRM'; signer?: 'approver' | 'agent'; at?: string; reject?: boolean };
function approve(commit: string, o: Opts = {}): void {
  let body = noteV2({ tier: o.tier ?? 'CONFIRM', changes: h.changes(commit), tree: h.tree(commit), root: m.m0!, sign: o.signer === 'agent' ? agentSign : sign, principal: PRINCIPAL, ...(o.at ? { at: o.at } : {}) });
  if (o.reject) {
    // the person said no after all: a rejection recorded in the same sidecar (rejections do not change the digest)
    const doc = JSON.parse(body);
    const a = doc.sidecar.approvals[0];
    doc.sidecar.rejections = [{ tier: a.tier, tree: a.tree, digest: a.digest, reason: 'not this', rejecter: a.approver, at: a.at, ledger: { seq: 9, offset: 900, hash: 'c'.repeat(64) } }];
    body = `${JSON.stringify(doc, null, 2)}\n`;
  }
  h.addNote(commit, body);
}

/** The packed binary: `gate check --range <range> --json` in the CI clone. */
function checkCli(range: string): RangeRun {
  const r = run(gateBin, ['check', '--range', range, '--json'], { cwd: ci, env: c.env, input: '' });
  let json: any;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { code: r.code, json, stderr: r.stderr };
}

/**
 * The same check in process (the range use-case through the composition root). Each range is judged
 * once; a second test reading the same range reads that report. The fork test, which fetches notes
 * into the CI clone, judges afresh (`judge`).
 */
const judge = (range: string): Promise<RangeRun> => checkRangeInProcess(ci, range, c.env);
const judged = new Map<string, Promise<RangeRun>>();
const check = (range: string): Promise<RangeRun> => {
  if (!judged.has(range)) judged.set(range, judge(range));
  return judged.get(range)!;
};
/** The branches' tips in the CI clone, read once (one git process). */
let tips: Map<string, string> | undefined;
const tip = (b: string): string => {
  tips ??= new Map(run('git', ['for-each-ref', '--format=%(refname:lstrip=3) %(objectname)', 'refs/remotes/origin/'], { cwd: ci, env: c.env }).stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
  return tips.get(b)!;
};
const found = (r: RangeRun) => r.json.violations.map((v: any) => [v.code, v.commit, v.path]).sort((a: string[], b: string[]) => (a.join() < b.join() ? -1 : 1));

beforeAll(() => {
  c = makeConsumer({ packageJson: false, init: false });
  gateBin = join(c.globalBinDir!, 'gate');
  h = new History(c);
  const home = makeTempDir('gate-travel-keys-');
  const key = join(home, 'approver');
  expect(run('ssh-keygen', ['-q', '-t', 'ed25519', '-a', '4', '-N', 'correct horse battery', '-C', PRINCIPAL, '-f', key], { env: c.env }).code).toBe(0);
  const askpass = join(home, 'askpass.sh');
  writeFileSync(askpass, '#!/bin/sh\necho "correct horse battery"\n');
  chmodSync(askpass, 0o700);
  const env = { ...c.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' };
  const signer = (k: string, e: NodeJS.ProcessEnv) => (payload: string) => {
    const r = run('ssh-keygen', ['-q', '-Y', 'sign', '-n', APPROVAL_NAMESPACE, '-f', k], { env: e, input: payload });
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout;
  };
  sign = signer(key, env);
  expect(run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(home, 'agent')], { env: c.env }).code).toBe(0);
  agentSign = signer(join(home, 'agent'), c.env);
  const signersLine = `${PRINCIPAL} ${readFileSync(`${key}.pub`, 'utf8').trim()}\n`;

  m.m0 = h.commit([], {
    '.agents/gates.yaml': CONFIG,
    '.agents/allowed_signers': signersLine,
    'rules/a.yaml': 'A\n',
    'rules/b.yaml': 'B\n',
    'tools/policy/x.json': '{"allow": []}\n',
  }, { from: null, message: 'm0' });
  m.m1 = h.commit([m.m0], { 'src/app.ts': 'export {};\n' }, { message: 'm1' });
  h.setRef('refs/heads/main', m.m1);
  const branch = (name: string, tip: string) => h.setRef(`refs/heads/${name}`, tip);
  /** What a hosting squash button makes: the branch tip's tree on main, one commit, no note. */
  const squash = (name: string, tip: string) => branch(name, h.commitWithTree([m.m1!], tip, `squash ${name}`));

  // honest: two approved steps A → B → C, squashed, rebased (main moved on elsewhere), merged
  m.w1 = h.commit([m.m0], { 'rules/a.yaml': 'B\n' }, { message: 'w1' });
  approve(m.w1);
  m.w2 = h.commit([m.w1], { 'rules/a.yaml': 'C\n' }, { message: 'w2' });
  approve(m.w2);
  branch('w-steps', m.w2);
  squash('s-steps', m.w2);
  m.r1 = h.commit([m.m1], { 'rules/a.yaml': 'B\n' }, { message: 'w1 (rebased)' });
  m.r2 = h.commit([m.r1], { 'rules/a.yaml': 'C\n' }, { message: 'w2 (rebased)' });
  branch('r-steps', m.r2);
  branch('g-steps', h.commit([m.m1, m.w2], { 'rules/a.yaml': 'C\n' }, { message: 'Merge pull request #1' }));

  // honest: a multi-path approval (rules/a A→H with tools/policy/x) then rules/a H→I, squashed
  m.x1 = h.commit([m.m0], { 'rules/a.yaml': 'H\n', 'tools/policy/x.json': '{"allow": ["read"]}\n' }, { message: 'x1' });
  approve(m.x1);
  m.x2 = h.commit([m.x1], { 'rules/a.yaml': 'I\n' }, { message: 'x2' });
  approve(m.x2);
  squash('s-multi', m.x2);
  // attack: the same squash without the policy half of x1 (half of a multi-path approval)
  branch('s-multi-half', h.commit([m.m1], { 'rules/a.yaml': 'I\n' }, { message: 'squash without the policy change' }));

  // attack: A → B approved, the squash lands A → D (an approval of A→B never covers A→D)
  m.y1 = h.commit([m.m0], { 'rules/a.yaml': 'B\n' }, { message: 'y1' });
  approve(m.y1);
  branch('s-other-end', h.commit([m.m1], { 'rules/a.yaml': 'D\n' }, { message: 'squash' }));
  // attack: A → B approved, B → D committed with --no-verify (no note): the chain has a gap
  m.z2 = h.commit([m.y1], { 'rules/a.yaml': 'D\n' }, { message: 'z2 --no-verify' });
  squash('s-gap', m.z2);
  // attack: splice a step of another path: rules/b B → D approved (same blobs as a B → D step of rules/a)
  m.p1 = h.commit([m.m0], { 'rules/b.yaml': 'D\n' }, { message: 'p1' });
  approve(m.p1);
  branch('s-splice', h.commit([m.m1], { 'rules/a.yaml': 'D\n' }, { message: 'squash A → B (rules/a) + B → D (rules/b)' }));
  // attack: a step signed by the agent's own key
  m.k2 = h.commit([m.y1], { 'rules/a.yaml': 'E\n' }, { message: 'k2' });
  approve(m.k2, { signer: 'agent' });
  squash('s-agent-key', m.k2);
  // attack: a step the person rejected
  m.j2 = h.commit([m.y1], { 'rules/a.yaml': 'F\n' }, { message: 'j2' });
  approve(m.j2, { reject: true });
  squash('s-rejected', m.j2);
  branch('w-rejected', m.j2);
  // attack: an expired step (signed 10 days ago; max_age 7d)
  m.e2 = h.commit([m.y1], { 'rules/a.yaml': 'G\n' }, { message: 'e2' });
  approve(m.e2, { at: new Date(Date.now() - 10 * DAY).toISOString() });
  squash('s-expired', m.e2);
  // attack: the chain walked backwards (B → A, rolling the approved change back)
  branch('s-backwards', h.commit([m.w1], { 'rules/a.yaml': 'A\n' }, { message: 'revert' }));
  // attack: a self-reinforcing path chained through a step approved only at CONFIRM
  m.c1 = h.commit([m.m0], { '.agents/gates.yaml': `${CONFIG}# one\n` }, { message: 'c1' });
  approve(m.c1, { tier: 'DOUBLE_CONFIRM' });
  m.c2 = h.commit([m.c1], { '.agents/gates.yaml': `${CONFIG}# one\n# two\n` }, { message: 'c2' });
  approve(m.c2, { tier: 'CONFIRM' });
  squash('s-low-tier', m.c2);
  m.c3 = h.commit([m.c1], { '.agents/gates.yaml': `${CONFIG}# one\n# three\n` }, { message: 'c3' });
  approve(m.c3, { tier: 'DOUBLE_CONFIRM' });
  squash('s-dc', m.c3);

  // a fork: the work and its notes live in the fork only; the pull request head is in origin
  m.f1 = h.commit([m.m1], { 'rules/b.yaml': 'fork\n' }, { message: 'f1' });
  const forkNote = noteV2({ tier: 'CONFIRM', changes: h.changes(m.f1), tree: h.tree(m.f1), root: m.m0, sign, principal: PRINCIPAL });
  branch('pr-fork', m.f1);
  // a forged fork note: the agent's hand-written record for another change, unsigned
  m.f2 = h.commit([m.m1], { 'tools/policy/x.json': '{"allow": ["*"]}\n' }, { message: 'f2' });
  const forged = noteV2({ tier: 'CONFIRM', changes: h.changes(m.f2), tree: h.tree(m.f2), root: m.m0! });
  branch('pr-fork-forged', m.f2);

  const origin = join(makeTempDir('gate-travel-origin-'), 'origin.git');
  mkdirSync(origin);
  expect(run('git', ['init', '-q', '--bare', origin], { env: c.env }).code).toBe(0);
  const push = run('git', ['push', '-q', origin, 'refs/heads/*:refs/heads/*', 'refs/notes/agent-gates:refs/notes/agent-gates'], { cwd: c.dir, env: c.env });
  expect(push.code, push.stderr).toBe(0);
  const fork = join(makeTempDir('gate-travel-fork-'), 'fork.git');
  forkUrl = fork;
  expect(run('git', ['clone', '-q', '--bare', origin, fork], { env: c.env }).code).toBe(0);
  h.addNote(m.f1, forkNote, 'refs/notes/fork');
  h.addNote(m.f2, forged, 'refs/notes/fork');
  const pf = run('git', ['push', '-q', fork, 'refs/notes/fork:refs/notes/agent-gates'], { cwd: c.dir, env: c.env });
  expect(pf.code, pf.stderr).toBe(0);

  ci = join(makeTempDir('gate-travel-ci-'), 'ci');
  expect(run('git', ['clone', '-q', origin, ci], { env: c.env }).code).toBe(0);
  expect(run('git', ['fetch', '-q', 'origin', 'refs/notes/agent-gates:refs/notes/agent-gates'], { cwd: ci, env: c.env }).code).toBe(0);
}, 180_000);

afterAll(() => c?.cleanup());

describe('approvals travel: the hosting merge buttons pass, a widening nobody approved does not', () => {
  it('squash, rebase and merge of approved steps pass; the squash is covered by a chain of approved changes', async () => {
    const seen = new Map<string, RangeRun>();
    for (const b of ['w-steps', 's-steps', 'r-steps', 'g-steps', 's-multi', 's-dc']) {
      const r = await check(`origin/main..origin/${b}`);
      expect(r.code, `${b}: ${JSON.stringify(r.json?.violations)}`).toBe(0);
      seen.set(b, r);
    }
    // the same reports, read further (not judged twice)
    expect(seen.get('s-steps')!.json.commits[0].coveredBy).toBe('chain');
    expect(seen.get('r-steps')!.json.commits.map((x: any) => x.coveredBy)).toEqual(['range', 'range']);
  });

  it('the packed binary says the same: exit 0 for the squashed chain, exit 1 for a chain with a gap, each with the in-process JSON', async () => {
    for (const [b, code] of [['s-steps', 0], ['s-gap', 1]] as const) {
      const cli = checkCli(`origin/main..origin/${b}`);
      expect(cli.code, `${b}: ${cli.stderr}`).toBe(code);
      expect(cli.json, b).toEqual((await check(`origin/main..origin/${b}`)).json);
    }
  });

  it('an approval of A→B never covers A→D, nor a chain with a gap, nor a step of another path', async () => {
    for (const b of ['s-other-end', 's-gap', 's-splice']) expect(found(await check(`origin/main..origin/${b}`)), b).toEqual([['C_UNAPPROVED', tip(b), 'rules/a.yaml']]);
  });

  it('a chain step signed by an untrusted key, rejected, expired, or walked backwards counts for nothing', async () => {
    for (const b of ['s-agent-key', 's-rejected', 's-expired', 's-backwards']) expect(found(await check(`origin/main..origin/${b}`)), b).toEqual([['C_UNAPPROVED', tip(b), 'rules/a.yaml']]);
    // the rejected approval does not count on its own commit either, and says why
    const rej = await check('origin/main..origin/w-rejected');
    expect(found(rej)).toEqual([['C_UNAPPROVED', m.j2, 'rules/a.yaml']]);
    expect(rej.json.warnings.join('\n')).toMatch(/rejection/);
  });

  it('each step of a chain needs the tier of the path, and half of a multi-path approval never lands', async () => {
    expect(found(await check('origin/main..origin/s-low-tier'))).toEqual([['C_UNAPPROVED', tip('s-low-tier'), '.agents/gates.yaml']]);
    expect(found(await check('origin/main..origin/s-multi-half'))).toEqual([['C_UNAPPROVED', tip('s-multi-half'), 'rules/a.yaml']]);
  });

  it("a fork's notes count once fetched from the head repository, and only where they verify", async () => {
    expect(found(await judge('origin/main..origin/pr-fork'))).toEqual([['C_UNAPPROVED', m.f1, 'rules/b.yaml']]);
    // the documented CI step for a pull request from a fork: the head repository's notes, as data
    const f = run('git', ['fetch', '-q', forkUrl, '+refs/notes/agent-gates:refs/notes/remotes/head/agent-gates'], { cwd: ci, env: c.env });
    expect(f.code, f.stderr).toBe(0);
    const r = await judge('origin/main..origin/pr-fork');
    expect(r.code, JSON.stringify(r.json?.violations)).toBe(0);
    // a fork can push any note: a hand-written one names its change and still counts for nothing
    expect(found(await judge('origin/main..origin/pr-fork-forged'))).toEqual([['C_UNSIGNED', m.f2, 'tools/policy/x.json']]);
  });
});
