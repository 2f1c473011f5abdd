// The one polling helper of the e2e suite: every wait has a deadline and names what it waited
// for, so a timeout reads as a sentence instead of "test timed out" (design.md: no fixed sleeps).

export interface WaitOptions {
  /** Named in the error on timeout: "the operator to reconcile probe/probe". */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
  /** Gives up at once when aborted, e.g. when a process we wait on has died. */
  signal?: AbortSignal;
}

type Falsy = false | 0 | '' | null | undefined;

/**
 * Calls `fn` until it returns a truthy value and resolves with that value. A throw counts as
 * "not yet" (a 404 before the object exists); the last one is quoted if the deadline passes.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  { what, timeoutMs = 60_000, intervalMs = 250, signal }: WaitOptions,
): Promise<Exclude<T, Falsy>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const value = await fn();
      if (value) return value as Exclude<T, Falsy>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError === undefined ? '' : `; last error: ${describe(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`, { cause: lastError });
    }
    await pause(Math.min(intervalMs, Math.max(0, deadline - Date.now())), signal);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

/** The poll interval itself; resolves early (and waitFor then throws) when `signal` aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
