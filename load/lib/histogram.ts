// A high-dynamic-range latency histogram in the HdrHistogram layout: values (microseconds) below
// 2,048 are counted exactly; above that, each power of two is split into 1,024 linear
// sub-buckets, so any recorded value is known to within 1/1,024 (< 0.1 %) whatever its size.
// Recording is one array increment (no allocation), which matters when the harness shares two
// cores with the server it measures. Percentiles follow HdrHistogram: the highest value
// equivalent to the bucket that holds the requested rank.
//
// Why not node:perf_hooks createHistogram (HdrHistogram in C, same layout at figures: 3)? Tried
// for issue #16 on Node 24, it does not keep the figures' meaning: it cannot record 0 (lowest is
// at least 1); a value above `highest` is dropped without a word (count unchanged, so a stalled
// call would vanish from the tail); min and max come back as bucket bounds (5003 for a recorded
// 5001) and the mean from bucket midpoints; percentile(0) throws. Working around each would keep
// min, max, sum and a zero count beside it — most of this file — for one array saved.

const SUB_BUCKET_BITS = 10;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS; // 1,024
/** Largest value recorded as itself; larger ones are clamped (2^31 µs ≈ 36 minutes). */
export const MAX_TRACKABLE_US = 2 ** 31 - 1;
const BUCKET_COUNT = (31 - SUB_BUCKET_BITS + 1) * SUB_BUCKETS;

/** The bucket a value falls in. Exported for the specs. */
export function bucketIndex(value: number): number {
  const v = value <= 0 ? 0 : value >= MAX_TRACKABLE_US ? MAX_TRACKABLE_US : Math.floor(value);
  if (v < SUB_BUCKETS * 2) return v;
  const shift = 31 - Math.clz32(v) - SUB_BUCKET_BITS;
  return shift * SUB_BUCKETS + (v >>> shift);
}

/** The lowest and highest value a bucket stands for. Exported for the specs. */
export function bucketRange(index: number): [low: number, high: number] {
  if (index < SUB_BUCKETS * 2) return [index, index];
  const shift = Math.floor(index / SUB_BUCKETS) - 1;
  const sub = index - shift * SUB_BUCKETS;
  return [sub * 2 ** shift, (sub + 1) * 2 ** shift - 1];
}

export interface HistogramSummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
}

export class Histogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;
  private sum = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = 0;

  /** Records one value in microseconds (fractions are dropped; negatives count as 0). */
  record(valueUs: number): void {
    const v = valueUs <= 0 ? 0 : Math.floor(valueUs);
    this.counts[bucketIndex(v)]!++;
    this.total++;
    this.sum += v;
    if (v < this.minValue) this.minValue = v;
    if (v > this.maxValue) this.maxValue = v;
  }

  get count(): number {
    return this.total;
  }

  get min(): number {
    return this.total === 0 ? 0 : this.minValue;
  }

  get max(): number {
    return this.maxValue;
  }

  get mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }

  /**
   * The value at percentile `p` (0–100): the smallest recorded value v such that at least p % of
   * the values are ≤ v, reported as the highest value of v's bucket (exact below 2,048 µs) and
   * never above the largest value recorded. 0 when empty.
   */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const clamped = Math.min(100, Math.max(0, p));
    const rank = Math.max(1, Math.ceil((clamped / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketRange(i)[1], this.maxValue);
    }
    return this.maxValue;
  }

  /** Adds every value of `other` into this histogram. */
  add(other: Histogram): void {
    for (let i = 0; i < BUCKET_COUNT; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sum += other.sum;
    if (other.total > 0) {
      this.minValue = Math.min(this.minValue, other.minValue);
      this.maxValue = Math.max(this.maxValue, other.maxValue);
    }
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sum = 0;
    this.minValue = Number.POSITIVE_INFINITY;
    this.maxValue = 0;
  }

  summary(): HistogramSummary {
    return {
      count: this.total,
      min: this.min,
      max: this.max,
      mean: this.mean,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
    };
  }
}
