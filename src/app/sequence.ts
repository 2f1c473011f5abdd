// Express plumbing for the hot path. Every app.use() is a router layer that each request walks
// through (match, trim, params, try/catch, next), and a Router mounted with app.use() is entered
// by every request to try its routes: ~2 µs per layer, ~45 µs per MCP call in the load profiles
// (docs/benchmarks.md). These two keep express's semantics with fewer layers.
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * The handlers as one layer, run in order: each continues with next(), answers the request
 * itself, or passes an error (thrown, rejected, or given to next) on to express's error handling,
 * as separate app.use() layers would.
 */
export function sequence(handlers: readonly RequestHandler[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    let index = 0;
    const step = (err?: unknown): void => {
      if (err !== undefined && err !== null) return next(err);
      const handler = handlers[index++];
      if (!handler) return next();
      try {
        const returned: unknown = handler(req, res, step);
        if (returned instanceof Promise) returned.catch((e: unknown) => step(e ?? new Error('Rejected promise')));
      } catch (e) {
        step(e);
      }
    };
    step();
  };
}

/**
 * Enters `router` only for paths that start with one of `prefixes` (compared in lower case, as
 * express matches routes): the router's own routes still decide; the rest skip it entirely.
 */
export function forPathsUnder(prefixes: readonly string[], router: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const path = req.path.toLowerCase();
    if (prefixes.some((prefix) => path.startsWith(prefix))) return router(req, res, next);
    next();
  };
}
