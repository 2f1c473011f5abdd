// --max-concurrent-calls: tool calls running at once in this process. Every tool call holds the
// Kubernetes API, the event loop and memory; past the limit a call is refused at once (503 with
// a JSON-RPC error and Retry-After) instead of queueing behind the others.
import { callsRefused } from '../metrics.js';

// No limit: nothing to count, hold or release. Shared, never written to.
const NO_SLOTS: readonly (() => void)[] = Object.freeze([]);

export class CallLimiter {
  private running = 0;

  /** `max` 0: no limit. */
  constructor(private readonly max: number) {}

  get active(): number {
    return this.running;
  }

  /**
   * Takes `count` slots at once, or none. Returns one release function per slot (each
   * idempotent), or undefined when they do not fit. Without a limit there is nothing to hold:
   * no slots (and no per-call bookkeeping on the hot path).
   */
  acquire(count: number): readonly (() => void)[] | undefined {
    if (count === 0 || this.max === 0) return NO_SLOTS;
    if (this.running + count > this.max) {
      callsRefused.inc({ limit: 'concurrent_calls' });
      return undefined;
    }
    this.running += count;
    return Array.from({ length: count }, () => {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        this.running--;
      };
    });
  }
}
