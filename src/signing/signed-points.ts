/**
 * Signed points: ledger states (size, head hash) that someone with a trusted key vouched for,
 * by signing an approval payload (which records the ledger's size and head at that moment) or
 * a checkpoint. Pure.
 *
 * A hash chain alone cannot stop a writer who rewrites the whole file and recomputes every
 * hash; a signed point can: if line `size` of the current ledger no longer hashes to the signed
 * `head`, something at or before that line was rewritten, or the ledger was cut below it.
 * The verdict names the failing point and bounds the damage by the newest point that still holds.
 */
import type { ChainProblem } from '../ledger/chain.js';

export interface SignedPoint {
  size: number;
  head: string;
  /** Where the point came from: "ledger #12 (approve)", "note on abc123…", "checkpoint". */
  source: string;
  principal: string;
  at?: string;
}

export interface SignedPointsVerdict {
  ok: boolean;
  /** The newest point that still holds. */
  newest?: SignedPoint;
  /** Points checked (after dropping untrusted ones). */
  checked: number;
  problem?: ChainProblem & { point: SignedPoint; holdsUpTo?: number };
}

/**
 * Check signed points against the current ledger: `hashAt(n)` is the link hash after n lines
 * of the current file (undefined when it has fewer). Points are checked smallest first; the
 * first that fails is the problem.
 */
export function evaluateSignedPoints(points: readonly SignedPoint[], hashAt: ReadonlyMap<number, string | undefined>): SignedPointsVerdict {
  const sorted = [...points].sort((a, b) => a.size - b.size);
  let newest: SignedPoint | undefined;
  for (const p of sorted) {
    const h = hashAt.get(p.size);
    const bound = newest ? `lines ${newest.size + 1}..${p.size}` : `lines 1..${p.size}`;
    const holds = newest ? `; the newest signed point that still holds is ${newest.size} entries (${newest.source})` : '; no earlier signed point holds';
    const fail = (reason: 'truncated' | 'edited', message: string): SignedPointsVerdict => ({
      ok: false,
      ...(newest ? { newest } : {}),
      checked: sorted.length,
      problem: { line: p.size, reason, message, point: p, ...(newest ? { holdsUpTo: newest.size } : {}) },
    });
    if (h === undefined) {
      return fail('truncated', `${p.principal} signed a ledger of ${p.size} entries (${p.source}), but the ledger now has fewer: it was truncated or rewritten shorter${holds}`);
    }
    if (h !== p.head) {
      return fail(
        'edited',
        `${p.principal} signed ledger head ${p.head.slice(0, 12)} after ${p.size} entries (${p.source}), but line ${p.size} now hashes to ${h.slice(0, 12)}: ${bound} were rewritten (every hash recomputed, so the chain alone could not tell)${holds}`,
      );
    }
    newest = p;
  }
  return { ok: true, ...(newest ? { newest } : {}), checked: sorted.length };
}
