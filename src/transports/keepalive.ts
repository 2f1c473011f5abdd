// SSE keep-alive: a comment line every interval, so proxies and load balancers that cut idle
// connections leave a quiet stream open. Clients ignore comment lines (SSE spec).
//
// One timer per interval length for the whole process, not one per stream: a timer, its closure
// and a 'close' listener per stream cost ~600 bytes for every idle legacy-SSE session. The streams
// are spread over SLICES groups written in turn, so their writes stay spread over the interval
// rather than landing in one burst, and a new stream joins the group whose turn has just passed:
// its first comment comes one interval after it opened (less at most one slice), as before.
import type { ServerResponse } from 'node:http';

export const KEEPALIVE_COMMENT = ': keepalive\n\n';

const SLICES = 10;

class Ticker {
  private readonly groups = Array.from({ length: SLICES }, () => new Set<ServerResponse>());
  private turn = 0;
  private size = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly onEmpty: () => void,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => this.tick(), intervalMs / SLICES);
    this.timer.unref();
  }

  add(res: ServerResponse): void {
    const group = this.groups[(this.turn + SLICES - 1) % SLICES]!;
    if (group.has(res)) return;
    group.add(res);
    this.size++;
  }

  delete(res: ServerResponse): void {
    for (const group of this.groups) if (group.delete(res)) this.size--;
    if (this.size === 0) this.stop();
  }

  private tick(): void {
    const group = this.groups[this.turn]!;
    this.turn = (this.turn + 1) % SLICES;
    for (const res of group) {
      if (!res.writableEnded && !res.destroyed) res.write(KEEPALIVE_COMMENT);
      // Normally removed by stopKeepalive(); a stream that ended without it is dropped here.
      else if (group.delete(res)) this.size--;
    }
    if (this.size === 0) this.stop();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.onEmpty();
  }
}

const tickers = new Map<number, Ticker>();

/** Writes keep-alive comments on `res` every `intervalMs` until stopKeepalive(res) or it ends. */
export function startKeepalive(res: ServerResponse, intervalMs: number): void {
  let ticker = tickers.get(intervalMs);
  if (!ticker) {
    const created: Ticker = new Ticker(() => tickers.get(intervalMs) === created && tickers.delete(intervalMs), intervalMs);
    ticker = created;
    tickers.set(intervalMs, ticker);
  }
  ticker.add(res);
}

/** Stops the keep-alive comments on `res` (its stream closed). Idempotent. */
export function stopKeepalive(res: ServerResponse): void {
  // A ticker left empty removes itself from the map: a Map iterator allows that.
  for (const ticker of tickers.values()) ticker.delete(res);
}
