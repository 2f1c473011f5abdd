// Conflicts of a read-modify-write: a write conditioned on the resourceVersion it read is
// refused with 409 when the object moved on, and is then done again on a fresh read.
import { KubeError } from './errors.js';

/** How long a read-modify-write keeps retrying 409s, and its backoff (exponential, full jitter). */
export const CONFLICT_RETRY = { deadlineMs: 20_000, firstDelayMs: 10, maxDelayMs: 500 };

/**
 * Runs a read-modify-write again when the API answers 409. Writes that replace a list (roles,
 * fenced instances) carry the resourceVersion they read, and the operator bumps it with every
 * status update, so a conflict usually means "read again", as client-go's RetryOnConflict does.
 * `attempt` must read fresh (bypassing the cache) each time.
 *
 * Retries until a deadline rather than a count, with exponential backoff and full jitter: with
 * many writers on one object a fixed few quick retries collide again in lockstep (issue #12,
 * item 4: 11 of 20 concurrent role creates failed after 5). Cancelling the request stops it.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, signal?: AbortSignal, policy = CONFLICT_RETRY): Promise<T> {
  const deadline = Date.now() + policy.deadlineMs;
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof KubeError && err.kind === 'conflict')) throw err;
      const ceiling = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** i);
      const delay = Math.random() * ceiling;
      if (signal?.aborted || Date.now() + delay > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
