// Counts of one scenario: latencies of the calls inside the measured window, and every error or
// lost response from setup to teardown (those must be zero whenever they happen).
import { CallFailure, type FailureKind } from './clients.js';
import { Histogram } from './histogram.js';

const MAX_SAMPLES = 5;

export class Tally {
  readonly latency = new Histogram();
  /** Calls completed inside the measured window. */
  calls = 0;
  errors = 0;
  lost = 0;
  readonly byKind: Partial<Record<FailureKind, number>> = {};
  readonly samples: string[] = [];

  /** Records a successful call that started at `startedAt` (performance.now() ms). */
  ok(startedAt: number, endedAt: number): void {
    this.calls++;
    this.latency.record((endedAt - startedAt) * 1000);
  }

  fail(err: unknown): FailureKind {
    const kind: FailureKind = err instanceof CallFailure ? err.kind : 'network';
    if (kind === 'lost') this.lost++;
    else this.errors++;
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    if (this.samples.length < MAX_SAMPLES) this.samples.push(`${kind}: ${err instanceof Error ? err.message : String(err)}`);
    return kind;
  }
}

/** Runs `fn(i)` for i in [0, count) with at most `concurrency` at once. */
export async function inPool(count: number, concurrency: number, fn: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(count, Math.max(1, concurrency)) }, worker));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const round = (value: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};
