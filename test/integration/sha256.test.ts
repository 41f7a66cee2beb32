/**
 * SHA-256 repositories (`git init --object-format=sha256`) through the whole flow (issue 13):
 * the hooks `gate init` writes, the root commit (the empty tree differs per object format), a
 * gated change explained and approved at a terminal (its note carries 64-hex ids), an ordinary
 * commit recorded deferred (the pending record's ids), the ledger, and `gate check --range`.
 */
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GATE_BIN, makeRepo } from '../helpers/repo.js';
import { startTty, type TtySession } from '../helpers/tty.js';

const r = makeRepo({ init: false });
const ttys: TtySession[] = [];
afterAll(() => {
  for (const t of ttys) t.kill();
  r.cleanup();
});

const EXPLAIN = ['explain', '--intent', 'add a rule', '--alternative', 'none', '--blast-radius', 'agents read it', '--reversibility', 'revert', '--rollback', 'git revert'];

async function approve(answers: number): Promise<number> {
  const t = startTty([process.execPath, GATE_BIN, 'approve'], { cwd: r.dir, env: r.env });
  ttys.push(t);
  for (let i = 0; i < answers; i++) {
    const screen = await t.waitFor(new RegExp(`(?:type ([A-Z0-9]{6})[\\s\\S]*){${i + 1}}`));
    const code = [...screen.matchAll(/type ([A-Z0-9]{6})/g)].map((m) => m[1]!)[i]!;
    t.type(code.toLowerCase());
    t.enter();
  }
  return t.exitCode();
}

describe('a SHA-256 repository', { timeout: 240_000 }, () => {
  it('root commit, gated commit with approval, ordinary commit, ledger and range check', async () => {
    r.gitOk('init', '-q', '-b', 'main', '--object-format=sha256');
    r.gitOk('config', 'user.name', 'Test Human');
    r.gitOk('config', 'user.email', 'human@example.com');
    r.gitOk('config', 'commit.gpgsign', 'false');
    expect(r.gitOk('rev-parse', '--show-object-format')).toBe('sha256');
    const bin = join(r.home, 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(GATE_BIN, join(bin, 'gate'));
    r.env.PATH = `${bin}:${r.env.PATH ?? ''}`;
    expect(r.gate(['init']).code).toBe(0);

    // the root commit holds gated files (the config, the hooks): explained and approved
    r.gitOk('add', '-A');
    const blocked = r.git('commit', '-q', '-m', 'root');
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain('B_NO_SIDECAR');
    expect(blocked.stderr).toMatch(/explain-[0-9a-f]{64}\.yaml/);
    expect(r.gate(EXPLAIN).code).toBe(0);
    expect(await approve(2)).toBe(0); // DOUBLE_CONFIRM: two challenges
    const root = r.git('commit', '-q', '-m', 'root');
    expect(root.code, root.stderr).toBe(0);
    const rootId = r.gitOk('rev-parse', 'HEAD');
    expect(rootId).toMatch(/^[0-9a-f]{64}$/);
    expect(r.gitOk('notes', '--ref', 'agent-gates', 'list', rootId)).toMatch(/^[0-9a-f]{64}$/);

    // an ordinary commit: recorded deferred (pending/<64-hex id>), folded by the next ledger write
    r.write('src/a.txt', 'a\n');
    r.gitOk('add', 'src/a.txt');
    expect(r.git('commit', '-q', '-m', 'ordinary').code).toBe(0);
    const ordinary = r.gitOk('rev-parse', 'HEAD');
    const pending = join(r.commonDir(), 'agent-gates', 'pending');
    expect(readdirSync(pending)).toEqual([ordinary]);
    const v = r.gate(['audit', 'verify', '--json']);
    expect(v.code, v.stdout).toBe(0);
    expect(JSON.parse(v.stdout).folded).toBe(1);
    const ledger = r.read(join('.git', 'agent-gates', 'ledger.jsonl'));
    expect(ledger).toContain(`"commit":"${rootId}"`);
    expect(ledger).toContain(`"commit":"${ordinary}"`);
    expect(ledger).not.toContain('"pending-invalid"');

    // CI: the commits after the root, checked against their notes
    const range = r.gate(['check', '--range', `${rootId}..HEAD`, '--json']);
    expect(range.code, range.stdout + range.stderr).toBe(0);
    expect(r.gate(['doctor']).stderr).not.toMatch(/internal error/);
  });
});
