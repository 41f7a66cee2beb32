/**
 * `gate inbox` (issue 17) in one repository with three worktrees: a current CONFIRM card with an
 * earlier rejection of the same path, a stale card, a current DOUBLE_CONFIRM card. Listing (text and
 * --json), stale refusal, approve and reject from another worktree through a real pseudo-terminal
 * (tmux), --watch's redraw and bell, and a watcher that reading the inbox does not wake. The built
 * CLI runs once per output shape (`gate inbox` as text and --json, with the inherited GIT_* variables,
 * `inbox approve` STALE (exit 1) and with a bad id (exit 2)), in the terminals and in the commit
 * hook; `inbox reject --json` runs in process (repo.gateIn), and the other listings, explanations and
 * refusals come from the use-cases in process, under the repository's environment.
 */
import { readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GATE_BIN, makeRepo, PKG_ROOT, type TempRepo } from '../helpers/repo.js';
import { withEnv } from '../helpers/range.js';
import { openContext } from '../../src/app/context.js';
import { inboxCard, inboxListing } from '../../src/app/inbox/list.js';
import { inboxApprove, inboxReject } from '../../src/app/inbox/decide.js';
import { explain } from '../../src/app/approvals/explain.js';
import { reject, type Terminal } from '../../src/app/approvals/approve.js';
import { GateError } from '../../src/kernel/errors.js';
import { camelKeys } from '../../src/cli/views/json.js';
import { watchInbox } from '../../src/app/inbox/watch.js';
import { startTty, type TtySession } from '../helpers/tty.js';

/** What `gate explain --intent <intent> --alternative ... --rollback ...` passes to the use-case. */
const EXPLAIN = (intent: string) => ({ intent, alternatives: ['leave it'], blast_radius: 'agents reading rules/', reversibility: 'full', rollback: 'git revert' });

let repo: TempRepo;
let w2: string;
let w3: string;
type Listing = { ok: boolean; exitCode: number; cards: any[]; problems: any[]; worktrees: number };
/** `gate inbox --json` in `cwd`, the built CLI. */
const listCli = (cwd: string): Listing => {
  const r = repo.gate(['inbox', '--json'], { cwd });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Listing;
};
/** The same listing in process (the inbox use-case), as `gate inbox --json [--all]` prints it. */
const list = async (cwd: string, extra: Array<'--all'> = []): Promise<Listing> => {
  const r = await withEnv(repo.env, () => inboxListing(openContext(cwd), { all: extra.includes('--all') }));
  return JSON.parse(JSON.stringify({ ok: true, exitCode: 0, ...camelKeys({ ...r }) })) as Listing;
};
/** `gate explain ...` in `cwd` by the agent session `session`, in process (the explain use-case). */
const explainAs = async (intent: string, cwd: string, session: string): Promise<void> => {
  const r = await withEnv({ ...repo.env, GATE_SESSION: session }, () => explain(openContext(cwd), EXPLAIN(intent)));
  expect(r.written, intent).toBe(true);
};
/** A terminal for a refusal that comes before any prompt: asking anything fails the test. */
const noTerminal = (): Terminal => ({
  interactive: true,
  color: false,
  write: () => undefined,
  ask: () => Promise.reject(new Error('the card was expected to be refused before any prompt')),
});
/** The GateError a use-case refuses with (the CLI prints it as `error` and exits with its exitCode). */
async function refusal(p: () => Promise<unknown>): Promise<GateError> {
  try {
    await withEnv(repo.env, p);
  } catch (e) {
    if (e instanceof GateError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}
const ok = (args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) => {
  const r = repo.gate(args, { cwd, env });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
};

function tty(args: string[], cwd: string): TtySession {
  const t = startTty([process.execPath, GATE_BIN, ...args], { cwd, env: repo.env });
  return t;
}

beforeAll(async () => {
  repo = makeRepo({ files: { 'rules/a.md': 'a\n', 'rules/b.md': 'b\n', 'src/x.txt': 'x\n' }, hooks: ['pre-commit'] });
  w2 = join(repo.dir, '..', 'w2');
  w3 = join(repo.dir, '..', 'w3');
  repo.gitOk('worktree', 'add', '-q', '-b', 'w2', w2);
  repo.gitOk('worktree', 'add', '-q', '-b', 'w3', w3);
  // main: a first version of rules/a.md is explained and rejected, then a second one waits (current)
  repo.write('rules/a.md', 'a\nfirst try\n');
  repo.gitOk('add', 'rules/a.md');
  await explainAs('first try', repo.dir, 'agent-main');
  await withEnv(repo.env, () => reject(openContext(repo.dir), 'say why first')); // `gate reject --reason ...` by the person
  repo.write('rules/a.md', 'a\nsecond try\nwith a reason\n');
  repo.gitOk('add', 'rules/a.md');
  await explainAs('main: second try', repo.dir, 'agent-main');
  // w2: explained, then the staged content moved on (stale)
  repo.write('../w2/rules/b.md', 'b\nw2\n');
  repo.git('-C', w2, 'add', 'rules/b.md');
  await explainAs('w2: change b', w2, 'agent-w2');
  repo.write('../w2/rules/b.md', 'b\nw2 changed after explain\n');
  repo.gitOk('-C', w2, 'add', 'rules/b.md');
  // w3: a DOUBLE_CONFIRM change (CI config), current
  repo.write('../w3/.github/workflows/ci.yml', 'on: push\n');
  repo.gitOk('-C', w3, 'add', '.github/workflows/ci.yml');
  await explainAs('w3: record a decision', w3, 'agent-w3');
}, 120_000);

describe('gate inbox across three worktrees', { timeout: 120_000 }, () => {
  it('lists every pending explanation newest first, with asker, tier, diff stat, staleness and earlier rejections (--json and text)', async () => {
    const r = listCli(w3);
    // the CLI's document is the use-case's listing (ages aside: they tick between the two reads)
    const ageless = (l: Listing) => ({ ...l, cards: l.cards.map(({ ageS: _age, ...c }) => c) });
    expect(ageless(r)).toEqual(ageless(await list(w3)));
    expect(r.worktrees).toBe(3);
    expect(r.cards.map((c) => c.intent)).toEqual(['w3: record a decision', 'w2: change b', 'main: second try']);
    const [c3, c2, c1] = r.cards;
    expect(c3).toMatchObject({ tier: 'DOUBLE_CONFIRM', current: true, state: 'pending', branch: 'w3', asker: { kind: 'agent', id: 'agent-w3' }, stepsNeeded: ['intent', 'diff'], stepsDone: [] });
    expect(c3.files).toEqual([{ path: '.github/workflows/ci.yml', status: 'A', added: 1, removed: 0 }]);
    expect(c2).toMatchObject({ tier: 'CONFIRM', current: false, branch: 'w2', asker: { id: 'agent-w2' } });
    expect(c2.staleReason).toContain('the staged tree is now');
    expect(c2.staleDetails.join('\n')).toContain('rules/b.md: content changed since the explanation');
    expect(c1).toMatchObject({ tier: 'CONFIRM', current: true, branch: 'main', worktree: repo.dir });
    expect(c1.files).toEqual([{ path: 'rules/a.md', status: 'M', added: 2, removed: 0 }]);
    expect(c1.rejections).toEqual([expect.objectContaining({ path: 'rules/a.md', reason: 'say why first', by: 'human:human@example.com' })]);
    expect(new Set(r.cards.map((c) => c.id)).size).toBe(3);
    for (const c of r.cards) expect(c.id).toMatch(/^[0-9a-f]{8}$/);
    // the same id from any worktree
    expect((await list(repo.dir)).cards.map((c) => c.id)).toEqual(r.cards.map((c) => c.id));

    const text = ok(['inbox'], w2).stdout;
    expect(text).toContain('3 explanations in the inbox (2 ready to decide), 3 worktrees');
    expect(text).toContain(`${c2.id}  CONFIRM  STALE`);
    expect(text).toContain('earlier rejection of rules/a.md');
    expect(text).toContain(`gate inbox approve ${c1.id}`);
    expect(text).not.toContain(`gate inbox approve ${c2.id}`);
  });

  it('reads every other worktree with its own index and git dir, not with the GIT_INDEX_FILE / GIT_DIR this process inherited (as inside a hook)', async () => {
    const plain = (await list(repo.dir)).cards.map((c) => [c.id, c.current]);
    const gitDir = join(repo.dir, '.git');
    const r = repo.gate(['inbox', '--json'], { cwd: repo.dir, env: { GIT_INDEX_FILE: join(gitDir, 'index'), GIT_DIR: gitDir, GIT_WORK_TREE: repo.dir } });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { cards: any[] }).cards.map((c) => [c.id, c.current])).toEqual(plain);
  });

  it('refuses a stale card with STALE, what changed and the fix; an unknown id is DENIED; a bad one USAGE', async () => {
    const stale = (await list(repo.dir)).cards.find((c) => !c.current)!;
    // approve through the CLI (exit 1, the error as --json prints it)
    const r = repo.gate(['inbox', 'approve', stale.id, '--json'], { cwd: repo.dir });
    expect(r.code).toBe(1);
    const cliError = JSON.parse(r.stdout).error;
    // reject through the use-case in process: the same error, the same exit code
    const rejected = await refusal(() => inboxReject(openContext(repo.dir), stale.id, 'x'));
    expect(rejected.exitCode).toBe(1);
    for (const e of [cliError, rejected]) {
      expect(e.code).toBe('STALE');
      expect(e.details.join('\n')).toContain('rules/b.md: content changed');
      expect(e.fix).toContain(`the agent in ${w2} explains the current staged tree again`);
    }
    const unknown = await refusal(() => inboxApprove(openContext(repo.dir), 'abcdef12', noTerminal()));
    expect([unknown.code, unknown.exitCode]).toEqual(['DENIED', 1]);
    expect(repo.gate(['inbox', 'approve', 'zz'], { cwd: repo.dir }).code).toBe(2);
  });

  it('approves a DOUBLE_CONFIRM card of another worktree in a real terminal: both steps, then that worktree commits', async () => {
    const card = (await list(repo.dir)).cards.find((c) => c.tier === 'DOUBLE_CONFIRM')!;
    const t = tty(['inbox', 'approve', card.id.slice(0, 5)], repo.dir);
    try {
      let screen = await t.waitFor(/type ([A-Z0-9]{6})/);
      expect(screen).toContain(`inbox card ${card.id}: ${w3} (w3)`);
      expect(screen).toContain('w3: record a decision');
      t.type(/type ([A-Z0-9]{6})/.exec(screen)![1]!);
      t.enter();
      screen = await t.waitFor(/step 2 of 2\), type ([A-Z0-9]{6})/);
      expect(screen).toContain('+on: push');
      t.type(/step 2 of 2\), type ([A-Z0-9]{6})/.exec(screen)![1]!);
      t.enter();
      expect(await t.exitCode()).toBe(0);
      expect(t.screen()).toContain(`approved intent + diff for card ${card.id}`);
    } finally {
      t.kill();
    }
    expect((await list(repo.dir)).cards.some((c) => c.id === card.id)).toBe(false); // approved: no longer pending
    expect((await list(repo.dir, ['--all'])).cards.find((c) => c.id === card.id)).toMatchObject({ state: 'approved', stepsDone: ['intent', 'diff'] });
    const c = repo.git('-C', w3, 'commit', '-q', '-m', 'ci: x');
    expect(c.code, c.stderr).toBe(0);
  });

  it('rejects a card from another worktree; the agent sees the reason and the card cannot be approved', async () => {
    const card = (await list(w2)).cards.find((c) => c.worktree === repo.dir)!;
    const r = await repo.gateIn(['inbox', 'reject', card.id, '--reason', 'split it in two', '--json'], { cwd: w2 });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: card.id, worktree: repo.dir, tier: 'CONFIRM' });
    expect((await list(w2)).cards.some((c) => c.id === card.id)).toBe(false);
    expect((await list(w2, ['--all'])).cards.find((c) => c.id === card.id)).toMatchObject({ state: 'rejected' });
    // `gate inbox approve <id>` in w2, in process: refused before any terminal is used (exit 1)
    const a = await refusal(() => inboxApprove(openContext(w2), card.id, noTerminal()));
    expect(a.exitCode).toBe(1);
    expect(a.message).toContain('was rejected');
  });

  it('inboxCard (the web page reads it in process): every explanation field, the raw diff, the config weakenings in plain words', async () => {
    const w4 = join(repo.dir, '..', 'w4');
    repo.gitOk('worktree', 'add', '-q', '-b', 'w4', w4);
    const weaker = readFileSync(join(PKG_ROOT, 'templates', 'gates.yaml'), 'utf8').replace(/(name: agent-rules\n\s+paths: \[rules\/\*\*\]\n\s+tier: )CONFIRM/, '$1AUTO');
    expect(weaker).toMatch(/name: agent-rules\n\s+paths: \[rules\/\*\*\]\n\s+tier: AUTO/);
    repo.write('../w4/.agents/gates.yaml', weaker);
    repo.write('../w4/rules/b.md', 'b\n<script>x</script>\n');
    repo.gitOk('-C', w4, 'add', '.agents/gates.yaml', 'rules/b.md');
    await explainAs('w4: relax the rules', w4, 'agent-w4');
    const ctx = openContext(repo.dir);
    const id = (await list(repo.dir)).cards.find((c) => c.intent === 'w4: relax the rules')!.id;
    const d = await inboxCard(ctx, id.slice(0, 6));
    expect(d.card).toMatchObject({ id, worktree: w4.replace(/\/repo\/\.\.\//, '/'), tier: 'DOUBLE_CONFIRM', current: true });
    expect(d.explanation).toMatchObject({ intent: 'w4: relax the rules', alternatives: ['leave it'], risk: { blast_radius: 'agents reading rules/', reversibility: 'full', rollback: 'git revert' }, created_by: { kind: 'agent', id: 'agent-w4' } });
    expect(d.explanation.digest).toMatch(/^[0-9a-f]{64}$/);
    const b = d.diff.find((f) => f.path === 'rules/b.md')!;
    expect(b.unified).toContain('+<script>x</script>');
    expect(b.unified).toMatch(/^--- a\/rules\/b\.md/m);
    expect(d.weakenings.join('\n')).toMatch(/agent-rules/);
    // the same words gate approve prints after WEAKENS:
    const t = tty(['approve'], w4);
    try {
      const first = await t.waitFor(/type ([A-Z0-9]{6})/);
      t.type(/type ([A-Z0-9]{6})/.exec(first)![1]!);
      t.enter();
      const screen = await t.waitFor(/step 2 of 2\), type/);
      t.keys('C-c');
      expect(screen).toContain('WEAKENS:');
      for (const w of d.weakenings) expect(screen.replace(/\n/g, ' ')).toContain(w.replace(/\n/g, ' ').slice(0, 60));
    } finally {
      t.kill();
    }
    // done with w4: the later tests' listings read one worktree less (each read runs git in every worktree)
    repo.gitOk('worktree', 'remove', '--force', w4);
  });

  it('gate approve shows a mode change and a file turned into a symbolic link before the challenge', async () => {
    const w5 = join(repo.dir, '..', 'w5');
    repo.gitOk('worktree', 'add', '-q', '-b', 'w5', w5);
    // rules/a.md: only its mode changes (chmod +x); rules/b.md: now a symbolic link to a.md
    repo.gitOk('-C', w5, 'update-index', '--chmod=+x', 'rules/a.md');
    rmSync(join(w5, 'rules', 'b.md'));
    symlinkSync('a.md', join(w5, 'rules', 'b.md'));
    repo.gitOk('-C', w5, 'add', 'rules/b.md');
    await explainAs('w5: make a executable, b a link', w5, 'agent-w5');
    const t = tty(['approve'], w5);
    try {
      const screen = await t.waitFor(/type ([A-Z0-9]{6})/);
      t.keys('C-c');
      const at = (text: string) => screen.indexOf(text);
      expect(at('rules/a.md: mode 100644 → 100755 (executable)')).toBeGreaterThan(-1);
      expect(at('rules/b.md: mode 100644 → 120000 (symbolic link)')).toBeGreaterThan(-1);
      expect(at('was: a regular file (2 bytes)')).toBeGreaterThan(-1);
      expect(at('now: symbolic link → a.md')).toBeGreaterThan(-1);
      for (const text of ['mode 100644 → 100755', 'now: symbolic link → a.md']) expect(at(text)).toBeLessThan(at('approve this change, type'));
      // the link's target is not shown as if it were the file's new content
      expect(screen).not.toMatch(/^\+a\.md$/m);
    } finally {
      t.kill();
    }
    // the same words on the inbox card the web page shows
    const id = (await list(repo.dir)).cards.find((c) => c.intent === 'w5: make a executable, b a link')!.id;
    const d = await inboxCard(openContext(repo.dir), id);
    expect(d.diff.find((f) => f.path === 'rules/a.md')!.unified).toContain('rules/a.md: mode 100644 → 100755 (executable)');
    const b = d.diff.find((f) => f.path === 'rules/b.md')!.unified;
    expect(b).toContain('now: symbolic link → a.md');
    expect(b).not.toMatch(/^\+a\.md$/m);
    repo.gitOk('worktree', 'remove', '--force', w5); // done with w5 (as w4 above)
  });

  it('--watch redraws when an explanation appears and rings the bell; q quits with exit 0', async () => {
    const t = tty(['inbox', '--watch'], w3);
    try {
      await t.waitFor(/watching every worktree/);
      expect(t.bell()).toBe(false);
      repo.write('../w3/rules/a.md', 'a\nfrom w3\n');
      repo.gitOk('-C', w3, 'add', 'rules/a.md');
      await explainAs('w3: a new one', w3, 'agent-w3');
      await t.waitFor(/w3: a new one/);
      for (let i = 0; i < 100 && !t.bell(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(t.bell()).toBe(true);
      t.type('q');
      expect(await t.exitCode()).toBe(0);
    } finally {
      t.kill();
    }
  });

  it("the inbox's watcher is not woken by reading the inbox (the web page's fetches), only by a change", async () => {
    // a read runs git write-tree in every worktree: a lock file comes and goes in each
    // .git/worktrees/<name>, moving that directory's mtime; the web page reads on every update, so
    // counting that as a change made the server, git and the page wake each other in a loop
    let updates = 0;
    const w = await withEnv(repo.env, () => watchInbox(openContext(repo.dir), { all: true, pollMs: 20, onUpdate: () => void updates++ }));
    try {
      expect(updates).toBe(1); // the first listing
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 30)); // a different mtime for each read's lock file
        expect((await list(repo.dir, ['--all'])).cards.length).toBeGreaterThan(0);
      }
      await new Promise((r) => setTimeout(r, 300)); // 15 polls
      expect(updates).toBe(1);
      // a worktree added is a change
      const w6 = join(repo.dir, '..', 'w6');
      repo.gitOk('worktree', 'add', '-q', '-b', 'w6', w6);
      for (let i = 0; i < 100 && updates < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(updates).toBeGreaterThanOrEqual(2);
      repo.gitOk('worktree', 'remove', '--force', w6);
    } finally {
      w.close();
    }
  });
});
