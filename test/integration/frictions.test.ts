/**
 * Issue 14's smaller frictions, each as a user meets it, through the CLI in one repository: a run
 * of the built binary for each exit code and output shape asserted, the other commands in process
 * (`gateIn`: the same argv, output and exit code without a node process).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATE_BIN, makeRepo, type TempRepo } from '../helpers/repo.js';

let repo: TempRepo;
const EXPLAIN = ['explain', '--intent', 'i', '--alternative', 'a', '--blast-radius', 'b', '--reversibility', 'r', '--rollback', 'x'];

beforeAll(() => {
  repo = makeRepo();
  repo.write('README.md', '# p\n');
  repo.write('handoff/progress.md', '# progress\n');
  repo.write('adr/0001-layout.md', '---\nnumber: 1\ntitle: Layout\nstatus: accepted\ndate: 2026-01-01\ndeciders: [a]\n---\n# Layout\n\nDecided.\n');
  repo.gitOk('add', '-A');
  repo.gitOk('commit', '-q', '-m', 'base');
  const p = join(repo.dir, '.git', 'hooks', 'pre-commit');
  writeFileSync(p, `#!/bin/sh\nexec "${process.execPath}" "${GATE_BIN}" check --hook pre-commit\n`);
  chmodSync(p, 0o755);
});
afterAll(() => repo.cleanup());
beforeEach(() => {
  repo.gitOk('reset', '-q', '--hard', 'HEAD');
});

describe('gate status names the explanation of THIS tree', () => {
  it('says "none" when its file does not exist, and names older ones as other trees', async () => {
    repo.write('rules/a.md', '# a\n');
    repo.gitOk('add', 'rules/a.md');
    expect(repo.gate(EXPLAIN).code).toBe(0);
    repo.write('rules/a.md', '# a, changed\n');
    repo.gitOk('add', 'rules/a.md');
    const text = (await repo.gateIn(['status'])).stdout;
    expect(text).toMatch(/explanation: none \(.*does not exist\)/);
    expect(text).toContain('older explanations of other staged trees');
    expect(text).not.toContain('explanation: stale');
    const json = JSON.parse(repo.gate(['status', '--json']).stdout);
    expect(json.sidecar.state).toBe('missing');
    expect(json.sidecar.others).toHaveLength(1);
    // gate check says the same thing
    expect(repo.gate(['check', '--hook', 'pre-commit', '--json']).stdout).toContain('B_SIDECAR_STALE');
  });
});

describe('an edit of an accepted ADR', () => {
  it('is not sent to `gate explain` (which cannot help) but to a superseding record', async () => {
    repo.write('adr/0001-layout.md', '---\nnumber: 1\ntitle: Layout\nstatus: accepted\ndate: 2026-01-01\ndeciders: [a]\n---\n# Layout\n\nDecided otherwise.\n');
    repo.gitOk('add', '-A');
    const r = JSON.parse((await repo.gateIn(['check', '--hook', 'pre-commit', '--json'])).stdout);
    const codes = r.findings.map((f: { code: string }) => f.code);
    expect(codes).toContain('ADR_IMMUTABLE');
    for (const f of r.findings.filter((x: { gate: string; severity: string }) => x.gate === 'B' && x.severity === 'block')) {
      expect(f.fix).not.toMatch(/^gate explain/);
      expect(f.fix).toContain('--supersedes 1');
    }
  });
});

describe('--owner only names yourself', () => {
  it("a session cannot release or renew another session's lease with --owner", async () => {
    expect((await repo.gateIn(['lock', 'acquire', 'handoff/progress.md'], { env: { GATE_SESSION: 'agent-1' } })).code).toBe(0);
    const rel = repo.gate(['lock', 'release', 'handoff/progress.md', '--owner', 'agent-1'], { env: { GATE_SESSION: 'agent-2' } });
    expect(rel.code).toBe(2);
    expect(rel.stderr).toContain('gate lock break');
    expect((await repo.gateIn(['lock', 'renew', 'handoff/progress.md', '--owner', 'agent-1'], { env: { GATE_SESSION: 'agent-2' } })).code).toBe(2);
    // the owner itself, with or without --owner, may
    expect((await repo.gateIn(['lock', 'release', 'handoff/progress.md', '--owner', 'agent-1'], { env: { GATE_SESSION: 'agent-1' } })).code).toBe(0);
  });
});

describe('day one: gate review and the shipped rules', () => {
  it('names no missing paths in the rule files `gate init` wrote', async () => {
    const fresh = makeRepo();
    try {
      expect((await fresh.gateIn(['init'])).code).toBe(0);
      fresh.gitOk('add', '-A');
      fresh.gitOk('commit', '-q', '--no-verify', '-m', 'adopt agent-gates');
      const r = JSON.parse((await fresh.gateIn(['review', '--json'])).stdout);
      expect(r.drift.danglingRefs).toEqual([]);
    } finally {
      fresh.cleanup();
    }
  });
});

describe('old explanations do not pile up', () => {
  it('gate explain removes those whose tree is committed and those abandoned past approval.max_age', async () => {
    repo.write('rules/b.md', '# b\n');
    repo.gitOk('add', 'rules/b.md');
    const first = JSON.parse((await repo.gateIn([...EXPLAIN, '--json'])).stdout);
    repo.gitOk('commit', '-q', '--no-verify', '-m', 'b (as if approved)');
    const old = join(repo.dir, '.agents/gate-b', `explain-${'a'.repeat(40)}.yaml`);
    writeFileSync(old, 'version: 1\n');
    utimesSync(old, new Date(Date.now() - 30 * 86_400_000), new Date(Date.now() - 30 * 86_400_000));
    const recent = join(repo.dir, '.agents/gate-b', `explain-${'b'.repeat(40)}.yaml`);
    writeFileSync(recent, 'version: 1\n');
    repo.write('rules/c.md', '# c\n');
    repo.gitOk('add', 'rules/c.md');
    const second = JSON.parse((await repo.gateIn([...EXPLAIN, '--json'])).stdout);
    expect(second.cleaned.sort()).toEqual([first.path, `.agents/gate-b/explain-${'a'.repeat(40)}.yaml`].sort());
    expect(existsSync(join(repo.dir, first.path))).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(existsSync(join(repo.dir, second.path))).toBe(true);
  });
});

describe('an explained file whose content changed before the commit', () => {
  it('names the file, the lint-staged step that may have rewritten it, and shows the difference', async () => {
    repo.write('package.json', '{"name":"p","private":true,"lint-staged":{"*.md":"prettier --write"}}\n');
    repo.write('rules/f.md', '# f\n');
    repo.gitOk('add', 'rules/f.md');
    expect((await repo.gateIn(EXPLAIN)).code).toBe(0);
    repo.write('rules/f.md', '# f\n\nmore\n');
    repo.gitOk('add', 'rules/f.md');
    const r = JSON.parse((await repo.gateIn(['check', '--hook', 'pre-commit', '--json'])).stdout);
    const stale = r.findings.find((f: { code: string }) => f.code === 'B_SIDECAR_STALE');
    expect(stale.message).toContain('rules/f.md changed after `gate explain`: the lint-staged task "*.md": prettier --write (package.json)');
    expect(stale.message).toContain('+more');
  });
});
