// Rate limits (rate-limiter-flexible), in memory per process, or in Redis shared by every replica
// when --redis-url is set (with an in-memory "insurance" limiter taking over while Redis is
// unreachable, so a Redis outage degrades to per-process limits instead of failing requests):
//  - per principal: --rate-limit-per-minute requests, counted after authentication;
//  - per client address, for failed authentications: past half of --auth-failures-per-minute
//    each further 401 is slowed down, and past all of it the address is blocked for a minute:
//    its failures get 429 with Retry-After, while valid credentials from it are still served.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../log.js';
import { closeRedis, openRedis, redisReady, watchRedis } from '../redis.js';
import { rateLimited } from '../metrics.js';
import type { AuditLog } from './audit.js';
import { closeIfBodyPending, refuse } from '../protocol/errors.js';
import { principalOf } from '../sessions/principal.js';

const WINDOW_SEC = 60;
const BLOCK_SEC = 60;
// The slow-down added per failure beyond half the budget, and its ceiling.
const SLOWDOWN_STEP_MS = 250;
const SLOWDOWN_MAX_MS = 2000;

export interface RateLimitSettings {
  perPrincipalPerMinute: number;
  authFailuresPerMinute: number;
  redisUrl?: string;
}

export type Verdict = { allowed: true } | { allowed: false; retryAfterSec: number };

const ALLOWED: Verdict = { allowed: true };

export class RateLimits {
  private readonly principal?: RateLimiterAbstract;
  private readonly failures: RateLimiterAbstract;
  private readonly redis?: Redis;
  // When this process last counted a failed authentication: without Redis, an address can only
  // be blocked within WINDOW_SEC + BLOCK_SEC of that, and until then no lookup is needed.
  private lastFailureAt = -Infinity;

  constructor(
    private readonly settings: RateLimitSettings,
    logger: Logger,
  ) {
    if (settings.redisUrl) {
      // Fails fast instead of queueing while disconnected: the insurance limiter answers then.
      this.redis = openRedis(settings.redisUrl, 'commands');
      watchRedis([this.redis], logger, {
        down: 'redis unreachable: rate limits are per process until it is back',
        up: 'redis reachable again: rate limits are shared again',
      });
    }
    const make = (keyPrefix: string, points: number, blockDuration = 0): RateLimiterAbstract => {
      const memory = new RateLimiterMemory({ keyPrefix, points, duration: WINDOW_SEC, blockDuration });
      if (!this.redis) return memory;
      return new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: `cnpg-mcp:${keyPrefix}`,
        points,
        duration: WINDOW_SEC,
        blockDuration,
        insuranceLimiter: memory,
      });
    };
    if (settings.perPrincipalPerMinute > 0) this.principal = make('rl-principal', settings.perPrincipalPerMinute);
    this.failures = make('rl-authfail', settings.authFailuresPerMinute, BLOCK_SEC);
  }

  /**
   * Resolves once Redis is connected, or at its first error or after `timeoutMs` (then the in-memory insurance limiter
   * answers until it connects): the server waits for it before listening, so replicas share
   * their counts from the first request.
   */
  async ready(timeoutMs: number): Promise<boolean> {
    return this.redis ? redisReady(this.redis, timeoutMs) : true;
  }

  // The two checks every request passes answer synchronously when nothing can refuse it (no
  // limit set, no failure counted lately): no promise turn on the hot path (docs/benchmarks.md).

  /** Counts one request of `principalKey`. */
  request(principalKey: string): Verdict | Promise<Verdict> {
    if (!this.principal) return ALLOWED;
    return this.principal.consume(principalKey).then(() => ALLOWED, refusal);
  }

  /** Whether `address` is blocked for too many failed authentications (does not count anything). */
  addressBlocked(address: string): Verdict | Promise<Verdict> {
    if (!this.redis && Date.now() - this.lastFailureAt > (WINDOW_SEC + BLOCK_SEC) * 1000) return ALLOWED;
    return this.blockedState(address);
  }

  private async blockedState(address: string): Promise<Verdict> {
    const state = await this.failures.get(address).catch(() => null);
    if (state && state.consumedPoints > this.settings.authFailuresPerMinute && state.msBeforeNext > 0)
      return { allowed: false, retryAfterSec: seconds(state.msBeforeNext) };
    return ALLOWED;
  }

  /**
   * Counts a failed authentication from `address`. Returns how long to hold the 401 back
   * (0 while under half the budget), and whether the address is now blocked.
   */
  async authFailed(address: string): Promise<{ delayMs: number; blocked: boolean }> {
    this.lastFailureAt = Date.now();
    let consumed: number;
    try {
      consumed = (await this.failures.consume(address)).consumedPoints;
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) return { delayMs: 0, blocked: false };
      return { delayMs: 0, blocked: true };
    }
    const free = Math.floor(this.settings.authFailuresPerMinute / 2);
    return { delayMs: Math.min(SLOWDOWN_MAX_MS, Math.max(0, consumed - free) * SLOWDOWN_STEP_MS), blocked: false };
  }

  async close(): Promise<void> {
    if (this.redis) await closeRedis([this.redis]);
  }
}

function refusal(err: unknown): Verdict {
  // A store error (not a RateLimiterRes) lets the request through: the insurance limiter has
  // already been tried, and refusing every request because a counter failed helps nobody.
  if (!(err instanceof RateLimiterRes)) return ALLOWED;
  return { allowed: false, retryAfterSec: seconds(err.msBeforeNext) };
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * For a failed authentication: a counted, audited 429 when its address is blocked, else
 * `unblocked()`. Only failures are refused: a request whose credentials are valid is served
 * even from a blocked address, so one attacker behind a shared proxy or NAT cannot lock out a
 * whole team (issue #12, item 15).
 */
export function refuseIfAddressBlocked(limits: RateLimits, audit: AuditLog, on: { req: Request; res: Response; ip: string }, unblocked: NextFunction): void {
  enforce(limits.addressBlocked(on.ip), 'address', { ...on, audit, next: unblocked });
}

/** After auth: --rate-limit-per-minute requests per principal (per address when unauthenticated). */
export function principalLimitGuard(limits: RateLimits, audit: AuditLog, clientIp: (req: Request) => string): RequestHandler {
  return (req, res, next) => {
    const principal = principalOf(req);
    const ip = clientIp(req);
    const key = !principal || principal.method === 'none' ? `address:${ip}` : principal.key;
    enforce(limits.request(key), 'principal', { req, res, next, ip, audit });
  };
}

/** Continues when the verdict (settled at once or later) allows the request; a counted, audited 429 otherwise. */
function enforce(
  verdict: Verdict | Promise<Verdict>,
  scope: 'address' | 'principal',
  on: { req: Request; res: Response; next: NextFunction; ip: string; audit: AuditLog },
): void {
  if (verdict instanceof Promise) return void verdict.then((settled) => enforce(settled, scope, on));
  if (verdict.allowed) return on.next();
  rateLimited.inc({ scope });
  on.audit.refusal(on.req, on.ip, { event: 'rate_limited', scope, retryAfterSec: verdict.retryAfterSec });
  closeIfBodyPending(on.req, on.res);
  refuse.rateLimited(on.res, verdict.retryAfterSec);
}
