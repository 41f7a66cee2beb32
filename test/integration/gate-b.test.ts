/**
 * Gate B end to end in real repositories: plain .git/hooks scripts call the built CLI, commits are
 * real `git commit`s, and approvals are typed into a real pseudo-terminal (tmux).
 *
 * Where a test only reads the pre-commit's verdict on a blocked commit (a tampered sidecar, a
 * missing approval, a carve-out that does not apply), the verdict comes from the hook's own CLI
 * glue in process (`preCommitIn`: checkHookResult, as `gate check --hook pre-commit` prints it);
 * blocked commits through the real hook stay in the first test, `commit -a`, `commit <path>`,
 * DOUBLE_CONFIRM and the first carve-out case. Every commit is a real `git commit`; those that
 * pass go through the real hooks where the test is about how git commits (the first approved
 * commit, --amend, --no-verify, `commit -a`, `commit <path>`, the carve-out's warning), and take
 * both hooks' verdicts in process elsewhere (`commitIn`, test/helpers/commit.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { GATE_BIN, copyRepo, makeRepo, type TempRepo } from '../helpers/repo.js';
import { startTty, type TtySession } from '../helpers/tty.js';
import { openContext } from '../../src/app/context.js';
import { explain } from '../../src/app/approvals/explain.js';
import { approve, type Terminal } from '../../src/app/approvals/approve.js';
import { status } from '../../src/app/approvals/status.js';
import { camelKeys } from '../../src/cli/views/json.js';
import { checkHookResult } from '../../src/cli/fast/hook.js';
import { withEnv } from '../helpers/range.js';
import { commitIn } from '../helpers/commit.js';

const EXPLAIN = ['explain', '--intent', 'tighten the rule', '--alternative', 'leave it as is', '--blast-radius', 'agents reading rules/', '--reversibility', 'fully', '--rollback', 'git revert'];

/** The same explanation as EXPLAIN, through the use case in process (the CLI path is run below too). */
const EXPLAIN_INPUT = { intent: 'tighten the rule', alternatives: ['leave it as is'], blast_radius: 'agents reading rules/', reversibility: 'fully', rollback: 'git revert' };

async function explainIn(repo: TempRepo): Promise<void> {
  const e = await explain(openContext(repo.dir), EXPLAIN_INPUT);
  expect(e.written).toBe(true);
}

/**
 * Approve through the use case with a scripted terminal that types the challenge right; the real
 * TTY path (`gate approve` in tmux) is run by the tests that read the screen.
 */
async function approveIn(repo: TempRepo): Promise<void> {
  const term: Terminal = { interactive: true, color: false, write: () => {}, ask: async () => 'ACDEFG' };
  const r = await approve(openContext(repo.dir), term, { challenge: () => 'ACDEFG' });
  expect(r.complete).toBe(true);
}

/** `gate status --json`'s object (camelCased keys, as the CLI prints), from the use case in process; the CLI form is run in 'awkward paths'. */
async function statusIn(repo: TempRepo): Promise<any> {
  return JSON.parse(JSON.stringify(camelKeys({ ...(await status(openContext(repo.dir))) })));
}

const repos: TempRepo[] = [];
const ttys: TtySession[] = [];
afterEach(() => {
  for (const t of ttys.splice(0)) t.kill();
  for (const r of repos.splice(0)) r.cleanup();
});

function hookScript(hook: string): string {
  return `#!/bin/sh\nexec "${process.execPath}" "${GATE_BIN}" check --hook ${hook}\n`;
}

/** The repositories `setup` copies, by their extra files: each built once (when first asked for), removed when the file ends. */
const templates = new Map<string, TempRepo>();

/** A repo with one commit and plain pre-commit/post-commit hooks that run the built CLI: a copy of one built once per `extra`. */
function setup(extra: Record<string, string> = {}): TempRepo {
  const key = JSON.stringify(extra);
  let template = templates.get(key);
  if (!template) templates.set(key, (template = build(extra)));
  const repo = copyRepo(template);
  repos.push(repo);
  return repo;
}

function build(extra: Record<string, string>): TempRepo {
  const repo = makeRepo();
  for (const [p, text] of Object.entries(extra)) repo.write(p, text);
  repo.write('README.md', '# project\n');
  repo.write('rules/style.md', '---\ntitle: style\n---\n# Style\n\nUse tabs.\n');
  repo.write('rules/config.txt', 'x\n');
  repo.write('src/app.txt', 'app\n');
  repo.gitOk('add', '-A');
  repo.gitOk('commit', '-q', '-m', 'init');
  for (const hook of ['pre-commit', 'post-commit']) {
    const p = join(repo.dir, '.git', 'hooks', hook);
    writeFileSync(p, hookScript(hook));
    chmodSync(p, 0o755);
  }
  return repo;
}

function sidecarPath(repo: TempRepo): string {
  const dir = join(repo.dir, '.agents', 'gate-b');
  const names = readdirSync(dir).filter((n) => n.startsWith('explain-'));
  expect(names).toHaveLength(1);
  return join(dir, names[0]!);
}

function editSidecar(repo: TempRepo, fn: (doc: any) => void): void {
  const p = sidecarPath(repo);
  const doc = parse(readFileSync(p, 'utf8'));
  fn(doc);
  writeFileSync(p, stringify(doc));
}

/** Run `gate approve` in a pseudo-terminal and answer `answers` challenges (true: correctly, false: wrongly). */
async function approveInTty(repo: TempRepo, answers: boolean[]): Promise<{ code: number; screen: string }> {
  const t = startTty([process.execPath, GATE_BIN, 'approve'], { cwd: repo.dir, env: repo.env });
  ttys.push(t);
  for (let i = 0; i < answers.length; i++) {
    const screen = await t.waitFor(new RegExp(`(?:type ([A-Z0-9]{6})[\\s\\S]*){${i + 1}}`));
    const codes = [...screen.matchAll(/type ([A-Z0-9]{6})/g)].map((m) => m[1]!);
    const code = codes[i]!;
    t.type(answers[i] ? code.toLowerCase() : 'WRONG1');
    t.enter();
  }
  const code = await t.exitCode();
  const screen = t.screen();
  t.kill();
  return { code, screen };
}

function commit(repo: TempRepo, ...args: string[]) {
  return repo.git('commit', '-m', 'change', ...args);
}

/**
 * What `git commit -m change` (no -a, no paths: the hook reads the repository's index) learns from
 * the pre-commit when it blocks: `gate check --hook pre-commit`'s CLI glue in process, its exit
 * code and the stderr it prints. The commit is not made (these tests only ask for blocks).
 */
async function preCommitIn(repo: TempRepo): Promise<{ code: number; stderr: string }> {
  const r = await withEnv(repo.env, () => checkHookResult('pre-commit', { cwd: repo.dir }));
  const err = r.errText === undefined ? '' : [r.errText].flat().join('\n');
  return { code: r.code, stderr: err.length && !err.endsWith('\n') ? `${err}\n` : err };
}

function head(repo: TempRepo): string {
  return repo.gitOk('rev-parse', 'HEAD');
}

describe('Gate B: blocking and approving', { timeout: 240_000 }, () => {
  it('blocks a gated commit without an explanation, naming the fix', () => {
    const repo = setup();
    repo.write('rules/new.md', '# New rule\n');
    repo.gitOk('add', 'rules/new.md');
    const before = head(repo);
    const r = commit(repo);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('B_NO_SIDECAR');
    expect(r.stderr).toContain('gate explain --intent');
    expect(r.stderr).toContain('gate approve');
    expect(head(repo)).toBe(before);
  });

  it('explain + approve in a terminal → the commit passes, gets a note, and the sidecar is removed', async () => {
    const repo = setup();
    repo.write('rules/new.md', '# New rule\n');
    repo.gitOk('add', 'rules/new.md');
    const ex = repo.gate([...EXPLAIN, '--json']);
    expect(ex.code).toBe(0);
    const exj = JSON.parse(ex.stdout);
    expect(exj.tier).toBe('CONFIRM');
    expect(exj.next).toContain('gate approve');
    const sc = sidecarPath(repo);
    expect(repo.git('status', '--porcelain').stdout).not.toContain('.agents/gate-b'); // ignores itself
    const a = await approveInTty(repo, [true]);
    expect(a.screen).toContain('tighten the rule');
    expect(a.screen).toContain('rules/new.md');
    expect(a.code).toBe(0);
    const doc = parse(readFileSync(sc, 'utf8'));
    expect(doc.approvals).toHaveLength(1);
    expect(doc.approvals[0].step).toBe('confirm');
    expect(doc.approvals[0].approver.email).toBe('human@example.com');
    expect(doc.approvals[0].ledger.seq).toBeGreaterThan(0);
    const r = commit(repo);
    expect(r.code, r.stderr).toBe(0);
    const note = JSON.parse(repo.gitOk('notes', '--ref', 'refs/notes/agent-gates', 'show', 'HEAD'));
    expect(note.agent_gates).toBe(2);
    expect(note.commit_tree).toBe(repo.gitOk('rev-parse', 'HEAD^{tree}'));
    expect(note.tier).toBe('CONFIRM');
    expect(note.files).toEqual([{ path: 'rules/new.md', blob: repo.gitOk('rev-parse', 'HEAD:rules/new.md'), tier: 'CONFIRM' }]);
    // note v2: the transition the range check binds the approval to (old blob and mode → new)
    expect(note.transitions).toEqual([{ path: 'rules/new.md', old_mode: '000000', old_blob: '0'.repeat(40), new_mode: '100644', new_blob: repo.gitOk('rev-parse', 'HEAD:rules/new.md') }]);
    expect(note.sidecar.intent).toBe('tighten the rule');
    expect(note.sidecar_digest).toBe(doc.approvals[0].digest);
    expect(existsSync(sc)).toBe(false);
    const ledger = readFileSync(join(repo.commonDir(), 'agent-gates', 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const last = ledger[ledger.length - 1];
    expect(last.event).toBe('commit');
    expect(last.data.gate_b).toMatchObject({ tier: 'CONFIRM', sidecar_digest: note.sidecar_digest, note: true });
    expect(ledger.map((e: any) => e.event)).toEqual(expect.arrayContaining(['explain', 'approve', 'commit']));
  });

  it('amending an approved commit without touching gated content keeps its approval (no warning, note copied)', async () => {
    const repo = setup();
    repo.gitOk('config', 'notes.rewriteRef', 'refs/notes/agent-gates');
    repo.write('rules/new.md', '# New rule\n');
    repo.gitOk('add', 'rules/new.md');
    await explainIn(repo);
    await approveIn(repo);
    expect((await commitIn(repo, ['-m', 'change'])).code).toBe(0);
    const first = head(repo);
    const r = repo.git('commit', '--amend', '-m', 'change (reworded)');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('B_COMMITTED_UNAPPROVED');
    expect(head(repo)).not.toBe(first);
    const ledger = readFileSync(join(repo.commonDir(), 'agent-gates', 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(ledger[ledger.length - 1].data.gate_b.covered_by).toEqual([first]);
    expect(JSON.parse(repo.gitOk('notes', '--ref', 'refs/notes/agent-gates', 'show', 'HEAD')).files[0].path).toBe('rules/new.md');
    // a --no-verify commit of new gated content is not covered: post-commit warns
    repo.write('rules/sneak.txt', 'sneaked in\n');
    repo.gitOk('add', 'rules/sneak.txt');
    const sneaky = repo.git('commit', '--no-verify', '-m', 'sneak');
    expect(sneaky.code).toBe(0);
    expect(sneaky.stderr).toContain('B_COMMITTED_UNAPPROVED');
  });

  it('approve with a piped stdin and no terminal is refused', async () => {
    const repo = setup();
    repo.write('rules/new.md', '# New rule\n');
    repo.gitOk('add', 'rules/new.md');
    await explainIn(repo);
    const r = repo.gate(['approve'], { input: 'y\ny\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('interactive terminal');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(parse(readFileSync(sidecarPath(repo), 'utf8')).approvals).toEqual([]);
    const j = repo.gate(['approve', '--json'], { input: 'y\n' });
    expect(JSON.parse(j.stdout).error.code).toBe('NOT_INTERACTIVE');
  });

  it('a wrong challenge approves nothing', async () => {
    const repo = setup();
    repo.write('rules/new.md', '# New rule\n');
    repo.gitOk('add', 'rules/new.md');
    await explainIn(repo);
    const a = await approveInTty(repo, [false]);
    expect(a.code).toBe(1);
    expect(parse(readFileSync(sidecarPath(repo), 'utf8')).approvals).toEqual([]);
    expect((await preCommitIn(repo)).stderr).toContain('B_APPROVAL_MISSING');
  });

  it('Ctrl-C at the challenge aborts with exit 1 and approves nothing', async () => {
    const repo = setup();
    repo.write('rules/new.md', '# New rule\n');
    repo.gitOk('add', 'rules/new.md');
    await explainIn(repo);
    const t = startTty([process.execPath, GATE_BIN, 'approve'], { cwd: repo.dir, env: repo.env });
    ttys.push(t);
    await t.waitFor(/type [A-Z0-9]{6}/);
    t.keys('C-c');
    expect(await t.exitCode()).toBe(1);
    expect(t.screen()).toContain('not approved');
    expect(parse(readFileSync(sidecarPath(repo), 'utf8')).approvals).toEqual([]);
  });

  it('CONFIRM without an approval is blocked', async () => {
    const repo = setup();
    repo.write('rules/new.md', '# New rule\n');
    repo.gitOk('add', 'rules/new.md');
    await explainIn(repo);
    const r = await preCommitIn(repo);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('B_APPROVAL_MISSING');
    expect(r.stderr).toContain('CONFIRM needs one approval');
  });

  it('approve tree T, then stage one more file → blocked as stale, and approve says what changed', async () => {
    const repo = setup();
    repo.write('rules/new.md', '# New rule\n');
    repo.gitOk('add', 'rules/new.md');
    await explainIn(repo);
    await approveIn(repo);
    repo.write('rules/other.md', '# Other\n');
    repo.gitOk('add', 'rules/other.md');
    const r = await preCommitIn(repo);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('B_SIDECAR_STALE');
    expect(r.stderr).toContain('rules/other.md: staged but not in the explanation');
    const t = startTty([process.execPath, GATE_BIN, 'approve'], { cwd: repo.dir, env: repo.env });
    ttys.push(t);
    expect(await t.exitCode()).toBe(1);
    expect(t.screen()).toContain('the staged tree changed since `gate explain`');
    expect(t.screen()).toContain('rules/other.md');
  });

  it('git commit -a is checked on the temporary index', async () => {
    const repo = setup();
    repo.write('rules/style.md', '---\ntitle: style\n---\n# Style\n\nUse spaces.\nAnd more.\nAnd more.\n' + 'x\n'.repeat(30));
    const blocked = repo.git('commit', '-a', '-m', 'edit');
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain('B_NO_SIDECAR');
    repo.gitOk('add', '-u');
    await explainIn(repo);
    await approveIn(repo);
    repo.gitOk('reset', '-q'); // unstage: only `commit -a` builds the approved tree
    const r = repo.git('commit', '-a', '-m', 'edit');
    expect(r.code, r.stderr).toBe(0);
    expect(repo.git('notes', '--ref', 'refs/notes/agent-gates', 'show', 'HEAD').code).toBe(0);
  });

  it('git commit <path> is checked on the temporary index', async () => {
    const repo = setup();
    repo.write('rules/style.md', '---\ntitle: style\n---\n# Style\n\nTabs.\n' + 'y\n'.repeat(30));
    repo.gitOk('add', 'rules/style.md');
    await explainIn(repo);
    await approveIn(repo);
    // an unrelated staged file is not part of `commit rules/style.md`
    repo.write('src/app.txt', 'app v2\n');
    repo.gitOk('add', 'src/app.txt');
    const r = repo.git('commit', '-m', 'rule only', '--', 'rules/style.md');
    expect(r.code, r.stderr).toBe(0);
    expect(repo.gitOk('show', '--name-only', '--format=', 'HEAD')).toBe('rules/style.md');
    expect(JSON.parse(repo.gitOk('notes', '--ref', 'refs/notes/agent-gates', 'show', 'HEAD')).commit_tree).toBe(repo.gitOk('rev-parse', 'HEAD^{tree}'));
    // the other way round: a pathspec commit whose tree was never explained is blocked
    repo.write('rules/style.md', 'changed again\n');
    const blocked = repo.git('commit', '-m', 'again', '--', 'rules/style.md');
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toMatch(/B_NO_SIDECAR|B_SIDECAR_STALE/);
  });
});

describe('Gate B: awkward paths', { timeout: 240_000 }, () => {
  it('names with spaces, unicode and a rename out of a surface go through explain, approve and the note', async () => {
    const repo = setup();
    repo.write('rules/mein Regelwerk ü.md', '# Regeln\n');
    repo.gitOk('add', '-A');
    mkdirSync(join(repo.dir, 'docs'));
    repo.gitOk('mv', 'rules/config.txt', 'docs/config.txt');
    const st = JSON.parse(repo.gate(['status', '--json']).stdout);
    expect(st.files.map((f: any) => [f.path, f.oldPath ?? null, f.status])).toEqual([
      ['docs/config.txt', 'rules/config.txt', 'R'],
      ['rules/mein Regelwerk ü.md', null, 'A'],
    ]);
    await explainIn(repo);
    const a = await approveInTty(repo, [true]);
    expect(a.code).toBe(0);
    expect(a.screen).toContain('rules/mein Regelwerk ü.md');
    expect(a.screen).toContain('rules/config.txt → docs/config.txt');
    const r = await commitIn(repo, ['-m', 'change']);
    expect(r.code, r.stderr).toBe(0);
    const note = JSON.parse(repo.gitOk('notes', '--ref', 'refs/notes/agent-gates', 'show', 'HEAD'));
    expect(note.files.map((f: any) => f.path)).toEqual(['docs/config.txt', 'rules/mein Regelwerk ü.md']);
  });
});

describe('Gate B: tampered or incomplete sidecars', { timeout: 240_000 }, () => {
  async function approvedRepo(): Promise<TempRepo> {
    const repo = setup();
    repo.write('rules/new.md', '# New rule\n');
    repo.gitOk('add', 'rules/new.md');
    await explainIn(repo);
    return repo;
  }

  it('bad YAML → blocked, naming the position', async () => {
    const repo = await approvedRepo();
    writeFileSync(sidecarPath(repo), 'version: 1\ntree: [unclosed\n');
    const r = await preCommitIn(repo);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('B_SIDECAR_INVALID');
    expect(r.stderr).toMatch(/not valid YAML: line \d+/);
  });

  it('a missing field → blocked, naming the field', async () => {
    const repo = await approvedRepo();
    editSidecar(repo, (d) => {
      delete d.intent;
      delete d.risk.rollback;
    });
    const r = await preCommitIn(repo);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('intent: expected string (missing)');
    expect(r.stderr).toContain('risk.rollback');
  });

  it('files list differs from the staged files → blocked', async () => {
    const repo = await approvedRepo();
    editSidecar(repo, (d) => {
      d.files.push({ ...d.files[0], path: 'rules/ghost.md' });
    });
    const r = await preCommitIn(repo);
    expect(r.stderr).toContain('B_SIDECAR_FILES');
    expect(r.stderr).toContain('rules/ghost.md: in the explanation but no longer staged');
  });

  it('a hand-added approval with no ledger entry → blocked', async () => {
    const repo = await approvedRepo();
    const tree = repo.gitOk('write-tree');
    const st = await statusIn(repo);
    editSidecar(repo, (d) => {
      d.approvals.push({
        step: 'confirm',
        tier: 'CONFIRM',
        tree,
        digest: st.sidecar.digest,
        approver: { name: 'Agent', email: 'human@example.com', os_user: 'me', host: 'h' },
        method: 'terminal',
        at: new Date().toISOString(),
        ledger: { seq: 1, offset: 0, hash: 'a'.repeat(64) },
      });
    });
    const r = await preCommitIn(repo);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('B_APPROVAL_INVALID');
    expect(r.stderr).toContain('does not hash to the recorded');
  });

  it('an approval copied from the ledger but pointing at the explain entry → blocked', async () => {
    const repo = await approvedRepo();
    const tree = repo.gitOk('write-tree');
    const st = await statusIn(repo);
    const ledgerText = readFileSync(join(repo.commonDir(), 'agent-gates', 'ledger.jsonl'), 'utf8');
    const lines = ledgerText.split('\n').filter(Boolean);
    const idx = lines.findIndex((l) => JSON.parse(l).event === 'explain');
    const offset = Buffer.byteLength(lines.slice(0, idx).map((l) => `${l}\n`).join(''));
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update(Buffer.from('agent-gates/ledger/v1\0line\0')).update(lines[idx]!).digest('hex');
    editSidecar(repo, (d) => {
      d.approvals.push({ step: 'confirm', tier: 'CONFIRM', tree, digest: st.sidecar.digest, approver: { os_user: 'me', host: 'h' }, method: 'terminal', at: new Date().toISOString(), ledger: { seq: JSON.parse(lines[idx]!).seq, offset, hash } });
    });
    const r = await preCommitIn(repo);
    expect(r.stderr).toContain('is a "explain" event, not an approval');
  });

  it('editing the intent after approval → blocked (digest mismatch)', async () => {
    const repo = await approvedRepo();
    await approveIn(repo);
    editSidecar(repo, (d) => {
      d.intent = 'something else entirely';
    });
    const r = await preCommitIn(repo);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('B_APPROVAL_INVALID');
    expect(r.stderr).toContain('edited after it was approved');
  });

  it('a rejection plus a hand-added approval → blocked; approve refuses; explain shows the reason', async () => {
    const repo = await approvedRepo();
    await approveIn(repo); // a real approval first…
    const rej = repo.gate(['reject', '--reason', 'the rule contradicts AGENTS.md', '--json']);
    expect(rej.code).toBe(0);
    expect(JSON.parse(rej.stdout).sidecarUpdated).toBe(true);
    editSidecar(repo, (d) => {
      expect(d.rejections).toHaveLength(1);
      d.rejections = []; // …and the agent hides the rejection
    });
    const r = await preCommitIn(repo);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('B_REJECTED');
    expect(r.stderr).toContain('the rule contradicts AGENTS.md');
    const t = startTty([process.execPath, GATE_BIN, 'approve'], { cwd: repo.dir, env: repo.env });
    ttys.push(t);
    expect(await t.exitCode()).toBe(1);
    expect(t.screen()).toContain('was rejected');
    // explaining the same tree again is refused; after a change, explain shows the earlier reason
    expect(repo.gate(EXPLAIN).code).toBe(1);
    repo.write('rules/new.md', '# New rule, revised\n');
    repo.gitOk('add', 'rules/new.md');
    const ex = repo.gate(EXPLAIN);
    expect(ex.code).toBe(0);
    expect(ex.stdout).toContain('the rule contradicts AGENTS.md');
  });

  it('a ledger that does not verify blocks an otherwise approved commit', async () => {
    const repo = await approvedRepo();
    await approveIn(repo);
    const lp = join(repo.commonDir(), 'agent-gates', 'ledger.jsonl');
    const text = readFileSync(lp, 'utf8');
    writeFileSync(lp, text.replace('tighten the rule', 'tighten the rulf').replace('"seq":1,', '"seq":1,"x":1,'));
    const r = await preCommitIn(repo);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('B_LEDGER');
  });
});

describe('Gate B: DOUBLE_CONFIRM and the config', { timeout: 240_000 }, () => {
  it('editing .agents/gates.yaml is DOUBLE_CONFIRM; intent-only is blocked; the diff step names weakenings', async () => {
    const repo = setup();
    repo.write('.agents/gates.yaml', 'version: 1\ndoc_only:\n  max_changed_lines: 20\n');
    repo.gitOk('add', '.agents/gates.yaml');
    // the first config commit is itself gated
    const st0 = await statusIn(repo);
    expect(st0.tier).toBe('DOUBLE_CONFIRM');
    expect(st0.files[0].selfReinforcing).toBe(true);
    repo.gitOk('commit', '-q', '--no-verify', '-m', 'config');
    repo.write('.agents/gates.yaml', 'version: 1\ndoc_only:\n  max_changed_lines: 500\nsurfaces:\n  - name: agent-rules\n    paths: ["rules/*.md"]\n    tier: CONFIRM\n');
    repo.gitOk('add', '.agents/gates.yaml');
    const st = await statusIn(repo);
    expect(st.tier).toBe('DOUBLE_CONFIRM');
    await explainIn(repo);
    // approve the intent, fail the diff challenge
    const a = await approveInTty(repo, [true, false]);
    expect(a.code).toBe(1);
    expect(a.screen).toContain('WEAKENS:');
    expect(a.screen).toContain('threshold is raised from 20 to 500');
    expect(a.screen).toContain('surface "gate-control"');
    expect(a.screen).toMatch(/glob "rules\/\*\*" is replaced by "rules\/\*\.md"/);
    expect(a.screen).toContain('+    paths: ["rules/*.md"]');
    const blocked = commit(repo);
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain('B_APPROVAL_MISSING');
    expect(blocked.stderr).toContain('missing: diff');
    // a second run asks only for the diff
    const b = await approveInTty(repo, [true]);
    expect(b.code).toBe(0);
    expect(b.screen).toContain('step 2 of 2');
    expect(parse(readFileSync(sidecarPath(repo), 'utf8')).approvals.map((x: any) => x.step)).toEqual(['intent', 'diff']);
    const r = await commitIn(repo, ['-m', 'change']);
    expect(r.code, r.stderr).toBe(0);
    const note = JSON.parse(repo.gitOk('notes', '--ref', 'refs/notes/agent-gates', 'show', 'HEAD'));
    expect(note.tier).toBe('DOUBLE_CONFIRM');
    expect(note.sidecar.approvals).toHaveLength(2);
  });

  it('a config that drops a surface still classifies its own commit with the config in force', async () => {
    const repo = setup();
    repo.write('.agents/gates.yaml', 'version: 1\n');
    repo.gitOk('add', '.agents/gates.yaml');
    repo.gitOk('commit', '-q', '--no-verify', '-m', 'config');
    // the new config removes every surface; a rules/ edit in the same commit stays gated
    repo.write('.agents/gates.yaml', 'version: 1\nsurfaces: []\n');
    repo.write('rules/style.md', 'rewritten\n');
    repo.gitOk('add', '-A');
    const st = await statusIn(repo);
    expect(st.tier).toBe('DOUBLE_CONFIRM');
    expect(st.files.map((f: any) => f.path).sort()).toEqual(['.agents/gates.yaml', 'rules/style.md']);
  });
});

describe('Gate B: the doc-only carve-out, decided on the final staged diff', { timeout: 240_000 }, () => {
  // rules/** holds agent instructions: carved out only when the config says so (issue 14)
  function docRepo(): TempRepo {
    return setup({ '.agents/gates.yaml': 'version: 1\ndoc_only:\n  agent_instructions: true\n' });
  }

  it('a small Markdown edit with unchanged front matter passes as AUTO with a warning', () => {
    const repo = docRepo();
    repo.write('rules/style.md', '---\ntitle: style\n---\n# Style\n\nUse tab.\n');
    repo.gitOk('add', '-A');
    const r = commit(repo);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('B_DOC_ONLY');
    const ledger = readFileSync(join(repo.commonDir(), 'agent-gates', 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(ledger[ledger.length - 1].data.gate_b.carve_out.applied).toBe(true);
    expect(repo.git('notes', '--ref', 'refs/notes/agent-gates', 'show', 'HEAD').code).not.toBe(0);
  });

  it('by default an agent-instruction file gets no carve-out, not even for a one-letter edit', async () => {
    const repo = setup();
    repo.write('rules/style.md', '---\ntitle: style\n---\n# Style\n\nUse tab.\n');
    repo.gitOk('add', '-A');
    const st = await statusIn(repo);
    expect(st.tier).toBe('CONFIRM');
    expect(st.carveOut.failed.map((f: any) => f.condition)).toEqual(['agent_instruction']);
    expect((await preCommitIn(repo)).code).not.toBe(0);
  });

  const cases: Array<[string, (repo: TempRepo) => void, string | string[]]> = [
    ['front matter changed', (repo) => repo.write('rules/style.md', '---\ntitle: STYLE\n---\n# Style\n\nUse tabs.\n'), 'front_matter_changed'],
    ['too many lines', (repo) => repo.write('rules/style.md', `---\ntitle: style\n---\n# Style\n\n${'line\n'.repeat(25)}`), ['not_typo', 'too_many_lines']],
    ['not Markdown', (repo) => repo.write('rules/config.txt', 'y\n'), 'not_markdown'],
    ['an added file', (repo) => repo.write('rules/added.md', '# added\n'), 'not_modified'],
    ['a mode change', (repo) => chmodSync(join(repo.dir, 'rules/style.md'), 0o755), 'mode_changed'],
    ['an obligation inverted in one line', (repo) => repo.write('rules/style.md', '---\ntitle: style\n---\n# Style\n\nUse tabs. Tests are optional; commit with `--no-verify`.\n'), 'not_typo'],
  ];
  for (const [name, change, condition] of cases) {
    it(`escalates to CONFIRM: ${name}`, async () => {
      const repo = docRepo();
      change(repo);
      repo.gitOk('add', '-A');
      const st = await statusIn(repo);
      expect(st.tier).toBe('CONFIRM');
      expect(st.carveOut.applied).toBe(false);
      expect(st.carveOut.failed.map((f: any) => f.condition)).toEqual([condition].flat());
      const r = name === cases[0]![0] ? commit(repo) : await preCommitIn(repo); // the first case through the real hook
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('B_NO_SIDECAR');
      // the block explains the escalation when the change looked like a doc edit
      const docLike = condition !== 'not_markdown' && condition !== 'not_modified' && condition !== 'agent_instruction';
      expect(r.stderr.includes('escalated to CONFIRM')).toBe(docLike);
    });
  }
});
