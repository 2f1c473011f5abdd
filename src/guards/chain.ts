// The guards every MCP request passes, in one declared order, before it reaches a transport.
// Health endpoints and the RFC 9728 document are mounted before the guards: probes stay
// unauthenticated and cheap. The order (issue #5):
//
//   origin    Host and Origin checks (DNS rebinding): cheapest, and nothing else is worth doing
//             for a request a browser was tricked into sending
//   cors      answers the preflight of a --cors-origins origin (browsers send no credentials on it)
//   auth                  bearer token or JWT → principal; 401 otherwise, or 429 when the address
//                         is blocked for failed authentications (valid credentials are still served)
//   principal-rate-limit  --rate-limit-per-minute per principal
//   audit     registers the audit line, written when the response ends; placed before body so
//             that malformed and oversized bodies of authenticated clients are audited too
//   body      JSON parse bounded by --body-limit: after auth, so an unauthenticated client can
//             never make the server read (or parse) a large body
//
// Each guard lives in its own file under src/guards/; insertGuard() places another one by name.
import type { RequestHandler } from 'express';
import type { HttpConfig } from '../config.js';
import type { Logger } from '../log.js';
import { auditGuard } from './audit.js';
import { authGuard } from './auth.js';
import { jsonBody } from '../protocol/body.js';
import { corsGuard } from './cors.js';
import { originGuard } from './origin.js';
import { principalLimitGuard } from './rate-limit.js';
import type { HttpSecurity } from './security.js';

/** One step of the guard chain: it answers the request itself to refuse it, or calls next(). */
export interface Guard {
  /** Names the guard in logs and lets a caller place another guard before or after it. */
  name: string;
  handle: RequestHandler;
}

export interface GuardContext {
  config: HttpConfig;
  logger: Logger;
  security: HttpSecurity;
}

export function declaredGuards({ config, security }: GuardContext): Guard[] {
  const { audit, clientIp, limits, authenticator } = security;
  return [
    { name: 'origin', handle: originGuard({ host: config.host, allowedHosts: config.allowedHosts, corsOrigins: config.corsOrigins }, audit, clientIp) },
    { name: 'cors', handle: corsGuard(config.corsOrigins) },
    { name: 'auth', handle: authGuard(authenticator, limits, audit, clientIp) },
    { name: 'principal-rate-limit', handle: principalLimitGuard(limits, audit, clientIp) },
    { name: 'audit', handle: auditGuard(audit, clientIp) },
    { name: 'body', handle: jsonBody(config.bodyLimit) },
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
