/**
 * `gate audit checkpoint` through the built CLI: SSH-key and Ed25519 (PEM) signers trusted through
 * the committed allowed_signers; rollback, equivocation and a recomputed-hash rewrite detected.
 * `gate audit checkpoint` and `gate audit verify` run the binary for each exit code in each output
 * the test asserts (text, --json); their other runs, and the ledger events the checkpoints cover
 * (`gate lock acquire`), run in process (repo.gateIn: the same argv, output and exit code). The
 * repository with its keys is built once and copied (with its HOME) per test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyRepo, makeRepo, type TempRepo } from '../../helpers/repo.js';
import { keygen } from '../../helpers/ssh.js';
import { wireString } from '../../../src/signing/wire.js';
import { signCheckpoint, parseCheckpointText } from '../../../src/signing/checkpoint.js';
import { linkHash, serializeEntry, genesisHash } from '../../../src/ledger/chain.js';
import type { LedgerEntry } from '../../../src/schema/ledger/schema.js';

const repos: TempRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

/** The repository with alice's SSH key and the bot's PEM key, both in its committed allowed_signers. */
function build() {
  const repo = makeRepo();
  const alice = keygen(join(repo.home, '.ssh'), 'alice', 'ed25519', undefined, repo.env);
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pem = join(repo.home, 'bot.pem');
  writeFileSync(pem, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const botLine = `ssh-ed25519 ${Buffer.concat([wireString('ssh-ed25519'), wireString(raw)]).toString('base64')}`;
  repo.write('.agents/allowed_signers', `human@example.com ${alice.pubLine}\nbot@example.com ${botLine}\n`);
  repo.write('README.md', 'x\n');
  repo.gitOk('add', '-A');
  repo.gitOk('commit', '-q', '-m', 'init');
  return { repo, privateKey };
}
let built: ReturnType<typeof build> | undefined;
/** A copy (work tree, .git and HOME) of the repository built once; no gate command ran in it, so each copy's ledger is its own. */
function setup() {
  built ??= build();
  const repo = copyRepo(built.repo, { home: true });
  repos.push(repo);
  const alice = { path: join(repo.home, '.ssh', 'alice') };
  return { repo, alice, pem: join(repo.home, 'bot.pem'), privateKey: built.privateKey };
}

/** `n` ledger events: `gate lock acquire` of a new path each, in process. */
async function addEvents(repo: TempRepo, n: number) {
  for (let i = 0; i < n; i++) expect((await repo.gateIn(['lock', 'acquire', `tasks/t${Math.random().toString(16).slice(2)}/progress.md`], { env: { GATE_SESSION: 's1' } })).code).toBeLessThan(2);
}

describe('gate audit checkpoint', () => {
  it('signs with an SSH key and with an Ed25519 PEM key; refuses an unlisted signer name', async () => {
    const { repo, alice, pem } = setup();
    await addEvents(repo, 2);
    const a = repo.gate(['audit', 'checkpoint', '--key', alice.path, '--json']);
    expect(a.code, a.stderr).toBe(0);
    const j = JSON.parse(a.stdout);
    expect(j.note).toMatch(/^agent-gates\/ledger\/[0-9a-f-]{36}\n\d+\n[A-Za-z0-9+/]{43}=\n\n\u2014 human@example.com /);
    expect(j.signedBy).toEqual(['human@example.com']);
    const b = await repo.gateIn(['audit', 'checkpoint', '--ed25519-key', pem, '--name', 'bot@example.com', '--json']);
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout).size).toBe(j.size + 1); // the first checkpoint was itself recorded
    const c = repo.gate(['audit', 'checkpoint', '--ed25519-key', pem, '--name', 'human@example.com']);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/not by a key/);
    // audit verify reports the newest signed point
    const v = repo.gate(['audit', 'verify']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toContain(`newest signed point: ${j.size + 1} entries`);
  });

  it('rollback and equivocation are refused by --verify', async () => {
    const { repo, alice, privateKey } = setup();
    await addEvents(repo, 1);
    const first = JSON.parse((await repo.gateIn(['audit', 'checkpoint', '--key', alice.path, '--json'])).stdout);
    await addEvents(repo, 1);
    const second = JSON.parse((await repo.gateIn(['audit', 'checkpoint', '--key', alice.path, '--json'])).stdout);
    expect(second.size).toBeGreaterThan(first.size);
    writeFileSync(join(repo.home, 'old.note'), first.note);
    const rb = repo.gate(['audit', 'checkpoint', '--verify', join(repo.home, 'old.note'), '--json']);
    expect(rb.code).toBe(1);
    expect(JSON.parse(rb.stdout).problem.reason).toBe('rollback');
    // a validly signed note of the same size with another root: a fork
    const cp = parseCheckpointText(second.note.slice(0, second.note.lastIndexOf('\n\n') + 1));
    if (typeof cp === 'string') throw new Error(cp);
    const forked = signCheckpoint({ ...cp, root: Buffer.alloc(32, 7) }, [{ kind: 'ed25519', name: 'bot@example.com', privateKey }]);
    writeFileSync(join(repo.home, 'fork.note'), forked);
    const eq = await repo.gateIn(['audit', 'checkpoint', '--verify', join(repo.home, 'fork.note'), '--json']);
    expect(eq.code).toBe(1);
    expect(JSON.parse(eq.stdout).problem.reason).toBe('equivocation');
    // the current note verifies
    writeFileSync(join(repo.home, 'cur.note'), second.note);
    expect((await repo.gateIn(['audit', 'checkpoint', '--verify', join(repo.home, 'cur.note')])).code).toBe(0);
  });

  it('a ledger rewritten with recomputed hashes below a checkpoint → audit verify fails at the checkpoint', async () => {
    const { repo, alice } = setup();
    await addEvents(repo, 3);
    const cp = JSON.parse((await repo.gateIn(['audit', 'checkpoint', '--key', alice.path, '--json'])).stdout);
    const dir = join(repo.commonDir(), 'agent-gates');
    const entries = readFileSync(join(dir, 'ledger.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LedgerEntry);
    entries[1]!.data = { ...entries[1]!.data, rewritten: true };
    let prev = genesisHash(readFileSync(join(dir, 'repo-id'), 'utf8').trim());
    const lines = entries.map((e) => {
      e.prev = prev;
      const l = serializeEntry(e);
      prev = linkHash(l);
      return l;
    });
    const body = lines.map((l) => `${l}\n`).join('');
    writeFileSync(join(dir, 'ledger.jsonl'), body);
    writeFileSync(join(dir, 'ledger.head'), `${JSON.stringify({ seq: entries.length, hash: prev, size: Buffer.byteLength(body) })}\n`);
    const v = repo.gate(['audit', 'verify', '--json']);
    expect(v.code).toBe(3);
    const j = JSON.parse(v.stdout);
    expect(j.problem).toMatchObject({ line: cp.size, reason: 'edited' });
    expect(j.signed.problem.point.source).toMatch(/^checkpoint/);

    // the agent hides the checkpoint's key: a replacement HEAD (`git replace`) whose allowed_signers
    // lists only its own key. gate reads git's real objects, so the rewrite is still caught.
    const mallory = keygen(join(repo.home, '.ssh'), 'mallory', 'ed25519', undefined, repo.env);
    const head = repo.gitOk('rev-parse', 'HEAD');
    repo.write('.agents/allowed_signers', `human@example.com ${mallory.pubLine}\n`);
    repo.gitOk('add', '.agents/allowed_signers');
    const parents = repo.gitOk('rev-list', '--parents', '-n', '1', 'HEAD').split(' ').slice(1);
    const forged = repo.gitOk('commit-tree', repo.gitOk('write-tree'), ...parents.flatMap((x) => ['-p', x]), '-m', 'init');
    repo.gitOk('reset', '-q', '--hard', 'HEAD');
    repo.gitOk('replace', head, forged);
    expect(repo.gitOk('show', 'HEAD:.agents/allowed_signers')).toContain(mallory.pubLine.split(' ')[1]);
    const replaced = await repo.gateIn(['audit', 'verify', '--json']);
    expect(replaced.code, replaced.stdout).toBe(3);
    expect(JSON.parse(replaced.stdout).problem).toMatchObject({ line: cp.size, reason: 'edited' });
    repo.gitOk('replace', '-d', head);

    // …or a real commit (made with --no-verify) that swaps the key: HEAD's signers no longer trust the
    // checkpoint, and the text says so; CI passes the base it trusts with --trust and the rewrite is caught
    repo.write('.agents/allowed_signers', `human@example.com ${mallory.pubLine}\n`);
    repo.gitOk('commit', '-q', '--no-verify', '-am', 'rotate keys');
    const local = await repo.gateIn(['audit', 'verify']);
    expect(local.code).toBe(0);
    expect(local.stdout).toContain('1 signed point is not trusted by .agents/allowed_signers at HEAD');
    const trusted = await repo.gateIn(['audit', 'verify', '--trust', head, '--json']);
    expect(trusted.code, trusted.stdout).toBe(3);
    expect(JSON.parse(trusted.stdout).problem).toMatchObject({ line: cp.size, reason: 'edited' });
    const bad = repo.gate(['audit', 'verify', '--trust', 'no-such-rev']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--trust');
  });
});
