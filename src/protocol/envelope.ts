// The JSON-RPC 2.0 envelope of one message, checked by hand: which of the three kinds it is, or
// undefined when it is none. Only the envelope: the SDK's Protocol validates a request's params
// against its method's schema when it dispatches it. A zod parse of the envelope on top of the
// SDK's own cost ~7 µs per message in the load profiles (docs/benchmarks.md).
export type JsonRpcKind = 'request' | 'notification' | 'response';

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
