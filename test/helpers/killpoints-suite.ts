/**
 * The kill-point suite for a set of operations, each set in its own lab (repository) and its own
 * test file, so that vitest runs the sets in separate workers side by side: at the stress size one
 * file kept one core busy for the whole run (1,997 s in CI) after the other stress files were done.
 * GATE_KILLPOINTS_REPORT=<file>.json writes each set's figures to <file>-<set>.json.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { account, figures, HAS_STRACE, killOperation, makeLab, OPERATIONS, type Figures } from './killpoints.js';

const STRESS = process.env.GATE_STRESS === '1';

export function killPointSuite(set: string, names: readonly string[]): void {
  const ops = OPERATIONS.filter((o) => names.includes(o.name));
  if (ops.length !== names.length) throw new Error(`kill points: unknown operation among ${names.join(', ')}`);
  const all: Figures[] = [];
  const lab = makeLab();
  /** The figures so far (written after each operation, so an interrupted run still leaves them). */
  const report = (): void => {
    const to = process.env.GATE_KILLPOINTS_REPORT;
    if (to) writeFileSync(to.replace(/(\.json)?$/, `-${set}.json`), `${JSON.stringify({ strace: HAS_STRACE, stress: STRESS, set, figures: all }, null, 2)}\n`);
  };
  afterAll(() => {
    report();
    lab.r.cleanup();
  });

  describe(`kill points, ${set} (${HAS_STRACE ? 'strace fault injection' : 'no strace: random-time SIGKILL'}${STRESS ? ', stress' : ''})`, () => {
    for (const op of ops) {
      it(`${op.name}: killed at ${!HAS_STRACE ? 'random times' : STRESS ? 'every write boundary + 200 random times' : 'a sample of write boundaries'}, the ledger verifies or is repaired, nothing acknowledged is lost`, async () => {
        const fs = await killOperation(lab, op, STRESS ? { points: 'all', random: 200, enospc: 40 } : { points: 3, random: 0, enospc: 1 });
        all.push(...fs);
        report();
        for (const f of fs) {
          expect(f.failures, `${f.operation} (${f.mode})`).toEqual([]);
          expect(f.runs).toBeGreaterThan(0);
        }
      }, STRESS ? 3_600_000 : 120_000);
    }

    it('afterwards: every acknowledged commit recorded exactly once, every acknowledged grant present, tokens strictly increasing', () => {
      const f = figures('whole run', HAS_STRACE ? 'strace-kill' : 'random-time-kill');
      account(lab, f);
      all.push(f);
      expect(f.failures).toEqual([]);
      expect(f.lost + f.duplicated + f.tokensReused).toBe(0);
      if (names.includes('git commit through the hooks')) expect(lab.commits.size).toBeGreaterThan(0);
      if (names.some((n) => n.startsWith('lock '))) expect(lab.tokens.length).toBeGreaterThan(0);
    }, 60_000);
  });
}
