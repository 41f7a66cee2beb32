/**
 * E2E for Gate B: the packed tarball in a consumer repo with real husky 9 + lint-staged 16.
 * The approval is typed into a real pseudo-terminal (tmux) running the INSTALLED binary.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitScaffold, makeConsumer, type Consumer } from '../helpers/consumer.js';
import { makeRepo, makeTempDir, run, type TempRepo } from '../helpers/repo.js';
import { keygen } from '../helpers/ssh.js';
import { startTty, type TtySession } from '../helpers/tty.js';

const made: Array<Consumer | TempRepo> = [];
const ttys: TtySession[] = [];
afterEach(() => {
  for (const t of ttys.splice(0)) t.kill();
  for (const c of made.splice(0)) c.cleanup();
});

const EXPLAIN = ['explain', '--intent', 'state the policy', '--alternative', 'keep it unwritten', '--blast-radius', 'agents reading rules/', '--reversibility', 'full', '--rollback', 'git revert'];

async function approve(c: Consumer): Promise<{ code: number; screen: string }> {
  const t = startTty([join(c.dir, 'node_modules', '.bin', 'gate'), 'approve'], { cwd: c.dir, env: c.env });
  ttys.push(t);
  const screen = await t.waitFor(/type ([A-Z0-9]{6})/);
  t.type(/type ([A-Z0-9]{6})/.exec(screen)![1]!);
  t.enter();
  const code = await t.exitCode();
  return { code, screen: t.screen() };
}

describe('Gate B through husky + lint-staged from the packed tarball', { timeout: 300_000 }, () => {
  it('blocks, explains, approves in a terminal, validates the final (reformatted) tree, and notes the commit', async () => {
    const c = makeConsumer();
    made.push(c);
    // an approver's key committed at the base (used by step 6; nothing requires signatures)
    const key = keygen(join(c.home, '.ssh'), 'approver', 'ed25519');
    c.write('.agents/allowed_signers', `human@example.com ${key.pubLine}\n`);
    commitScaffold(c);
    c.write('rules/policy.txt', 'be kind   \n');
    c.gitOk('add', 'rules/policy.txt');

    // 1. no explanation → blocked
    const blocked = c.commit('-m', 'feat: policy');
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain('B_NO_SIDECAR');

    // 2. explain runs lint-staged first (the blocked attempt above already restaged a formatted
    //    file: stage the unformatted one again), so it binds the final tree the commit will have
    expect(c.git('show', ':rules/policy.txt').stdout).toBe('be kind\n');
    c.write('rules/policy.txt', 'be kind   \n');
    c.gitOk('add', 'rules/policy.txt');
    const ex = c.gateBin([...EXPLAIN, '--json']);
    expect(ex.code, ex.stdout).toBe(0);
    expect(JSON.parse(ex.stdout)).toMatchObject({ tier: 'CONFIRM', formatted: { changed: ['rules/policy.txt'] } });
    expect(c.git('show', ':rules/policy.txt').stdout).toBe('be kind\n'); // lint-staged restaged the formatted file

    // 3. one approval of that tree → the commit passes (its own lint-staged run changes nothing) and carries the note
    const a = await approve(c);
    expect(a.code).toBe(0);
    expect(a.screen).toContain('state the policy');
    const ok = c.commit('-m', 'feat: policy');
    expect(ok.code, ok.stderr).toBe(0);
    const note = JSON.parse(c.gitOk('notes', '--ref', 'refs/notes/agent-gates', 'show', 'HEAD'));
    expect(note).toMatchObject({ agent_gates: 2, commit_tree: c.gitOk('rev-parse', 'HEAD^{tree}'), tier: 'CONFIRM' });
    expect(note.files).toEqual([{ path: 'rules/policy.txt', blob: c.gitOk('rev-parse', 'HEAD:rules/policy.txt'), tier: 'CONFIRM' }]);
    const left = existsSync(join(c.dir, '.agents', 'gate-b')) ? readdirSync(join(c.dir, '.agents', 'gate-b')).filter((n) => n.startsWith('explain-') && n.includes(note.commit_tree)) : [];
    expect(left).toEqual([]);
    expect(c.gateBin(['audit', 'verify']).code).toBe(0);

    // 4. piped approval through the installed binary is refused
    c.write('rules/policy.txt', 'be kinder\n');
    c.gitOk('add', 'rules/policy.txt');
    expect(c.gateBin(EXPLAIN).code).toBe(0);
    const piped = run(join(c.dir, 'node_modules', '.bin', 'gate'), ['approve'], { cwd: c.dir, env: c.env, input: 'y\n' });
    expect(piped.code).toBe(1);
    expect(piped.stderr).toContain('interactive terminal');

    // 5. the approval inbox (docs/inbox.md) through the installed binary: list, approve by id in a terminal
    const inbox = c.gateBin(['inbox', '--json']);
    expect(inbox.code, inbox.stderr).toBe(0);
    const [card] = JSON.parse(inbox.stdout).cards;
    expect(card).toMatchObject({ tier: 'CONFIRM', current: true, state: 'pending', files: [{ path: 'rules/policy.txt', added: 1, removed: 1 }] });
    expect(c.gateBin(['inbox']).stdout).toContain(`gate inbox approve ${card.id}`);
    const t = startTty([join(c.dir, 'node_modules', '.bin', 'gate'), 'inbox', 'approve', card.id], { cwd: c.dir, env: c.env });
    ttys.push(t);
    const screen = await t.waitFor(/type ([A-Z0-9]{6})/);
    t.type(/type ([A-Z0-9]{6})/.exec(screen)![1]!);
    t.enter();
    expect(await t.exitCode()).toBe(0);
    expect(JSON.parse(c.gateBin(['inbox', '--all', '--json']).stdout).cards[0]).toMatchObject({ id: card.id, state: 'approved', stepsDone: ['confirm'] });
    // --watch draws and quits on q; inbox reject records a rejection the card then shows
    const w = startTty([join(c.dir, 'node_modules', '.bin', 'gate'), 'inbox', '--watch', '--all'], { cwd: c.dir, env: c.env });
    ttys.push(w);
    await w.waitFor(new RegExp(`${card.id}[\\s\\S]*watching every worktree`));
    w.type('q');
    expect(await w.exitCode()).toBe(0);
    expect(c.gateBin(['inbox', 'reject', card.id, '--reason', 'on second thought']).code).toBe(0);
    expect(JSON.parse(c.gateBin(['inbox', '--all', '--json']).stdout).cards[0]).toMatchObject({ id: card.id, state: 'rejected' });

    // 6. docs/inbox.md "Deciding for another clone": a person on another clone approves, this clone
    // fetches the signed decision and commits
    {
      c.gitOk('reset', '-q', '--hard');
      const bare = join(makeTempDir('gate-e2e-shared-'), 'shared.git');
      run('git', ['init', '-q', '--bare', '-b', 'main', bare]);
      c.gitOk('remote', 'add', 'origin', bare);
      c.gitOk('push', '-q', 'origin', 'HEAD:refs/heads/main');
      const a = makeRepo({ init: false });
      made.push(a);
      expect(run('git', ['clone', '-q', bare, '.'], { cwd: a.dir, env: a.env }).code).toBe(0);
      a.gitOk('config', 'user.email', 'human@example.com');
      // the agent on the waiting clone explains and publishes its card
      c.write('rules/remote.txt', 'decided elsewhere\n');
      c.gitOk('add', 'rules/remote.txt');
      expect(c.gateBin(EXPLAIN).code).toBe(0);
      expect(c.gateBin(['ledger', 'publish']).code).toBe(0);
      // the person, on the other clone, with the same installed binary
      const gate = join(c.dir, 'node_modules', '.bin', 'gate');
      const listed = run(gate, ['inbox', '--remote', '--json'], { cwd: a.dir, env: a.env });
      expect(listed.code, listed.stderr).toBe(0);
      const [card] = JSON.parse(listed.stdout).remote.cards;
      const t = startTty([gate, 'inbox', 'approve', card.id, '--remote', '--key', key.path], { cwd: a.dir, env: a.env });
      ttys.push(t);
      const screen = await t.waitFor(/type ([A-Z0-9]{6})/);
      expect(screen).toContain('+decided elsewhere');
      t.type(/type ([A-Z0-9]{6})/.exec(screen)![1]!);
      t.enter();
      expect(await t.exitCode()).toBe(0);
      // the waiting clone takes the decision and commits through its hooks
      const f = c.gateBin(['approve', '--fetch', '--json']);
      expect(f.code, f.stderr).toBe(0);
      expect(JSON.parse(f.stdout)).toMatchObject({ status: 'approved', recorded: [{ step: 'confirm', principal: 'human@example.com' }] });
      const done = c.commit('-m', 'feat: a rule decided on another clone');
      expect(done.code, done.stderr).toBe(0);
    }
  });
});
