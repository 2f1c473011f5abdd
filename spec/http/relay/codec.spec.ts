// Issue #6: the relay's frames on Redis pub/sub — round trips, binary payloads, refusal of
// anything malformed, and the header filters that keep tokens and hop-by-hop headers out.
import { describe, expect, it } from 'vitest';
import {
  MAX_FRAME_BYTES,
  RelayCodecError,
  decodeFrame,
  encodeFrame,
  forwardedRequestHeaders,
  forwardedResponseHeaders,
  type RelayFrame,
  type RelayRequest,
} from '../../../src/relay/codec.js';
import { ANONYMOUS, type Principal } from '../../../src/sessions/principal.js';

const alice: Principal = {
  key: 'token-user:alice',
  id: '0123456789ab',
  name: 'alice',
  user: 'alice',
  groups: ['dba'],
  method: 'token',
  tokenFingerprint: '0123456789ab',
};
const request = (body?: Buffer): RelayRequest => ({
  type: 'request',
  id: '6f1c2a54-9d0e-4b7a-8f3e-2c1d0a9b8e7f',
  from: '0a1b2c3d4e5f6a7b',
  kind: 'streamable',
  sessionId: 'b0a4e1c2-7d3f-4e5a-9b8c-1d2e3f4a5b6c',
  method: 'POST',
  headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json', 'mcp-protocol-version': '2025-11-25' },
  principal: alice,
  ...(body ? { body } : {}),
});

describe('relay frames', () => {
  it.each<[string, RelayFrame]>([
    ['a request with a body', request(Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/list"}'))],
    ['a request without a body (GET, DELETE)', { ...request(), method: 'GET' }],
    ['a request of the anonymous principal', { ...request(), principal: { ...ANONYMOUS, groups: [] } }],
    ['a cancel', { type: 'cancel', id: 'abc-123' }],
    ['a head', { type: 'head', id: 'abc-123', status: 200, headers: { 'content-type': 'text/event-stream', 'mcp-session-id': 'x' } }],
    ['a chunk', { type: 'chunk', id: 'abc-123', data: Buffer.from('event: message\ndata: {"a":"\\n"}\n\n') }],
    ['an end', { type: 'end', id: 'abc-123' }],
    ["an end with its answer's outcome", { type: 'end', id: 'abc-123', outcome: 'tool_error' }],
    ['an end whose answer comes later', { type: 'end', id: 'abc-123', awaited: true }],
    ['an outcome', { type: 'outcome', id: 'abc-123', outcome: 'unanswered' }],
    ['an error', { type: 'error', id: 'abc-123', reason: 'too_large' }],
  ])('round-trips %s', (_label, frame) => {
    expect(decodeFrame(encodeFrame(frame))).toEqual(frame);
  });

  it('carries payloads as raw bytes: newlines, NUL and invalid UTF-8 survive', () => {
    const data = Buffer.from([0x0a, 0x00, 0xff, 0xfe, 0x0a, 0x7b, 0x0a]);
    const decoded = decodeFrame(encodeFrame({ type: 'chunk', id: 'c1', data }));
    expect(decoded.type === 'chunk' && decoded.data.equals(data)).toBe(true);
    // The header is one line of JSON, the payload follows as is (no base64).
    expect(encodeFrame({ type: 'chunk', id: 'c1', data }).length).toBe(Buffer.byteLength('{"type":"chunk","id":"c1"}\n') + data.length);
  });

  it.each<[string, Buffer]>([
    ['no header line', Buffer.from('{"type":"end","id":"x"}')],
    ['a header that is not JSON', Buffer.from('not json\n')],
    ['an unknown type', Buffer.from('{"type":"exec","id":"x"}\n')],
    ['an id with characters outside [A-Za-z0-9-]', Buffer.from('{"type":"end","id":"../x"}\n')],
    ['a status out of range', Buffer.from('{"type":"head","id":"x","status":99,"headers":{}}\n')],
    ['a payload on a frame that carries none', Buffer.from('{"type":"end","id":"x"}\nextra')],
    ['an outcome the audit line does not know', Buffer.from('{"type":"outcome","id":"x","outcome":"fine"}\n')],
    [
      'a request for a method the relay never sends',
      Buffer.from(
        encodeFrame({ ...request(), method: 'GET' })
          .toString()
          .replace('"GET"', '"PUT"'),
      ),
    ],
    ['a request without a principal', Buffer.from(`${JSON.stringify({ ...request(), principal: undefined })}\n`)],
  ])('refuses %s', (_label, raw) => {
    expect(() => decodeFrame(raw)).toThrow(RelayCodecError);
  });

  it('refuses to encode a frame the other side would refuse', () => {
    expect(() => encodeFrame({ type: 'end', id: 'not/an/id' })).toThrow(RelayCodecError);
    expect(() => encodeFrame({ ...request(), principal: { ...alice, groups: Array.from({ length: 5000 }, (_, i) => `g${i}`) } })).toThrow(RelayCodecError);
  });

  it('refuses frames over the size limit before parsing them', () => {
    const huge = Buffer.alloc(MAX_FRAME_BYTES + 1, 0x20);
    expect(() => decodeFrame(huge)).toThrow(/exceeds/);
  });
});

describe('relayed headers', () => {
  it('forwards only the request headers the session transports read: never Authorization, Cookie or hop-by-hop headers', () => {
    const forwarded = forwardedRequestHeaders({
      authorization: 'Bearer secret-token-value-0123456789',
      cookie: 'session=secret',
      connection: 'keep-alive',
      'transfer-encoding': 'chunked',
      'x-forwarded-for': '10.0.0.1',
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      'mcp-protocol-version': '2025-11-25',
      'last-event-id': 'stream-1_7',
    });
    expect(forwarded).toEqual({
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      'mcp-protocol-version': '2025-11-25',
      'last-event-id': 'stream-1_7',
    });
    expect(JSON.stringify(forwarded)).not.toContain('secret');
  });

  it('returns every response header but the connection ones, including those the Connection header names', () => {
    expect(
      forwardedResponseHeaders({
        'content-type': 'text/event-stream',
        'mcp-session-id': 'abc',
        'x-accel-buffering': 'no',
        connection: 'keep-alive, x-hop',
        'x-hop': 'drop me',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'content-length': '12',
        date: 'Tue, 24 Nov 2026 12:00:00 GMT',
        allow: ['GET', 'POST'],
      }),
    ).toEqual({ 'content-type': 'text/event-stream', 'mcp-session-id': 'abc', 'x-accel-buffering': 'no', allow: 'GET, POST' });
  });
});
