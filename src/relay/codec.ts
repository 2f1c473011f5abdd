// The relay's wire format on Redis pub/sub (issue #6). One frame per Redis message:
//
//   <JSON header>\n<payload bytes>
//
// JSON.stringify never writes a raw newline, so the first \n ends the header. The payload — a
// request body, or a piece of a response — travels as raw bytes: responses are mostly SSE text,
// and base64 would add a third to every one of them.
//
// Frames come out of Redis, which is shared infrastructure: every frame is validated here before
// anything acts on it, and what may enter one is limited (an allowlist of request headers, so a
// bearer token or a cookie can never reach Redis).
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import type { NotedOutcome } from '../protocol/answer-note.js';
import type { Principal } from '../sessions/principal.js';

/** Largest payload of one chunk frame; bigger response pieces are split. */
export const MAX_CHUNK_BYTES = 64 * 1024;
/** Largest frame decoded at all (a request body is bounded by --body-limit before it gets here). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export type RelayKind = 'sse' | 'streamable';

/** Why an owner could not answer; the forwarding replica turns it into an HTTP answer. */
export type RelayFailure = 'not_found' | 'bad_request' | 'too_large' | 'failed';

// Request headers the session transports read. Everything else stays behind: Authorization and
// Cookie above all (the principal travels instead), and hop-by-hop headers (RFC 9110 §7.6.1).
const FORWARDED_REQUEST_HEADERS = ['accept', 'content-type', 'mcp-protocol-version', 'last-event-id', 'mcp-method', 'mcp-name', 'user-agent'] as const;

// Response headers that describe one connection, not the answer (RFC 9110 §7.6.1), plus those the
// forwarding replica's own HTTP stack writes for its connection.
const CONNECTION_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  'content-length',
  'date',
  'set-cookie',
]);

const id = z.string().regex(/^[A-Za-z0-9-]{1,64}$/);
const headerMap = z.record(z.string().max(64), z.string().max(8192)).refine((h) => Object.keys(h).length <= 64, 'too many headers');

// Bounds generous enough for any principal a JWT can name (the frame's size bounds them anyway).
const principal = z.object({
  key: z.string().min(1).max(8192),
  id: z.string().min(1).max(8192),
  name: z.string().max(1024).optional(),
  user: z.string().max(8192),
  groups: z.array(z.string().max(1024)).max(4096),
  method: z.enum(['token', 'jwt', 'none']),
  tokenFingerprint: z.string().max(64).optional(),
  expiresAt: z.number().optional(),
}) satisfies z.ZodType<Principal>;

const noted = z.enum(['ok', 'tool_error', 'rpc_error', 'unanswered']) satisfies z.ZodType<NotedOutcome>;

const header = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('request'),
    id,
    /** The forwarding replica: where the answer goes. */
    from: id,
    kind: z.enum(['sse', 'streamable']),
    sessionId: z.string().min(1).max(128),
    method: z.enum(['GET', 'POST', 'DELETE']),
    headers: headerMap,
    principal,
  }),
  z.object({ type: z.literal('cancel'), id }),
  z.object({ type: z.literal('head'), id, status: z.number().int().min(100).max(599), headers: headerMap }),
  z.object({ type: z.literal('chunk'), id }),
  // What the answer said, for the audit line on the forwarding replica (protocol/answer-note.ts);
  // `awaited`: the answer comes later (a legacy SSE POST's goes out on the stream), in an outcome frame.
  z.object({ type: z.literal('end'), id, outcome: noted.optional(), awaited: z.literal(true).optional() }),
  z.object({ type: z.literal('outcome'), id, outcome: noted.optional() }),
  z.object({ type: z.literal('error'), id, reason: z.enum(['not_found', 'bad_request', 'too_large', 'failed']) }),
]);

type Header = z.infer<typeof header>;
export type RelayRequest = Extract<Header, { type: 'request' }> & { body?: Buffer };
export type RelayCancel = Extract<Header, { type: 'cancel' }>;
export type RelayHead = Extract<Header, { type: 'head' }>;
export type RelayChunk = Extract<Header, { type: 'chunk' }> & { data: Buffer };
export type RelayEnd = Extract<Header, { type: 'end' }>;
export type RelayError = Extract<Header, { type: 'error' }>;
export type RelayOutcome = Extract<Header, { type: 'outcome' }>;
/** To the replica holding the session. */
export type OwnerBound = RelayRequest | RelayCancel;
/** Back to the replica that took the request. */
export type ReplyFrame = RelayHead | RelayChunk | RelayEnd | RelayError | RelayOutcome;
export type RelayFrame = OwnerBound | ReplyFrame;

export class RelayCodecError extends Error {}

const NEWLINE = 0x0a;

/** Throws RelayCodecError for a frame the other side would refuse, so the sender learns it at once. */
export function encodeFrame(frame: RelayFrame): Buffer {
  const { payload, rest } = split(frame);
  const checked = header.safeParse(rest);
  if (!checked.success) throw new RelayCodecError(`cannot encode the ${rest.type} frame: ${describeIssues(checked.error)}`);
  const head = Buffer.from(`${JSON.stringify(rest)}\n`, 'utf8');
  return payload ? Buffer.concat([head, payload]) : head;
}

/** Throws RelayCodecError for anything that is not a well-formed frame. */
export function decodeFrame(raw: Buffer): RelayFrame {
  if (raw.length > MAX_FRAME_BYTES) throw new RelayCodecError(`frame of ${raw.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  const end = raw.indexOf(NEWLINE);
  if (end < 0) throw new RelayCodecError('frame without a header line');
  let json: unknown;
  try {
    json = JSON.parse(raw.subarray(0, end).toString('utf8'));
  } catch {
    throw new RelayCodecError('frame header is not JSON');
  }
  const parsed = header.safeParse(json);
  if (!parsed.success) throw new RelayCodecError(`malformed frame: ${describeIssues(parsed.error)}`);
  const payload = raw.subarray(end + 1);
  const frame = parsed.data;
  if (frame.type === 'chunk') return { ...frame, data: payload };
  if (frame.type === 'request') return payload.length > 0 ? { ...frame, body: payload } : frame;
  if (payload.length > 0) throw new RelayCodecError(`a ${frame.type} frame carries no payload`);
  return frame;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

function split(frame: RelayFrame): { payload?: Buffer; rest: Header } {
  if (frame.type === 'chunk') {
    const { data, ...rest } = frame;
    return { payload: data, rest };
  }
  if (frame.type === 'request') {
    const { body, ...rest } = frame;
    return body ? { payload: body, rest } : { rest };
  }
  return { rest: frame };
}

/** The request headers that travel with a relayed request (see FORWARDED_REQUEST_HEADERS). */
export function forwardedRequestHeaders(headers: IncomingHttpHeaders | Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

/** The response headers that travel back: all but the connection's own (see CONNECTION_HEADERS). */
export function forwardedResponseHeaders(headers: Record<string, string | string[] | number | undefined>): Record<string, string> {
  // Names a Connection header lists are hop-by-hop too.
  const listed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || CONNECTION_HEADERS.has(lower) || listed.has(lower)) continue;
    out[lower] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}
