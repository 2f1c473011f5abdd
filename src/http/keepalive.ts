// SSE keep-alive: a comment line every interval, so proxies and load balancers that cut idle
// connections leave a quiet stream open. Clients ignore comment lines (SSE spec).
import type { ServerResponse } from 'node:http';

export const KEEPALIVE_COMMENT = ': keepalive\n\n';

/** Writes keep-alive comments on `res` until it closes or the returned function is called. */
export function startKeepalive(res: ServerResponse, intervalMs: number): () => void {
  const timer = setInterval(() => {
    if (!res.writableEnded && !res.destroyed) res.write(KEEPALIVE_COMMENT);
  }, intervalMs);
  timer.unref();
  const stop = () => clearInterval(timer);
  res.once('close', stop);
  return stop;
}
