// Server-Sent Events for the load harness's clients: both MCP HTTP transports answer over SSE
// (legacy SSE on one long stream, Streamable HTTP on one short stream per POST). The parsing is
// eventsource-parser's (the WHATWG "Parsing an event stream" algorithm, chunk boundaries and line
// ends included); this adapter adds what the harness reads off it: bytes decoded as UTF-8 across
// chunks, the event type defaulted to "message", and the stream's last event ID (issue #16).
import { createParser, type EventSourceParser } from 'eventsource-parser';

export interface SseEvent {
  /** The `event:` field; "message" when the event had none. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The last `id:` seen on the stream so far (the spec's "last event ID"). */
  id: string;
}

export interface SseHandlers {
  event(event: SseEvent): void;
  /** Comment lines (": keepalive"), without the colon. */
  comment?(text: string): void;
  /** A valid `retry:` field, in milliseconds. */
  retry?(ms: number): void;
}

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly parser: EventSourceParser;
  private lastEventId = '';

  constructor(handlers: SseHandlers) {
    this.parser = createParser({
      // Called for every block with an id, also one without data: the last event ID moves on either way.
      onId: (id) => {
        this.lastEventId = id;
      },
      onEvent: (event) => handlers.event({ event: event.event ?? 'message', data: event.data, id: this.lastEventId }),
      // The parser already strips the one space after the colon.
      onComment: handlers.comment,
      onRetry: handlers.retry,
    });
  }

  /** Feeds the next chunk of the stream (bytes or already decoded text). */
  push(chunk: Uint8Array | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (text !== '') this.parser.feed(text);
  }

  /** The stream ended: an incomplete last event is discarded, as the spec says. */
  end(): void {
    const rest = this.decoder.decode();
    if (rest) this.parser.feed(rest);
    this.parser.reset();
  }
}

/** Parses a complete SSE body (a finished stream) into its events. */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser({ event: (e) => events.push(e) });
  parser.push(text);
  // A body that ends right after the last data line still counts: finish the event.
  parser.push('\n\n');
  parser.end();
  return events;
}
