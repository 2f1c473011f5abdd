// Deadlines for many short waits of the same length, checked by one timer: most waits end long
// before their deadline (a cached read is answered within a millisecond), and a timer per wait
// (setTimeout + clearTimeout) cost ~6 µs per call in the load profiles. A deadline fires between
// `ms` and 1.25 × `ms` after add().
export class Deadlines<T> {
  // Insertion order is due order: every wait has the same length.
  private readonly due = new Map<T, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly onDue: (item: T) => void,
  ) {}

  add(item: T): void {
    this.due.set(item, Date.now() + this.ms);
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(), Math.max(5, this.ms / 4));
    this.timer.unref();
  }

  delete(item: T): void {
    this.due.delete(item);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [item, at] of this.due) {
      if (at > now) break;
      this.due.delete(item);
      this.onDue(item);
    }
    if (this.due.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
