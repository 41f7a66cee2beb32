/**
 * Attack: approve a symbolic link once, then edit its target freely. `rules/style.md ->
 * ../notes/style.md` on a CONFIRM surface; notes/ is on no surface. Every gate refuses the link
 * itself: `gate explain`, the pre-commit, and `gate check --range` on a commit that skipped the
 * hooks. A target that names a folder and then `..` is refused too (the folder may be made a link
 * later, in a commit that touches nothing governed). A link that stays inside governed ground passes
 * as an ordinary gated change.
 */
import { describe, expect, it } from 'vitest';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo } from '../helpers/repo.js';

const CONFIG = `version: 1
surfaces:
  - name: rules
    paths: [rules/**]
    tier: CONFIRM
    self_reinforcing: false
`;
const EXPLAIN = ['explain', '--intent', 'share the style rule', '--alternative', 'copy the file', '--blast-radius', 'agents reading rules/', '--reversibility', 'revert', '--rollback', 'git revert'];

describe('a symbolic link on a surface pointing at ungoverned content', () => {
  const repo = makeRepo({
    files: { '.agents/gates.yaml': CONFIG, 'rules/a.md': '# A\n', 'notes/style.md': 'Use tabs.\n' },
    hooks: ['pre-commit', 'post-commit'],
  });
  const base = repo.gitOk('rev-parse', 'HEAD');

  it('is refused by gate explain, named in gate status, and blocked by the pre-commit', () => {
    symlinkSync('../notes/style.md', join(repo.dir, 'rules', 'style.md'));
    repo.gitOk('add', 'rules/style.md');
    const ex = repo.gate([...EXPLAIN, '--json']);
    expect(ex.code).toBe(1);
    expect(JSON.parse(ex.stdout).error.code).toBe('DENIED');
    expect(ex.stdout).toContain('notes/style.md');
    const st = JSON.parse(repo.gate(['status', '--json']).stdout);
    expect(st.findings.map((f: { code: string }) => f.code)).toContain('B_LINK_ESCAPE');
    const c = repo.git('commit', '-q', '-m', 'link a rule to notes');
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('B_LINK_ESCAPE');
  });

  it('a commit that skipped the hooks fails gate check --range with C_LINK_ESCAPE', () => {
    repo.gitOk('commit', '-q', '--no-verify', '-m', 'bypass');
    const r = repo.gate(['check', '--range', `${base}..HEAD`, '--json']);
    expect(r.code).toBe(1);
    const codes = JSON.parse(r.stdout).violations.map((v: { code: string }) => v.code);
    expect(codes).toContain('C_LINK_ESCAPE');
    repo.gitOk('reset', '-q', '--hard', base);
  });

  it("a target through a plain folder and back (`../tmp/../rules/a.md`) is refused too: the agent can later turn tmp/ into a link in an ungoverned commit", () => {
    symlinkSync('../tmp/../rules/a.md', join(repo.dir, 'rules', 'via.md'));
    repo.write('tmp/.keep', '');
    repo.gitOk('add', 'rules/via.md', 'tmp/.keep');
    const st = JSON.parse(repo.gate(['status', '--json']).stdout);
    expect(st.findings.map((f: { code: string }) => f.code)).toContain('B_LINK_ESCAPE');
    repo.gitOk('commit', '-q', '--no-verify', '-m', 'bypass via a plain folder');
    const r = repo.gate(['check', '--range', `${base}..HEAD`, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).violations.map((v: { code: string }) => v.code)).toContain('C_LINK_ESCAPE');
    repo.gitOk('reset', '-q', '--hard', base);
  });

  it('a link to a governed sibling is an ordinary gated change (explained, not refused)', () => {
    symlinkSync('a.md', join(repo.dir, 'rules', 'b.md'));
    repo.gitOk('add', 'rules/b.md');
    const ex = repo.gate([...EXPLAIN, '--json']);
    expect(ex.code).toBe(0);
    const st = JSON.parse(repo.gate(['status', '--json']).stdout);
    expect(st.findings.map((f: { code: string }) => f.code)).not.toContain('B_LINK_ESCAPE');
  });
});
