import { describe, expect, it } from 'vitest';
import { hookFastPath } from '../../../src/cli/main.js';

describe('hookFastPath: only the exact hook invocations skip commander', () => {
  const cases: Array<[string[], { hook: string; json: boolean } | undefined]> = [
    [['check', '--hook', 'pre-commit'], { hook: 'pre-commit', json: false }],
    [['check', '--hook', 'post-commit'], { hook: 'post-commit', json: false }],
    [['check', '--hook=pre-commit'], { hook: 'pre-commit', json: false }],
    [['check', '--hook', 'pre-commit', '--json'], { hook: 'pre-commit', json: true }],
    [['check', '--json', '--hook=post-commit'], { hook: 'post-commit', json: true }],
    // everything else goes to commander (help, usage errors, choices, suggestions)
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
