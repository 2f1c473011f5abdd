// Resumability for Streamable HTTP sessions: the events sent on a session's streams, kept in
// memory so a client reconnecting with Last-Event-ID gets what it missed. One store per session:
// a client cannot replay another session's events, and the store goes away with the session.
// In memory only: a restarted or different replica has nothing to replay (see docs/http.md).
import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';

const SEPARATOR = '_';

export class MemoryEventStore implements EventStore {
  // Insertion-ordered: the oldest event is the first key, which makes eviction cheap.
  private readonly events = new Map<EventId, { streamId: StreamId; seq: number; message: JSONRPCMessage }>();
  private seq = 0;

  /** Keeps at most `maxEvents` events; older ones are dropped (a late resume then misses them). */
  constructor(private readonly maxEvents = 1000) {}

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const seq = ++this.seq;
    const eventId = `${streamId}${SEPARATOR}${seq}`;
    this.events.set(eventId, { streamId, seq, message });
    if (this.events.size > this.maxEvents) this.events.delete(this.events.keys().next().value!);
    return eventId;
  }

  // The stream is read from the id itself, so it is still known after its event was evicted.
  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    return parse(eventId)?.streamId;
  }

  async replayEventsAfter(lastEventId: EventId, { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> }): Promise<StreamId> {
    const last = parse(lastEventId);
    if (!last) throw new Error('unknown event id');
    for (const [eventId, event] of this.events) {
      // The SDK's priming event stores an empty message: it marks a position, it is not a message.
      if (event.streamId !== last.streamId || event.seq <= last.seq || Object.keys(event.message).length === 0) continue;
      await send(eventId, event.message);
    }
    return last.streamId;
  }
}

function parse(eventId: EventId): { streamId: StreamId; seq: number } | undefined {
  const at = eventId.lastIndexOf(SEPARATOR);
  const seq = Number(eventId.slice(at + 1));
  if (at <= 0 || !Number.isSafeInteger(seq)) return undefined;
  return { streamId: eventId.slice(0, at), seq };
}
