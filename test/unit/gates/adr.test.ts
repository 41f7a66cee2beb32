import { describe, expect, it } from 'vitest';
import {
  adrFileName,
  canTransition,
  checkRecords,
  clashFinding,
  deriveStatuses,
  historyFindings,
  isAdrPath,
  isFinal,
  nextNumber,
  numberClashes,
  numberFromPath,
  preCommitFindings,
  slugify,
  supersedeCycles,
  touchesAdrs,
  type AdrDoc,
  type AdrVersion,
} from '../../../src/gates/adr.js';
import type { AdrMeta, AdrStatus } from '../../../src/schema/adr/schema.js';
import type { FileChange } from '../../../src/kernel/changes.js';

const meta = (adr: number, status: AdrStatus, supersedes: number[] = [], over: Partial<AdrMeta> = {}): AdrMeta => ({
  adr,
  title: `Record ${adr}`,
  status,
  date: '2026-01-01',
  deciders: ['Ada'],
  supersedes,
  ...over,
});
const doc = (path: string, m: AdrMeta): AdrDoc => ({ path, parse: { ok: true, meta: m } });
const p = (n: number) => `adr/${String(n).padStart(4, '0')}-record-${n}.md`;
const d = (n: number, status: AdrStatus, supersedes: number[] = [], over: Partial<AdrMeta> = {}) => doc(p(n), meta(n, status, supersedes, over));
const codes = (fs: { code: string }[]) => fs.map((f) => f.code).sort();

const Z = '0'.repeat(40);
const blob = (c: string) => c.repeat(40).slice(0, 40);
function change(status: FileChange['status'], path: string, over: Partial<FileChange> = {}): FileChange {
  return { status, path, oldMode: status === 'A' ? '000000' : '100644', newMode: status === 'D' ? '000000' : '100644', oldBlob: status === 'A' ? Z : blob('a'), newBlob: status === 'D' ? Z : blob('b'), ...over };
}

describe('lifecycle', () => {
  it.each([
    [undefined, 'proposed', true],
    [undefined, 'accepted', true],
    [undefined, 'rejected', true],
    ['proposed', 'proposed', true],
    ['proposed', 'accepted', true],
    ['proposed', 'rejected', true],
    ['accepted', 'accepted', false],
    ['accepted', 'proposed', false],
    ['accepted', 'rejected', false],
    ['rejected', 'rejected', false],
    ['rejected', 'proposed', false],
    ['rejected', 'accepted', false],
  ] as const)('%s → %s allowed: %s', (from, to, ok) => {
    expect(canTransition(from, to)).toBe(ok);
  });

  it.each([
    ['proposed', false],
    ['accepted', true],
    ['rejected', true],
    [undefined, false],
    ['weird', false],
  ] as const)('isFinal(%s) = %s', (s, want) => {
    expect(isFinal(s)).toBe(want);
  });
});

describe('derived statuses', () => {
  const cases: Array<[string, AdrMeta[], string[]]> = [
    ['lone records keep their status', [meta(1, 'accepted'), meta(2, 'proposed'), meta(3, 'rejected')], ['accepted', 'proposed', 'rejected']],
    ['an accepted superseder supersedes', [meta(1, 'accepted'), meta(2, 'accepted', [1])], ['superseded by 2', 'accepted']],
    ['a proposed superseder changes nothing yet', [meta(1, 'accepted'), meta(2, 'proposed', [1])], ['accepted', 'proposed']],
    ['a rejected superseder changes nothing', [meta(1, 'accepted'), meta(2, 'rejected', [1])], ['accepted', 'rejected']],
    ['two superseders are both listed', [meta(1, 'accepted'), meta(2, 'accepted', [1]), meta(3, 'accepted', [1])], ['superseded by 2, 3', 'accepted', 'accepted']],
    ['chains: each superseded by the next', [meta(1, 'accepted'), meta(2, 'accepted', [1]), meta(3, 'accepted', [2])], ['superseded by 2', 'superseded by 3', 'accepted']],
    ['one record superseding two', [meta(1, 'accepted'), meta(2, 'accepted'), meta(3, 'accepted', [1, 2])], ['superseded by 3', 'superseded by 3', 'accepted']],
    ['superseding a proposed record does not make it superseded', [meta(1, 'proposed'), meta(2, 'accepted', [1])], ['proposed', 'accepted']],
    ['self-reference is ignored', [meta(1, 'accepted', [1])], ['accepted']],
    ['a missing target is ignored', [meta(2, 'accepted', [9])], ['accepted']],
  ];
  it.each(cases)('%s', (_name, metas, labels) => {
    expect(deriveStatuses(metas).map((s) => s.label)).toEqual(labels);
  });

  it('effective and supersededBy fields', () => {
    const [a, b] = deriveStatuses([meta(1, 'accepted'), meta(5, 'accepted', [1])]);
    expect(a).toEqual({ status: 'accepted', effective: 'superseded', supersededBy: [5], label: 'superseded by 5' });
    expect(b!.effective).toBe('accepted');
  });
});

describe('naming and numbering', () => {
  it.each([
    ['Use a hash-chained ledger', 'use-a-hash-chained-ledger'],
    ['  Layering & package   layout!  ', 'layering-package-layout'],
    ['Café über naïve', 'cafe-uber-naive'],
    ['日本語', 'record'],
    ['A'.repeat(80), 'a'.repeat(60)],
    ['one two three four five six seven eight nine ten eleven twelve thirteen', 'one-two-three-four-five-six-seven-eight-nine-ten-eleven'],
  ])('slugify(%j) = %j', (title, slug) => {
    expect(slugify(title)).toBe(slug);
  });

  it('file names are NNNN-slug.md', () => {
    expect(adrFileName(7, 'Git adapter on child_process')).toBe('0007-git-adapter-on-child-process.md');
    expect(adrFileName(12345, 'x')).toBe('12345-x.md');
  });

  it.each([
    [[], 1],
    [[1, 2, 3], 4],
    [[1, 7], 8],
    [[5, 5, 2], 6],
  ])('nextNumber(%j) = %i (gaps are not reused)', (taken, n) => {
    expect(nextNumber(taken)).toBe(n);
  });

  it.each([
    ['adr/0001-x.md', 'adr', true],
    ['adr/README.md', 'adr', false],
    ['adr/template.md', 'adr', false],
    ['adr/sub/0001-x.md', 'adr', false],
    ['adr/0001-x.txt', 'adr', false],
    ['adr/1-bad.md', 'adr', true],
    ['docs/adr/0001-x.md', 'docs/adr/', true],
    ['adrx/0001-x.md', 'adr', false],
    ['0001-x.md', '.', true],
  ])('isAdrPath(%s, %s) = %s', (path, dir, want) => {
    expect(isAdrPath(path, dir)).toBe(want);
  });

  it('numberFromPath reads the leading digits', () => {
    expect(numberFromPath('adr/0042-x.md')).toBe(42);
    expect(numberFromPath('adr/x.md')).toBeUndefined();
  });
});

describe('checkRecords', () => {
  const cases: Array<[string, AdrDoc[], string[]]> = [
    ['a clean set passes', [d(1, 'accepted'), d(2, 'accepted', [1]), d(3, 'proposed', [2])], []],
    ['duplicate numbers: both files are named', [d(1, 'accepted'), doc('adr/0001-other.md', meta(1, 'proposed'))], ['ADR_DUPLICATE_NUMBER', 'ADR_DUPLICATE_NUMBER']],
    ['supersedes a missing record', [d(2, 'proposed', [9])], ['ADR_SUPERSEDES_MISSING']],
    ['supersedes a proposed record', [d(1, 'proposed'), d(2, 'proposed', [1])], ['ADR_SUPERSEDES_NOT_ACCEPTED']],
    ['supersedes a rejected record', [d(1, 'rejected'), d(2, 'proposed', [1])], ['ADR_SUPERSEDES_NOT_ACCEPTED']],
    ['supersedes itself', [d(1, 'accepted', [1])], ['ADR_SUPERSEDES_CYCLE']],
    ['a two-record cycle names both records', [d(1, 'accepted', [2]), d(2, 'accepted', [1])], ['ADR_SUPERSEDES_CYCLE', 'ADR_SUPERSEDES_CYCLE']],
    ['a three-record cycle', [d(1, 'accepted', [3]), d(2, 'accepted', [1]), d(3, 'accepted', [2])], ['ADR_SUPERSEDES_CYCLE', 'ADR_SUPERSEDES_CYCLE', 'ADR_SUPERSEDES_CYCLE']],
    ['a bad file name', [doc('adr/7-Bad_Name.md', meta(7, 'proposed'))], ['ADR_BAD_NAME']],
    ['file number and front matter disagree', [doc('adr/0003-x.md', meta(4, 'proposed'))], ['ADR_NUMBER_MISMATCH']],
    ['accepted without deciders', [d(1, 'accepted', [], { deciders: [] })], ['ADR_NO_DECIDERS']],
    ['proposed without deciders is fine', [d(1, 'proposed', [], { deciders: [] })], []],
    [
      'invalid front matter: one finding per field',
      [{ path: 'adr/0001-x.md', parse: { ok: false, problems: [{ field: 'status', message: 'x' }, { field: 'date', message: 'y' }] } }],
      ['ADR_FRONT_MATTER', 'ADR_FRONT_MATTER'],
    ],
    [
      'an invalid record still takes part in duplicate detection by file name',
      [d(1, 'accepted'), { path: 'adr/0001-y.md', parse: { ok: false, problems: [{ field: 'title', message: 'x' }] } }],
      ['ADR_DUPLICATE_NUMBER', 'ADR_DUPLICATE_NUMBER', 'ADR_FRONT_MATTER'],
    ],
  ];
  it.each(cases)('%s', (_name, docs, want) => {
    expect(codes(checkRecords(docs))).toEqual(want.sort());
  });

  it('front-matter findings name the field and block', () => {
    const [f] = checkRecords([{ path: 'adr/0001-x.md', parse: { ok: false, problems: [{ field: 'status', message: 'expected one of proposed, accepted, rejected' }] } }]);
    expect(f).toMatchObject({ severity: 'block', path: 'adr/0001-x.md', data: { field: 'status' } });
    expect(f!.message).toContain('"status"');
    expect(f!.fix).toBeTruthy();
  });

  it('supersede cycles are reported once each', () => {
    expect(supersedeCycles([meta(1, 'accepted', [2]), meta(2, 'accepted', [1]), meta(3, 'accepted', [3])])).toEqual([[1, 2], [3]]);
    expect(supersedeCycles([meta(1, 'accepted'), meta(2, 'accepted', [1]), meta(3, 'accepted', [1, 2])])).toEqual([]);
  });
});

describe('preCommitFindings', () => {
  const staged = [d(1, 'accepted'), d(2, 'proposed')];
  const head = new Map<string, string | undefined>([
    [p(1), 'accepted'],
    [p(2), 'proposed'],
    [p(3), 'rejected'],
  ]);
  const run = (changes: FileChange[], over: Partial<Parameters<typeof preCommitFindings>[0]> = {}) =>
    preCommitFindings({ dir: 'adr', changes, headStatus: head, staged, ...over });

  it.each([
    ['modify an accepted record', [change('M', p(1))], ['ADR_IMMUTABLE']],
    ['delete an accepted record', [change('D', p(1))], ['ADR_IMMUTABLE']],
    ['rename an accepted record', [change('R', 'adr/0009-moved.md', { oldPath: p(1), oldBlob: blob('a'), newBlob: blob('a') })], ['ADR_IMMUTABLE']],
    ['rename an accepted record out of the directory', [change('R', 'old/0001.md', { oldPath: p(1) })], ['ADR_IMMUTABLE']],
    ['change the mode of an accepted record', [change('M', p(1), { newBlob: blob('a'), newMode: '100755' })], ['ADR_IMMUTABLE']],
    ['type change of an accepted record', [change('T', p(1), { newMode: '120000' })], ['ADR_IMMUTABLE']],
    ['modify a rejected record', [change('M', p(3))], ['ADR_IMMUTABLE']],
    ['modify a proposed record', [change('M', p(2))], []],
    ['delete a proposed record', [change('D', p(2))], []],
    ['a commit elsewhere', [change('M', 'src/x.ts')], []],
    ['adr/README.md is not a record', [change('M', 'adr/README.md')], []],
  ] as const)('%s', (_n, changes, want) => {
    expect(codes(run([...changes]))).toEqual([...want]);
  });

  it('ADR_IMMUTABLE says why and gives the supersede command', () => {
    const [f] = run([change('M', p(1))]);
    expect(f!.severity).toBe('block');
    expect(f!.message).toContain('accepted');
    expect(f!.fix).toContain('gate adr new "<title of the new decision>" --supersedes 1');
    expect(f!.fix).toContain(`git restore --staged --worktree --source=HEAD -- '${p(1)}'`);
    const [r] = run([change('R', 'adr/0009-moved.md', { oldPath: p(1) })]);
    expect(r!.fix).toContain(`git mv -- 'adr/0009-moved.md' '${p(1)}'`);
  });

  it('an unknown HEAD status (unreadable) is not treated as final, but the staged record is still checked', () => {
    const f = preCommitFindings({
      dir: 'adr',
      changes: [change('M', p(4))],
      headStatus: new Map([[p(4), undefined]]),
      staged: [{ path: p(4), parse: { ok: false, problems: [{ field: 'adr', message: 'missing' }] } }],
    });
    expect(codes(f)).toEqual(['ADR_FRONT_MATTER']);
  });

  it('restoring the first accepted version is allowed (a note, not a block)', () => {
    const first = new Map([[p(1), { blob: blob('c'), mode: '100644', commit: 'f'.repeat(40) }]]);
    expect(codes(run([change('M', p(1), { newBlob: blob('c') })], { firstAccepted: first }))).toEqual(['ADR_RESTORED']);
    expect(run([change('M', p(1), { newBlob: blob('c') })], { firstAccepted: first })[0]!.severity).toBe('info');
    expect(codes(run([change('M', p(1), { newBlob: blob('d') })], { firstAccepted: first }))).toEqual(['ADR_IMMUTABLE']);
    expect(codes(run([change('M', p(1), { newBlob: blob('c'), newMode: '100755' })], { firstAccepted: first }))).toEqual(['ADR_IMMUTABLE']);
  });

  it('record rules apply only to records the commit adds or changes', () => {
    const bad = { path: p(5), parse: { ok: false as const, problems: [{ field: 'status', message: 'x' }] } };
    const dupA = d(6, 'proposed');
    const dupB = doc('adr/0006-other.md', meta(6, 'proposed'));
    const stagedSet = [...staged, bad, dupA, dupB];
    expect(codes(run([change('A', 'adr/0006-other.md')], { staged: stagedSet }))).toEqual(['ADR_DUPLICATE_NUMBER']);
    expect(run([change('A', 'adr/0006-other.md')], { staged: stagedSet })[0]!.path).toBe('adr/0006-other.md');
    expect(codes(run([change('M', p(5))], { staged: stagedSet, headStatus: new Map([[p(5), 'proposed']]) }))).toEqual(['ADR_FRONT_MATTER']);
    expect(codes(run([change('M', 'src/x.ts')], { staged: stagedSet }))).toEqual([]);
  });

  it('a new record may not supersede a proposed one', () => {
    const f = run([change('A', p(7))], { staged: [...staged, d(7, 'proposed', [2])] });
    expect(codes(f)).toEqual(['ADR_SUPERSEDES_NOT_ACCEPTED']);
  });

  it('a new record that supersedes an accepted one passes', () => {
    expect(run([change('A', p(7))], { staged: [...staged, d(7, 'proposed', [1])] })).toEqual([]);
  });

  it('accepting (proposed → accepted) passes', () => {
    expect(run([change('M', p(2))], { staged: [d(1, 'accepted'), d(2, 'accepted')] })).toEqual([]);
  });

  it('number clashes with other branches warn on the added record', () => {
    const clashes = [{ number: 7, files: [{ path: p(7), where: ['this commit'] }, { path: 'adr/0007-else.md', where: ['branch x'] }] }];
    const f = run([change('A', p(7))], { staged: [...staged, d(7, 'proposed')], clashes });
    expect(f.map((x) => [x.code, x.severity])).toEqual([['ADR_NUMBER_CLASH', 'warn']]);
    expect(run([change('M', p(2))], { clashes })).toEqual([]);
  });

  it('touchesAdrs sees renames out of the ADR directory', () => {
    expect(touchesAdrs([change('R', 'elsewhere.md', { oldPath: p(1) })], 'adr')).toBe(true);
    expect(touchesAdrs([change('M', 'src/a.ts')], 'adr')).toBe(false);
  });
});

describe('historyFindings', () => {
  const C = (n: number) => String(n).repeat(40).slice(0, 40);
  const v = (commit: number, b: string | undefined, status: string | undefined, mode = '100644'): AdrVersion => ({ commit: C(commit), blob: b, mode, status });
  const path = p(3);

  it.each([
    ['never accepted: nothing to protect', [v(1, blob('a'), 'proposed'), v(2, blob('b'), 'proposed')], undefined, []],
    ['accepted and unchanged', [v(1, blob('a'), 'proposed'), v(2, blob('b'), 'accepted')], { blob: blob('b'), mode: '100644' }, []],
    ['edited after acceptance', [v(1, blob('b'), 'accepted'), v(2, blob('c'), 'accepted')], undefined, ['ADR_CHANGED_AFTER_ACCEPT']],
    ['status flipped back to proposed after acceptance', [v(1, blob('b'), 'accepted'), v(2, blob('c'), 'proposed')], undefined, ['ADR_CHANGED_AFTER_ACCEPT']],
    ['deleted after acceptance', [v(1, blob('b'), 'accepted'), v(2, undefined, undefined)], undefined, ['ADR_DELETED_AFTER_ACCEPT']],
    ['mode changed after acceptance', [v(1, blob('b'), 'accepted'), v(2, blob('b'), 'accepted', '100755')], undefined, ['ADR_CHANGED_AFTER_ACCEPT']],
    ['edited then restored: a warning', [v(1, blob('b'), 'accepted'), v(2, blob('c'), 'accepted'), v(3, blob('b'), 'accepted')], undefined, ['ADR_HISTORY_EDITED']],
    ['rejected records are protected too', [v(1, blob('b'), 'rejected'), v(2, blob('c'), 'rejected')], undefined, ['ADR_CHANGED_AFTER_ACCEPT']],
    ['uncommitted working-tree edit', [v(1, blob('b'), 'accepted')], { blob: blob('z'), mode: '100644' }, ['ADR_WORKTREE_MODIFIED']],
    ['working tree file missing', [v(1, blob('b'), 'accepted')], { blob: undefined }, ['ADR_WORKTREE_MODIFIED']],
    ['working tree mode unknown (core.fileMode=false)', [v(1, blob('b'), 'accepted')], { blob: blob('b') }, []],
  ] as const)('%s', (_n, versions, wt, want) => {
    expect(codes(historyFindings(path, [...versions], wt))).toEqual([...want]);
  });

  it('names the first commit that changed it after acceptance, and the accepting commit', () => {
    const f = historyFindings(path, [v(1, blob('a'), 'proposed'), v(2, blob('b'), 'accepted'), v(3, blob('c'), 'accepted'), v(4, blob('d'), 'accepted')]);
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain(C(3).slice(0, 12));
    expect(f[0]!.message).toContain(C(2).slice(0, 12));
    expect(f[0]!.data).toMatchObject({ commit: C(3), acceptedIn: C(2) });
    expect(f[0]!.fix).toContain(`--source=${C(2).slice(0, 12)}`);
  });
});

describe('number clashes across branches and worktrees', () => {
  it('the same file on two branches is not a clash; two files with one number are', () => {
    const clashes = numberClashes(
      [
        { where: 'worktree /a [main]', paths: [p(1), 'adr/0002-alpha.md'] },
        { where: 'worktree /b [feat]', paths: [p(1), 'adr/0002-beta.md'] },
        { where: 'branch old', paths: [p(1), 'adr/README.md'] },
      ],
      'adr',
    );
    expect(clashes).toEqual([
      {
        number: 2,
        files: [
          { path: 'adr/0002-alpha.md', where: ['worktree /a [main]'] },
          { path: 'adr/0002-beta.md', where: ['worktree /b [feat]'] },
        ],
      },
    ]);
    const f = clashFinding(clashes[0]!, 'block');
    expect(f.code).toBe('ADR_NUMBER_CLASH');
    expect(f.message).toContain('worktree /b [feat]');
    expect(f.fix).toContain('gate adr new');
  });
});
