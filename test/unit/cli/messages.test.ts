import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as messages from '../../../src/cli/messages.js';
import * as hot from '../../../src/cli/fast/messages.js';

const doc = (p: string) => readFileSync(join(import.meta.dirname, '..', '..', '..', p), 'utf8');

describe('src/cli/messages.ts: the CLI text the docs quote', () => {
  it('re-exports the hot path\'s messages, so the CLI has one module to import from', () => {
    for (const [name, value] of Object.entries(hot)) expect((messages as Record<string, unknown>)[name]).toBe(value);
  });

  it('the quoted lines are still what gate prints', () => {
    expect(doc('docs/cli.md')).toContain(messages.EXIT_CODES_LINE);
    // docs/install.md quotes the start of the lint-staged failure line
    expect(doc('docs/install.md')).toContain(`\`${messages.lintStagedFailed('x')[0]!.split(' (')[0]} …\``);
    expect(messages.lintStagedFailed('ls', 'boom')).toEqual([
      'agent-gates: lint-staged failed, so the commit is blocked: boom',
      '  fix: run ls on its own to see the whole error (often its configuration), fix it, then commit again',
    ]);
    expect(messages.commitBlocked(1)).toBe('agent-gates: commit blocked (1 problem)');
    expect(messages.commitBlocked(2)).toBe('agent-gates: commit blocked (2 problems)');
  });
});
