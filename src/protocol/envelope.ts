// The JSON-RPC 2.0 envelope of one POST body, classified once per request (issue #16) and read by
// the guards, the audit line, the relay and the transports through envelopeOf(req).
// Only the envelope, checked by hand: the SDK's Protocol validates a request's params against its
// method's schema when it dispatches it. A zod parse of the envelope on top of the SDK's own cost
// ~7 µs per message in the load profiles (docs/benchmarks.md).
import type { IncomingMessage } from 'node:http';

export type JsonRpcKind = 'request' | 'notification' | 'response';
export type JsonRpcId = string | number | null;

export interface Envelope {
  /** The kind of a single message; undefined for a batch or for what is no JSON-RPC message. */
  kind: JsonRpcKind | undefined;
  /** The method of a single message (not a batch), when it has one. */
  method: string | undefined;
  /** The id to answer a refusal with: the single message's string or number id, else null. */
  replyId: JsonRpcId;
  /** The id of the only message of the body (a batch of one included), for the audit line. */
  onlyId: string | number | undefined;
  /** Each message's kind, in order (undefined for one that is no JSON-RPC message). */
  kinds: (JsonRpcKind | undefined)[];
  /** Each message's method, 'response' for one without (the audit line's `method`); empty when the body is no object. */
  methods: string[];
  /** True when at least one message has a method and an id (a request, not only notifications or responses). */
  carriesRequest: boolean;
  /** The ids of the tools/call requests, in order. */
  toolCallIds: (string | number)[];
  /** The first tools/call of the body, when its params name a tool. */
  toolCall: { name: string; arguments: unknown } | undefined;
}

type Message = { method?: unknown; id?: unknown; params?: { name?: unknown; arguments?: unknown } } | null | undefined;

const isId = (id: unknown): id is string | number => typeof id === 'string' || typeof id === 'number';

/** The kind of one message, or undefined when it is none of the three. */
export function jsonRpcKind(message: unknown): JsonRpcKind | undefined {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
  const { jsonrpc, method, id, params } = message as Record<string, unknown>;
  if (jsonrpc !== '2.0') return undefined;
  const validId = typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id));
  if (typeof method === 'string') {
    if (params !== undefined && (typeof params !== 'object' || params === null)) return undefined;
    if (id === undefined) return 'notification';
    return validId ? 'request' : undefined;
  }
  return validId && ('result' in message || 'error' in message) ? 'response' : undefined;
}

/** Classifies a parsed body (one message or a batch) in one pass. */
export function parseEnvelope(body: unknown): Envelope {
  const single = (body ?? undefined) as { id?: unknown } | undefined;
  const envelope: Envelope = {
    kind: jsonRpcKind(body),
    method:
      !Array.isArray(body) && typeof (single as { method?: unknown } | undefined)?.method === 'string' ? (single as { method: string }).method : undefined,
    replyId: isId(single?.id) ? single.id : null,
    onlyId: undefined,
    kinds: [],
    methods: [],
    carriesRequest: false,
    toolCallIds: [],
    toolCall: undefined,
  };
  if (body === undefined || body === null || typeof body !== 'object') return envelope;
  const messages = (Array.isArray(body) ? body : [body]) as Message[];
  const only = messages.length === 1 ? messages[0]?.id : undefined;
  if (isId(only)) envelope.onlyId = only;
  let firstCall = true;
  for (const m of messages) {
    envelope.kinds.push(jsonRpcKind(m));
    const method = m?.method;
    envelope.methods.push(typeof method === 'string' ? method : 'response');
    if (typeof method === 'string' && m?.id !== undefined) envelope.carriesRequest = true;
    if (method !== 'tools/call') continue;
    if (isId(m?.id)) envelope.toolCallIds.push(m.id);
    const name = m?.params?.name;
    // The first tools/call of a batch is the one the audit line names.
    if (firstCall && typeof name === 'string') envelope.toolCall = { name, arguments: m?.params?.arguments ?? {} };
    firstCall = false;
  }
  return envelope;
}

// Keyed by the request: a relayed request is a request object of its own, parsed on its own.
const envelopes = new WeakMap<IncomingMessage, Envelope>();

/**
 * The envelope of this request's body, parsed on the first read after the body was read and
 * carried with the request from then on. A request without a body (GET, DELETE) has an empty one.
 */
export function envelopeOf(req: IncomingMessage & { body?: unknown }): Envelope {
  let envelope = envelopes.get(req);
  if (!envelope) {
    envelope = parseEnvelope(req.body);
    // Only once the body is there: a guard asking before the body limit ran must not fix an empty envelope.
    if (req.body !== undefined) envelopes.set(req, envelope);
  }
  return envelope;
}
