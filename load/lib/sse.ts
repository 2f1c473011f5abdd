// An incremental Server-Sent Events parser, as the WHATWG HTML spec ("Parsing an event stream")
// describes it: bytes arrive in arbitrary chunks, so a line, a field, a CRLF pair or a UTF-8
// sequence may be split across two chunks. Both MCP HTTP transports answer over SSE:
// legacy SSE on one long stream, Streamable HTTP on one short stream per POST.

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

const LINE_END = /\r\n|\r|\n/g;

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private atStart = true;
  /** The previous chunk ended with CR: a LF opening the next chunk belongs to that line end. */
  private pendingCr = false;
  private data = '';
  private hasData = false;
  private eventType = '';
  private lastEventId = '';

  constructor(private readonly handlers: SseHandlers) {}

  /** Feeds the next chunk of the stream (bytes or already decoded text). */
  push(chunk: Uint8Array | string): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (text === '') return;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (text.charCodeAt(0) === 0x0a) text = text.slice(1);
    }
    if (this.atStart && text !== '') {
      this.atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.buffer += text;
    this.drainLines();
  }

  /** The stream ended: an incomplete last event is discarded, as the spec says. */
  end(): void {
    const rest = this.decoder.decode();
    if (rest) this.push(rest);
    this.buffer = '';
    this.resetEvent();
  }

  private drainLines(): void {
    const buffer = this.buffer;
    let start = 0;
    LINE_END.lastIndex = 0;
    for (let match = LINE_END.exec(buffer); match !== null; match = LINE_END.exec(buffer)) {
      // A lone CR at the very end may be the first half of a CRLF split across chunks.
      if (match[0] === '\r' && match.index === buffer.length - 1) this.pendingCr = true;
      this.line(buffer.slice(start, match.index));
      start = match.index + match[0].length;
    }
    this.buffer = start === 0 ? buffer : buffer.slice(start);
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    const colon = line.indexOf(':');
    if (colon === 0) {
      this.handlers.comment?.(line.charCodeAt(1) === 0x20 ? line.slice(2) : line.slice(1));
      return;
    }
    let field: string;
    let value: string;
    if (colon < 0) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 0x20 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case 'data':
        this.data = this.hasData ? `${this.data}\n${value}` : value;
        this.hasData = true;
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.handlers.retry?.(Number(value));
        break;
      default:
      // Unknown fields are ignored (spec).
    }
  }

  private dispatch(): void {
    // No data line: nothing is dispatched, but an `id:` still moved the last event ID.
    if (!this.hasData) {
      this.eventType = '';
      return;
    }
    const event: SseEvent = { event: this.eventType || 'message', data: this.data, id: this.lastEventId };
    this.resetEvent();
    this.handlers.event(event);
  }

  private resetEvent(): void {
    this.data = '';
    this.hasData = false;
    this.eventType = '';
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
