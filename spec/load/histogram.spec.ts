import { describe, expect, it } from 'vitest';
import { bucketIndex, bucketRange, Histogram, MAX_TRACKABLE_US } from '../../load/lib/histogram.js';

function histogramOf(values: number[]): Histogram {
  const h = new Histogram();
  for (const v of values) h.record(v);
  return h;
}

/** The textbook nearest-rank percentile, for comparison. */
function nearestRank(sorted: number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

describe('Histogram', () => {
  it('reports zeros when empty', () => {
    expect(new Histogram().summary()).toEqual({ count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 });
  });

  it('is exact below 2,048 µs: nearest-rank percentiles of 1..100', () => {
    const h = histogramOf(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(h.percentile(50)).toBe(50);
    expect(h.percentile(95)).toBe(95);
    expect(h.percentile(99)).toBe(99);
    expect(h.percentile(100)).toBe(100);
    expect(h.percentile(0)).toBe(1);
    expect(h.percentile(99.5)).toBe(100); // rank ceil(99.5) = 100
    expect([h.count, h.min, h.max, h.mean]).toEqual([100, 1, 100, 50.5]);
  });

  it('matches nearest-rank within 1/1,024 for values up to minutes', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    // Log-uniform from 50 µs to 100 s: latencies spread over many powers of two.
    const values = Array.from({ length: 20_000 }, () => Math.floor(50 * Math.exp(random() * Math.log(2e6))));
    const h = histogramOf(values);
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [1, 25, 50, 90, 95, 99, 99.9, 100]) {
      const exact = nearestRank(sorted, p);
      const reported = h.percentile(p);
      expect(reported, `p${p}`).toBeGreaterThanOrEqual(exact);
      expect((reported - exact) / exact, `p${p}`).toBeLessThanOrEqual(1 / 1024);
    }
    expect(h.max).toBe(sorted.at(-1));
  });

  it('never reports a percentile above the largest value recorded', () => {
    const h = histogramOf([5000, 5001]); // both in the bucket [5000, 5003]
    expect(h.percentile(100)).toBe(5001);
    expect(h.percentile(50)).toBe(5001);
  });

  it('clamps what it cannot hold: negatives to 0, fractions down, huge values to the maximum', () => {
    const h = histogramOf([-3, 2.9, 1e12]);
    expect(h.min).toBe(0);
    expect(h.percentile(50)).toBe(2);
    expect(h.percentile(100)).toBeLessThanOrEqual(1e12);
    expect(bucketIndex(1e12)).toBe(bucketIndex(MAX_TRACKABLE_US));
  });

  it('adds histograms as if every value had been recorded in one', () => {
    const a = histogramOf([1, 2, 3, 4000, 90_000]);
    const b = histogramOf([10, 20, 30_000_000]);
    const both = histogramOf([1, 2, 3, 4000, 90_000, 10, 20, 30_000_000]);
    a.add(b);
    expect(a.summary()).toEqual(both.summary());
    a.reset();
    expect(a.count).toBe(0);
  });
});

describe('bucket layout', () => {
  it('puts every value inside the range of its bucket, ranges contiguous and increasing', () => {
    let previousHigh = -1;
    for (let index = 0; index < bucketIndex(MAX_TRACKABLE_US); index++) {
      const [low, high] = bucketRange(index);
      expect(low, `bucket ${index}`).toBe(previousHigh + 1);
      expect(high).toBeGreaterThanOrEqual(low);
      // Exact below 2,048; above, a bucket is at most 1/1,024 of its lowest value wide.
      if (high > low) expect((high - low + 1) / low).toBeLessThanOrEqual(1 / 1024);
      previousHigh = high;
    }
    for (const v of [0, 1, 2047, 2048, 2049, 4095, 4096, 123_456, 9_999_999]) {
      const [low, high] = bucketRange(bucketIndex(v));
      expect(v).toBeGreaterThanOrEqual(low);
      expect(v).toBeLessThanOrEqual(high);
    }
  });
});
