import { describe, expect, it } from 'vitest';
import { parseSse, SseParser, type SseEvent } from '../../load/lib/sse.js';

/** Feeds `chunks` to a fresh parser; returns the events, comments and retries it reported. */
function feed(chunks: (string | Uint8Array)[]) {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = new SseParser({ event: (e) => events.push(e), comment: (c) => comments.push(c), retry: (ms) => retries.push(ms) });
  for (const chunk of chunks) parser.push(chunk);
  return { events, comments, retries, parser };
}

// What the two MCP transports send: the legacy `endpoint` event, then messages; Streamable HTTP's
// priming event (an id and an empty data line) before each answer.
const LEGACY_STREAM = 'event: endpoint\ndata: /messages?sessionId=abc\n\nevent: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n: keepalive\n\n';
const STREAMABLE_BODY = 'id: s1_1\ndata: \n\nevent: message\nid: s1_2\ndata: {"result":{"content":[]},"jsonrpc":"2.0","id":7}\n\n';

describe('SseParser', () => {
  it('reads the events of a legacy SSE stream, comments apart', () => {
    const { events, comments } = feed([LEGACY_STREAM]);
    expect(events).toEqual([
      { event: 'endpoint', data: '/messages?sessionId=abc', id: '' },
      { event: 'message', data: '{"jsonrpc":"2.0","id":1,"result":{}}', id: '' },
    ]);
    expect(comments).toEqual(['keepalive']);
  });

  it("dispatches the Streamable HTTP priming event (empty data) and keeps each event's last id", () => {
    const { events } = feed([STREAMABLE_BODY]);
    expect(events).toEqual([
      { event: 'message', data: '', id: 's1_1' },
      { event: 'message', data: '{"result":{"content":[]},"jsonrpc":"2.0","id":7}', id: 's1_2' },
    ]);
  });

  it('joins multi-line data with \\n and strips only one leading space', () => {
    const { events } = feed(['data: first\ndata:second\ndata:  third\ndata\n\n']);
    expect(events).toEqual([{ event: 'message', data: 'first\nsecond\n third\n', id: '' }]);
  });

  it('gives the same events whatever the chunk boundaries', () => {
    const whole = feed([LEGACY_STREAM + STREAMABLE_BODY]).events;
    const text = LEGACY_STREAM + STREAMABLE_BODY;
    for (let at = 1; at < text.length; at++) expect(feed([text.slice(0, at), text.slice(at)]).events, `split at ${at}`).toEqual(whole);
    expect(feed([...text]).events).toEqual(whole); // one character at a time
  });

  it('accepts CRLF, CR and LF line ends, including a CRLF split across two chunks', () => {
    const expected = [
      { event: 'a', data: 'x', id: '' },
      { event: 'b', data: 'y', id: '' },
    ];
    expect(feed(['event: a\r\ndata: x\r\n\r\nevent: b\r\ndata: y\r\n\r\n']).events).toEqual(expected);
    expect(feed(['event: a\rdata: x\r\revent: b\rdata: y\r\r']).events).toEqual(expected);
    // The CR ends one chunk, its LF opens the next: one line end, not an empty line between.
    expect(feed(['event: a\r', '\ndata: x\r', '\n\r', '\nevent: b\ndata: y\n\n']).events).toEqual(expected);
  });

  it('decodes UTF-8 split inside a multi-byte character', () => {
    const bytes = new TextEncoder().encode('data: café ✓\n\n');
    const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of "é"
    const { events } = feed([bytes.slice(0, cut), bytes.slice(cut, cut + 3), bytes.slice(cut + 3)]);
    expect(events).toEqual([{ event: 'message', data: 'café ✓', id: '' }]);
  });

  it('strips a leading BOM, ignores unknown fields, reports a valid retry', () => {
    const { events, retries } = feed(['\ufeffretry: 1500\nretry: soon\nfoo: bar\ndata: ok\n\n']);
    expect(events).toEqual([{ event: 'message', data: 'ok', id: '' }]);
    expect(retries).toEqual([1500]);
  });

  it('dispatches nothing for an event without data, but remembers its id', () => {
    const { events } = feed(['event: ping\nid: 5\n\ndata: after\n\n']);
    expect(events).toEqual([{ event: 'message', data: 'after', id: '5' }]);
  });

  it('waits for the blank line: an unfinished event is held, and dropped at end()', () => {
    const { events, parser } = feed(['data: one\n\ndata: two\n']);
    expect(events.map((e) => e.data)).toEqual(['one']);
    parser.end();
    parser.push('\n');
    expect(events.map((e) => e.data)).toEqual(['one']);
  });

  it('parseSse reads a finished body, even one missing the final blank line', () => {
    expect(parseSse('data: a\n\ndata: b').map((e) => e.data)).toEqual(['a', 'b']);
  });
});
