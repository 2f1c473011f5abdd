// The one polling helper of the specs, the e2e suite, the load harness, the scripts and the local
// cluster: every wait has a deadline and names what it waited for, so a timeout reads as a
// sentence instead of "test timed out" (design.md: no fixed sleeps).

export interface WaitOptions {
  /** Named in the error on timeout: "the operator to reconcile probe/probe". */
  what: string;
  /** Default 60 s; a bare `what` string (in-process conditions of the fast specs) means 5 s. */
  timeoutMs?: number;
  /** The longest pause between two polls (default 250 ms); the first polls come sooner. */
  intervalMs?: number;
  /** Gives up at once when aborted, e.g. when a process we wait on has died. */
  signal?: AbortSignal;
}

type Falsy = false | 0 | '' | null | undefined;

/** The first pause; it doubles up to `intervalMs`, so in-process conditions are seen within milliseconds and long waits poll rarely. */
const FIRST_PAUSE_MS = 10;

/**
 * Calls `fn` until it returns a truthy value and resolves with that value. A throw counts as
 * "not yet" (a 404 before the object exists); the last one is quoted if the deadline passes.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, options: WaitOptions | string): Promise<Exclude<T, Falsy>> {
  const { what, timeoutMs = 60_000, intervalMs = 250, signal } = typeof options === 'string' ? { what: options, timeoutMs: 5_000 } : options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let pauseMs = Math.min(FIRST_PAUSE_MS, intervalMs);
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
    await pause(Math.min(pauseMs, Math.max(0, deadline - Date.now())), signal);
    pauseMs = Math.min(pauseMs * 2, intervalMs);
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

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

/** A promise resolved from outside: a spec waits on an event a callback reports. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
