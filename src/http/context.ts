// What the HTTP transports share: the session registry, the tool-call limiter, the drain flag,
// the settings.
import type { Logger } from '../log.js';
import type { ServerDeps } from '../mcp/server.js';
import type { CallLimiter } from './concurrency.js';
import type { HttpConfig } from './guards.js';
import type { SessionRegistry } from './sessions.js';

export interface HttpContext {
  deps: ServerDeps;
  config: HttpConfig;
  sessions: SessionRegistry;
  /** --max-concurrent-calls. */
  calls: CallLimiter;
  logger: Logger;
  /** True once shutdown began: no new sessions and no new requests, answers still flow. */
  isDraining(): boolean;
}
