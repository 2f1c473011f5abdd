// The guards every MCP request passes, in one declared order, before it reaches a transport.
// Health endpoints are mounted before the guards: probes stay unauthenticated and cheap.
//
// Extension point (security issue): each guard lives in its own file under src/http/ and is
// added to declaredGuards() at its place in this order:
//   origin/host check → rate limit → auth → body (limit + JSON parse) → audit
// so a refused request costs no body read, and audit sees the parsed JSON-RPC method.
import type { RequestHandler } from 'express';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { jsonBody } from './body.js';

export type HttpConfig = Config['http'];

/** One step of the guard chain: it answers the request itself to refuse it, or calls next(). */
export interface Guard {
  /** Names the guard in logs and lets a caller place another guard before or after it. */
  name: string;
  handle: RequestHandler;
}

export interface GuardContext {
  config: HttpConfig;
  logger: Logger;
}

export function declaredGuards(ctx: GuardContext): Guard[] {
  return [
    // 'origin', 'rate-limit' and 'auth' go here.
    { name: 'body', handle: jsonBody(ctx.config.bodyLimit) },
    // 'audit' goes here.
  ];
}

/** Returns a new list with `guard` placed before (or after) the guard named `anchor`. */
export function insertGuard(guards: readonly Guard[], guard: Guard, place: { before: string } | { after: string }): Guard[] {
  const anchor = 'before' in place ? place.before : place.after;
  const at = guards.findIndex((g) => g.name === anchor);
  if (at < 0) throw new Error(`no guard named "${anchor}" to place "${guard.name}" next to`);
  const index = 'before' in place ? at : at + 1;
  return [...guards.slice(0, index), guard, ...guards.slice(index)];
}
