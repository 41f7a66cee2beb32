import { describe, expect, it } from 'vitest';
import { hookFastPath, lockFastPath, type LockFastPath } from '../../../src/cli/fast/main.js';

describe('hookFastPath: only the exact hook invocations skip commander', () => {
  const cases: Array<[string[], { hook: string; json: boolean; lintStaged?: string } | undefined]> = [
    [['check', '--hook', 'pre-commit'], { hook: 'pre-commit', json: false }],
    [['check', '--hook', 'post-commit'], { hook: 'post-commit', json: false }],
    [['check', '--hook=pre-commit'], { hook: 'pre-commit', json: false }],
    [['check', '--hook', 'pre-commit', '--json'], { hook: 'pre-commit', json: true }],
    [['check', '--json', '--hook=post-commit'], { hook: 'post-commit', json: true }],
    // --lint-staged <path>: pre-commit only, once, in any position after `check`
    [['check', '--hook', 'pre-commit', '--lint-staged', './node_modules/.bin/lint-staged'], { hook: 'pre-commit', json: false, lintStaged: './node_modules/.bin/lint-staged' }],
    [['check', '--lint-staged=/a b/lint-staged', '--hook=pre-commit'], { hook: 'pre-commit', json: false, lintStaged: '/a b/lint-staged' }],
    [['check', '--json', '--lint-staged', 'ls', '--hook', 'pre-commit'], { hook: 'pre-commit', json: true, lintStaged: 'ls' }],
    [['check', '--hook', 'pre-commit', '--lint-staged', 'ls', '--json'], { hook: 'pre-commit', json: true, lintStaged: 'ls' }],
    // everything else goes to commander (help, usage errors, choices, suggestions)
    [['check', '--hook', 'post-commit', '--lint-staged', 'ls'], undefined],
    [['check', '--lint-staged', 'ls'], undefined],
    [['check', '--range', 'a..b', '--lint-staged', 'ls'], undefined],
    [['check', '--hook', 'pre-commit', '--lint-staged'], undefined],
    [['check', '--hook', 'pre-commit', '--lint-staged='], undefined],
    [['check', '--hook', 'pre-commit', '--lint-staged', ''], undefined],
    [['check', '--hook', 'pre-commit', '--lint-staged', '--json'], undefined],
    [['check', '--hook', 'pre-commit', '--lint-staged', '-x'], undefined],
    [['check', '--hook', 'pre-commit', '--lint-staged', 'a', '--lint-staged', 'b'], undefined],
    [['check', '--hook', 'pre-commit', '--lint-staged=a', '--lint-staged=b'], undefined],
    [['check', '--hook', 'pre-commit', '--lint-staged', 'a', '--json', 'extra'], undefined],
    [['check', '--hook', 'pre-commit', '--lint-stage', 'a'], undefined],
    [['check'], undefined],
    [['check', '--hook'], undefined],
    [['check', '--hook', 'pre-push'], undefined],
    [['check', '--hook', '--json'], undefined],
    [['check', '--hook=', ''], undefined],
    [['check', '--hook', 'pre-commit', '--hook', 'post-commit'], undefined],
    [['check', '--hook', 'pre-commit', '--json', '--json'], undefined],
    [['check', '--hook', 'pre-commit', '--help'], undefined],
    [['check', '--hook', 'pre-commit', '-h'], undefined],
    [['check', '--range', 'a..b'], undefined],
    [['check', '--hook', 'pre-commit', 'extra'], undefined],
    [['--json', 'check', '--hook', 'pre-commit'], undefined],
    [['lock', 'acquire', 'x'], undefined],
    [[], undefined],
  ];
  it.each(cases)('%j', (argv, want) => {
    expect(hookFastPath(argv)).toEqual(want);
  });
});

describe('lockFastPath: only argv shapes parsed exactly as commander would skip it', () => {
  const cases: Array<[string[], LockFastPath | undefined]> = [
    [['lock', 'acquire', 'a.md'], { sub: 'acquire', paths: ['a.md'], opts: {}, json: false }],
    [['lock', 'acquire', 'a.md', 'b.md', '--owner', 'o', '--ttl=5m', '--wait', '10s', '--reason', 'why not', '--json'],
      { sub: 'acquire', paths: ['a.md', 'b.md'], opts: { owner: 'o', ttl: '5m', wait: '10s', reason: 'why not' }, json: true }],
    [['lock', 'acquire', '--json', '--owner=o', 'a.md'], { sub: 'acquire', paths: ['a.md'], opts: { owner: 'o' }, json: true }],
    [['lock', 'release', 'a.md', '--owner', 'o'], { sub: 'release', paths: ['a.md'], opts: { owner: 'o' }, json: false }],
    [['lock', 'renew', 'a.md', '--ttl', '1h'], { sub: 'renew', paths: ['a.md'], opts: { ttl: '1h' }, json: false }],
    [['lock', 'status'], { sub: 'status', paths: [], opts: {}, json: false }],
    [['lock', 'status', '--json', 'a.md'], { sub: 'status', paths: ['a.md'], opts: {}, json: true }],
    // everything else goes to commander
    [['lock'], undefined],
    [['lock', 'break', 'a.md', '--reason', 'x'], undefined],
    [['lock', 'acquire'], undefined],
    [['lock', 'release', '--owner', 'o'], undefined],
    [['lock', 'renew', '--json'], undefined],
    [['lock', 'acquire', 'a.md', '--owner'], undefined],
    [['lock', 'acquire', 'a.md', '--owner', '--json'], undefined],
    [['lock', 'acquire', 'a.md', '--owner='], undefined],
    [['lock', 'acquire', 'a.md', '--owner', 'o', '--owner', 'p'], undefined],
    [['lock', 'acquire', 'a.md', '--json', '--json'], undefined],
    [['lock', 'acquire', 'a.md', '--json=true'], undefined],
    [['lock', 'release', 'a.md', '--ttl', '5m'], undefined],
    [['lock', 'status', '--wait', '5s'], undefined],
    [['lock', 'acquire', 'a.md', '--help'], undefined],
    [['lock', 'acquire', 'a.md', '-h'], undefined],
    [['lock', 'acquire', '--', 'a.md'], undefined],
    [['lock', 'acquire', '-'], undefined],
    [['lock', 'acquire', 'a.md', '--bogus', 'x'], undefined],
    [['lock', 'acquire', 'a.md', '--constructor', 'x'], undefined],
    [['lock', 'constructor', 'a.md'], undefined],
    [['lock', 'toString'], undefined],
    [['--json', 'lock', 'acquire', 'a.md'], undefined],
    [['check', '--hook', 'pre-commit'], undefined],
  ];
  it.each(cases)('%j', (argv, want) => {
    expect(lockFastPath(argv)).toEqual(want);
  });
});
