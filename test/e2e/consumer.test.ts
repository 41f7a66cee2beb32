/**
 * E2E: the packed tarball installed with real husky 9 and lint-staged 16 in fresh consumer
 * repositories, driven by real `git commit`s. The first test runs the README's recipe whole (npm
 * install, npx gate init); the others start from a repository that ran `gate init` with the installed
 * binary: for real in the first of them, a copy of that repository in the rest (`init: 'shared'`).
 */
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitScaffold, makeConsumer, packTarball, type Consumer, type ConsumerOptions } from '../helpers/consumer.js';
import { makeTempDir, run } from '../helpers/repo.js';

const made: Consumer[] = [];
const consumer = (opts: ConsumerOptions = {}) => {
  const c = makeConsumer({ init: 'shared', ...opts });
  made.push(c);
  return c;
};
afterEach(() => {
  for (const c of made.splice(0)) c.cleanup();
});

interface DoctorJson {
  ok: boolean;
  exitCode: number;
  checks: Array<{ id: string; title: string; status: string; message: string; details?: string[]; fix?: string }>;
}
const doctor = (c: Consumer, cwd?: string) => {
  const r = c.gateBin(['doctor', '--json'], cwd ? { cwd } : {});
  return { r, j: JSON.parse(r.stdout) as DoctorJson };
};

describe('gate init in a consumer with husky and lint-staged', () => {
  it('scaffolds, sets up husky, and a normal commit passes through husky + lint-staged + gate', () => {
    const c = consumer({ freshInstall: true, init: 'npx' }); // the README's recipe, whole: npm install of the tarball, then npx gate init
    expect(c.gitOk('config', 'core.hooksPath')).toBe('.husky/_');
    expect(existsSync(join(c.dir, '.husky', '_', 'h'))).toBe(true);
    const pkg = JSON.parse(c.read('package.json')) as { scripts?: Record<string, string> };
    expect(pkg.scripts?.prepare).toBe('husky');
    const code = c.read('.husky/pre-commit').split('\n').filter((l) => !l.trim().startsWith('#'));
    expect(code.join('\n')).not.toMatch(/\bnpx\b/); // hooks call the installed binary, never npx
    expect(c.gitOk('config', '--get-all', 'notes.rewriteRef')).toContain('refs/notes/agent-gates');

    c.write('notes.txt', 'hello   \nworld\t\n\n\n');
    c.gitOk('add', 'notes.txt');
    const r = c.commit('-m', 'feat: notes');
    expect(r.code, r.stderr).toBe(0);
    // lint-staged ran its task and restaged the formatted file before gate checked the index
    expect(c.gitOk('show', 'HEAD:notes.txt')).toBe('hello\nworld');
    expect(c.git('show', 'HEAD:notes.txt').stdout).toBe('hello\nworld\n');
    // a root commit: post-commit started node and recorded it in the ledger at once, which verifies
    const ledgerPath = join(c.commonDir(), 'agent-gates', 'ledger.jsonl');
    const v = c.gateBin(['audit', 'verify', '--json']);
    expect(v.code).toBe(0);
    const vj = JSON.parse(v.stdout) as { entries: number };
    expect(vj.entries).toBeGreaterThanOrEqual(2); // init + commit
    expect(readFileSync(ledgerPath, 'utf8')).toContain(`"commit":"${c.gitOk('rev-parse', 'HEAD')}"`);

    // commit -a: git hands the hooks a temporary index; the gates must see it
    c.write('notes.txt', 'hello\nagain   \n');
    const r2 = c.commit('-a', '-m', 'chore: again');
    expect(r2.code, r2.stderr).toBe(0);
    expect(c.git('show', 'HEAD:notes.txt').stdout).toBe('hello\nagain\n');
    // an AUTO commit on a parent: the post-commit left a pending record without starting node
    // (ADR 0009); the next fold (here `gate audit verify`) records it, marked deferred
    const head = c.gitOk('rev-parse', 'HEAD');
    const pendingFile = join(c.commonDir(), 'agent-gates', 'pending', head);
    expect(readFileSync(ledgerPath, 'utf8')).not.toContain(`"commit":"${head}"`);
    expect(existsSync(pendingFile)).toBe(true);
    const v2 = c.gateBin(['audit', 'verify', '--json']);
    expect(v2.code).toBe(0);
    expect(JSON.parse(v2.stdout)).toMatchObject({ ok: true, folded: 1, entries: vj.entries + 1 });
    const rec = readFileSync(ledgerPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; subject: { commit?: string; paths?: string[] }; data: Record<string, unknown> }).filter((e) => e.event === 'commit' && e.subject.commit === head);
    expect(rec).toHaveLength(1);
    expect(rec[0]!.subject.paths).toEqual(['notes.txt']);
    expect(rec[0]!.data).toMatchObject({ deferred: true, files: 1, gate_b: { tier: 'AUTO' } });
    expect(existsSync(pendingFile)).toBe(false);

    const d = doctor(c);
    expect(d.r.code, d.r.stdout).toBe(0);
    expect(d.j.checks.find((x) => x.id === 'lint-staged')?.status).toBe('ok');
  });

  it('blocks a commit that stages an explain sidecar, and the commit is not made', () => {
    const c = consumer();
    c.write('a.txt', 'a\n');
    c.gitOk('add', 'a.txt');
    expect(c.commit('-m', 'first').code).toBe(0);
    const head = c.gitOk('rev-parse', 'HEAD');
    c.write('.agents/gate-b/explain-0000.yaml', 'intent: x\n');
    c.gitOk('add', '-f', '.agents/gate-b/explain-0000.yaml');
    const r = c.commit('-m', 'oops');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('B_SIDECAR_STAGED');
    expect(r.stderr).toContain('git rm --cached');
    expect(c.gitOk('rev-parse', 'HEAD')).toBe(head);
  });

  it('gate init --agent claude merges the Claude Code hooks into existing settings, and the written command blocks an unleased handoff edit', () => {
    const c = consumer();
    c.write('.claude/settings.json', `${JSON.stringify({ permissions: { allow: ['Bash(npm test)'] } }, null, 2)}\n`);
    const r = c.gateBin(['init', '--agent', 'claude', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).files).toContainEqual(expect.objectContaining({ path: '.claude/settings.json', status: 'updated' }));
    const settings = JSON.parse(c.read('.claude/settings.json'));
    expect(settings.permissions).toEqual({ allow: ['Bash(npm test)'] }); // the user's entries are kept
    const pre = settings.hooks.PreToolUse[0];
    expect(pre.matcher).toBe('Edit|Write|MultiEdit|NotebookEdit');
    expect(settings.hooks.SessionStart[0].hooks[0].command).toBe(pre.hooks[0].command);
    // the command exactly as written, as Claude Code runs it: exit 2 blocks the edit
    const payload = JSON.stringify({ session_id: 'sess-1', hook_event_name: 'PreToolUse', tool_name: 'Edit', cwd: c.dir, tool_input: { file_path: join(c.dir, 'progress.md') } });
    const hook = run('sh', ['-c', pre.hooks[0].command], { cwd: c.dir, env: { ...c.env, CLAUDE_PROJECT_DIR: c.dir }, input: payload });
    expect(hook.code, hook.stderr).toBe(2);
    expect(hook.stderr).toContain('gate lock acquire progress.md');
    expect(JSON.parse(c.gateBin(['init', '--agent', 'claude', '--json']).stdout).files).toContainEqual(expect.objectContaining({ path: '.claude/settings.json', status: 'already present' }));
    const bad = c.gateBin(['init', '--agent', 'vim']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--agent takes claude');
    // every runtime at once (docs/agents.md), the Claude settings already in place
    const all = c.gateBin(['init', '--agent', 'all', '--json']);
    expect(all.code, all.stderr).toBe(0);
    const st = Object.fromEntries((JSON.parse(all.stdout).files as Array<{ path: string; status: string }>).map((f) => [f.path, f.status]));
    expect([st['.claude/settings.json'], st['.cursor/hooks.json'], st['.gemini/settings.json'], st['.codex/hooks.json'], st['.aider.conf.yml']]).toEqual(['already present', 'created', 'created', 'created', 'created']);
    expect(c.read('.aider.conf.yml')).toContain('git-commit-verify: true');
    const doc = JSON.parse(c.gateBin(['doctor', '--json']).stdout).checks.filter((x: { id: string }) => x.id.startsWith('agent-'));
    expect(doc.map((x: { status: string }) => x.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('is idempotent and never overwrites a changed file without --force', () => {
    const c = consumer();
    c.write('rules/gate-locks.md', '# my own version\n');
    const again = c.gateBin(['init', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const j = JSON.parse(again.stdout) as { files: Array<{ path: string; status: string }> };
    const status = Object.fromEntries(j.files.map((f) => [f.path, f.status]));
    expect(status['.agents/gates.yaml']).toBe('already present');
    expect(status['.husky/pre-commit']).toBe('already present');
    expect(status['.gitignore']).toBe('already present');
    expect(status['rules/gate-locks.md']).toBe('skipped');
    expect(c.read('rules/gate-locks.md')).toBe('# my own version\n');
    const forced = c.gateBin(['init', '--force', '--json']);
    const fj = JSON.parse(forced.stdout) as { files: Array<{ path: string; status: string }> };
    expect(fj.files.find((f) => f.path === 'rules/gate-locks.md')?.status).toBe('overwritten');
    expect(c.read('rules/gate-locks.md')).toContain('Gate A');
  });

  it('--no-verify bypasses the hooks (git\'s own switch); the range check is where CI catches it', () => {
    const c = consumer();
    c.write('.agents/gate-b/explain-1111.yaml', 'intent: x\n');
    c.gitOk('add', '-f', '.agents/gate-b/explain-1111.yaml');
    const r = c.commit('--no-verify', '-m', 'bypass');
    expect(r.code, r.stderr).toBe(0);
    expect(c.gitOk('ls-tree', '--name-only', '-r', 'HEAD')).toContain('.agents/gate-b/explain-1111.yaml');
    // Hook point for the range check (test/helpers/consumer.ts rangeCheck): the Gate B/CI engineer
    // asserts here that `gate check --range` rejects this commit.
  });
});

describe('a repository without package.json', () => {
  it('gets working hooks: a commit passes, a staged sidecar is blocked, and a missing gate blocks', () => {
    const c = consumer({ packageJson: false });
    expect(c.gitOk('config', 'core.hooksPath')).toBe('.husky');
    c.write('a.txt', 'a\n');
    c.gitOk('add', 'a.txt');
    const ok = c.commit('-m', 'first');
    expect(ok.code, ok.stderr).toBe(0);
    c.write('.agents/gate-b/explain-2222.yaml', 'x: 1\n');
    c.gitOk('add', '-f', '.agents/gate-b/explain-2222.yaml');
    const blocked = c.commit('-m', 'sidecar');
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain('B_SIDECAR_STAGED');
    c.gitOk('rm', '-q', '--cached', '.agents/gate-b/explain-2222.yaml');

    // gate not resolvable from the hooks: the commit is blocked with the fix, never let through
    c.write('b.txt', 'b\n');
    c.gitOk('add', 'b.txt');
    const noGate = run('git', ['commit', '-m', 'no gate'], {
      cwd: c.dir,
      env: { ...c.env, PATH: (c.env.PATH ?? '').split(':').filter((p) => p !== c.globalBinDir).join(':') },
      input: '',
    });
    expect(noGate.code).not.toBe(0);
    expect(noGate.stderr).toContain('the gate binary was not found');
    expect(noGate.stderr).toContain('fix: npm install');
    expect(c.gitOk('log', '--format=%s', '-1')).toBe('first');
  });
});

describe('worktrees and broken hooks', () => {
  it('doctor notices a worktree created afterwards has no active hooks; the printed fix repairs it', () => {
    const c = consumer();
    commitScaffold(c);
    const wt = `${c.dir}-wt`;
    c.gitOk('worktree', 'add', '-q', '-b', 'feature', wt);
    expect(existsSync(join(wt, '.husky', '_'))).toBe(false);

    const before = doctor(c);
    expect(before.r.code).toBe(1);
    const wtCheck = before.j.checks.find((x) => x.id === 'hooks' && x.title.includes(wt));
    expect(wtCheck?.status).toBe('problem');
    expect(wtCheck?.details?.join('\n')).toContain('husky was never installed in this worktree');
    expect(before.j.checks.find((x) => x.title === 'hooks (this worktree)')?.status).toBe('ok');

    // the silence doctor warns about: a sidecar commit in that worktree is NOT blocked
    writeFileSync(join(wt, 'x.txt'), 'x\n');
    run('mkdir', ['-p', join(wt, '.agents', 'gate-b')]);
    writeFileSync(join(wt, '.agents', 'gate-b', 'explain-3333.yaml'), 'x: 1\n');
    const silent = run('git', ['add', '-f', 'x.txt', '.agents/gate-b/explain-3333.yaml'], { cwd: wt, env: c.env });
    expect(silent.code).toBe(0);
    expect(run('git', ['commit', '-m', 'unguarded'], { cwd: wt, env: c.env, input: '' }).code).toBe(0);

    // run the fix doctor printed, verbatim
    const fix = wtCheck!.fix!;
    expect(fix).toMatch(/^gate init --hooks-only --worktree /);
    const args = fix.replace(/^gate /, '').split(' ').map((a) => a.replace(/^'(.*)'$/, '$1'));
    const repaired = c.gateBin(args);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(existsSync(join(wt, '.husky', '_', 'h'))).toBe(true);
    expect(doctor(c).r.code).toBe(0);

    writeFileSync(join(wt, '.agents', 'gate-b', 'explain-4444.yaml'), 'x: 1\n');
    run('git', ['add', '-f', '.agents/gate-b/explain-4444.yaml'], { cwd: wt, env: c.env });
    const guarded = run('git', ['commit', '-m', 'guarded'], { cwd: wt, env: c.env, input: '' });
    expect(guarded.code).not.toBe(0);
    expect(guarded.stderr).toContain('B_SIDECAR_STAGED');
  });

  it('doctor names a deliberately broken hook: not executable, gate call removed, lint-staged after gate', () => {
    const c = consumer();
    const problemsOf = () => {
      const d = doctor(c);
      return { code: d.r.code, text: d.j.checks.filter((x) => x.status === 'problem').flatMap((x) => [x.message, ...(x.details ?? []), x.fix ?? '']).join('\n') };
    };
    expect(problemsOf().code).toBe(0);

    chmodSync(join(c.dir, '.husky', '_', 'pre-commit'), 0o644);
    let p = problemsOf();
    expect(p.code).toBe(1);
    expect(p.text).toContain('.husky/_/pre-commit is not executable');
    chmodSync(join(c.dir, '.husky', '_', 'pre-commit'), 0o755);

    const original = c.read('.husky/pre-commit');
    c.write('.husky/pre-commit', original.replace(/^"\$ag_gate" check --hook pre-commit.*$/m, 'true'));
    p = problemsOf();
    expect(p.code).toBe(1);
    expect(p.text).toContain('does not run `gate check --hook pre-commit`');
    expect(p.text).toContain('gate init --hooks husky');

    c.write('.husky/pre-commit', './node_modules/.bin/gate check --hook pre-commit\n./node_modules/.bin/lint-staged\n');
    p = problemsOf();
    expect(p.code).toBe(1);
    expect(p.text).toContain('runs lint-staged after gate');

    c.write('.husky/pre-commit', original);
    const post = join(c.dir, '.husky', 'post-commit');
    run('rm', [post]);
    p = problemsOf();
    expect(p.code).toBe(1);
    expect(p.text).toContain('.husky/post-commit is missing');
  });
});

describe('the packed tarball', () => {
  it('ships each library once (zod, yaml, diff, commander, the MCP SDK, ajv) and stays within 3.0 MB unpacked (issues 15, 17, 18)', () => {
    const dir = makeTempDir('gate-tarball-');
    try {
      expect(run('tar', ['-xzf', packTarball(), '-C', dir]).code).toBe(0);
      const files: Array<{ path: string; size: number }> = [];
      const walk = (d: string): void => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          const p = join(d, e.name);
          if (e.isDirectory()) walk(p);
          else files.push({ path: relative(join(dir, 'package'), p), size: statSync(p).size });
        }
      };
      walk(join(dir, 'package'));
      const total = files.reduce((n, f) => n + f.size, 0);
      // issue 15 brought the package from 6.0 MB to 2.95 MB; the inbox, its page and passkey approvals
      // (issue 17) and the shared remote (issue 18) added about 0.37 MB; line-grained source maps
      // (scripts/build.mjs) took 0.7 MB off (2.69 MB with what came after). Issue 15 asks for at most half of the 6.0 MB:
      // new code fits this budget or says why in the CHANGELOG.
      expect(total, `${files.length} files, ${total} bytes`).toBeLessThanOrEqual(3_000_000);
      // where each library's code is defined: exactly one shipped file each
      const code = files.filter((f) => /\.(?:c?js)$/.test(f.path)).map((f) => ({ path: f.path, text: readFileSync(join(dir, 'package', f.path), 'utf8') }));
      const signatures: Record<string, RegExp> = {
        zod: /\$constructor\("\$ZodType"/,
        yaml: /exports\d*\.LineCounter\s*=/,
        diff: /function structuredPatch\(/,
        commander: /CommanderError\d*\s*=\s*class extends Error/,
        '@modelcontextprotocol/sdk': /StdioServerTransport already started/,
        ajv: /schema with key or id/,
      };
      const where = Object.fromEntries(Object.entries(signatures).map(([lib, re]) => [lib, code.filter((c) => re.test(c.text)).map((c) => c.path)]));
      expect(where).toEqual({
        zod: ['dist/vendor/zod.cjs'],
        yaml: ['dist/vendor/yaml.cjs'],
        diff: ['dist/vendor/diff.cjs'],
        commander: [expect.stringMatching(/^dist\/(?:chunk-\w+|program)\.js$/)],
        '@modelcontextprotocol/sdk': ['dist/vendor/mcp-sdk.js'],
        ajv: ['dist/vendor/mcp-sdk.js'],
      });
      // third-party code ships without source maps
      expect(files.filter((f) => f.path.startsWith('dist/vendor/') && f.path.endsWith('.map'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
