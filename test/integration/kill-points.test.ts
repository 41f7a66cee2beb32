/**
 * Kill points (issue 13, ADR 0011): every ledger, lease and hook operation SIGKILLed at its
 * syscall boundaries that write (strace's fault injection), and with ENOSPC injected, then the
 * invariants checked (see test/helpers/killpoints.ts). The default run takes a small sample of
 * boundaries per operation; `npm run test:stress` (GATE_STRESS=1) takes every boundary plus 200
 * random-time kills per operation and writes the figures to GATE_KILLPOINTS_REPORT when set.
 * Without strace the operations are SIGKILLed at random times instead (never skipped).
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { account, figures, HAS_STRACE, killOperation, makeLab, OPERATIONS, type Figures } from '../helpers/killpoints.js';

const STRESS = process.env.GATE_STRESS === '1';
const all: Figures[] = [];
const lab = makeLab();
/** The figures so far (written after each operation, so an interrupted run still leaves them). */
const report = (): void => {
  if (process.env.GATE_KILLPOINTS_REPORT) writeFileSync(process.env.GATE_KILLPOINTS_REPORT, `${JSON.stringify({ strace: HAS_STRACE, stress: STRESS, figures: all }, null, 2)}\n`);
};
afterAll(() => {
  report();
  lab.r.cleanup();
});

describe(`kill points (${HAS_STRACE ? 'strace fault injection' : 'no strace: random-time SIGKILL'}${STRESS ? ', stress' : ''})`, () => {
  for (const op of OPERATIONS) {
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
    expect(lab.commits.size).toBeGreaterThan(0);
  }, 60_000);
});
