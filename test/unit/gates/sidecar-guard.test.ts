import { describe, expect, it } from 'vitest';
import { stagedSidecars } from '../../../src/gates/sidecar-guard.js';
import { blocks, type Finding } from '../../../src/kernel/findings.js';
import type { FileChange } from '../../../src/kernel/changes.js';

const ch = (status: FileChange['status'], path: string): FileChange => ({ status, path, oldMode: '100644', newMode: '100644', oldBlob: '0'.repeat(40), newBlob: '1'.repeat(40) });

describe('sidecar guard', () => {
  it.each([
    ['A', '.agents/gate-b/explain-abc.yaml', 1],
    ['M', '.agents/gate-b/explain-abc.yaml', 1],
    ['A', ".agents/gate-b/it's odd.yaml", 1],
    ['D', '.agents/gate-b/explain-abc.yaml', 0],
    ['A', '.agents/gates.yaml', 0],
    ['A', 'docs/.agents/gate-b/x.yaml', 0],
  ] as const)('%s %s → %i block(s)', (status, path, n) => {
    const f = stagedSidecars([ch(status, path)]);
    expect(f).toHaveLength(n);
    if (n) expect(f[0]).toMatchObject({ code: 'B_SIDECAR_STAGED', severity: 'block', path });
  });
  it('quotes the path in the fix so it can be pasted into a shell', () => {
    const [f] = stagedSidecars([ch('A', ".agents/gate-b/it's odd.yaml")]);
    expect(f!.fix).toContain(`'.agents/gate-b/it'\\''s odd.yaml'`);
  });
  it('blocks() keeps only block findings', () => {
    const fs: Finding[] = [
      { gate: 'B', code: 'X', severity: 'warn', message: 'w' },
      { gate: 'B', code: 'Y', severity: 'block', message: 'b' },
      { gate: 'B', code: 'Z', severity: 'info', message: 'i' },
    ];
    expect(blocks(fs).map((f) => f.code)).toEqual(['Y']);
  });
});
