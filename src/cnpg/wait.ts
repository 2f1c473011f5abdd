// Waiting for one object to reach a state, for as long as the caller asked (issue #12, item 2).
// client-node's Watch gives up after 30 s without an event, and the API server ends watches on
// its own schedule too; a wait therefore runs watch after watch, each resuming from the last
// resourceVersion seen (a fresh read when that version has expired: 410 Gone), until the state
// is reached or the deadline passes. Reaching the deadline is an outcome, not an error: the
// change was made and is not complete yet.
import { ApiException, type KubeConfig, Watch } from '@kubernetes/client-node';
import { classifyKubeError, KubeError } from './errors.js';
import type { CnpgObject } from './types.js';

/** Longest single watch: below client-node's 30 s inactivity timeout, so the server ends it cleanly. */
const SEGMENT_SECONDS = 25;
/** Pause before re-establishing a watch that broke (network), so a down API server is not hammered. */
const RETRY_DELAY_MS = 1000;

export type WaitOutcome<T, R> = { done: true; value: R } | { done: false; last: T };

export interface WaitOptions<T> {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Sees every version of the object (progress notifications). */
  onChange?: (obj: T) => void;
}

type SegmentEnd<R> = { result: R } | { gone: true } | { ended: true };

export async function waitForObject<T extends CnpgObject, R>(
  kubeConfig: KubeConfig,
  path: string,
  name: string,
  read: () => Promise<T>,
  until: (obj: T) => R | undefined,
  opts: WaitOptions<T>,
): Promise<WaitOutcome<T, R>> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = await read();
  const see = (obj: T) => {
    last = obj;
    opts.onChange?.(obj);
    return until(obj);
  };
  const first = see(last);
  if (first !== undefined) return { done: true, value: first };
  let resourceVersion = last.metadata.resourceVersion;

  while (Date.now() < deadline) {
    if (opts.signal?.aborted) throw new KubeError('timeout', 'the request was cancelled');
    const onVersion = (rv: string | undefined) => {
      resourceVersion = rv ?? resourceVersion;
    };
    const segmentMs = Math.min(deadline - Date.now(), SEGMENT_SECONDS * 1000);
    const end = await watchSegment<T, R>(kubeConfig, path, name, resourceVersion, segmentMs, opts.signal, onVersion, (obj) => {
      onVersion(obj.metadata.resourceVersion);
      return see(obj);
    });
    if ('result' in end) return { done: true, value: end.result };
    if ('gone' in end) {
      const fresh = see(await read());
      if (fresh !== undefined) return { done: true, value: fresh };
      resourceVersion = last.metadata.resourceVersion;
    }
  }
  if (opts.signal?.aborted) throw new KubeError('timeout', 'the request was cancelled');
  return { done: false, last };
}

/** One watch, until `onObject` returns a value, the watch ends, `maxMs` passes or the signal aborts. */
function watchSegment<T extends CnpgObject, R>(
  kubeConfig: KubeConfig,
  path: string,
  name: string,
  resourceVersion: string | undefined,
  maxMs: number,
  signal: AbortSignal | undefined,
  onVersion: (resourceVersion: string | undefined) => void,
  onObject: (obj: T) => R | undefined,
): Promise<SegmentEnd<R>> {
  return new Promise<SegmentEnd<R>>((resolve, reject) => {
    let controller: AbortController | undefined;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      controller?.abort();
      fn();
    };
    const timer = setTimeout(() => finish(() => resolve({ ended: true })), Math.max(0, maxMs));
    const onAbort = () => finish(() => resolve({ ended: true }));
    signal?.addEventListener('abort', onAbort);
    const onDone = (err: unknown) => {
      if (settled) return;
      const status = (err as { statusCode?: unknown } | null)?.statusCode;
      if (status === 410) return finish(() => resolve({ gone: true }));
      if (typeof status === 'number') return finish(() => reject(classifyKubeError(new ApiException(status, `HTTP ${status}`, undefined, {}))));
      // A clean end, client-node's inactivity timeout, or a broken connection: watch again
      // (after a pause when something broke), the deadline decides when to stop.
      const pause = err && (err as Error).name !== 'TimeoutError' && (err as Error).name !== 'AbortError' ? RETRY_DELAY_MS : 0;
      setTimeout(() => finish(() => resolve({ ended: true })), Math.min(pause, Math.max(0, maxMs)));
    };
    new Watch(kubeConfig)
      .watch(
        path,
        {
          fieldSelector: `metadata.name=${name}`,
          resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: Math.max(1, Math.ceil(maxMs / 1000)),
        },
        (type: string, obj: T & { code?: number }) => {
          if (type === 'ERROR') {
            if (obj.code === 410) finish(() => resolve({ gone: true }));
            return;
          }
          if (type === 'DELETED') return finish(() => reject(new KubeError('not_found', `${name} was deleted while waiting`, 404)));
          // A bookmark carries only a newer resourceVersion to resume from.
          if (type === 'BOOKMARK') return onVersion(obj.metadata?.resourceVersion);
          const result = onObject(obj);
          if (result !== undefined) finish(() => resolve({ result }));
        },
        onDone,
      )
      .then((c) => {
        controller = c;
        if (settled) c.abort();
      })
      .catch((err) => onDone(err));
  });
}
