/**
 * Browser approvals end to end (issue 17): webauthnRequest → a software P-256 authenticator signs
 * the challenge exactly as a browser would → approveWithAssertion records the step; real git, real
 * hooks (built CLI), real `ssh-keygen -Y verify` on the stored signature, and a fresh clone's
 * `gate check --range` verifying the note offline. Every refusal is a coded GateError.
 * One repository per policy (signatures required; terminal only), the use-cases called in process.
 * The blocked commits whose code a test reads, the first commit and the first range check go
 * through the real hooks and the built CLI; the other commits take the hooks' verdicts in process
 * (`commitIn`, test/helpers/commit.ts) and the second range check is the range use-case in process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { makeRepo, makeTempDir, run, type TempRepo } from '../../helpers/repo.js';
import { sshVerify } from '../../helpers/ssh.js';
import { commitIn } from '../../helpers/commit.js';
import { checkRangeInProcess } from '../../helpers/range.js';
import { softAuthenticator, UP, UV, type AssertionFields, type SoftAuthenticator } from '../../helpers/webauthn.js';
import { openContext } from '../../../src/app/context.js';
import { explain } from '../../../src/app/approvals/explain.js';
import { approveWithAssertion, signerLineForCredential, webauthnRequest, CHALLENGE_TTL_MS } from '../../../src/app/approvals/webauthn.js';
import { APPROVAL_NAMESPACE, sshsigSignedData } from '../../../src/signing/sshsig.js';
import { assertionToSshsig, credentialPublicKey } from '../../../src/signing/webauthn.js';
import { GateError } from '../../../src/kernel/errors.js';

const EXPLAIN = { intent: 'tighten the rule', alternatives: ['leave it'], blast_radius: 'rules/', reversibility: 'fully', rollback: 'git revert' };
const PRINCIPAL = 'human@example.com';
const ORIGIN = 'http://localhost:43117';

let key: SoftAuthenticator; // registered and committed (a security key, with its credential id)
let pass: SoftAuthenticator; // registered and committed (a synced passkey, discoverable: no id in the line)
let rogue: SoftAuthenticator; // the agent's own virtual authenticator: never committed

beforeAll(() => {
  key = softAuthenticator();
  pass = softAuthenticator({ backupEligible: true });
  rogue = softAuthenticator();
});

function signersText(): string {
  return `${signerLineForCredential(key.spki, PRINCIPAL, 'localhost', key.credentialId).line}\n${signerLineForCredential(pass.cose, PRINCIPAL).line}\n`;
}

function repoWith(config: string, signers: string | undefined): TempRepo {
  return makeRepo({
    files: {
      'README.md': '# project\n',
      'rules/style.md': '# Style\n',
      '.agents/gates.yaml': config,
      ...(signers !== undefined ? { '.agents/allowed_signers': signers } : {}),
    },
    hooks: ['pre-commit', 'post-commit'],
  });
}

/** Stage a file and explain it in process (the CLI path of explain is covered elsewhere). */
async function stage(repo: TempRepo, path: string, body: string): Promise<void> {
  repo.write(path, body);
  repo.gitOk('add', path);
  const ex = await explain(openContext(repo.dir), EXPLAIN);
  expect(ex.written).toBe(true);
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GateError);
    return String((e as GateError).data?.reason ?? (e as GateError).code);
  }
  throw new Error('expected a refusal');
}

async function approveWith(repo: TempRepo, a: SoftAuthenticator, mutate: (f: AssertionFields) => AssertionFields = (f) => f, opts: { flags?: number; origin?: string; rpId?: string } = {}) {
  const ctx = openContext(repo.dir);
  const req = await webauthnRequest(ctx);
  const f = a.assert(req.challenge, opts.origin ?? ORIGIN, { ...(opts.flags !== undefined ? { flags: opts.flags } : {}), ...(opts.rpId ? { rpId: opts.rpId } : {}) });
  return { req, f, result: () => approveWithAssertion(ctx, { step: req.step, ...mutate(f) }) };
}

describe('signatures required (min_strength fido-touch): a browser approval is an SSHSIG CI verifies offline', () => {
  let repo: TempRepo;
  let base: string;
  beforeAll(() => {
    repo = repoWith('version: 1\napproval:\n  require_signature: true\n  min_strength: fido-touch\n', signersText());
    base = repo.gitOk('rev-parse', 'HEAD');
  });

  it('the request names the step, the committed credential ids and the payload; refusals are coded; the approval commits', async () => {
    await stage(repo, 'rules/new.md', '# New rule\n');
    const ctx = openContext(repo.dir);
    const req = await webauthnRequest(ctx);
    expect(req).toMatchObject({ rpId: 'localhost', step: 'confirm', tier: 'CONFIRM', principal: PRINCIPAL, userVerification: 'preferred' });
    // one line has no credential id (a discoverable passkey): ask for any credential
    expect(req.allowCredentials).toEqual([]);
    expect(await refusal(webauthnRequest(ctx, { step: 'diff' }))).toBe('WEBAUTHN_STEP');
    // the page names the tree its card shows: another one is refused before any challenge exists
    expect(await refusal(webauthnRequest(ctx, { tree: '0'.repeat(40) }))).toBe('WEBAUTHN_STALE');
    expect((await webauthnRequest(ctx, { tree: req.tree })).tree).toBe(req.tree);

    // tampered signature → WEBAUTHN_INVALID (the credential id names a committed line)
    let t = await approveWith(repo, key, (f) => ({ ...f, signature: flip(f.signature) }));
    expect(await refusal(t.result())).toBe('WEBAUTHN_INVALID');
    // the agent's own authenticator → WEBAUTHN_NOT_SIGNER
    t = await approveWith(repo, rogue);
    expect(await refusal(t.result())).toBe('WEBAUTHN_NOT_SIGNER');
    // no user presence → WEBAUTHN_NO_PRESENCE
    t = await approveWith(repo, key, undefined, { flags: UV });
    expect(await refusal(t.result())).toBe('WEBAUTHN_NO_PRESENCE');
    // a foreign origin (consistent in clientData and the signature) → WEBAUTHN_ORIGIN
    t = await approveWith(repo, key, undefined, { origin: 'https://evil.example' });
    expect(await refusal(t.result())).toBe('WEBAUTHN_ORIGIN');
    // an assertion for another rpId → WEBAUTHN_RPID (no committed key has that application)
    t = await approveWith(repo, key, undefined, { rpId: 'evil.example' });
    expect(await refusal(t.result())).toBe('WEBAUTHN_RPID');
    // the page says another step than the challenge's → WEBAUTHN_STEP
    t = await approveWith(repo, key);
    expect(await refusal(approveWithAssertion(openContext(repo.dir), { ...t.f, step: 'intent' }))).toBe('WEBAUTHN_STEP');
    // an assertion whose challenge was never issued here (another payload) → WEBAUTHN_UNKNOWN_CHALLENGE
    const other = key.assert(Buffer.from('SSHSIG-other-payload').toString('base64url'), ORIGIN);
    expect(await refusal(approveWithAssertion(openContext(repo.dir), { step: 'confirm', ...other }))).toBe('WEBAUTHN_UNKNOWN_CHALLENGE');
    // expired
    t = await approveWith(repo, key);
    const late = openContext(repo.dir, { now: () => new Date(Date.now() + CHALLENGE_TTL_MS + 60_000) });
    expect(await refusal(approveWithAssertion(late, { step: 'confirm', ...t.f }))).toBe('WEBAUTHN_EXPIRED');
    // the agent edits the stored challenge record (another nonce in the payload; garbage): refused, coded
    t = await approveWith(repo, key);
    const pendingFile = join(repo.commonDir(), 'agent-gates', 'webauthn', `${createHash('sha256').update(Buffer.from(t.req.challenge, 'base64url')).digest('hex')}.json`);
    const rec = JSON.parse(readFileSync(pendingFile, 'utf8'));
    writeFileSync(pendingFile, JSON.stringify({ ...rec, payload: rec.payload.replace(/"nonce":"([0-9a-f])/, (_: string, c: string) => `"nonce":"${c === '0' ? '1' : '0'}`) }));
    expect(await refusal(t.result())).toBe('WEBAUTHN_INVALID');
    t = await approveWith(repo, key);
    writeFileSync(join(repo.commonDir(), 'agent-gates', 'webauthn', `${createHash('sha256').update(Buffer.from(t.req.challenge, 'base64url')).digest('hex')}.json`), '{"payload": 1}');
    expect(await refusal(t.result())).toBe('WEBAUTHN_UNKNOWN_CHALLENGE');
    // nothing was recorded by any of these
    expect(ledger(repo).filter((e) => e.event === 'approve')).toHaveLength(0);
    expect(repo.git('commit', '-q', '-m', 'not yet').code).not.toBe(0);

    // the real one
    t = await approveWith(repo, key);
    const r = await t.result();
    expect(r).toMatchObject({ complete: true, tier: 'CONFIRM', recorded: [{ step: 'confirm' }], next: 'git commit' });
    // replay of the same assertion → WEBAUTHN_UNKNOWN_CHALLENGE
    expect(await refusal(approveWithAssertion(openContext(repo.dir), { step: 'confirm', ...t.f }))).toBe('WEBAUTHN_UNKNOWN_CHALLENGE');
    const entry = ledger(repo).filter((e) => e.event === 'approve')[0]!;
    expect(entry.data).toMatchObject({ method: 'ssh-signature', via: 'web', authenticator: 'security-key', user_verified: true, step: 'confirm' });
    // the stored signature verifies with real OpenSSH against the committed signers file
    const sig = entry.data.signature as { payload: string; signature: string };
    const v = sshVerify(repo.dir, signersText(), PRINCIPAL, APPROVAL_NAMESPACE, sig.signature, sig.payload);
    expect(v.ok, v.out).toBe(true);
    const c = await commitIn(repo, ['-q', '-m', 'rule via passkey']);
    expect(c.code, c.stderr + c.stdout).toBe(0);
  });

  it('DOUBLE_CONFIRM is two assertions (intent, then diff), each its own challenge; a passkey is recorded as one', async () => {
    await stage(repo, '.github/workflows/ci.yml', 'on: push\n');
    const first = await approveWith(repo, pass);
    expect(first.req).toMatchObject({ step: 'intent', tier: 'DOUBLE_CONFIRM' });
    expect(await first.result()).toMatchObject({ complete: false, recorded: [{ step: 'intent' }] });
    const st = JSON.parse(repo.gate(['status', '--json']).stdout);
    expect(st.approvals.present).toMatchObject([{ step: 'intent', via: 'web + passkey' }]);
    expect((await commitIn(repo, ['-q', '-m', 'half'])).code).not.toBe(0);
    const second = await approveWith(repo, pass);
    expect(second.req.step).toBe('diff');
    expect(second.req.challenge).not.toBe(first.req.challenge);
    expect(await second.result()).toMatchObject({ complete: true, recorded: [{ step: 'diff' }] });
    const c = await commitIn(repo, ['-q', '-m', 'ci via passkey']);
    expect(c.code, c.stderr + c.stdout).toBe(0);
    expect(ledger(repo).filter((e) => e.event === 'approve').slice(-2).map((e) => e.data.authenticator)).toEqual(['passkey', 'passkey']);
    // gate review tells where and how each approval was given
    const rv = JSON.parse(repo.gate(['review', '--json']).stdout);
    expect(rv.ledger.gateB.approvalsByMethod).toMatchObject({ 'web + passkey': 2 });
  });

  it('a stale challenge (the staged tree changed) is refused; a stored assertion edited in the sidecar fails pre-commit', async () => {
    await stage(repo, 'rules/third.md', '# third\n');
    let t = await approveWith(repo, key);
    await stage(repo, 'rules/third.md', '# third, edited\n');
    expect(await refusal(t.result())).toBe('WEBAUTHN_STALE');
    t = await approveWith(repo, key);
    expect(await t.result()).toMatchObject({ complete: true });
    const file = join(repo.dir, '.agents', 'gate-b', `explain-${repo.gitOk('write-tree')}.yaml`);
    const good = readFileSync(file, 'utf8');
    // the agent swaps the origin inside the stored signature's clientData (a different, valid-looking SSHSIG)
    const sig = /-----BEGIN SSH SIGNATURE-----[\s\S]*?-----END SSH SIGNATURE-----/.exec(good)![0];
    const blob = Buffer.from(sig.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const at = blob.indexOf(Buffer.from('43117'));
    blob.write('43118', at);
    const forged = `-----BEGIN SSH SIGNATURE-----\n${(blob.toString('base64').match(/.{1,70}/g) ?? []).join('\n')}\n-----END SSH SIGNATURE-----`;
    const indent = /^( *)-----BEGIN SSH SIGNATURE-----/m.exec(good)![1]!;
    writeFileSync(file, good.replace(sig, forged.split('\n').join(`\n${indent}`)));
    const c = repo.git('commit', '-q', '-m', 'forged');
    expect(c.code).not.toBe(0);
    expect(c.stdout + c.stderr).toMatch(/SIG_INVALID|does not verify/);
    writeFileSync(file, good);
    expect((await commitIn(repo, ['-q', '-m', 'third via security key'])).code).toBe(0);
  });

  it('a fresh clone verifies the browser approvals in the notes offline: gate check --range accepts', () => {
    const dir = join(makeTempDir('gate-webauthn-clone-'), 'clone');
    run('git', ['clone', '-q', repo.dir, dir], { env: repo.env });
    run('git', ['-C', dir, 'fetch', '-q', 'origin', 'refs/notes/agent-gates:refs/notes/agent-gates'], { env: repo.env });
    const r = run(process.execPath, [join(process.cwd(), 'bin', 'gate.js'), 'check', '--range', `${base}..HEAD`, '--json'], { cwd: dir, env: repo.env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});

describe('signatures required at software-key strength: a browser assertion without user presence still never counts', () => {
  it('pre-commit refuses it (SIG_STRENGTH) and a fresh clone\'s range check refuses the note', async () => {
    const repo = repoWith('version: 1\napproval:\n  require_signature: true\n', signersText());
    const base = repo.gitOk('rev-parse', 'HEAD');
    await stage(repo, 'rules/new.md', '# New rule\n');
    const t = await approveWith(repo, key);
    expect(await t.result()).toMatchObject({ complete: true });
    // the agent, holding the security key's USB handle, gets a silent (UP=0) assertion over the same payload
    const file = join(repo.dir, '.agents', 'gate-b', `explain-${repo.gitOk('write-tree')}.yaml`);
    const text = readFileSync(file, 'utf8');
    const payload = JSON.parse(JSON.stringify(ledger(repo).filter((e) => e.event === 'approve')[0]!.data.signature)).payload as string;
    const f = key.assert(sshsigSignedData(APPROVAL_NAMESPACE, 'sha256', Buffer.from(payload)).toString('base64url'), ORIGIN, { flags: UV });
    const silent = assertionToSshsig(credentialPublicKey(key.spki, 'localhost'), APPROVAL_NAMESPACE, {
      authenticatorData: Buffer.from(f.authenticatorData, 'base64url'), clientDataJSON: Buffer.from(f.clientDataJSON, 'base64url'), signature: Buffer.from(f.signature, 'base64url'), origin: ORIGIN,
    }).trim();
    const sig = /-----BEGIN SSH SIGNATURE-----[\s\S]*?-----END SSH SIGNATURE-----/.exec(text)![0];
    const indent = /^( *)-----BEGIN SSH SIGNATURE-----/m.exec(text)![1]!;
    writeFileSync(file, text.replace(sig, silent.split('\n').join(`\n${indent}`)));
    const c = repo.git('commit', '-q', '-m', 'silent');
    expect(c.code).not.toBe(0);
    expect(c.stdout + c.stderr).toMatch(/SIG_STRENGTH[\s\S]*user presence/);
    expect((await commitIn(repo, ['-q', '-m', 'silent'], { verify: false })).code).toBe(0);
    const dir = join(makeTempDir('gate-webauthn-clone-'), 'clone');
    run('git', ['clone', '-q', repo.dir, dir], { env: repo.env });
    run('git', ['-C', dir, 'fetch', '-q', 'origin', 'refs/notes/agent-gates:refs/notes/agent-gates'], { env: repo.env });
    const range = await checkRangeInProcess(dir, `${base}..HEAD`, repo.env); // the CLI runs in the test above (exit 0)
    const r = { code: range.code, stdout: JSON.stringify(range.json) };
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/user presence/);
  });
});

describe('terminal-only policy: a browser approval still needs a committed credential (the web invariant)', () => {
  it('no credential committed → WEBAUTHN_NO_SIGNERS / NO_CREDENTIAL; the agent\'s virtual authenticator → WEBAUTHN_NOT_SIGNER; a committed one approves', async () => {
    const bare = repoWith('version: 1\n', undefined);
    await stage(bare, 'rules/new.md', '# New rule\n');
    expect(await refusal(webauthnRequest(openContext(bare.dir)))).toBe('WEBAUTHN_NO_SIGNERS');
    // registration refuses a non-ES256 credential (an Ed25519 COSE key) with a coded USAGE error
    const ed = Buffer.concat([Buffer.from([0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20]), Buffer.alloc(32, 1)]);
    let err: unknown;
    try {
      signerLineForCredential(ed, PRINCIPAL);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'USAGE', data: { reason: 'WEBAUTHN_NOT_ES256' } });

    const repo = repoWith('version: 1\n', signersText());
    await stage(repo, 'rules/new.md', '# New rule\n');
    expect(await refusal(webauthnRequest(openContext(repo.dir), { principal: 'agent@example.com' }))).toBe('WEBAUTHN_NO_CREDENTIAL');
    const t = await approveWith(repo, rogue);
    expect(await refusal(t.result())).toBe('WEBAUTHN_NOT_SIGNER');
    // the policy needs only a terminal approval, yet UP is still required on the web
    const nup = await approveWith(repo, key, undefined, { flags: 0 });
    expect(await refusal(nup.result())).toBe('WEBAUTHN_NO_PRESENCE');
    const ok = await approveWith(repo, key, undefined, { flags: UP });
    expect(await ok.result()).toMatchObject({ complete: true });
    expect((await commitIn(repo, ['-q', '-m', 'ok'])).code).toBe(0);
  });

  it('min_strength fido-verified (in the working tree config): UV is required, a touch alone is refused', async () => {
    const repo = repoWith('version: 1\n', signersText());
    repo.write('.agents/gates.yaml', 'version: 1\napproval:\n  min_strength: fido-verified\n');
    await stage(repo, 'rules/new.md', '# New rule\n');
    const t = await approveWith(repo, key, undefined, { flags: UP });
    expect(t.req.userVerification).toBe('required');
    expect(await refusal(t.result())).toBe('WEBAUTHN_STRENGTH');
    const ok = await approveWith(repo, key, undefined, { flags: UP | UV });
    expect(await ok.result()).toMatchObject({ complete: true });
  });
});

function flip(b64: string): string {
  const b = Buffer.from(b64, 'base64url');
  b[b.length - 2]! ^= 0x01;
  return b.toString('base64url');
}

function ledger(repo: TempRepo): Array<{ event: string; data: Record<string, unknown> }> {
  return readFileSync(join(repo.commonDir(), 'agent-gates', 'ledger.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { event: string; data: Record<string, unknown> });
}

afterAll(() => {});
