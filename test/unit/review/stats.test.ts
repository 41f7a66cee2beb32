import { describe, expect, it } from 'vitest';
import { BoundedMap, Counter, Reservoir, durationBucket, formatDuration, percentile } from '../../../src/review/stats.js';

describe('percentile (linear interpolation between closest ranks)', () => {
  it.each([
    [[], 0.5, undefined],
    [[7], 0.9, 7],
    [[1, 2, 3, 4], 0.5, 2.5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9.1],
    [[30, 4, 10], 0.5, 10],
    [[30, 4, 10], 0.9, 26],
  ])('%j p%d → %d', (values, p, want) => {
    const got = percentile(values as number[], p as number);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toBeCloseTo(want as number, 10);
  });
});

describe('Reservoir', () => {
  it('is exact while it holds every value', () => {
    const r = new Reservoir(10);
    for (const v of [5, 1, 9, 3]) r.push(v);
    expect(r.exact).toBe(true);
    expect(r.count).toBe(4);
    expect(r.percentile(0.5)).toBe(4);
    expect([r.min, r.max, r.sum]).toEqual([1, 9, 18]);
  });
  it('keeps a bounded, deterministic sample beyond its capacity', () => {
    const a = new Reservoir(100);
    const b = new Reservoir(100);
    for (let i = 0; i < 100_000; i++) {
      a.push(i);
      b.push(i);
    }
    expect(a.exact).toBe(false);
    expect(a.count).toBe(100_000);
    expect(a.max).toBe(99_999);
    expect(a.percentile(0.5)).toBe(b.percentile(0.5));
    const med = a.percentile(0.5)!;
    expect(med).toBeGreaterThan(30_000);
    expect(med).toBeLessThan(70_000);
  });
});

describe('Counter and BoundedMap', () => {
  it('Counter caps distinct keys and tallies the rest as overflow', () => {
    const c = new Counter(2);
    c.add('a');
    c.add('b', 3);
    c.add('c', 5);
    c.add('a');
    expect(c.sorted()).toEqual([['b', 3], ['a', 2]]);
    expect(c.overflow).toBe(5);
  });
  it('BoundedMap evicts the oldest key', () => {
    const m = new BoundedMap<number>(2);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    expect([m.get('a'), m.get('b'), m.get('c'), m.size, m.evicted]).toEqual([undefined, 2, 3, 2, 1]);
  });
});

describe('durations', () => {
  it.each([
    [59_000, 0],
    [60_000, 1],
    [14 * 60_000, 2],
    [30 * 60_000, 3],
    [2 * 3_600_000, 4],
    [5 * 3_600_000, 5],
    [2 * 86_400_000, 6],
  ])('%d ms → bucket %d', (ms, b) => expect(durationBucket(ms)).toBe(b));
  it.each([
    [undefined, '–'],
    [42_000, '42s'],
    [200_000, '3m 20s'],
    [3_900_000, '1h 5m'],
    [187_200_000, '2d 4h'],
  ])('%s → %s', (ms, s) => expect(formatDuration(ms as number | undefined)).toBe(s));
});
