// The one place that opens, watches and closes Redis connections (--redis-url): the shared rate
// limits (src/guards/rate-limit.ts) and the session relay (src/relay/relay.ts) both use it, so
// both fail fast, log an outage once and its end once, and close the same way.
import { Redis } from 'ioredis';
import type { Logger } from './log.js';

const CONNECT_TIMEOUT_MS = 2000;

/**
 * 'commands' fail fast while disconnected (the caller falls back: in-memory limits, a session
 * served locally) instead of queueing; a 'subscriber' keeps its queue, as it re-subscribes by
 * itself after a reconnect.
 */
export function openRedis(url: string, use: 'commands' | 'subscriber'): Redis {
  return use === 'commands'
    ? new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: CONNECT_TIMEOUT_MS })
    : new Redis(url, { connectTimeout: CONNECT_TIMEOUT_MS });
}

/** Logs `messages.down` at the first error of any of `connections`, and `messages.up` once they are back. */
export function watchRedis(connections: readonly Redis[], logger: Logger, messages: { down: string; up: string }): { readonly down: boolean } {
  const state = { down: false };
  for (const connection of connections) {
    connection.on('error', (err: Error) => {
      if (!state.down) logger.warn({ err: err.message }, messages.down);
      state.down = true;
    });
    connection.on('ready', () => {
      if (state.down) logger.info(messages.up);
      state.down = false;
    });
  }
  return state;
}

/** True once `redis` is connected; false at its first error (a refused connection will not turn ready within the wait) or after `timeoutMs`. */
export function redisReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
      resolve(ok);
    };
    const onReady = () => done(true);
    const onError = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.on('ready', onReady);
    redis.on('error', onError);
  });
}

/** QUIT where connected (pending replies still arrive), then drop the connections either way. */
export async function closeRedis(connections: readonly Redis[]): Promise<void> {
  await Promise.allSettled(connections.map((connection) => (connection.status === 'ready' ? connection.quit() : undefined)));
  for (const connection of connections) connection.disconnect();
}
