/**
 * Signed approvals end to end: real repositories, real hooks running the built CLI, real keys
 * from ssh-keygen (key file and ssh-agent), `gate approve` through its use-case with a scripted
 * terminal (and once through tmux), commits made by `git commit`. Each forgery an agent could
 * attempt without the approver's key is shown failing at pre-commit, with the reason.
 *
 * Each test works in a copy of a repository built once per configuration (`setup`). Where a test
 * only reads the pre-commit's verdict on a blocked commit, the verdict comes from the hook's own
 * CLI glue in process (`preCommitIn`: checkHookResult, the exit code and stderr
 * `gate check --hook pre-commit` prints); the first blocked commit of each code (SIG_MISSING,
 * SIG_PRINCIPAL, SIG_BINDING, SIG_EXPIRED, SIG_INVALID, SIG_STRENGTH, SIG_LEDGER) stays a real
 * `git commit` through the hook. Every commit is a real `git commit`; two that pass go through the
 * real hooks (the first test's and the terminal test's), the others take both hooks' verdicts in
 * process (`commitIn`, test/helpers/commit.ts). `gate check --range` and `gate audit verify` (text
 * and --json) run once each through the built CLI; their other reports come from the use-cases in
 * process.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { GATE_BIN, copyRepo, makeRepo, type TempRepo } from '../../helpers/repo.js';
import { fidoKey, fidoSign, keygen, startAgent, sh, type Agent, type FidoKey, type TestKey } from '../../helpers/ssh.js';
import { openContext } from '../../../src/app/context.js';
import { approve, type Terminal } from '../../../src/app/approvals/approve.js';
import { explain } from '../../../src/app/approvals/explain.js';
import { renderSidecar, parseSidecarText, type Sidecar } from '../../../src/schema/sidecar/schema.js';
import { APPROVAL_NAMESPACE, dearmor, armor, verifySshsig } from '../../../src/signing/sshsig.js';
import { parsePayload, serializePayload, type ApprovalPayload } from '../../../src/signing/payload.js';
import { signMessage } from '../../../src/adapters/ssh-keygen.js';
import { ledgerPoint, repoIdentity } from '../../../src/app/approvals/signed.js';
import { linkHash, serializeEntry } from '../../../src/ledger/chain.js';
import type { LedgerEntry } from '../../../src/schema/ledger/schema.js';
import { checkHookResult } from '../../../src/cli/fast/hook.js';
import { checkRangeInProcess, withEnv } from '../../helpers/range.js';
import { commitIn } from '../../helpers/commit.js';
import { auditVerify } from '../../../src/app/review/audit.js';
import { camelKeys } from '../../../src/cli/views/json.js';

const EXPLAIN = ['explain', '--intent', 'tighten the rule', '--alternative', 'leave it', '--blast-radius', 'rules/', '--reversibility', 'fully', '--rollback', 'git revert'];
/** EXPLAIN through the use case in process: `gate explain` itself is run by gate-b.test.ts (and once below). */
const EXPLAIN_INPUT = { intent: 'tighten the rule', alternatives: ['leave it'], blast_radius: 'rules/', reversibility: 'fully', rollback: 'git revert' };

async function explainIn(repo: TempRepo): Promise<void> {
  const e = await explain(openContext(repo.dir), EXPLAIN_INPUT);
  expect(e.written).toBe(true);
}
const PRINCIPAL = 'human@example.com';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

let keyBase: TempRepo;
let alice: TestKey; // listed in allowed_signers as human@example.com
let mallory: TestKey; // the agent's own key: never listed at HEAD
let agent: Agent;
beforeAll(async () => {
  keyBase = makeRepo({ init: false });
  const kd = join(keyBase.home, '.ssh');
  alice = keygen(kd, 'alice', 'ed25519', undefined, keyBase.env);
  mallory = keygen(kd, 'mallory', 'ecdsa', 256, keyBase.env);
  agent = await startAgent(keyBase.dir, keyBase.env);
  agent.add(alice.path);
});
afterAll(() => {
  agent?.stop();
  keyBase?.cleanup();
});

function config(extra = ''): string {
  return `version: 1\napproval:\n  require_signature: true\n${extra}`;
}

/** The repositories `setup` copies, by their options: each built once (when first asked for), removed when the file ends. */
const templates = new Map<string, TempRepo>();

/** A repo whose HEAD commits require_signature and an allowed_signers listing alice; hooks installed: a copy of one built once per `opts`. */
function setup(opts: { config?: string; signers?: string } = {}): TempRepo {
  const key = JSON.stringify([opts.config ?? null, opts.signers ?? null]);
  let template = templates.get(key);
  if (!template) templates.set(key, (template = build(opts)));
  const repo = copyRepo(template);
  repos.push(repo);
  return repo;
}

function build(opts: { config?: string; signers?: string }): TempRepo {
  const repo = makeRepo();
  repo.write('README.md', '# project\n');
  repo.write('rules/style.md', '# Style\n\nUse tabs.\n');
  repo.write('.agents/gates.yaml', opts.config ?? config());
  repo.write('.agents/allowed_signers', opts.signers ?? `${PRINCIPAL} ${alice.pubLine}\n`);
  repo.gitOk('add', '-A');
  repo.gitOk('commit', '-q', '-m', 'init');
  for (const hook of ['pre-commit', 'post-commit']) {
    const p = join(repo.dir, '.git', 'hooks', hook);
    writeFileSync(p, `#!/bin/sh\nexec "${process.execPath}" "${GATE_BIN}" check --hook ${hook}\n`);
    chmodSync(p, 0o755);
  }
  return repo;
}

async function stageRule(repo: TempRepo, name = 'rules/new.md', body = '# New rule\n'): Promise<void> {
  repo.write(name, body);
  repo.gitOk('add', name);
  await explainIn(repo);
}

function scriptedTerminal(): Terminal & { out: string[] } {
  const out: string[] = [];
  return { interactive: true, color: false, out, write: (t) => void out.push(t), ask: async () => 'ACDEFG' };
}

async function approveAs(repo: TempRepo, signing: { key?: string; principal?: string }) {
  return approve(openContext(repo.dir), scriptedTerminal(), { challenge: () => 'ACDEFG', signing });
}

/** The sidecar for the current staged tree. */
function sidecarFile(repo: TempRepo): string {
  return join(repo.dir, '.agents', 'gate-b', `explain-${repo.gitOk('write-tree')}.yaml`);
}

async function readSidecar(repo: TempRepo): Promise<Sidecar> {
  const r = await parseSidecarText(readFileSync(sidecarFile(repo), 'utf8'));
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.sidecar;
}

function commit(repo: TempRepo) {
  return repo.git('commit', '-q', '-m', 'change');
}

/**
 * What `git commit -q -m change` (no -a, no paths: the hook reads the repository's index) learns
 * from the pre-commit when it blocks: `gate check --hook pre-commit`'s CLI glue in process, its
 * exit code and the stderr it prints. The commit is not made (only used where the test expects a block).
 */
async function preCommitIn(repo: TempRepo): Promise<{ code: number; stderr: string }> {
  const r = await withEnv(repo.env, () => checkHookResult('pre-commit', { cwd: repo.dir }));
  const err = r.errText === undefined ? '' : [r.errText].flat().join('\n');
  return { code: r.code, stderr: err.length && !err.endsWith('\n') ? `${err}\n` : err };
}

/**
 * `gate audit verify --json` in process (the audit use-case; the CLI runs above, exit 0 as text and
 * exit 3 as --json): its exit code and the document it prints, keys camelCase as the CLI's.
 */
async function auditVerifyIn(repo: TempRepo): Promise<{ code: number; stdout: string }> {
  const r = await withEnv(repo.env, () => auditVerify(openContext(repo.dir)));
  const code = r.ok ? 0 : 3;
  return { code, stdout: JSON.stringify({ exitCode: code, ...camelKeys({ ...r }) }) }; // the report carries `ok`
}

function ledgerLines(repo: TempRepo): string[] {
  return readFileSync(join(repo.commonDir(), 'agent-gates', 'ledger.jsonl'), 'utf8').split('\n').filter(Boolean);
}

/**
 * What an agent without the approver's key can do: build a payload (optionally wrong), sign it
 * with a key it holds, append a matching approve entry to the ledger, and add the approval to the
 * sidecar, so Gate B's own checks pass and only the signature check stands in the way.
 */
async function forgeApproval(
  repo: TempRepo,
  sign: (payload: string) => string,
  mutate: (p: ApprovalPayload) => void = () => {},
  step: 'confirm' | 'intent' | 'diff' = 'confirm',
  principal = PRINCIPAL,
): Promise<void> {
  const ctx = openContext(repo.dir);
  const s = await readSidecar(repo);
  const { explanationDigest } = await import('../../../src/schema/sidecar/schema.js');
  const digest = explanationDigest(s);
  const head = ctx.git.head();
  const payload: ApprovalPayload = {
    v: 1,
    type: 'agent-gates/approval',
    repo: repoIdentity(ctx, head, true),
    parent: head ?? null,
    tree: s.tree,
    tier: s.tier as 'CONFIRM',
    step,
    files: s.files.map((f) => ({ path: f.path, status: f.status, blob: f.blob, ...(f.old_path ? { old_path: f.old_path } : {}), old_blob: f.old_blob })),
    digest,
    ledger: ledgerPoint(ctx),
    principal,
    nonce: randomBytes(16).toString('hex'),
    at: new Date().toISOString(),
  };
  mutate(payload);
  const bytes = serializePayload(payload);
  const signature = { format: 'sshsig', namespace: APPROVAL_NAMESPACE, payload: bytes, signature: sign(bytes), principal, key: 'forged' };
  const approver = { name: 'Test Human', email: PRINCIPAL, os_user: 'x', host: 'y' };
  const [rec] = await ctx.record({
    event: 'approve',
    actor: { kind: 'human', id: `human:${PRINCIPAL}` },
    subject: { tree: s.tree, paths: s.files.map((f) => f.path) },
    data: { step, tier: s.tier, digest, method: 'ssh-signature', approver, sidecar: 'x', signature },
  });
  s.approvals.push({
    step,
    tier: s.tier,
    tree: s.tree,
    digest,
    approver,
    method: 'ssh-signature',
    at: rec!.entry.ts,
    ledger: { seq: rec!.entry.seq, offset: rec!.offset, hash: rec!.hash },
    signature,
  });
  writeFileSync(sidecarFile(repo), renderSidecar(s));
}

const signWith = (k: TestKey) => (bytes: string) => signMessage({ message: bytes, namespace: APPROVAL_NAMESPACE, key: k.path }).signature;

describe('signed approvals: the approver signs, the commit passes', () => {
  it('CONFIRM signed with a key file: payload and signature stored byte for byte in sidecar, ledger and note', async () => {
    const repo = setup();
    await stageRule(repo);
    const r = await approveAs(repo, { key: alice.path });
    expect(r.complete).toBe(true);
    const s = await readSidecar(repo);
    expect(s.approvals).toHaveLength(1);
    const a = s.approvals[0]!;
    expect(a.method).toBe('ssh-signature');
    const sig = a.signature as unknown as { payload: string; signature: string; principal: string };
    const p = parsePayload(sig.payload);
    if (typeof p === 'string') throw new Error(p);
    expect(p).toMatchObject({ tree: s.tree, tier: 'CONFIRM', step: 'confirm', principal: PRINCIPAL, parent: repo.gitOk('rev-parse', 'HEAD') });
    expect(p.repo.root).toBe(repo.gitOk('rev-list', '--max-parents=0', 'HEAD'));
    expect(p.files.map((f) => [f.path, f.blob])).toEqual([['rules/new.md', repo.gitOk('rev-parse', ':rules/new.md')]]);
    expect(verifySshsig({ signature: sig.signature, message: sig.payload, namespace: APPROVAL_NAMESPACE }).ok).toBe(true);
    // the ledger entry carries the same bytes
    const entry = JSON.parse(ledgerLines(repo)[a.ledger.seq - 1]!);
    expect(entry.data.signature.payload).toBe(sig.payload);
    expect(entry.data.signature.signature).toBe(sig.signature);
    // ssh-keygen agrees with the stored bytes
    writeFileSync(join(repo.home, 'as'), `${PRINCIPAL} ${alice.pubLine}\n`);
    writeFileSync(join(repo.home, 'sig'), sig.signature);
    const ok = sh('ssh-keygen', ['-Y', 'verify', '-f', join(repo.home, 'as'), '-I', PRINCIPAL, '-n', APPROVAL_NAMESPACE, '-s', join(repo.home, 'sig')], { input: sig.payload, env: repo.env });
    expect(ok.code, ok.stderr).toBe(0);
    const c = commit(repo);
    expect(c.code, c.stderr).toBe(0);
    const note = JSON.parse(repo.gitOk('notes', '--ref', 'refs/notes/agent-gates', 'show', 'HEAD'));
    expect(note.sidecar.approvals[0].signature.payload).toBe(sig.payload);
  });

  it('signed through a real ssh-agent (only the .pub on disk is named)', async () => {
    const repo = setup();
    await stageRule(repo);
    const hidden = `${alice.path}.hidden`;
    renameSync(alice.path, hidden);
    const saved = process.env.SSH_AUTH_SOCK;
    process.env.SSH_AUTH_SOCK = agent.sock;
    try {
      const r = await approveAs(repo, { key: alice.pub });
      expect(r.complete).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
      renameSync(hidden, alice.path);
    }
    const c = await commitIn(repo);
    expect(c.code, c.stderr).toBe(0);
  });

  it('git config user.signingkey is used when --key is not given', async () => {
    const repo = setup();
    repo.gitOk('config', 'user.signingkey', alice.path);
    await stageRule(repo);
    expect((await approveAs(repo, {})).complete).toBe(true);
    expect((await commitIn(repo)).code).toBe(0);
  });

  it('DOUBLE_CONFIRM: each step is its own signature; adding a signer takes effect only once committed', async () => {
    const repo = setup();
    repo.write('.agents/allowed_signers', `${PRINCIPAL} ${alice.pubLine}\nbot@example.com ${mallory.pubLine}\n`);
    repo.gitOk('add', '.agents/allowed_signers');
    await explainIn(repo);
    // the key being added cannot approve its own addition: HEAD does not list it
    await expect(approveAs(repo, { key: mallory.path, principal: 'bot@example.com' })).rejects.toThrow(/not listed|cannot sign/);
    const r = await approveAs(repo, { key: alice.path });
    expect(r.recorded.map((x) => x.step)).toEqual(['intent', 'diff']);
    const s = await readSidecar(repo);
    const payloads = s.approvals.map((a) => parsePayload((a.signature as unknown as { payload: string }).payload) as ApprovalPayload);
    expect(payloads.map((p) => p.step)).toEqual(['intent', 'diff']);
    expect(payloads[0]!.nonce).not.toBe(payloads[1]!.nonce);
    expect(payloads[1]!.ledger.size).toBeGreaterThan(payloads[0]!.ledger.size);
    expect((s.approvals[0]!.signature as unknown as { signature: string }).signature).not.toBe((s.approvals[1]!.signature as unknown as { signature: string }).signature);
    const c = await commitIn(repo);
    expect(c.code, c.stderr).toBe(0);
  });
});

describe('signed approvals: forgeries without the approver key are blocked at pre-commit', () => {
  it('a terminal-only approval (challenge typed, ledger entry appended) → SIG_MISSING', async () => {
    const repo = setup();
    await stageRule(repo);
    // the agent drives the approval use-case with the working-tree config switched off…
    repo.write('.agents/gates.yaml', 'version: 1\n');
    await expect(approveAs(repo, {})).rejects.toThrow(/no signing key/);
    // …so it forges a terminal approval record with a real ledger entry instead
    const ctx = openContext(repo.dir);
    const s = await readSidecar(repo);
    const { explanationDigest } = await import('../../../src/schema/sidecar/schema.js');
    const digest = explanationDigest(s);
    const approver = { email: PRINCIPAL, os_user: 'x', host: 'y' };
    const [rec] = await ctx.record({ event: 'approve', actor: { kind: 'human', id: `human:${PRINCIPAL}` }, subject: { tree: s.tree, paths: ['rules/new.md'] }, data: { step: 'confirm', tier: 'CONFIRM', digest, method: 'terminal', approver } });
    s.approvals.push({ step: 'confirm', tier: 'CONFIRM', tree: s.tree, digest, approver, method: 'terminal', at: rec!.entry.ts, ledger: { seq: rec!.entry.seq, offset: rec!.offset, hash: rec!.hash } });
    writeFileSync(sidecarFile(repo), renderSidecar(s));
    const c = commit(repo);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('SIG_MISSING');
    expect(c.stderr).not.toContain('B_APPROVAL'); // Gate B alone would have let it through
  });

  it('principal not in the committed allowed_signers → approve refuses, a forged record → SIG_PRINCIPAL', async () => {
    const repo = setup();
    await stageRule(repo);
    await expect(approveAs(repo, { key: mallory.path })).rejects.toThrow(/cannot sign as "human@example.com"/);
    await forgeApproval(repo, signWith(mallory));
    const c = commit(repo);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('SIG_PRINCIPAL');
    expect(c.stderr).toContain('not listed in the committed allowed_signers');
  });

  it('signer added only in the working tree (even staged) → still blocked', async () => {
    const repo = setup();
    repo.write('.agents/allowed_signers', `${PRINCIPAL} ${alice.pubLine}\n${PRINCIPAL} ${mallory.pubLine}\n`);
    await stageRule(repo);
    await expect(approveAs(repo, { key: mallory.path })).rejects.toThrow(/cannot sign/);
    await forgeApproval(repo, signWith(mallory));
    let c = await preCommitIn(repo);
    expect(c.stderr).toContain('SIG_PRINCIPAL');
    repo.gitOk('add', '.agents/allowed_signers');
    await explainIn(repo);
    await forgeApproval(repo, signWith(mallory), () => {}, 'intent');
    await forgeApproval(repo, signWith(mallory), () => {}, 'diff');
    c = await preCommitIn(repo);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('SIG_PRINCIPAL');
  });

  // the last field: commit through the real hook (the first SIG_BINDING, and SIG_EXPIRED), else the verdict in process
  const bindings: Array<[string, (p: ApprovalPayload) => void, RegExp, boolean]> = [
    ['another tree (a replayed approval)', (p) => (p.tree = 'a'.repeat(40)), /signed for tree aaaaaaaaaaaa/, true],
    ['another blob', (p) => (p.files[0]!.blob = 'b'.repeat(40)), /rules\/new\.md: signed blob bbbbbbbbbbbb/, false],
    ['another tier', (p) => (p.tier = 'AUTO' as never), /signs tier AUTO/, false],
    ['another sidecar digest', (p) => (p.digest = 'c'.repeat(64)), /explanation was edited after signing/, false],
    ['another repository', (p) => (p.repo.root = 'd'.repeat(40)), /root commit is dddddddddddd/, false],
    ['another step', (p) => (p.step = 'diff'), /signs the "diff" step/, false],
    ['expired', (p) => (p.at = '2020-01-01T00:00:00.000Z'), /longer ago than approval\.max_age/, true],
  ];
  for (const [name, mutate, re, throughHook] of bindings) {
    it(`payload for ${name}, signed by the real approver → SIG_BINDING/SIG_EXPIRED`, async () => {
      const repo = setup();
      await stageRule(repo);
      await forgeApproval(repo, signWith(alice), mutate);
      const c = throughHook ? commit(repo) : await preCommitIn(repo);
      expect(c.code).not.toBe(0);
      expect(c.stderr).toMatch(/SIG_BINDING|SIG_EXPIRED/);
      expect(c.stderr).toMatch(re);
    });
  }

  it('replay: a valid approval of an earlier tree copied into the new sidecar → blocked', async () => {
    const repo = setup();
    await stageRule(repo);
    await approveAs(repo, { key: alice.path });
    const old = (await readSidecar(repo)).approvals[0]!;
    // the agent stages one more change: new tree, new explanation
    repo.write('rules/new.md', '# New rule, changed after approval\n');
    repo.gitOk('add', 'rules/new.md');
    await explainIn(repo);
    const s = await readSidecar(repo);
    const signedTree = (parsePayload((old.signature as unknown as { payload: string }).payload) as ApprovalPayload).tree;
    expect(s.tree).not.toBe(signedTree);
    // copy the signature onto an approval record the agent backs with its own ledger entry
    await forgeApprovalInto(repo, s, old.signature);
    const c = await preCommitIn(repo);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('SIG_BINDING');
    expect(c.stderr).toMatch(/signed for tree/);
  });

  it('a single bit flipped in the stored signature → SIG_INVALID', async () => {
    const repo = setup();
    await stageRule(repo);
    await forgeApproval(repo, (bytes) => {
      const blob = dearmor(signWith(alice)(bytes));
      blob[blob.length - 3]! ^= 0x04;
      return armor(blob);
    });
    const c = commit(repo);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('SIG_INVALID');
  });

  it('an edited payload under a genuine signature → SIG_INVALID', async () => {
    const repo = setup();
    await stageRule(repo);
    await approveAs(repo, { key: alice.path });
    const s = await readSidecar(repo);
    const sig = s.approvals[0]!.signature as unknown as { payload: string };
    sig.payload = sig.payload.replace(/"nonce":"[0-9a-f]+"/, `"nonce":"${'0'.repeat(32)}"`);
    writeFileSync(sidecarFile(repo), renderSidecar(s));
    const c = await preCommitIn(repo);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('SIG_INVALID');
  });
});

describe('signed approvals: strength', () => {
  it('min_strength fido-touch with a software key → approve refuses; a forged record → SIG_STRENGTH', async () => {
    const repo = setup({ config: config('  min_strength: fido-touch\n') });
    await stageRule(repo);
    await expect(approveAs(repo, { key: alice.path })).rejects.toThrow(/not a FIDO security key/);
    await forgeApproval(repo, signWith(alice));
    const c = commit(repo);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('SIG_STRENGTH');
  });

  for (const kind of ['ecdsa', 'ed25519'] as const) {
    it(`FIDO sk-${kind} signature with user presence → commit passes; without → SIG_STRENGTH`, async () => {
      const fido: FidoKey = fidoKey(kind);
      const repo = setup({ config: config('  min_strength: fido-touch\n'), signers: `${PRINCIPAL} ${fido.pubLine}\n` });
      await stageRule(repo);
      await forgeApproval(repo, (bytes) => fidoSign(fido, APPROVAL_NAMESPACE, bytes, 0x00));
      const blocked = await preCommitIn(repo);
      expect(blocked.code).not.toBe(0);
      expect(blocked.stderr).toContain('SIG_STRENGTH');
      expect(blocked.stderr).toContain('without user presence');
      // a touched signature for the same step: the untouched one still blocks (any failure blocks)
      writeFileSync(sidecarFile(repo), renderSidecar({ ...(await readSidecar(repo)), approvals: [] }));
      await forgeApproval(repo, (bytes) => fidoSign(fido, APPROVAL_NAMESPACE, bytes, 0x01, 12));
      const c = await commitIn(repo);
      expect(c.code, c.stderr).toBe(0);
    });
  }
});

describe('ledger vouched for by signatures', () => {
  it('a ledger rewritten with recomputed hashes before a signed approval → pre-commit SIG_LEDGER and audit verify fails at that point', async () => {
    const repo = setup();
    // a few unsigned events first, then a signed approval and a commit
    await stageRule(repo);
    await approveAs(repo, { key: alice.path });
    const s = await readSidecar(repo);
    const p = parsePayload((s.approvals[0]!.signature as unknown as { payload: string }).payload) as ApprovalPayload;
    expect(p.ledger.size).toBeGreaterThan(0);
    expect(repo.gate(['audit', 'verify']).stdout).toContain(`newest signed point: ${p.ledger.size} entries`);
    // rewrite line 1 and recompute every hash and the head file: the chain verifies again
    rewriteLedger(repo, (entries) => {
      entries[0]!.data = { ...entries[0]!.data, forged: true };
    });
    const chainOnly = await openContext(repo.dir).ledger.verify();
    expect(chainOnly.ok).toBe(true);
    const v = repo.gate(['audit', 'verify', '--json']);
    expect(v.code).toBe(3);
    const j = JSON.parse(v.stdout);
    expect(j.ok).toBe(false);
    expect(j.problem.line).toBe(p.ledger.size);
    expect(j.problem.reason).toBe('edited');
    expect(j.problem.message).toContain(`lines 1..${p.ledger.size} were rewritten`);
    const c = commit(repo);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('SIG_LEDGER');
  });

  it('truncation below a signed point → audit verify reports it, even with a consistent head file', async () => {
    const repo = setup();
    await stageRule(repo);
    await approveAs(repo, { key: alice.path });
    expect((await commitIn(repo)).code).toBe(0);
    const s = JSON.parse(repo.gitOk('notes', '--ref', 'refs/notes/agent-gates', 'show', 'HEAD'));
    const p = parsePayload(s.sidecar.approvals[0].signature.payload) as ApprovalPayload;
    // cut the ledger to fewer entries than the signed size, dropping the approve entry too
    rewriteLedger(repo, (entries) => entries.splice(Math.max(0, p.ledger.size - 1)));
    const v = await auditVerifyIn(repo);
    expect(v.code).toBe(3);
    const j = JSON.parse(v.stdout);
    expect(j.problem).toMatchObject({ line: p.ledger.size, reason: 'truncated' });
    expect(j.signed.problem.point.source).toMatch(/^note on /); // found through the git note
  });
});

/** Rewrite the ledger as an attacker with file access would: edit, then recompute every link and the head. */
function rewriteLedger(repo: TempRepo, edit: (entries: LedgerEntry[]) => void): void {
  const dir = join(repo.commonDir(), 'agent-gates');
  const entries = ledgerLines(repo).map((l) => JSON.parse(l) as LedgerEntry);
  edit(entries);
  const { genesisHash } = require_chain();
  let prev = genesisHash(readFileSync(join(dir, 'repo-id'), 'utf8').trim());
  const lines: string[] = [];
  entries.forEach((e, i) => {
    e.seq = i + 1;
    e.prev = prev;
    const line = serializeEntry(e);
    lines.push(line);
    prev = linkHash(line);
  });
  const body = lines.map((l) => `${l}\n`).join('');
  writeFileSync(join(dir, 'ledger.jsonl'), body);
  writeFileSync(join(dir, 'ledger.head'), `${JSON.stringify({ seq: entries.length, hash: prev, size: Buffer.byteLength(body) })}\n`);
}

import * as chain from '../../../src/ledger/chain.js';
function require_chain() {
  return chain;
}

/** Put an existing signature record onto a new approval backed by a fresh ledger entry. */
async function forgeApprovalInto(repo: TempRepo, s: Sidecar, signature: unknown): Promise<void> {
  const ctx = openContext(repo.dir);
  const { explanationDigest, sidecarPath } = await import('../../../src/schema/sidecar/schema.js');
  const digest = explanationDigest(s);
  const approver = { email: PRINCIPAL, os_user: 'x', host: 'y' };
  const [rec] = await ctx.record({ event: 'approve', actor: { kind: 'human', id: `human:${PRINCIPAL}` }, subject: { tree: s.tree, paths: s.files.map((f) => f.path) }, data: { step: 'confirm', tier: s.tier, digest, method: 'ssh-signature', approver, signature } });
  s.approvals.push({ step: 'confirm', tier: s.tier, tree: s.tree, digest, approver, method: 'ssh-signature', at: rec!.entry.ts, ledger: { seq: rec!.entry.seq, offset: rec!.offset, hash: rec!.hash }, signature: signature as { format: string } });
  writeFileSync(join(repo.dir, sidecarPath(s.tree)), renderSidecar(s));
}


describe('gate check --range verifies note signatures against allowed_signers at the base', () => {
  it('a signed, approved commit passes; a forged note committed with --no-verify fails', async () => {
    const repo = setup();
    const base = repo.gitOk('rev-parse', 'HEAD');
    await stageRule(repo);
    await approveAs(repo, { key: alice.path });
    expect((await commitIn(repo)).code).toBe(0);
    const r = repo.gate(['check', '--range', `${base}..HEAD`]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    // the agent commits a change with its own key's signature, skipping pre-commit
    await stageRule(repo, 'rules/second.md', '# second\n');
    await forgeApproval(repo, signWith(mallory));
    expect((await commitIn(repo, ['-q', '-m', 'sneaky'], { verify: false })).code).toBe(0);
    expect(repo.git('notes', '--ref', 'refs/notes/agent-gates', 'show', 'HEAD').code).toBe(0); // Gate B's post-commit attached it
    const bad = await checkRangeInProcess(repo.dir, `${base}..HEAD`, repo.env);
    expect(bad.code).toBe(1);
    const j = bad.json;
    expect(j.violations.map((v: { code: string }) => v.code)).toEqual(['C_UNTRUSTED_SIGNER']);
    expect(j.violations.every((v: { commit: string }) => v.commit === repo.gitOk('rev-parse', 'HEAD'))).toBe(true);
  });

  it('a signer is trusted from the base, or from an allowed_signers change that was itself approved by a trusted signer earlier in the range', async () => {
    const repo = setup();
    const base = repo.gitOk('rev-parse', 'HEAD');
    repo.write('.agents/allowed_signers', `${PRINCIPAL} ${alice.pubLine}\nbot@example.com ${mallory.pubLine}\n`);
    repo.gitOk('add', '.agents/allowed_signers');
    await explainIn(repo);
    await approveAs(repo, { key: alice.path });
    expect((await commitIn(repo)).code).toBe(0);
    await stageRule(repo);
    await approveAs(repo, { key: mallory.path, principal: 'bot@example.com' });
    const c = await commitIn(repo);
    expect(c.code, c.stderr).toBe(0);
    // alice (trusted at the base) approved the signers change, so bot@example.com counts after it
    const ok = await checkRangeInProcess(repo.dir, `${base}..HEAD`, repo.env);
    expect(ok.code, JSON.stringify(ok.json)).toBe(0);
    // a signers change committed without approval (--no-verify) extends no trust. (Not the very
    // same change: alice's approval of exactly that one is still in the notes, and an approval names
    // a change wherever it is made again within max_age, docs/security.md "Same change, twice".)
    repo.gitOk('reset', '-q', '--hard', base);
    repo.write('.agents/allowed_signers', `${PRINCIPAL} ${alice.pubLine}\nbot@example.com ${mallory.pubLine}\n# the bot\n`);
    repo.gitOk('add', '.agents/allowed_signers');
    const sneak = await commitIn(repo, ['-q', '-m', 'add a signer'], { verify: false });
    expect(sneak.code).toBe(0);
    await stageRule(repo);
    await approveAs(repo, { key: mallory.path, principal: 'bot@example.com' });
    expect((await commitIn(repo)).code).toBe(0);
    const r = await checkRangeInProcess(repo.dir, `${base}..HEAD`, repo.env);
    expect(r.code).toBe(1);
    const j = r.json;
    expect(j.violations.map((v: { code: string; path: string }) => [v.code, v.path])).toEqual([
      ['C_UNAPPROVED', '.agents/allowed_signers'],
      ['C_UNTRUSTED_SIGNER', 'rules/new.md'],
    ]);
  });
});


describe('gate approve --key in a real pseudo-terminal (built CLI)', () => {
  it('signs the approval; the commit passes', async () => {
    const { startTty } = await import('../../helpers/tty.js');
    const repo = setup();
    // the whole user path through the built CLI: explain, then approve in a terminal
    repo.write('rules/new.md', '# New rule\n');
    repo.gitOk('add', 'rules/new.md');
    const ex = repo.gate(EXPLAIN);
    expect(ex.code, ex.stderr).toBe(0);
    const t = startTty([process.execPath, GATE_BIN, 'approve', '--key', alice.path], { cwd: repo.dir, env: repo.env });
    try {
      const screen = await t.waitFor(/type ([A-Z0-9]{6})/);
      t.type(/type ([A-Z0-9]{6})/.exec(screen)![1]!);
      t.enter();
      expect(await t.exitCode()).toBe(0);
    } finally {
      t.kill();
    }
    const s = await readSidecar(repo);
    expect(s.approvals[0]!.method).toBe('ssh-signature');
    const c = commit(repo);
    expect(c.code, c.stderr).toBe(0);
  });
});

describe('gate approve refuses an unusable key before the challenge', () => {
  it('an unlisted key is refused before anything is asked or recorded', async () => {
    const repo = setup();
    await stageRule(repo);
    const term = scriptedTerminal();
    let asked = 0;
    term.ask = async () => {
      asked++;
      return 'ACDEFG';
    };
    const before = ledgerLines(repo).length;
    await expect(approve(openContext(repo.dir), term, { challenge: () => 'ACDEFG', signing: { key: mallory.path } })).rejects.toThrow(/cannot sign as/);
    expect(asked).toBe(0);
    expect(ledgerLines(repo).length).toBe(before);
    expect((await readSidecar(repo)).approvals).toEqual([]);
  });
});
