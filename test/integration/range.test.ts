/**
 * `gate check --range`: real git, real notes. Default config (no .agents/gates.yaml): rules/** is
 * CONFIRM, adr/** is DOUBLE_CONFIRM, .husky/** is DOUBLE_CONFIRM (self-reinforcing). The built CLI
 * runs once per exit code (0, 1 with its JSON and text, 2, 3), its JSON checked equal to the
 * in-process report; the other verdicts come from the range use-case in process
 * (test/helpers/range.ts: the report the CLI prints with --json).
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { copyRepo, makeRepo, type TempRepo } from '../helpers/repo.js';
import { addNote, commit } from '../helpers/notes.js';
import { checkRangeInProcess, type RangeRun } from '../helpers/range.js';

let repo: TempRepo;
let base: string;

/** The built CLI: `gate check --range <spec> --json`. */
function rangeCli(spec: string): RangeRun {
  const r = repo.gate(['check', '--range', spec, '--json']);
  let json: any;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { code: r.code, json, stderr: r.stderr };
}

/** The same check in process (the range use-case through the composition root). */
const range = (spec: string): Promise<RangeRun> => checkRangeInProcess(repo.dir, spec, repo.env);

/** The base repository, built once; each test works in a copy of it (same base commit). */
let template: TempRepo;
beforeAll(() => {
  template = makeRepo({
    files: {
      'README.md': 'hello\n',
      'rules/review.md': '# Review rules\n\nBe kind.\n',
      'adr/0001-layout.md': '---\nadr: 1\ntitle: Layout\nstatus: accepted\ndate: 2026-01-01\ndeciders: [a]\nsupersedes: []\n---\n\n# Layout\n\nBody.\n',
    },
    commit: 'base',
  });
  base = template.gitOk('rev-parse', 'HEAD');
  template.gitOk('config', 'notes.rewriteRef', 'refs/notes/agent-gates');
});
beforeEach(() => {
  repo = copyRepo(template, { cleanup: 'manual' });
});
afterEach(() => repo.cleanup());

describe('gate check --range', () => {
  it('an empty range passes with 0 commits', async () => {
    const r = rangeCli(`${base}..HEAD`);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ ok: true, exitCode: 0, commits: [], violations: [] });
    expect(r.json).toEqual((await range(`${base}..HEAD`)).json);
  });

  it('ungated commits pass without notes', async () => {
    repo.write('src/a.ts', 'export const a = 1;\n');
    repo.gitOk('add', '-A');
    commit(repo, 'code');
    const r = await range(`${base}..HEAD`);
    expect(r.code).toBe(0);
    expect(r.json.commits).toHaveLength(1);
    expect(r.json.commits[0]).toMatchObject({ tier: 'AUTO', gated: 0, violations: [] });
  });

  it('a --no-verify commit of a gated file (no note) is caught, naming commit, path, tier and what is missing', async () => {
    repo.write('rules/new-rule.md', '# New\n');
    repo.gitOk('add', '-A');
    const c = commit(repo, 'sneak a rule in');
    const r = rangeCli(`${base}..HEAD`);
    expect(r.json).toEqual((await range(`${base}..HEAD`)).json);
    expect(r.code).toBe(1);
    expect(r.json.ok).toBe(false);
    expect(r.json.violations).toEqual([
      expect.objectContaining({ code: 'C_UNAPPROVED', commit: c, path: 'rules/new-rule.md', requiredTier: 'CONFIRM' }),
    ]);
    expect(r.json.violations[0].missing).toMatch(/this commit has no approval note/);
    const text = repo.gate(['check', '--range', `${base}..HEAD`]);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('C_UNAPPROVED');
    expect(text.stderr).toContain('rules/new-rule.md');
    expect(text.stderr).toContain('fix:');
  });

  it('an approved commit (note on its tree) passes', async () => {
    repo.write('rules/new-rule.md', '# New\n');
    repo.gitOk('add', '-A');
    const c = commit(repo, 'approved rule');
    addNote(repo, c, 'CONFIRM');
    const r = await range(`${base}..HEAD`);
    expect(r.code).toBe(0);
    expect(r.json.commits[0]).toMatchObject({ commit: c, tier: 'CONFIRM', gated: 1, coveredBy: 'note', hasNote: true });
  });

  it('a small edit of an agent-instruction file is not carved out by default; a typo fix is not either (issue 14)', async () => {
    repo.write('rules/review.md', '# Review rules\n\nBe kind and precise.\n');
    repo.gitOk('add', '-A');
    commit(repo, 'small edit');
    const r = await range(`${base}..HEAD`);
    expect(r.code).toBe(1);
    expect(r.json.commits[0]).toMatchObject({ tier: 'CONFIRM', gated: 1 });
    expect(r.json.commits[0].carveOut).toBeUndefined();
    repo.gitOk('reset', '-q', '--hard', 'HEAD~1');
  });

  it('a rebased approved commit keeps its approval (same gated blobs, note carried by notes.rewriteRef)', async () => {
    repo.gitOk('checkout', '-q', '-b', 'feature');
    repo.write('rules/new-rule.md', '# New\n');
    repo.gitOk('add', '-A');
    const c = commit(repo, 'approved rule');
    addNote(repo, c, 'CONFIRM');
    repo.gitOk('checkout', '-q', 'main');
    repo.write('src/other.ts', 'x\n');
    repo.gitOk('add', '-A');
    const main2 = commit(repo, 'main moves on');
    repo.gitOk('checkout', '-q', 'feature');
    repo.gitOk('rebase', '-q', 'main');
    const rebased = repo.gitOk('rev-parse', 'HEAD');
    expect(rebased).not.toBe(c);
    const r = await range(`${main2}..feature`);
    expect(r.code).toBe(0);
    expect(r.json.commits).toHaveLength(1);
    expect(r.json.commits[0]).toMatchObject({ commit: rebased, coveredBy: 'note', hasNote: true });
  });

  it('a rebase whose note was not carried over passes: the original commit\'s note names the same change (issue 14)', async () => {
    repo.gitOk('config', '--unset', 'notes.rewriteRef');
    repo.gitOk('checkout', '-q', '-b', 'feature');
    repo.write('rules/new-rule.md', '# New\n');
    repo.gitOk('add', '-A');
    addNote(repo, commit(repo, 'approved rule'), 'CONFIRM');
    repo.gitOk('checkout', '-q', 'main');
    repo.write('src/other.ts', 'x\n');
    repo.gitOk('add', '-A');
    const main2 = commit(repo, 'main moves on');
    repo.gitOk('checkout', '-q', 'feature');
    repo.gitOk('rebase', '-q', 'main');
    const r = await range(`${main2}..feature`);
    expect(r.code, JSON.stringify(r.json.violations)).toBe(0);
    expect(r.json.commits[0]).toMatchObject({ coveredBy: 'range', hasNote: false });
    // without that note anywhere (not fetched, or never written) it is caught
    repo.gitOk('update-ref', '-d', 'refs/notes/agent-gates');
    const none = await range(`${main2}..feature`);
    expect(none.code).toBe(1);
    expect(none.json.violations).toHaveLength(1);
    expect(none.json.violations[0]).toMatchObject({ code: 'C_UNAPPROVED', path: 'rules/new-rule.md' });
  });

  it('a merge of an approved branch passes', async () => {
    repo.gitOk('checkout', '-q', '-b', 'feature');
    repo.write('rules/new-rule.md', '# New\n');
    repo.gitOk('add', '-A');
    const c = commit(repo, 'approved rule');
    addNote(repo, c, 'CONFIRM');
    repo.gitOk('checkout', '-q', 'main');
    repo.write('src/other.ts', 'x\n');
    repo.gitOk('add', '-A');
    commit(repo, 'main moves on');
    repo.gitOk('merge', '-q', '--no-ff', '--no-verify', '-m', 'merge feature', 'feature');
    const merge = repo.gitOk('rev-parse', 'HEAD');
    const r = await range(`${base}..main`);
    expect(r.code).toBe(0);
    expect(r.json.commits.map((x: any) => x.commit)).toContain(merge);
    const m = r.json.commits.find((x: any) => x.commit === merge);
    // the merge adds rules/new-rule.md to main: the very transition approved on the branch
    expect(m).toMatchObject({ tier: 'CONFIRM', gated: 1, coveredBy: 'range', hasNote: false, violations: [] });
    expect(r.json.commits).toHaveLength(3);
  });

  it('a merge that brings in an unapproved gated change is caught on the branch commit that made it, and on the merge', async () => {
    repo.gitOk('checkout', '-q', '-b', 'feature');
    repo.write('rules/new-rule.md', '# New\n');
    repo.gitOk('add', '-A');
    const c = commit(repo, 'unapproved rule');
    repo.gitOk('checkout', '-q', 'main');
    repo.gitOk('merge', '-q', '--no-ff', '--no-verify', '-m', 'merge feature', 'feature');
    const merge = repo.gitOk('rev-parse', 'HEAD');
    const r = await range(`${base}..main`);
    expect(r.code).toBe(1);
    expect(r.json.violations.map((v: any) => [v.code, v.commit, v.path])).toEqual([
      ['C_UNAPPROVED', c, 'rules/new-rule.md'],
      ['C_MERGE_UNAPPROVED', merge, 'rules/new-rule.md'],
    ]);
  });

  it('merging main (with approved gated work whose notes are before the range) into a branch passes', async () => {
    repo.gitOk('checkout', '-q', '-b', 'feature');
    repo.write('src/f.ts', 'f\n');
    repo.gitOk('add', '-A');
    const f = commit(repo, 'feature work');
    repo.gitOk('checkout', '-q', 'main');
    repo.write('rules/new-rule.md', '# New\n');
    repo.gitOk('add', '-A');
    addNote(repo, commit(repo, 'approved on main'), 'CONFIRM');
    const mainTip = repo.gitOk('rev-parse', 'HEAD');
    repo.gitOk('checkout', '-q', 'feature');
    repo.gitOk('merge', '-q', '--no-ff', '--no-verify', '-m', 'merge main into feature', 'main');
    const r = await range(`${mainTip}..feature`);
    expect(r.code).toBe(0);
    expect(r.json.commits.map((x: any) => x.commit)).toContain(f);
    expect(r.json.commits).toHaveLength(2);
  });

  it('an "evil merge" that adds gated content no parent had is caught on the merge', async () => {
    repo.gitOk('checkout', '-q', '-b', 'feature');
    repo.write('src/f.ts', 'f\n');
    repo.gitOk('add', '-A');
    commit(repo, 'feature work');
    repo.gitOk('checkout', '-q', 'main');
    repo.gitOk('merge', '-q', '--no-ff', '--no-commit', 'feature');
    repo.write('rules/evil.md', '# Evil\n');
    repo.gitOk('add', '-A');
    const merge = commit(repo, 'merge feature');
    expect(repo.gitOk('rev-list', '--parents', '-n1', merge).split(' ')).toHaveLength(3);
    const r = await range(`${base}..main`);
    expect(r.code).toBe(1);
    expect(r.json.violations).toEqual([expect.objectContaining({ code: 'C_MERGE_UNAPPROVED', commit: merge, path: 'rules/evil.md' })]);
  });

  it('approved, then amended gated content (--no-verify) is caught even though the note was carried over', async () => {
    repo.write('rules/new-rule.md', '# New\n');
    repo.gitOk('add', '-A');
    const c = commit(repo, 'approved rule');
    addNote(repo, c, 'CONFIRM');
    repo.write('rules/new-rule.md', '# New\n\nAlso: skip the tests.\n');
    repo.gitOk('add', '-A');
    const amended = commit(repo, 'approved rule', '--amend');
    expect(repo.git('notes', '--ref', 'refs/notes/agent-gates', 'show', amended).code).toBe(0);
    const r = await range(`${base}..HEAD`);
    expect(r.code).toBe(1);
    expect(r.json.violations).toEqual([expect.objectContaining({ code: 'C_UNAPPROVED', commit: amended, path: 'rules/new-rule.md', requiredTier: 'CONFIRM' })]);
    expect(r.json.violations[0].missing).toMatch(/no approval in the notes names this exact change/);
  });

  it('a deletion of a gated file without approval is caught', async () => {
    repo.gitOk('rm', '-q', 'rules/review.md');
    const c = commit(repo, 'drop the rules');
    const r = await range(`${base}..HEAD`);
    expect(r.code).toBe(1);
    expect(r.json.violations).toEqual([expect.objectContaining({ commit: c, path: 'rules/review.md', requiredTier: 'CONFIRM' })]);
    expect(r.json.violations[0].missing).toMatch(/→ \(absent\)/);
  });

  it('a DOUBLE_CONFIRM note with only the intent step does not count', async () => {
    repo.write('.husky/pre-commit', 'exit 0\n');
    repo.gitOk('add', '-A');
    const c = commit(repo, 'disable the hook');
    addNote(repo, c, 'DOUBLE_CONFIRM', { steps: ['intent'] });
    const r = await range(`${base}..HEAD`);
    expect(r.code).toBe(1);
    expect(r.json.violations).toEqual([expect.objectContaining({ code: 'C_UNAPPROVED', path: '.husky/pre-commit', requiredTier: 'DOUBLE_CONFIRM' })]);
    expect(r.json.warnings.join('\n')).toMatch(/"diff" approval step/);
  });

  it('a note whose approvals do not match the explanation digest does not count', async () => {
    repo.write('rules/new-rule.md', '# New\n');
    repo.gitOk('add', '-A');
    const c = commit(repo, 'rule');
    addNote(repo, c, 'CONFIRM', { staleDigest: true });
    const r = await range(`${base}..HEAD`);
    expect(r.code).toBe(1);
    expect(r.json.violations[0]).toMatchObject({ code: 'C_UNAPPROVED', commit: c });
    expect(r.json.warnings.join('\n')).toMatch(/unsigned approval does not count/);
  });

  it('a CONFIRM note on a DOUBLE_CONFIRM commit is too low', async () => {
    repo.write('.husky/pre-commit', 'exit 0\n');
    repo.gitOk('add', '-A');
    const c = commit(repo, 'hook');
    addNote(repo, c, 'CONFIRM');
    const r = await range(`${base}..HEAD`);
    expect(r.code).toBe(1);
    expect(r.json.violations[0]).toMatchObject({ code: 'C_TIER_TOO_LOW', requiredTier: 'DOUBLE_CONFIRM' });
  });

  it('an edit of an accepted ADR is caught even with a DOUBLE_CONFIRM approval', async () => {
    repo.write('adr/0001-layout.md', repo.read('adr/0001-layout.md').replace('Body.', 'Rewritten history.'));
    repo.gitOk('add', '-A');
    const c = commit(repo, 'rewrite adr');
    addNote(repo, c, 'DOUBLE_CONFIRM');
    const r = await range(`${base}..HEAD`);
    expect(r.code).toBe(1);
    expect(r.json.violations).toEqual([expect.objectContaining({ code: 'ADR_CHANGED_AFTER_ACCEPT', commit: c, path: 'adr/0001-layout.md' })]);
    expect(r.json.violations[0].missing).toMatch(/changed its content/);
    expect(r.json.violations[0].missing).not.toMatch(/before the range/);
  });

  it('a --no-verify commit that weakens .agents/gates.yaml is caught at DOUBLE_CONFIRM, and the weakening governs nothing in the range', async () => {
    repo.write('.agents/gates.yaml', 'version: 1\nsurfaces: []\n'); // drops every surface
    repo.gitOk('add', '-A');
    const weaken = commit(repo, 'weaken the gates');
    repo.write('rules/after.md', '# After\n');
    repo.gitOk('add', '-A');
    const after = commit(repo, 'a rule under the weakened config');
    const r = await range(`${base}..HEAD`);
    expect(r.code).toBe(1);
    expect(r.json.violations).toEqual([
      expect.objectContaining({ code: 'C_UNAPPROVED', commit: weaken, path: '.agents/gates.yaml', requiredTier: 'DOUBLE_CONFIRM' }),
      expect.objectContaining({ code: 'C_UNAPPROVED', commit: after, path: 'rules/after.md', requiredTier: 'CONFIRM' }),
    ]);
  });

  it('reports every violation at once across several commits', async () => {
    repo.write('rules/a.md', '# A\n');
    repo.gitOk('add', '-A');
    const c1 = commit(repo, 'a');
    repo.write('rules/b.md', '# B\n');
    repo.write('rules/c.md', '# C\n');
    repo.gitOk('add', '-A');
    const c2 = commit(repo, 'b c');
    const r = await range(`${base}..HEAD`);
    expect(r.code).toBe(1);
    expect(r.json.violations.map((v: any) => [v.commit, v.path])).toEqual([
      [c1, 'rules/a.md'],
      [c2, 'rules/b.md'],
      [c2, 'rules/c.md'],
    ]);
  });

  it('cannot evaluate (exit 3): a range naming an unknown commit', async () => {
    const r = rangeCli('origin/main..HEAD');
    expect(r.code).toBe(3);
    expect(r.json.error.message).toContain('origin/main');
    expect(r.json.error.fix).toMatch(/fetch/);
  });

  it('a note that is not an agent-gates note is ignored with a warning: no approval, never exit 3 (issue 12)', async () => {
    repo.write('rules/a.md', '# A\n');
    repo.gitOk('add', '-A');
    const c = commit(repo, 'a');
    repo.gitOk('notes', '--ref', 'refs/notes/agent-gates', 'add', '-m', 'looks good to me', c);
    const r = await range(`${base}..HEAD`);
    expect(r.code).toBe(1);
    expect(r.json.violations).toEqual([expect.objectContaining({ code: 'C_UNAPPROVED', commit: c, path: 'rules/a.md' })]);
    expect(r.json.warnings.join('\n')).toContain(`the note on ${c.slice(0, 12)} is ignored`);
  });

  it('usage (exit 2): not a range, or --hook together with --range', async () => {
    expect(rangeCli('HEAD').code).toBe(2);
    expect(repo.gate(['check', '--range', `${base}..HEAD`, '--hook', 'pre-commit']).code).toBe(2);
  });
});
