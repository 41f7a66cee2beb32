/**
 * `gate hook <runtime>` for Cursor, Gemini CLI, Codex CLI and Claude Code's Bash tool: each
 * runtime's recorded payloads (test/fixtures/agents/<runtime>, sources in SOURCES.md) piped into
 * `gate hook <runtime>`, asserting exit codes and output shapes as each runtime documents them. For
 * each runtime, a denial (exit 2) and an answer at exit 0 run the built CLI; the other payloads,
 * and set-up steps (`gate lock`), run in process (repo.gateIn: the same argv, stdin, output and exit
 * code). One repository for the file; the in-process part checks the earlier-rejections reminder.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PKG_ROOT, makeRepo, type TempRepo } from '../helpers/repo.js';
import { decide } from '../../src/app/agents/decide.js';
import { openContext } from '../../src/app/context.js';

const CURSOR = 'c6f1d2a4-8b3e-4c57-9d10-2e4f6a8b0c12';
const GEMINI = '5d2e8f14-7a9c-4b3d-a1e6-0c8f2b4d6e93';
const CODEX = '019aef3c-6b2d-7e41-9c5a-3f8d1b7e2a60';
const CLAUDE = '9f2c6a1e-4b7d-4f0a-9a53-2d7e1c0b8e41';

let r: TempRepo;
beforeAll(() => {
  r = makeRepo();
  r.write('progress.md', '# progress\n');
  r.write('CLAUDE.md', 'Always run the tests.\n');
  r.write('src/app.ts', 'a\n');
  r.gitOk('add', '.');
  r.gitOk('commit', '-q', '-m', 'init');
});
afterAll(() => r.cleanup());

function fixture(runtime: string, name: string): string {
  return readFileSync(join(PKG_ROOT, 'test', 'fixtures', 'agents', runtime, name), 'utf8').replaceAll('{{REPO}}', r.dir);
}
/** `gate hook <runtime>` with the payload on stdin: in process, or (`real`) the built CLI. */
const hook = async (runtime: string, name: string, how: 'in' | 'real' = 'in') =>
  r.gateIn(['hook', runtime], { input: fixture(runtime, name), binary: how === 'real' });

describe('gate hook cursor', () => {
  it('beforeShellExecution: denies HUSKY=0 with {permission: "deny", user_message, agent_message} and exit 2', async () => {
    const x = await hook('cursor', 'before-shell-no-verify.json', 'real');
    expect(x.code).toBe(2);
    const out = JSON.parse(x.stdout);
    expect(Object.keys(out).sort()).toEqual(['agent_message', 'permission', 'user_message']);
    expect(out.permission).toBe('deny');
    expect(out.agent_message).toContain('HUSKY=0');
  });

  it('beforeShellExecution: a harmless look-alike answers {} (Cursor wants JSON on every path)', async () => {
    const x = await hook('cursor', 'before-shell-harmless.json', 'real');
    expect([x.code, x.stdout.trim(), x.stderr]).toEqual([0, '{}', '']);
  });

  it('preToolUse Write of a handoff document: denied with the acquire command for the conversation id', async () => {
    const x = await hook('cursor', 'pre-tool-use-write-progress.json');
    expect(x.code).toBe(2);
    expect(JSON.parse(x.stdout).agent_message).toContain(`gate lock acquire progress.md --owner ${CURSOR}`);
  });

  it('preToolUse on a control-plane surface: not blocked, never "allow", the explain reminder as agent_message', async () => {
    const x = await hook('cursor', 'pre-tool-use-edit-claude-md.json');
    expect(x.code).toBe(0);
    const out = JSON.parse(x.stdout);
    expect(out.permission).toBeUndefined();
    expect(out.agent_message).toContain('gate explain');
  });
});

describe('gate hook gemini', () => {
  it('BeforeTool write_file of a handoff document: exit 2, reason on stderr, {decision: "deny"} on stdout', async () => {
    const x = await hook('gemini', 'before-tool-write-progress.json', 'real');
    expect(x.code).toBe(2);
    expect(x.stderr).toContain(`gate lock acquire progress.md --owner ${GEMINI}`);
    expect(JSON.parse(x.stdout)).toMatchObject({ decision: 'deny' });
  });

  it('BeforeTool run_shell_command changing core.hooksPath: exit 2', async () => {
    const x = await hook('gemini', 'before-tool-shell-hookspath.json');
    expect(x.code).toBe(2);
    expect(x.stderr).toContain('core.hooksPath');
  });

  it('a harmless command (echo HUSKY=0) prints only JSON ({}) and exits 0', async () => {
    const x = await hook('gemini', 'before-tool-shell-harmless.json', 'real');
    expect([x.code, x.stdout.trim()]).toEqual([0, '{}']);
  });

  it('replace on a control-plane surface: exit 0 with the reminder; SessionStart names the identity', async () => {
    const m = await hook('gemini', 'before-tool-replace-claude-md.json');
    expect(m.code).toBe(0);
    expect(JSON.parse(m.stdout).hookSpecificOutput.additionalContext).toContain('gate explain');
    const s = await hook('gemini', 'session-start.json');
    expect(s.code).toBe(0);
    const ctx = JSON.parse(s.stdout).hookSpecificOutput;
    expect(ctx.hookEventName).toBe('SessionStart');
    expect(ctx.additionalContext).toContain(`GATE_SESSION=${GEMINI}`);
  });
});

describe('gate hook codex', () => {
  it('PreToolUse Bash with git -c core.hooksPath: exit 2, the reason on stderr, nothing on stdout', async () => {
    const x = await hook('codex', 'pre-tool-use-bash-hookspath.json', 'real');
    expect([x.code, x.stdout]).toEqual([2, '']);
    expect(x.stderr).toContain('core.hooksPath');
  });

  it('apply_patch touching a handoff document: every file of the patch is judged', async () => {
    const x = await hook('codex', 'pre-tool-use-apply-patch-progress.json');
    expect(x.code).toBe(2);
    expect(x.stderr).toContain(`gate lock acquire progress.md --owner ${CODEX}`);
  });

  it('a harmless Bash command passes silently', async () => {
    const x = await hook('codex', 'pre-tool-use-bash-harmless.json', 'real');
    expect([x.code, x.stdout, x.stderr]).toEqual([0, '', '']);
  });

  it('SessionStart sets GATE_SESSION through hookSpecificOutput.env, with only the keys Codex accepts', async () => {
    const x = await hook('codex', 'session-start.json');
    expect(x.code).toBe(0);
    const out = JSON.parse(x.stdout);
    expect(Object.keys(out)).toEqual(['hookSpecificOutput']);
    expect(Object.keys(out.hookSpecificOutput).sort()).toEqual(['additionalContext', 'env', 'hookEventName']);
    expect(out.hookSpecificOutput).toMatchObject({ hookEventName: 'SessionStart', env: { GATE_SESSION: CODEX } });
  });
});

describe('gate hook claude (shell guard and resume)', () => {
  it('Bash `git commit --no-verify`: exit 2 with permissionDecision deny; `>> progress.md` without a lease: exit 2', async () => {
    const x = await hook('claude', 'bash-no-verify.json', 'real');
    expect(x.code).toBe(2);
    expect(JSON.parse(x.stdout).hookSpecificOutput).toMatchObject({ hookEventName: 'PreToolUse', permissionDecision: 'deny' });
    expect(x.stderr).toContain('--no-verify');
    const p = await hook('claude', 'bash-redirect-progress.json');
    expect(p.code).toBe(2);
    expect(p.stderr).toContain(`gate lock acquire progress.md --owner ${CLAUDE}`);
  });

  it('a resumed session is told which leases it still holds; the leased redirect then passes', async () => {
    expect((await r.gateIn(['lock', 'acquire', 'progress.md', '--owner', CLAUDE])).code).toBe(0);
    const s = await hook('claude', 'session-start-resume.json', 'real');
    expect(JSON.parse(s.stdout).hookSpecificOutput.additionalContext).toContain(`gate lock renew progress.md --owner ${CLAUDE}`);
    expect((await hook('claude', 'bash-redirect-progress.json')).code).toBe(0);
    expect((await r.gateIn(['lock', 'release', 'progress.md', '--owner', CLAUDE])).code).toBe(0);
  });

  it('an edit tool writing git hooks or the ledger is denied', async () => {
    const input = JSON.parse(readFileSync(join(PKG_ROOT, 'test', 'fixtures', 'claude', 'edit-source.json'), 'utf8').replaceAll('{{REPO}}', r.dir));
    input.tool_input.file_path = join(r.dir, '.git', 'hooks', 'pre-commit');
    const x = await r.gateIn(['hook', 'claude'], { input: JSON.stringify(input) });
    expect(x.code).toBe(2);
    expect(x.stderr).toContain('git hooks');
  });
});

describe('decide (in process)', () => {
  it('an edit of a control-plane surface names the earlier rejections of that path from the ledger', async () => {
    const ctx = openContext(r.dir);
    await ctx.record({ event: 'reject', actor: { kind: 'human', id: 'human:reviewer@example.com' }, subject: { tree: 'a'.repeat(40), paths: ['CLAUDE.md'] }, data: { reason: 'keep the test rule strict' } });
    const d = await decide({ kind: 'edit', session: GEMINI, cwd: r.dir, tool: 'replace', files: [join(r.dir, 'CLAUDE.md')] }, {});
    expect(d.verdict).toBe('allow');
    expect(d.message).toContain('Earlier rejections of changes to CLAUDE.md');
    expect(d.message).toContain('keep the test rule strict');
  });
});
