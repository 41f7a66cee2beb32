/**
 * Bounded statistics for the streaming review: a deterministic reservoir for percentiles (exact
 * while the sample fits, a uniform sample afterwards), a fixed-bucket histogram, and a counter
 * map with a key cap. No clock, no Math.random: the same ledger always gives the same report.
 */

export const RESERVOIR_SIZE = 4096;

export class Reservoir {
  private readonly cap: number;
  private readonly items: number[] = [];
  private seen = 0;
  private rng = 0x9e3779b9;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  sum = 0;

  constructor(cap = RESERVOIR_SIZE) {
    this.cap = cap;
  }

  get count(): number {
    return this.seen;
  }

  /** True when every value seen is in the sample (percentiles are exact). */
  get exact(): boolean {
    return this.seen <= this.cap;
  }

  private next(): number {
    // xorshift32: deterministic, good enough for sampling
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }

  push(v: number): void {
    if (!Number.isFinite(v)) return;
    this.seen += 1;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (this.items.length < this.cap) {
      this.items.push(v);
      return;
    }
    const j = this.next() % this.seen;
    if (j < this.cap) this.items[j] = v;
  }

  /** Percentile with linear interpolation between closest ranks (p in [0, 1]); undefined when empty. */
  percentile(p: number): number | undefined {
    return percentile(this.items, p);
  }
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** Counts per key, with a cap on distinct keys; keys beyond the cap are tallied as overflow. */
export class Counter {
  private readonly map = new Map<string, number>();
  private readonly cap: number;
  overflow = 0;

  constructor(cap = 10_000) {
    this.cap = cap;
  }

  add(key: string, n = 1): void {
    const have = this.map.get(key);
    if (have !== undefined) this.map.set(key, have + n);
    else if (this.map.size < this.cap) this.map.set(key, n);
    else this.overflow += n;
  }

  get(key: string): number {
    return this.map.get(key) ?? 0;
  }

  get size(): number {
    return this.map.size;
  }

  /** Entries sorted by count (descending), then key. */
  sorted(): Array<[string, number]> {
    return [...this.map.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  toObject(): Record<string, number> {
    return Object.fromEntries(this.sorted());
  }
}

/**
 * A map with a size cap that evicts the oldest inserted key first (for pending explains and open
 * leases, which normally resolve quickly).
 */
export class BoundedMap<V> {
  private readonly map = new Map<string, V>();
  private readonly cap: number;
  evicted = 0;

  constructor(cap = 50_000) {
    this.cap = cap;
  }

  get(k: string): V | undefined {
    return this.map.get(k);
  }

  set(k: string, v: V): void {
    if (this.map.has(k)) this.map.delete(k);
    else if (this.map.size >= this.cap) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
      this.evicted += 1;
    }
    this.map.set(k, v);
  }

  delete(k: string): boolean {
    return this.map.delete(k);
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  get size(): number {
    return this.map.size;
  }
}

/** Bucket edges for time-to-approval (ms) and their labels. */
export const DURATION_BUCKETS: ReadonlyArray<{ upTo: number; label: string }> = [
  { upTo: 60_000, label: '< 1 min' },
  { upTo: 5 * 60_000, label: '1–5 min' },
  { upTo: 15 * 60_000, label: '5–15 min' },
  { upTo: 60 * 60_000, label: '15–60 min' },
  { upTo: 4 * 3_600_000, label: '1–4 h' },
  { upTo: 24 * 3_600_000, label: '4–24 h' },
  { upTo: Number.POSITIVE_INFINITY, label: '> 1 day' },
];

export function durationBucket(ms: number): number {
  return DURATION_BUCKETS.findIndex((b) => ms < b.upTo);
}

/** "3m 20s", "1h 5m", "2d 4h"; for reports. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
