/**
 * Issue 12, end to end as an attacker would try it: an agent that can commit anything (plumbing,
 * --no-verify, any parents, any dates) and push any note, but never gets the approver's key (its
 * passphrase lives only in the approver's askpass script). The CI side is a fresh clone of a bare
 * origin that fetches refs/notes/agent-gates. Every attack must be refused with its coded finding
 * naming commit and path; the honest flows must pass. The range use-case judges each branch in
 * process (test/helpers/range.ts: the same report the CLI prints with --json); the PACKED tool
 * (installed once from the tarball) runs once per exit-code class: an honest branch (0, its JSON
 * equal to the in-process report) and a refused one (1, its text output).
 *
 * Base (origin/main = m2): m0 root (config without signatures, rules, an accepted ADR, a long
 * rule file), m1 (config: signatures required, a `policy` surface on tools/policy/**; signed
 * DOUBLE_CONFIRM), m2 (a rule edit; signed CONFIRM). Each scenario is a branch pushed to origin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeConsumer, type Consumer } from '../helpers/consumer.js';
import { makeTempDir, run } from '../helpers/repo.js';
import { History, noteV2, type Change } from '../helpers/history.js';
import { checkRangeInProcess, type RangeRun } from '../helpers/range.js';
import { APPROVAL_NAMESPACE } from '../../src/signing/sshsig.js';

const PRINCIPAL = 'approver@example.com';
const DAY = 86_400_000;

const config = (signatures: boolean, policy: boolean) => `version: 1
surfaces:
  - name: agent-rules
    paths: [rules/**]
    tier: CONFIRM
    self_reinforcing: false
  - name: adr
    paths: [adr/**]
    tier: DOUBLE_CONFIRM
    self_reinforcing: false
  - name: hooks
    paths: [.husky/**]
    tier: DOUBLE_CONFIRM
    self_reinforcing: true
${policy ? '  - name: policy\n    paths: [tools/policy/**]\n    tier: CONFIRM\n    self_reinforcing: false\n' : ''}doc_only:
  enabled: true
  max_changed_lines: 20
  agent_instructions: true
approval:
  require_signature: ${signatures}
  min_strength: terminal
  allowed_signers: .agents/allowed_signers
  max_age: 7d
`;

const ADR = '---\nadr: 1\ntitle: Layout\nstatus: accepted\ndate: 2026-01-01\ndeciders: [a]\nsupersedes: []\n---\n\n# Layout\n\nBody.\n';
const LONG = Array.from({ length: 60 }, (_, i) => `line ${i + 1} of the long rule`).join('\n') + '\n';
const slice = (text: string, from: number, to: number, tag: string) =>
  text
    .split('\n')
    // a typo-class slice (issue 14): one word misspelt per line, so each slice alone is carved out
    .map((l, i) => (i >= from && i < to ? l.replace('long', tag === 'a' ? 'lnog' : 'logn') : l))
    .join('\n');

let c: Consumer;
let h: History;
let origin: string;
let ci: string;
let gateBin: string;
let sign: (payload: string) => string;
let forge: (payload: string) => string;
const m: Record<string, string> = {};
/** branch → expected outcome */
const branches = new Map<string, string>();

function signer(key: string, env: NodeJS.ProcessEnv): (payload: string) => string {
  return (payload) => {
    const r = run('ssh-keygen', ['-q', '-Y', 'sign', '-n', APPROVAL_NAMESPACE, '-f', key], { env, input: payload });
    if (r.code !== 0) throw new Error(`ssh-keygen -Y sign failed: ${r.stderr}`);
    return r.stdout;
  };
}

/** A signed note on `commit` approving its own change (as `gate approve` + post-commit write it). */
function approve(commit: string, tier: 'CONFIRM' | 'DOUBLE_CONFIRM', o: { at?: string; with?: (p: string) => string; changes?: Change[]; payloadVersion?: 1 | 2; unsigned?: boolean } = {}): string {
  const body = noteV2({
    tier,
    changes: o.changes ?? h.changes(commit),
    tree: h.tree(commit),
    root: m.m0!,
    ...(o.unsigned ? {} : { sign: o.with ?? sign }),
    principal: PRINCIPAL,
    ...(o.at ? { at: o.at } : {}),
    ...(o.payloadVersion ? { payloadVersion: o.payloadVersion } : {}),
  });
  h.addNote(commit, body);
  return body;
}

function branch(name: string, tip: string): void {
  h.setRef(`refs/heads/${name}`, tip);
  branches.set(name, tip);
}

/** The packed binary: `gate check --range origin/main..origin/<name> --json` in the CI clone. */
function checkCli(name: string): RangeRun {
  const r = run(gateBin, ['check', '--range', `origin/main..origin/${name}`, '--json'], { cwd: ci, env: c.env, input: '' });
  let json: any;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { code: r.code, json, stderr: r.stderr };
}

/**
 * The same check in process (the range use-case through the composition root). Each branch is judged
 * once; a second test reading the same branch reads that report (nothing changes after beforeAll).
 */
const judged = new Map<string, Promise<RangeRun>>();
const check = (name: string): Promise<RangeRun> => {
  if (!judged.has(name)) judged.set(name, checkRangeInProcess(ci, `origin/main..origin/${name}`, c.env));
  return judged.get(name)!;
};

const found = (r: RangeRun) => r.json.violations.map((v: any) => [v.code, v.commit, v.path]);

beforeAll(() => {
  c = makeConsumer({ packageJson: false, init: false });
  gateBin = join(c.globalBinDir!, 'gate');
  h = new History(c);
  // the approver's key: passphrase-protected; only the approver's askpass knows the passphrase
  const approverHome = makeTempDir('gate-approver-');
  const key = join(approverHome, 'approver');
  expect(run('ssh-keygen', ['-q', '-t', 'ed25519', '-a', '4', '-N', 'correct horse battery', '-C', PRINCIPAL, '-f', key], { env: c.env }).code).toBe(0);
  const askpass = join(approverHome, 'askpass.sh');
  writeFileSync(askpass, '#!/bin/sh\necho "correct horse battery"\n');
  chmodSync(askpass, 0o700);
  sign = signer(key, { ...c.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' });
  // without the passphrase the agent cannot use that key…
  expect(run('ssh-keygen', ['-q', '-Y', 'sign', '-n', APPROVAL_NAMESPACE, '-f', key], { env: { ...c.env, SSH_ASKPASS_REQUIRE: 'never' }, input: 'x' }).code).not.toBe(0);
  // …so it signs with its own, which is not listed
  const agentDir = makeTempDir('gate-agent-key-');
  const agentKey = join(agentDir, 'agent');
  expect(run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', agentKey], { env: c.env }).code).toBe(0);
  forge = signer(agentKey, c.env);
  const signersLine = `${PRINCIPAL} ${readFileSync(`${key}.pub`, 'utf8').trim()}\n`;

  // main: m0 → m1 → m2
  m.m0 = h.commit([], {
    'README.md': '# project\n',
    '.agents/gates.yaml': config(false, false),
    '.agents/allowed_signers': signersLine,
    'rules/review.md': '# Review\n\nBe kind.\n',
    'rules/checks.yaml': 'checks: [lint]\n',
    'rules/long.md': LONG,
    'adr/0001-layout.md': ADR,
  }, { from: null, message: 'm0' });
  m.m1 = h.commit([m.m0], { '.agents/gates.yaml': config(true, true) }, { message: 'm1: require signatures' });
  approve(m.m1, 'DOUBLE_CONFIRM');
  m.m2 = h.commit([m.m1], { 'rules/checks.yaml': 'checks: [lint, test]\n' }, { message: 'm2' });
  approve(m.m2, 'CONFIRM');
  h.setRef('refs/heads/main', m.m2);

  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();

  // ---- honest flows
  const ok1 = h.commit([m.m2], { 'rules/review.md': '# Review\n\nBe kind, precise and brief.\n' });
  approve(ok1, 'CONFIRM');
  branch('honest-approved', ok1);
  const f = h.commit([m.m1], { 'tools/policy/a.json': '{"allow": []}\n' }, { message: 'feature on an older main' });
  approve(f, 'CONFIRM');
  const rebased = h.commit([m.m2], { 'tools/policy/a.json': '{"allow": []}\n' }, { message: 'feature rebased onto main' });
  h.addNote(rebased, h.readNote(f)); // what notes.rewriteRef does on rebase
  branch('honest-rebased', rebased);
  branch('honest-merge', h.commit([m.m2, f], { 'tools/policy/a.json': '{"allow": []}\n' }, { message: 'merge feature' }));
  const v1 = h.commit([m.m2], { 'rules/style.md': '# Style\n' });
  approve(v1, 'CONFIRM', { payloadVersion: 1 });
  branch('honest-v1-payload', v1);
  // 12: a junk note on an unrelated commit is only a warning; a notes merge keeps the genuine note
  const junk = h.commit([m.m2], { 'src/a.ts': 'export {};\n' });
  h.addNote(junk, '{ this is not an approval');
  const merged = h.commit([junk], { 'rules/review.md': '# Review\n\nBe kind; cite tests.\n' });
  approve(merged, 'CONFIRM');
  h.addNote(merged, 'someone else was here\n', 'refs/notes/other');
  run('git', ['notes', '--ref', 'refs/notes/agent-gates', 'merge', '-q', '-s', 'union', 'refs/notes/other'], { cwd: c.dir, env: c.env });
  branch('a12-junk-and-notes-merge', merged);

  // ---- attacks
  // 1: an unsigned (terminal) note on an ungated commit names the next commit's change
  const a1 = h.commit([m.m2], { 'README.md': '# project!\n' });
  const a1b = h.commit([a1], { 'rules/checks.yaml': 'checks: [] # Skip the tests.\n' });
  approve(a1, 'CONFIRM', { unsigned: true, changes: h.changes(a1b) });
  branch('a01-unsigned-note', a1b);
  // 2: m2's genuine signed note replayed with its unsigned fields rewritten to the new change
  const a2 = h.commit([m.m2], { 'rules/checks.yaml': 'checks: [] # Approve everything.\n' });
  const genuine = JSON.parse(h.readNote(m.m2));
  const ch2 = h.changes(a2)[0]!;
  genuine.files = [{ path: ch2.path, blob: ch2.newBlob, tier: 'CONFIRM' }];
  genuine.transitions = [{ path: ch2.path, old_mode: ch2.oldMode, old_blob: ch2.oldBlob, new_mode: ch2.newMode, new_blob: ch2.newBlob }];
  genuine.sidecar.files = [{ ...genuine.sidecar.files[0], blob: ch2.newBlob, old_blob: ch2.oldBlob }];
  h.addNote(a2, JSON.stringify(genuine));
  branch('a02-rewritten-note', a2);
  // 3: m2's note replayed on a commit with m1's tree (rolls the rule back) and another parent
  const a3 = h.commitWithTree([m.m2], m.m1);
  h.addNote(a3, h.readNote(m.m2));
  branch('a03-replayed-note', a3);
  // 4: an evil merge with main's own root rolls the config and the rule back; then a plain commit
  const a4 = h.commit([m.m2, m.m0], {}, { from: m.m0, message: 'merge an old commit' });
  const a4b = h.commit([a4], { 'tools/policy/a.json': '{"allow": ["*"]}\n' });
  branch('a04-evil-merge', a4b);
  // 5: an orphan root commit with a governed file, merged in
  const root = h.commit([], { 'tools/policy/a.json': '{"allow": ["*"]}\n' }, { from: null, message: 'orphan' });
  const a5 = h.commit([m.m2, root], { 'tools/policy/a.json': '{"allow": ["*"]}\n' }, { message: 'merge orphan' });
  branch('a05-orphan-root', a5);
  m.a4 = a4;
  m.a4b = a4b;
  m.root = root;
  m.a5 = a5;
  m.a1b = a1b;
  m.a2 = a2;
  m.a3 = a3;
  // 8: a genuine approval older than max_age on a commit dated now; one signed in the future
  const a8 = h.commit([m.m2], { 'rules/checks.yaml': 'checks: [] # Old approval.\n' }, { date: iso(now) });
  approve(a8, 'CONFIRM', { at: iso(now - 8 * DAY) });
  branch('a08-expired', a8);
  const a8f = h.commit([m.m2], { 'rules/checks.yaml': 'checks: [] # Future approval.\n' });
  approve(a8f, 'CONFIRM', { at: iso(now + 2 * 3_600_000) });
  branch('a08-future', a8f);
  m.a8 = a8;
  m.a8f = a8f;
  // 10: a rule rewritten in slices that each pass the doc-only carve-out
  const s1 = h.commit([m.m2], { 'rules/long.md': slice(LONG, 0, 8, 'a') });
  const s2 = h.commit([s1], { 'rules/long.md': slice(slice(LONG, 0, 8, 'a'), 8, 16, 'b') });
  branch('a10-carve-out-slices', s2);
  m.s1 = s1;
  m.s2 = s2;
  // more: octopus merge taking the root's rule; a PR forked before signatures; a DOUBLE_CONFIRM
  // approval replayed on a CONFIRM change; a CONFIRM approval for a DOUBLE_CONFIRM path; the
  // agent's own key; mode-only, symlink (even with a v1 approval), rename out, gitlink; an ADR edit
  m.oct = h.commit([m.m2, ok1, m.m0], { 'rules/checks.yaml': 'checks: [lint]\n' }, { message: 'octopus' });
  branch('a-octopus', m.oct);
  m.fork = h.commit([m.m0], { 'rules/checks.yaml': 'checks: [] # No signatures here.\n' });
  approve(m.fork, 'CONFIRM', { unsigned: true });
  branch('a-old-fork-point', m.fork);
  m.dc = h.commit([m.m2], { 'rules/checks.yaml': 'checks: [] # Replayed DC.\n' });
  h.addNote(m.dc, h.readNote(m.m1));
  branch('a-dc-replayed-on-confirm', m.dc);
  m.low = h.commit([m.m2], { '.husky/pre-commit': 'exit 0\n' });
  approve(m.low, 'CONFIRM');
  branch('a-confirm-on-double', m.low);
  m.own = h.commit([m.m2], { 'rules/checks.yaml': 'checks: [] # Signed by the agent.\n' });
  approve(m.own, 'CONFIRM', { with: forge });
  branch('a-agent-key', m.own);
  m.mode = h.commit([m.m2], { 'rules/checks.yaml': { content: 'checks: [lint, test]\n', mode: '100755' } });
  branch('a-mode-only', m.mode);
  m.link = h.commit([m.m2], { 'rules/checks.yaml': { content: '../README.md', mode: '120000' } });
  approve(m.link, 'CONFIRM', { payloadVersion: 1 });
  branch('a-symlink-v1-approval', m.link);
  m.rename = h.commit([m.m2], { 'rules/checks.yaml': null, 'docs/checks.yaml': 'checks: [lint, test]\n' });
  branch('a-rename-out', m.rename);
  m.gitlink = h.commit([m.m2], { 'rules/vendor': { content: m.m0, mode: '160000' } });
  branch('a-gitlink', m.gitlink);
  m.adr = h.commit([m.m2], { 'adr/0001-layout.md': ADR.replace('Body.', 'Rewritten.') });
  approve(m.adr, 'DOUBLE_CONFIRM');
  branch('a-adr-edit', m.adr);

  // push everything to a bare origin; CI is a fresh clone that fetches the notes
  origin = join(makeTempDir('gate-origin-'), 'origin.git');
  mkdirSync(origin);
  expect(run('git', ['init', '-q', '--bare', origin], { env: c.env }).code).toBe(0);
  const push = run('git', ['push', '-q', origin, 'refs/heads/*:refs/heads/*', 'refs/notes/agent-gates:refs/notes/agent-gates'], { cwd: c.dir, env: c.env });
  expect(push.code, push.stderr).toBe(0);
  ci = join(makeTempDir('gate-ci-'), 'ci');
  expect(run('git', ['clone', '-q', origin, ci], { env: c.env }).code).toBe(0);
  expect(run('git', ['fetch', '-q', 'origin', 'refs/notes/agent-gates:refs/notes/agent-gates'], { cwd: ci, env: c.env }).code).toBe(0);
}, 120_000);

afterAll(() => c?.cleanup());

describe('honest work passes the range check in a fresh CI clone', () => {
  it.each(['honest-approved', 'honest-rebased', 'honest-merge', 'honest-v1-payload'])('%s', async (name) => {
    const r = await check(name);
    expect(r.code, JSON.stringify(r.json?.violations ?? r.stderr)).toBe(0);
    expect(r.json.signaturesRequired).toBe(true);
  });

  it('12: a junk note on an unrelated commit is a warning, and a union notes merge keeps the genuine approval', async () => {
    const r = await check('a12-junk-and-notes-merge');
    expect(r.code, JSON.stringify(r.json.violations)).toBe(0);
    expect(r.json.warnings.join('\n')).toMatch(/is ignored: the note is not JSON/);
  });

  it('the packed binary says the same: exit 0 and the JSON report the in-process check returns', async () => {
    const cli = checkCli('honest-approved');
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.json).toEqual((await check('honest-approved')).json);
  });
});

describe('issue 12 attacks are refused with a coded finding naming commit and path', () => {
  it('1: an unsigned note (even one naming the exact change) does not count when signatures are required', async () => {
    expect(found(await check('a01-unsigned-note'))).toEqual([['C_UNSIGNED', m.a1b, 'rules/checks.yaml']]);
  });

  it('2: a genuine signed note with its unsigned fields rewritten is ignored and reported', async () => {
    const r = await check('a02-rewritten-note');
    expect(found(r)).toEqual([['C_UNAPPROVED', m.a2, 'rules/checks.yaml']]);
    expect(r.json.warnings.join('\n')).toMatch(/disagree/);
  });

  it('3: a genuine note replayed onto another parent with an old tree does not cover the rollback', async () => {
    expect(found(await check('a03-replayed-note'))).toEqual([['C_UNAPPROVED', m.a3, 'rules/checks.yaml']]);
  });

  it('4: an evil merge with an old commit of main is asked about everything it rolls back, and the rollback governs nothing', async () => {
    expect(found(await check('a04-evil-merge'))).toEqual([
      ['C_MERGE_UNAPPROVED', m.a4, '.agents/gates.yaml'],
      ['C_MERGE_UNAPPROVED', m.a4, 'rules/checks.yaml'],
      ['C_UNAPPROVED', m.a4b, 'tools/policy/a.json'],
    ]);
  });

  it('5: an orphan root commit is judged under the base config, and a merge cannot take its file', async () => {
    expect(found(await check('a05-orphan-root'))).toEqual([
      ['C_UNAPPROVED', m.root, 'tools/policy/a.json'],
      ['C_MERGE_UNAPPROVED', m.a5, 'tools/policy/a.json'],
    ]);
  });

  it('8: max_age runs from the signed approval time to the clock of the check (never the committer date); a future signature is refused', async () => {
    expect(found(await check('a08-expired'))).toEqual([['C_APPROVAL_EXPIRED', m.a8, 'rules/checks.yaml']]);
    expect(found(await check('a08-future'))).toEqual([['C_APPROVAL_FUTURE', m.a8f, 'rules/checks.yaml']]);
  });

  it('10: the doc-only carve-out is judged on the cumulative change of the path', async () => {
    const r = await check('a10-carve-out-slices');
    expect(found(r)).toEqual([['C_CARVE_OUT_EXCEEDED', m.s2, 'rules/long.md']]);
    expect(r.json.commits.find((x: any) => x.commit === m.s1)).toMatchObject({ carveOut: 'doc-only', violations: [] });
  });

  it('an octopus merge taking an old ancestor\'s version is refused', async () => {
    expect(found(await check('a-octopus'))).toEqual([['C_MERGE_UNAPPROVED', m.oct, 'rules/checks.yaml']]);
  });

  it('a branch forked before signatures were required is judged under the base (the target tip), not its fork point', async () => {
    expect(found(await check('a-old-fork-point'))).toEqual([['C_UNSIGNED', m.fork, 'rules/checks.yaml']]);
  });

  it('already refused and staying so: replays, low tiers, foreign keys, modes, types, renames, gitlinks, ADR edits', async () => {
    expect(found(await check('a-dc-replayed-on-confirm'))).toEqual([['C_UNAPPROVED', m.dc, 'rules/checks.yaml']]);
    expect(found(await check('a-confirm-on-double'))).toEqual([['C_TIER_TOO_LOW', m.low, '.husky/pre-commit']]);
    expect(found(await check('a-agent-key'))).toEqual([['C_UNTRUSTED_SIGNER', m.own, 'rules/checks.yaml']]);
    expect(found(await check('a-mode-only'))).toEqual([['C_UNAPPROVED', m.mode, 'rules/checks.yaml']]);
    // a v1 payload names regular files: its signature does not cover the symlink; only the note's unsigned record does
    // a link to ungoverned README.md: refused as an escape, and its v1 approval cannot cover a link anyway
    expect(found(await check('a-symlink-v1-approval'))).toEqual([
      ['C_LINK_ESCAPE', m.link, 'rules/checks.yaml'],
      ['C_UNSIGNED', m.link, 'rules/checks.yaml'],
    ]);
    expect(found(await check('a-rename-out'))).toEqual([['C_UNAPPROVED', m.rename, 'rules/checks.yaml']]);
    expect(found(await check('a-gitlink'))).toEqual([['C_UNAPPROVED', m.gitlink, 'rules/vendor']]);
    const adr = await check('a-adr-edit');
    expect(adr.code).toBe(1);
    expect(adr.json.violations.map((v: any) => [v.code, v.path])).toEqual([['ADR_CHANGED_AFTER_ACCEPT', 'adr/0001-layout.md']]);
    // every refusal names its commit, path and the exact transition in the text output too
    const text = run(gateBin, ['check', '--range', 'origin/main..origin/a-mode-only'], { cwd: ci, env: c.env, input: '' });
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('C_UNAPPROVED');
    expect(text.stderr).toContain(m.mode!.slice(0, 12));
    expect(text.stderr).toContain('rules/checks.yaml');
  });
});
