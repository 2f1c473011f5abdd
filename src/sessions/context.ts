// What the HTTP transports share: the session registry, the tool-call limiter, the drain flag,
// the settings, and (with --redis-url) the relay to sessions held by other replicas.
import type { Request, Response } from 'express';
import type { HttpConfig } from '../config.js';
import type { ServerDeps } from '../kit/deps.js';
import type { Logger } from '../log.js';
import type { CallLimiter } from './concurrency.js';
import type { SessionKind, SessionRegistry } from './registry.js';

export interface HttpContext {
  deps: ServerDeps;
  config: HttpConfig;
  sessions: SessionRegistry;
  /** --max-concurrent-calls. */
  calls: CallLimiter;
  logger: Logger;
  /** True once shutdown began: no new sessions and no new requests, answers still flow. */
  isDraining(): boolean;
  /**
   * Hands a request for a session this replica does not hold to the replica that does (issue #6).
   * Undefined without --redis-url, and in the routes that serve relayed requests (no relay loops).
   */
  relay?: SessionForwarder;
}

/** Hands a request on to the replica holding its session (src/relay/ implements it). */
export interface SessionForwarder {
  forward(req: Request, res: Response, kind: SessionKind, sessionId: string): Promise<void>;
}
