// Reads answered from the watch cache's last known state while the API server cannot be reached
// (issue #12, item 14). A platform engineer looking at clusters during an API outage is better
// served by the last state the server saw, plainly marked with its age, than by an error: so a
// read-only call (a read-only tool, a resource read) whose API request fails as unreachable is
// answered from the cache when it holds that namespace's objects, and its answer says so and how
// old it is. Never for writes, and never for a read made on the way to a write: a change decided
// on state that may be out of date is not one to make, so those calls fail as before. The answer
// runs inside allowingLastKnown(); CnpgClient notes each read it answered so (noteLastKnown).
import { AsyncLocalStorage } from 'node:async_hooks';

/** One read answered from the last known state: when the API server last confirmed it, and why it could not answer now. */
export interface LastKnownRead {
  confirmedAt: number;
  reason: string;
}

const calls = new AsyncLocalStorage<{ oldest?: LastKnownRead }>();

/** Runs `read` with answers from the last known state allowed; says whether any was one (the oldest). */
export async function allowingLastKnown<T>(read: () => Promise<T>): Promise<{ value: T; stale?: LastKnownRead }> {
  const seen: { oldest?: LastKnownRead } = {};
  const value = await calls.run(seen, read);
  return seen.oldest ? { value, stale: seen.oldest } : { value };
}

/** Whether the running call may be answered from the last known state (see the header). */
export function lastKnownAllowed(): boolean {
  return calls.getStore() !== undefined;
}

export function noteLastKnown(read: LastKnownRead): void {
  const seen = calls.getStore();
  if (seen && (!seen.oldest || read.confirmedAt < seen.oldest.confirmedAt)) seen.oldest = read;
}

/** The structured note of a stale answer (a result's `_meta`, under STALE_META_KEY). */
export interface StaleNote {
  stale: true;
  age_seconds: number;
  last_synced_at: string;
  reason: string;
}

export const STALE_META_KEY = 'cnpg-mcp/cache';

/** The sentence that heads a stale answer, and its structured note. */
export function staleNote(read: LastKnownRead, now = Date.now()): { sentence: string; note: StaleNote } {
  const age = Math.max(0, Math.round((now - read.confirmedAt) / 1000));
  const at = new Date(read.confirmedAt).toISOString();
  return {
    sentence: `From the cache, last confirmed by the API server ${age} s ago (${at}): the API server is unreachable (${read.reason}). This may be out of date.`,
    note: { stale: true, age_seconds: age, last_synced_at: at, reason: read.reason },
  };
}
