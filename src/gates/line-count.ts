/**
 * How big a text change is, for the doc-only carve-out (pre-commit and CI alike). Pure.
 * Lines are split at every line break a reader sees (not only "\n": a lone CR, form feed or
 * Unicode line separator shows as a new line too), and bytes are capped as well, so one "line"
 * cannot carry a rule set.
 */

/** The carve-out's byte cap per allowed changed line: max_changed_lines × this (UTF-8 bytes). */
export const BYTES_PER_LINE = 120;

/** Lines added plus deleted between two texts (a minimal line diff, as `git diff --numstat` counts them, with every line break); past `limit` it stops early and returns a number above it. */
export function changedLines(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  const x = splitLines(a);
  const y = splitLines(b);
  // trim the common prefix and suffix, then an O(ND) Myers distance on the middle
  let s = 0;
  while (s < x.length && s < y.length && x[s] === y[s]) s++;
  let ex = x.length;
  let ey = y.length;
  while (ex > s && ey > s && x[ex - 1] === y[ey - 1]) {
    ex--;
    ey--;
  }
  const A = x.slice(s, ex);
  const B = y.slice(s, ey);
  const N = A.length;
  const M = B.length;
  const max = N + M;
  if (max === 0) return 0;
  const v = new Int32Array(2 * max + 2);
  const off = max + 1;
  for (let d = 0; d <= max; d++) {
    if (d > limit) return d; // the caller only needs to know it is over
    for (let k = -d; k <= d; k += 2) {
      let px: number;
      if (k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!)) px = v[off + k + 1]!;
      else px = v[off + k - 1]! + 1;
      let py = px - k;
      while (px < N && py < M && A[px] === B[py]) {
        px++;
        py++;
      }
      v[off + k] = px;
      if (px >= N && py >= M) return d;
    }
  }
  return max;
}

/** Line breaks as editors, renderers and models show them: CRLF, LF, CR, VT, FF, NEL, LS, PS. */
const BREAK = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/;

/** Whether a text has a line break other than LF and CRLF (git's numstat does not see those). */
export function hasOtherLineBreaks(t: string): boolean {
  return /\r(?!\n)|[\v\f\u0085\u2028\u2029]/.test(t);
}

export function splitLines(t: string): string[] {
  if (t === '') return [];
  const parts = t.split(BREAK);
  if (parts[parts.length - 1] === '') parts.pop();
  else parts[parts.length - 1] += '\u0000no-newline'; // a last line without a newline differs from the same line with one
  return parts;
}

/** UTF-8 bytes of the lines one text has and the other has not (as multisets, each line with its break). */
export function changedBytes(a: string, b: string): number {
  const count = new Map<string, number>();
  for (const l of splitLines(a)) count.set(l, (count.get(l) ?? 0) + 1);
  let bytes = 0;
  for (const l of splitLines(b)) {
    const n = count.get(l) ?? 0;
    if (n > 0) count.set(l, n - 1);
    else bytes += Buffer.byteLength(l, 'utf8') + 1;
  }
  for (const [l, n] of count) bytes += n * (Buffer.byteLength(l, 'utf8') + 1);
  return bytes;
}
