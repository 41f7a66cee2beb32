/**
 * Decisions across clones (ADR 0027, issue 18), against a real bare remote and two clones: W (an
 * agent waits there) and A (the person decides there). A decides W's published card with
 * `gate inbox approve|reject <id> --remote` (the use-case in process with a scripted terminal, and
 * once through tmux); W takes it with `gate approve --fetch` and commits through the real hooks.
 * The attacks come first: the attacker is the same OS user as W's agent and pushes refs to the
 * remote directly (a forged key, a replayed decision, a signers line added in the same change, a
 * DOUBLE_CONFIRM decision signed once, an unsigned decision, a decision deleted or replaced).
 * One remote, one pair of clones and one key pair for the file. The built CLI runs once per exit
 * code and output shape (`gate approve --fetch --json` approved (exit 0) and rejected (exit 1),
 * `gate ledger pending --diff` as text, the tmux approval) and in the commit hooks (a blocked commit
 * and the first that passes); `gate inbox --remote --json` and `gate inbox reject --remote --json`
 * run their argv in process (`A.gateIn`, test/helpers/gate-in.ts), and the other verdicts come from
 * the use-cases in process (the terminal test's commit: `commitIn`, test/helpers/commit.ts).
 */
import { appendFileSync, chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATE_BIN, makeRepo, makeTempDir, run, type TempRepo } from '../helpers/repo.js';
import { keygen, sshSign, type TestKey } from '../helpers/ssh.js';
import { checkRangeInProcess } from '../helpers/range.js';
import { commitIn } from '../helpers/commit.js';
import { hasTmux, startTty } from '../helpers/tty.js';
import { openContext } from '../../src/app/context.js';
import { explain } from '../../src/app/approvals/explain.js';
import { publishLedger, teamPending } from '../../src/app/review/team.js';
import { cardId } from '../../src/app/approvals/remote-pending.js';
import { fetchDecision, remoteDecide } from '../../src/app/approvals/remote-decision.js';
import { buildApprovalPayload } from '../../src/app/approvals/signed.js';
import type { Terminal } from '../../src/app/approvals/approve.js';
import { loadSidecar, stagedFacts } from '../../src/app/approvals/facts.js';
import { status } from '../../src/app/approvals/status.js';
import { APPROVAL_NAMESPACE } from '../../src/signing/sshsig.js';
import { serializePayload } from '../../src/signing/payload.js';
import { GateError } from '../../src/kernel/errors.js';
import { JSON_OUTPUTS } from '../../src/cli/views/json-output.js';

/** The --json document matches its documented schema (schema/json/<command>.schema.json). */
function documented(cmd: string, stdout: string): Record<string, unknown> {
  const doc = JSON.parse(stdout) as Record<string, unknown>;
  const v = JSON_OUTPUTS[cmd]!.safeParse(doc);
  expect(v.success, JSON.stringify(v.error?.issues)).toBe(true);
  return doc;
}

const PRINCIPAL = 'human@example.com';
const CONFIG = `version: 1
surfaces:
  - name: rules
    paths: ["rules/**"]
    tier: CONFIRM
  - name: policy
    paths: ["policy/**", ".agents/allowed_signers"]
    tier: DOUBLE_CONFIRM
`;
const EXPLAIN = { intent: 'tighten the rule', alternatives: ['leave it'], blast_radius: 'rules/', reversibility: 'fully', rollback: 'git revert' };

let base: string;
let bare: string;
let W: TempRepo; // the agent waits here
let A: TempRepo; // the person decides here
let alice: TestKey; // listed at HEAD for human@example.com
let mallory: TestKey; // the agent's own key, never listed at HEAD

function cloneFrom(remote: string): TempRepo {
  const r = makeRepo({ init: false });
  const c = run('git', ['clone', '-q', remote, '.'], { cwd: r.dir, env: r.env });
  if (c.code !== 0) throw new Error(c.stderr);
  // the identity, and no `git maintenance run --auto` after each fetch and commit (nothing here
  // grows enough to need one): one config file write instead of git processes
  appendFileSync(join(r.dir, '.git', 'config'), `[user]\n\tname = Test Human\n\temail = ${PRINCIPAL}\n[maintenance]\n\tauto = false\n[gc]\n\tauto = 0\n`);
  return r;
}

beforeAll(() => {
  base = makeTempDir('gate-xapprove-');
  bare = join(base, 'shared.git');
  run('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  // every push would start `git gc --auto` on the remote: nothing here grows enough to need one
  run('git', ['config', 'receive.autogc', 'false'], { cwd: bare });
  const keys = join(base, 'keys');
  alice = keygen(keys, 'alice', 'ed25519');
  mallory = keygen(keys, 'mallory', 'ed25519');
  const seed = makeRepo({ files: { '.agents/gates.yaml': CONFIG, '.agents/allowed_signers': `${PRINCIPAL} ${alice.pubLine}\n`, 'README.md': 'hello\n', 'rules/style.md': '# Style\n' } });
  seed.gitOk('push', '-q', bare, 'main');
  W = cloneFrom(bare);
  A = cloneFrom(bare);
  for (const hook of ['pre-commit', 'post-commit']) {
    const p = join(W.dir, '.git', 'hooks', hook);
    writeFileSync(p, `#!/bin/sh\nexec "${process.execPath}" "${GATE_BIN}" check --hook ${hook}\n`);
    chmodSync(p, 0o755);
  }
});

afterAll(() => {
  W?.cleanup();
  A?.cleanup();
});

/** W: stage files, explain (in process), publish the card; returns the card id. */
async function waitingCard(files: Record<string, string>): Promise<{ id: string; tree: string }> {
  W.gitOk('reset', '-q', '--hard');
  for (const [p, body] of Object.entries(files)) W.write(p, body);
  W.gitOk('add', '--', ...Object.keys(files));
  const ctx = openContext(W.dir);
  const explained = await explain(ctx, EXPLAIN);
  expect(explained.written).toBe(true);
  await publishLedger(ctx, { remote: 'origin' });
  const tree = explained.tree; // the staged tree (git write-tree)
  return { id: cardId(W.dir, tree), tree };
}

function scripted(): Terminal & { out: string[] } {
  const out: string[] = [];
  return { interactive: true, color: false, out, write: (t) => void out.push(t), ask: async () => 'ACDEFG' };
}

async function decideOnA(id: string, opts: { reject?: string; key?: string } = {}) {
  return remoteDecide(openContext(A.dir), id, scripted(), { remote: 'origin', challenge: () => 'ACDEFG', signing: { key: opts.key ?? alice.path, principal: PRINCIPAL }, ...(opts.reject ? { reject: opts.reject } : {}) });
}

let wRepoId: string | undefined; // W's clone id: made at its first publish, never changes
const repoId = () => (wRepoId ??= openContext(W.dir).ledger.repoId(false)!);
const ref = (id: string) => `refs/agent-gates/approvals/${repoId()}/${id}`;

/** The attacker (W's OS user) pushes a decision.json of its own making straight to the remote. */
function pushDecision(id: string, decision: unknown): void {
  // the same plumbing as separate commands would run, in one shell (the test needs only its effect)
  const script = 'blob=$(git hash-object -w --stdin) && tree=$(printf \'100644 blob %s\\tdecision.json\\n\' "$blob" | git mktree) && commit=$(git commit-tree "$tree" -m forged) && git push -q --force origin "$commit:$1"';
  const r = run('sh', ['-c', script, 'sh', ref(id)], { cwd: W.dir, env: W.env, input: `${JSON.stringify(decision, null, 2)}\n` });
  if (r.code !== 0) throw new Error(`pushing the forged decision failed: ${r.stderr}`);
}

/** A step signed over W's own bindings (what a genuine approver would sign) with `key`. */
async function signedStep(step: 'confirm' | 'intent' | 'diff', key: TestKey) {
  const ctx = openContext(W.dir);
  const facts = await stagedFacts(ctx);
  const sc = await loadSidecar(ctx, facts.tree);
  if (sc.state.state !== 'ok') throw new Error('no sidecar');
  const s = sc.state.sidecar;
  const payload = serializePayload(buildApprovalPayload(ctx, { tree: facts.tree, tier: s.tier, step, digest: sc.state.digest, files: s.files }, PRINCIPAL));
  return { step, signature: { format: 'sshsig', namespace: APPROVAL_NAMESPACE, payload, signature: sshSign(key.path, APPROVAL_NAMESPACE, payload), principal: PRINCIPAL, key: 'SHA256:x' } };
}

async function decisionOf(id: string, tree: string, tier: string, steps: unknown[]) {
  const ctx = openContext(W.dir);
  const sc = await loadSidecar(ctx, tree);
  const digest = sc.state.state === 'ok' ? sc.state.digest : '';
  return { v: 1, decision: 'approve', repoId: repoId(), id, worktree: W.dir, tree, tier, digest, approver: { os_user: 'x', host: 'y' }, at: new Date().toISOString(), steps };
}

async function refusedWith(p: Promise<unknown>): Promise<{ code: string; data: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof GateError)) throw e;
    return { code: e.code, data: String(e.data?.code ?? ''), message: e.message };
  }
  throw new Error('expected a refusal');
}

function ledgerText(): string {
  return readFileSync(join(W.dir, '.git', 'agent-gates', 'ledger.jsonl'), 'utf8'); // W is a plain clone: its common dir is .git
}

describe('attacks on decisions across clones (nothing is recorded)', () => {
  it('a decision signed by a key not in the base signers, an unsigned one, and one replaced on the remote are refused', async () => {
    const { id, tree } = await waitingCard({ 'rules/a.md': '# A\n' });
    const before = ledgerText();
    pushDecision(id, await decisionOf(id, tree, 'CONFIRM', [await signedStep('confirm', mallory)]));
    expect(await refusedWith(fetchDecision(openContext(W.dir), { remote: 'origin' }))).toMatchObject({ code: 'DENIED', data: 'SIG_PRINCIPAL' });
    // unsigned, under a policy that does not require signatures
    pushDecision(id, await decisionOf(id, tree, 'CONFIRM', [{ step: 'confirm' }]));
    expect(await refusedWith(fetchDecision(openContext(W.dir), { remote: 'origin' }))).toMatchObject({ code: 'DENIED', data: 'SIG_UNSIGNED' });
    // a genuine decision replaced by the forged one before W fetched: refused
    expect((await decideOnA(id)).commit).toBeTruthy();
    pushDecision(id, await decisionOf(id, tree, 'CONFIRM', [await signedStep('confirm', mallory)]));
    expect(await refusedWith(fetchDecision(openContext(W.dir), { remote: 'origin' }))).toMatchObject({ data: 'SIG_PRINCIPAL' });
    // deleted: nothing waits, nothing recorded
    W.gitOk('push', '-q', 'origin', `:${ref(id)}`);
    expect(await fetchDecision(openContext(W.dir), { remote: 'origin' })).toMatchObject({ status: 'waiting', id, recorded: [] });
    expect(ledgerText()).toBe(before);
    expect(W.git('commit', '-q', '-m', 'forged').code).not.toBe(0);
  });

  it('a decision for another card and tree replayed under this card is refused (SIG_BINDING)', async () => {
    const first = await waitingCard({ 'rules/b.md': '# B\n' });
    await decideOnA(first.id);
    const d = JSON.parse(run('git', ['cat-file', 'blob', `${ref(first.id)}:decision.json`], { cwd: bare }).stdout) as Record<string, unknown>;
    const second = await waitingCard({ 'rules/b.md': '# B, other\n' });
    const before = ledgerText();
    const digest = ((await loadSidecar(openContext(W.dir), second.tree)).state as { digest: string }).digest;
    pushDecision(second.id, { ...d, id: second.id, tree: second.tree, digest });
    expect(await refusedWith(fetchDecision(openContext(W.dir), { remote: 'origin' }))).toMatchObject({ code: 'DENIED', data: 'SIG_BINDING' });
    expect(ledgerText()).toBe(before);
  });

  it('a signers line added in the same staged change does not let its key sign (signers are read at HEAD)', async () => {
    const { id, tree } = await waitingCard({ '.agents/allowed_signers': `${PRINCIPAL} ${alice.pubLine}\n${PRINCIPAL} ${mallory.pubLine}\n` });
    pushDecision(id, await decisionOf(id, tree, 'DOUBLE_CONFIRM', [await signedStep('intent', mallory), await signedStep('diff', mallory)]));
    expect(await refusedWith(fetchDecision(openContext(W.dir), { remote: 'origin' }))).toMatchObject({ data: 'SIG_PRINCIPAL' });
  });

  it('a DOUBLE_CONFIRM decision signed once (intent, no diff) is refused (SIG_MISSING)', async () => {
    const { id, tree } = await waitingCard({ 'policy/p.md': '# P\n' });
    const before = ledgerText();
    pushDecision(id, await decisionOf(id, tree, 'DOUBLE_CONFIRM', [await signedStep('intent', alice)]));
    expect(await refusedWith(fetchDecision(openContext(W.dir), { remote: 'origin' }))).toMatchObject({ data: 'SIG_MISSING' });
    expect(ledgerText()).toBe(before);
  });
});

describe('attacks on the approver (nothing is signed or published)', () => {
  it('a card whose commit carries another tree than the one explained is refused before anything is shown', async () => {
    const { id } = await waitingCard({ 'rules/g.md': '# G\n' });
    const pref = `refs/agent-gates/pending/${repoId()}/${id}`;
    const genuine = W.gitOk('ls-remote', 'origin', pref).split(/\s+/)[0]!;
    W.gitOk('fetch', '-q', 'origin', pref);
    // the same card.json and explanation, but the diff the approver would read is HEAD's own tree
    const entries = W.gitOk('ls-tree', genuine).split('\n').map((l) => (l.endsWith('\tstaged') ? l.replace(/tree [0-9a-f]+/, `tree ${W.gitOk('rev-parse', 'HEAD^{tree}')}`) : l));
    const tree = run('git', ['mktree'], { cwd: W.dir, input: `${entries.join('\n')}\n` }).stdout.trim();
    W.gitOk('push', '-q', '--force', 'origin', `${W.gitOk('commit-tree', tree, '-p', 'HEAD', '-m', 'swapped')}:${pref}`);
    const r = await refusedWith(decideOnA(id));
    expect(r.code).toBe('DENIED');
    expect(r.message).toContain('does not carry the explained tree');
    expect(run('git', ['for-each-ref', `refs/agent-gates/approvals/${repoId()}/${id}`], { cwd: bare }).stdout).toBe('');
  });

  it('`gate ledger pending --diff`: a card with terminal escapes in its branch and a fake staged.diff shows neither', async () => {
    const { id } = await waitingCard({ 'rules/h.md': '# H\nthe real line\n' });
    const pref = `refs/agent-gates/pending/${repoId()}/${id}`;
    const genuine = W.gitOk('ls-remote', 'origin', pref).split(/\s+/)[0]!;
    W.gitOk('fetch', '-q', 'origin', pref);
    const card = JSON.parse(W.gitOk('show', `${genuine}:card.json`)) as Record<string, unknown>;
    card.branch = 'main\u001b]52;c;cm0gLXJmIH4K\u0007\u001b[2J';
    const blob = (text: string) => run('git', ['hash-object', '-w', '--stdin'], { cwd: W.dir, input: text }).stdout.trim();
    const fake = 'diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-hello\n+a harmless typo fix\n';
    const entries = W.gitOk('ls-tree', genuine)
      .split('\n')
      .map((l) => (l.endsWith('\tcard.json') ? `100644 blob ${blob(`${JSON.stringify(card)}\n`)}\tcard.json` : l.endsWith('\tstaged.diff') ? `100644 blob ${blob(fake)}\tstaged.diff` : l));
    const tree = run('git', ['mktree'], { cwd: W.dir, input: `${entries.join('\n')}\n` }).stdout.trim();
    W.gitOk('push', '-q', '--force', 'origin', `${W.gitOk('commit-tree', tree, '-p', 'HEAD', '-m', 'forged')}:${pref}`);
    const r = A.gate(['ledger', 'pending', '--diff', '--remote', 'origin']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).not.toContain('\u0007');
    expect(r.stdout).toContain('branch main\\x1b]52;c;cm0gLXJmIH4K\\x07\\x1b[2J');
    // the diff shown is the one the objects carry, not the published staged.diff
    expect(r.stdout).toContain('+the real line');
    expect(r.stdout).not.toContain('a harmless typo fix');
    // the same cards as --json gives them: the ledger pending use-case in process
    const j = await teamPending(openContext(A.dir), { remote: 'origin', diff: true });
    expect(j.cards.find((c) => c.id === id)?.diff).toContain('+the real line');
  });
});

describe('a decision given on another clone reaches the waiting clone', () => {
  it('approve on A, `gate inbox --remote` shows it waiting, `gate approve --fetch` records it signed, the hooks let the commit through', async () => {
    const { id } = await waitingCard({ 'rules/c.md': '# C\n' });
    const r = await decideOnA(id);
    expect(r).toMatchObject({ decision: 'approve', steps: ['confirm'], tier: 'CONFIRM' });
    const after = documented('inbox', (await A.gateIn(['inbox', '--remote', 'origin', '--json'])).stdout) as { remote: { cards: Array<{ id: string; decision?: string }> } };
    expect(after.remote.cards.find((c) => c.id === id)?.decision).toBe('approve');
    const f = W.gate(['approve', '--fetch', 'origin', '--json']);
    expect(f.code, f.stderr).toBe(0);
    expect(documented('approve', f.stdout)).toMatchObject({ status: 'approved', recorded: [{ step: 'confirm', principal: PRINCIPAL }] });
    expect(ledgerText()).toContain('"via":"remote"');
    expect((await status(openContext(W.dir))).approvals.present).toMatchObject([{ step: 'confirm', approver: PRINCIPAL, via: 'remote + ssh-signature' }]);
    expect(await fetchDecision(openContext(W.dir), { remote: 'origin' })).toMatchObject({ status: 'already' });
    const c = W.git('commit', '-q', '-m', 'rule c');
    expect(c.code, c.stderr).toBe(0);
  });

  it('a stale decision (the staged tree moved on) is STALE; a signed rejection is delivered with its reason', async () => {
    const { id } = await waitingCard({ 'rules/d.md': '# D\n' });
    await decideOnA(id);
    W.write('rules/d.md', '# D, changed after the approval\n');
    W.gitOk('add', 'rules/d.md');
    expect(await refusedWith(fetchDecision(openContext(W.dir), { remote: 'origin' }))).toMatchObject({ code: 'STALE' });
    const next = await waitingCard({ 'rules/d.md': '# D, changed after the approval\n' });
    // the rejection through the CLI's argv in process (no terminal needed to reject; still signed)
    const rj = await A.gateIn(['inbox', 'reject', next.id, '--remote', 'origin', '--key', alice.path, '--reason', 'name the rule after what it checks', '--json']);
    expect(rj.code, rj.stderr).toBe(0);
    expect(documented('inbox reject', rj.stdout)).toMatchObject({ decision: 'reject', id: next.id, ref: ref(next.id) });
    const f = W.gate(['approve', '--fetch', '--json']);
    expect(f.code).toBe(1);
    expect(documented('approve', f.stdout)).toMatchObject({ status: 'rejected', reason: 'name the rule after what it checks', rejecter: PRINCIPAL });
    expect(ledgerText()).toMatch(/"event":"reject".*"via":"remote"/);
  });

  it('the approver needs a signing key: refused with the exact fix', async () => {
    const { id } = await waitingCard({ 'rules/e.md': '# E\n' });
    let err: GateError | undefined;
    try {
      await remoteDecide(openContext(A.dir), id, scripted(), { remote: 'origin', challenge: () => 'ACDEFG' });
    } catch (e) {
      err = e as GateError;
    }
    expect(err?.code).toBe('USAGE');
    expect(err?.data?.code).toBe('SIGNING_KEY_MISSING');
    expect(err?.fix).toContain(`gate inbox approve ${id} --remote origin --key`);
  });

  it.runIf(hasTmux())('DOUBLE_CONFIRM through a real terminal: two challenges, the diff read from the fetched tree, then W commits', async () => {
    const { id } = await waitingCard({ 'policy/q.md': '# Q\n\nonly through review\n' });
    const env = { ...A.env };
    delete env.GATE_SESSION;
    const t = startTty([process.execPath, GATE_BIN, 'inbox', 'approve', id, '--remote', 'origin', '--key', alice.path], { cwd: A.dir, env, width: 200, height: 60 });
    try {
      const s1 = await t.waitFor(/type ([A-Z0-9]{6}) and press Enter/);
      t.type(/type ([A-Z0-9]{6}) and press Enter/.exec(s1)![1]!);
      t.enter();
      const s2 = await t.waitFor(/step 2 of 2\), type ([A-Z0-9]{6})/);
      expect(s2).toContain('+only through review');
      t.type(/step 2 of 2\), type ([A-Z0-9]{6})/.exec(s2)![1]!);
      t.enter();
      expect(await t.exitCode()).toBe(0);
      expect(t.screen()).toContain('approved intent + diff (signed)');
    } finally {
      t.kill();
    }
    // `gate approve --fetch` (its CLI runs above, exit 0 and 1), in process: approved is exit 0
    expect(await fetchDecision(openContext(W.dir))).toMatchObject({ status: 'approved', recorded: [{ step: 'intent' }, { step: 'diff' }] });
    // W commits; the hooks' verdicts in process (the real hooks let 'rule c' through above)
    const c = await commitIn(W, ['-q', '-m', 'policy q']);
    expect(c.code, c.stderr).toBe(0);
    // CI's view: the range check verifies the note the commit carries (signatures from the base);
    // `gate check --range --json` in process (its CLI runs in test/integration/range.test.ts)
    const range = await checkRangeInProcess(W.dir, 'origin/main..HEAD', W.env);
    expect(range.code, JSON.stringify(range.json)).toBe(0);
  });
});
