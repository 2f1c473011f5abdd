// Per-request deadlines without a timer per request: one interval sweeps the open entries.
// A response that has not arrived by its deadline is a lost response, not a slow one.

interface Entry {
  deadline: number;
  expire(): void;
}

export class Watchdog {
  private readonly entries = new Set<Entry>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly tickMs = 100) {}

  /** Calls `expire` once `deadline` (performance.now() ms) has passed; the returned function cancels. */
  watch(deadline: number, expire: () => void): () => void {
    const entry: Entry = { deadline, expire };
    this.entries.add(entry);
    this.timer ??= setInterval(() => this.sweep(), this.tickMs).unref();
    return () => {
      this.entries.delete(entry);
    };
  }

  get size(): number {
    return this.entries.size;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.entries.clear();
  }

  private sweep(): void {
    const now = performance.now();
    for (const entry of this.entries) {
      if (entry.deadline > now) continue;
      this.entries.delete(entry);
      entry.expire();
    }
  }
}
