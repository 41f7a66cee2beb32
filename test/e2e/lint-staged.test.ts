/**
 * E2E: the pre-commit hook runs lint-staged INSIDE the gate process
 * (`gate check --hook pre-commit --lint-staged <bin>`), from the packed tarball with real husky 9
 * and lint-staged 16, driven by real `git commit`s. lint-staged's config functions run in the
 * process that runs lint-staged, so a config that records `process.argv[1]` tells which process
 * that was: the gate binary (in process) or lint-staged's own binary (the fallback).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitScaffold, copyConsumer, makeConsumer, type Consumer } from '../helpers/consumer.js';
import { startTty, type TtySession } from '../helpers/tty.js';

const made: Consumer[] = [];
const ttys: TtySession[] = [];
const consumer = (...a: Parameters<typeof makeConsumer>) => {
  const c = makeConsumer(...a);
  made.push(c);
  return c;
};
afterEach(() => {
  for (const t of ttys.splice(0)) t.kill();
  for (const c of made.splice(0)) c.cleanup();
});

/**
 * The setup three tests share, made once per file (an installed consumer, `gate init`, the scaffold
 * and configFile() committed: a gate process per step) and copied per test, work tree and .git.
 */
let adopted: Consumer | undefined;
function adoptedWithConfig(): Consumer {
  if (!adopted) {
    adopted = makeConsumer(); // removed when the file ends (makeRepo's default)
    commitScaffold(adopted);
    configFile(adopted);
  }
  const c = copyConsumer(adopted);
  made.push(c);
  return c;
}

const EXPLAIN = ['explain', '--intent', 'state the policy', '--alternative', 'keep it unwritten', '--blast-radius', 'agents reading rules/', '--reversibility', 'full', '--rollback', 'git revert'];

async function approve(c: Consumer): Promise<number> {
  const t = startTty([join(c.dir, 'node_modules', '.bin', 'gate'), 'approve'], { cwd: c.dir, env: c.env });
  ttys.push(t);
  const screen = await t.waitFor(/type ([A-Z0-9]{6})/);
  t.type(/type ([A-Z0-9]{6})/.exec(screen)![1]!);
  t.enter();
  return t.exitCode();
}

const RUNS = '.git/lint-staged-runs';
/**
 * Replace the package.json config by lint-staged.config.mjs: on *.txt, `task` (a JS expression
 * over `files` giving the command), after recording which process evaluated the config.
 */
function configFile(c: Consumer, task = '`node scripts/format.cjs ${files.map((f) => JSON.stringify(f)).join(" ")}`'): void {
  const pkg = JSON.parse(c.read('package.json')) as Record<string, unknown>;
  delete pkg['lint-staged'];
  c.write('package.json', `${JSON.stringify(pkg, null, 2)}\n`);
  c.write(
    'lint-staged.config.mjs',
    `import { appendFileSync } from 'node:fs';
export default {
  '*.txt': (files) => {
    appendFileSync(new URL('./${RUNS}', import.meta.url), process.argv[1] + '\\n');
    return ${task};
  },
};
`,
  );
  c.write('scripts/fail.cjs', "console.error('lint says: ' + process.argv.slice(2).join(' ') + ' is not allowed');\nprocess.exit(2);\n");
  c.gitOk('add', '-A');
  c.gitOk('commit', '--no-verify', '-q', '-m', 'chore: lint-staged config');
}
/** The processes that evaluated the lint-staged config, one per run (and clears the record). */
function runsSeen(c: Consumer): string[] {
  const p = join(c.dir, RUNS);
  if (!existsSync(p)) return [];
  const lines = readFileSync(p, 'utf8').split('\n').filter(Boolean);
  writeFileSync(p, '');
  return lines;
}
const IN_GATE = /[/\\](gate|gate\.js)$/;

describe('lint-staged inside the gate process', { timeout: 300_000 }, () => {
  it('restages its reformatting, and Gate B binds the approval to the final tree', async () => {
    const c = adoptedWithConfig(); // consumer(), commitScaffold(c), configFile(c)
    const hook = c.read('.husky/pre-commit');
    expect(hook).toContain('check --hook pre-commit ${ag_ls:+--lint-staged "$ag_ls"}');

    // a plain commit: formatted by lint-staged, in the gate process
    c.write('notes.txt', 'hello   \nworld\t\n\n\n');
    c.gitOk('add', 'notes.txt');
    const plain = c.commit('-m', 'feat: notes');
    expect(plain.code, plain.stderr).toBe(0);
    expect(c.git('show', 'HEAD:notes.txt').stdout).toBe('hello\nworld\n');
    const seen = runsSeen(c);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(IN_GATE);

    // `gate explain` runs the lint-staged tasks first: the approval binds the formatted tree,
    // and the commit's own lint-staged run changes nothing, so one approval is enough
    c.write('rules/policy.txt', 'be kind   \n');
    c.gitOk('add', 'rules/policy.txt');
    const before = c.gitOk('write-tree');
    const ex = c.gateBin(EXPLAIN);
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toContain('formatted first by lint-staged: rewrote and restaged rules/policy.txt');
    expect(c.git('show', ':rules/policy.txt').stdout).toBe('be kind\n'); // restaged by explain
    expect(c.gitOk('write-tree')).not.toBe(before);
    expect(runsSeen(c)).toHaveLength(1); // explain ran lint-staged (its binary: stdout carries the result)
    expect(await approve(c)).toBe(0);
    const ok = c.commit('-m', 'feat: policy');
    expect(ok.code, ok.stderr).toBe(0);
    expect(runsSeen(c)).toEqual([expect.stringMatching(IN_GATE)]);
    const note = JSON.parse(c.gitOk('notes', '--ref', 'refs/notes/agent-gates', 'show', 'HEAD')) as { commit_tree: string; tier: string };
    expect(note).toMatchObject({ commit_tree: c.gitOk('rev-parse', 'HEAD^{tree}'), tier: 'CONFIRM' });
    expect(c.git('show', 'HEAD:rules/policy.txt').stdout).toBe('be kind\n');

    // commit -a: git hands the hook a temporary index; lint-staged and the gates both use it
    c.write('notes.txt', 'hello\nagain   \n');
    const all = c.commit('-a', '-m', 'chore: again');
    expect(all.code, all.stderr).toBe(0);
    expect(c.git('show', 'HEAD:notes.txt').stdout).toBe('hello\nagain\n');
    expect(c.git('status', '--porcelain').stdout).toBe('');
  });

  it('a failing task blocks the commit with its output, before the gates run; a throwing config blocks without a stack trace', () => {
    const c = adoptedWithConfig();
    configFile(c, '`node scripts/fail.cjs ${files.join(" ")}`');
    const head = c.gitOk('rev-parse', 'HEAD');
    c.write('a.txt', 'a\n');
    // a staged sidecar: the gates would block it (B_SIDECAR_STAGED) if they ran
    c.write('.agents/gate-b/explain-5555.yaml', 'x: 1\n');
    c.gitOk('add', '-f', 'a.txt', '.agents/gate-b/explain-5555.yaml');
    const r = c.commit('-m', 'feat: a');
    expect(r.code).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toContain('lint says: ');
    expect(out).toContain('a.txt is not allowed');
    expect(r.stderr).toContain('agent-gates: lint-staged failed, so the commit is blocked (its output is above).');
    expect(r.stderr).not.toContain('B_SIDECAR_STAGED');
    expect(c.gitOk('rev-parse', 'HEAD')).toBe(head);
    expect(runsSeen(c)).toEqual([expect.stringMatching(IN_GATE)]);
    // lint-staged put everything back: both files still staged, unchanged
    expect(c.gitOk('diff', '--cached', '--name-only').split('\n').sort()).toEqual(['.agents/gate-b/explain-5555.yaml', 'a.txt']);

    // an exception inside lint-staged (a config function that throws) is a blocked commit
    c.write('lint-staged.config.mjs', "export default { '*.txt': () => { throw new Error('config exploded'); } };\n");
    const thrown = c.commit('-m', 'feat: a');
    expect(thrown.code).not.toBe(0);
    expect(thrown.stderr).toContain('agent-gates: lint-staged failed, so the commit is blocked: config exploded');
    expect(thrown.stderr).toContain('fix: run ');
    expect(thrown.stderr).not.toMatch(/^\s+at /m);
    expect(thrown.stderr).not.toContain('internal error');
    expect(c.gitOk('rev-parse', 'HEAD')).toBe(head);
  });

  it('configured but not installed: the hook says so and the gates still run', () => {
    const c = consumer({ lintStaged: false });
    const pkg = JSON.parse(c.read('package.json')) as Record<string, unknown>;
    c.write('package.json', `${JSON.stringify({ ...pkg, 'lint-staged': { '*.txt': 'node scripts/format.cjs' } }, null, 2)}\n`);
    commitScaffold(c);
    c.write('a.txt', 'a   \n');
    c.gitOk('add', 'a.txt');
    const r = c.commit('-m', 'feat: a');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('agent-gates: lint-staged is configured but not installed; skipping it (fix: npm install).');
    expect(c.git('show', 'HEAD:a.txt').stdout).toBe('a   \n'); // not formatted: lint-staged did not run
    c.write('.agents/gate-b/explain-6666.yaml', 'x: 1\n');
    c.gitOk('add', '-f', '.agents/gate-b/explain-6666.yaml');
    const blocked = c.commit('-m', 'sidecar');
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain('lint-staged is configured but not installed');
    expect(blocked.stderr).toContain('B_SIDECAR_STAGED');
  });

  it('falls back to the binary (a child process) when the package entry throws on import: same verdicts', () => {
    const c = adoptedWithConfig(); // consumer(), commitScaffold(c), configFile(c); node_modules is the copy's own
    // the installed lint-staged's declared entry now throws on import; its bin imports lib/index.js directly
    const root = join(c.dir, 'node_modules', 'lint-staged');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(root, 'package.json'), JSON.stringify({ ...pkg, exports: { '.': { default: './lib/broken.js' }, './package.json': './package.json' } }, null, 2));
    writeFileSync(join(root, 'lib', 'broken.js'), "throw new Error('this build of lint-staged is broken');\n");

    c.write('notes.txt', 'hello   \n');
    c.gitOk('add', 'notes.txt');
    const r = c.commit('-m', 'feat: notes');
    expect(r.code, r.stderr).toBe(0);
    expect(c.git('show', 'HEAD:notes.txt').stdout).toBe('hello\n');
    const seen = runsSeen(c);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/lint-staged/);
    expect(seen[0]).not.toMatch(IN_GATE);
    expect(r.stderr).not.toContain('broken');

    // a failing task through the binary blocks the same way
    c.write('lint-staged.config.mjs', "export default { '*.txt': (files) => `node scripts/fail.cjs ${files.join(' ')}` };\n");
    const head = c.gitOk('rev-parse', 'HEAD');
    c.write('b.txt', 'b\n');
    c.gitOk('add', 'b.txt');
    const failed = c.commit('-m', 'feat: b');
    expect(failed.code).not.toBe(0);
    expect(failed.stdout + failed.stderr).toContain('b.txt is not allowed');
    expect(failed.stderr).toContain('agent-gates: lint-staged failed, so the commit is blocked (its output is above).');
    expect(c.gitOk('rev-parse', 'HEAD')).toBe(head);
  });
  it('with prettier from npm: gate explain formats and restages a CONFIRM-gated file, one approval holds at commit; a hand edit after approval is still stale; a failing task is exit 3', async () => {
    // prettier@3 from npm: one real `npm install --save-dev prettier@3` per build, on top of the usual tree (makeConsumer)
    const c = consumer({ devDependencies: ['prettier@3'] });
    expect((JSON.parse(c.read('package.json')) as { devDependencies: Record<string, string> }).devDependencies.prettier).toMatch(/^\^3\./);
    expect(existsSync(join(c.dir, 'node_modules', '.bin', 'prettier'))).toBe(true);
    const pkg = JSON.parse(c.read('package.json')) as Record<string, unknown>;
    c.write('package.json', `${JSON.stringify({ ...pkg, 'lint-staged': { '*.txt': 'node scripts/format.cjs', '*.{md,json}': 'prettier --write' } }, null, 2)}\n`);
    commitScaffold(c);

    c.write('rules/style.md', '#   Style\n\n\n*  be kind\n*  be brief\n');
    c.gitOk('add', 'rules/style.md');
    const ex = c.gateBin([...EXPLAIN, '--json']);
    expect(ex.code, ex.stderr).toBe(0);
    const out = JSON.parse(ex.stdout) as { tier: string; formatted: { tool: string; tasks: string[]; changed: string[] } };
    expect(out.tier).toBe('CONFIRM');
    expect(out.formatted).toEqual({ tool: 'lint-staged', tasks: ['*.{md,json}: prettier --write'], changed: ['rules/style.md'] });
    const formatted = '# Style\n\n- be kind\n- be brief\n';
    expect(c.git('show', ':rules/style.md').stdout).toBe(formatted);
    expect(c.read('rules/style.md')).toBe(formatted);
    expect(await approve(c)).toBe(0);
    const ok = c.commit('-m', 'docs: style rules');
    expect(ok.code, ok.stderr).toBe(0);
    expect(c.git('show', 'HEAD:rules/style.md').stdout).toBe(formatted);

    // content changed by hand after the approval: still stale, naming the file and the difference
    c.write('rules/style.md', `${formatted}- be clear\n`);
    c.gitOk('add', 'rules/style.md');
    expect(c.gateBin(EXPLAIN).code).toBe(0);
    expect(await approve(c)).toBe(0);
    c.write('rules/style.md', `${formatted}- be clear\n- be loud\n`);
    c.gitOk('add', 'rules/style.md');
    const head = c.gitOk('rev-parse', 'HEAD');
    const stale = c.commit('-m', 'docs: more rules');
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toContain('B_SIDECAR_STALE');
    expect(stale.stderr).toContain('rules/style.md changed after `gate explain`');
    expect(stale.stderr).toContain('+- be loud');
    expect(c.gitOk('rev-parse', 'HEAD')).toBe(head);

    // a task that fails: explain writes nothing, exit 3, names the task and the fix
    c.write('rules/bad.json', '{ "a": \n');
    c.gitOk('add', 'rules/bad.json');
    const failed = c.gateBin(EXPLAIN);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('a task failed');
    expect(failed.stderr).toContain('*.{md,json}: prettier --write');
    expect(failed.stderr).toContain('npx lint-staged');
    expect(failed.stdout).not.toContain('wrote ');
  });
});
