// Resumability for Streamable HTTP sessions: the events sent on a session's SSE streams, kept in
// memory so a client reconnecting with Last-Event-ID gets what it missed. One store per session:
// a client cannot replay another session's events, and the store goes away with the session.
// In memory only: a restarted or different replica has nothing to replay (see docs/http.md).
// Synchronous on purpose: the session transport (session-transport.ts) writes an event the moment
// it is stored, with no promise turn between the two.
import type { JSONRPCMessage } from '@modelcontextprotocol/server';

const SEPARATOR = '_';

/** A priming event marks a position in a stream (an id to resume from); it carries no message. */
export const PRIMING = Symbol('priming');

type Stored = JSONRPCMessage | typeof PRIMING;

export class MemoryEventStore {
  // Insertion-ordered: the oldest event is the first key, which makes eviction cheap.
  private readonly events = new Map<string, { streamId: string; seq: number; message: Stored }>();
  private seq = 0;

  /** Keeps at most `maxEvents` events; older ones are dropped (a late resume then misses them). */
  constructor(private readonly maxEvents = 1000) {}

  /** Stores an event of `streamId` and returns its id. */
  store(streamId: string, message: Stored): string {
    const seq = ++this.seq;
    const eventId = `${streamId}${SEPARATOR}${seq}`;
    this.events.set(eventId, { streamId, seq, message });
    if (this.events.size > this.maxEvents) this.events.delete(this.events.keys().next().value!);
    return eventId;
  }

  /** The stream an event id belongs to, read from the id itself: still known after its event was evicted. */
  streamOf(eventId: string): string | undefined {
    return parse(eventId)?.streamId;
  }

  /** Calls `send` with every message of the same stream stored after `lastEventId`, oldest first. */
  replayAfter(lastEventId: string, send: (eventId: string, message: JSONRPCMessage) => void): void {
    const last = parse(lastEventId);
    if (!last) throw new Error('unknown event id');
    for (const [eventId, event] of this.events) {
      if (event.streamId !== last.streamId || event.seq <= last.seq || event.message === PRIMING) continue;
      send(eventId, event.message);
    }
  }
}

function parse(eventId: string): { streamId: string; seq: number } | undefined {
  const at = eventId.lastIndexOf(SEPARATOR);
  const seq = Number(eventId.slice(at + 1));
  if (at <= 0 || !Number.isSafeInteger(seq)) return undefined;
  return { streamId: eventId.slice(0, at), seq };
}
