// What one session is doing: the client requests still awaiting an answer and when anything last
// moved. The session registry reads it to expire idle sessions and to drain on shutdown.
import type { JSONRPCMessage, RequestId, Transport } from '@modelcontextprotocol/server';

export class SessionActivity {
  // Both made on first use and dropped once empty again: most sessions sit idle with nothing
  // open or held, and two empty collections cost ~300 bytes for every idle session.
  private open: Set<RequestId> | undefined;
  // Releases to run when a request is answered: tool-call slots (concurrency.ts).
  private holds: Map<RequestId, (() => void)[]> | undefined;
  lastActiveAt: number;

  /** `onChange` and `now` are shared by every session of a registry, not made per session. */
  constructor(
    private readonly onChange: () => void,
    private readonly now: () => number = Date.now,
  ) {
    this.lastActiveAt = now();
  }

  /** Client requests received and not yet answered. */
  get inflight(): number {
    return this.open?.size ?? 0;
  }

  /** The ids of the client requests still awaiting an answer. */
  openRequests(): RequestId[] {
    return this.open ? [...this.open] : [];
  }

  received(message: JSONRPCMessage): void {
    this.lastActiveAt = this.now();
    const { id, method, params } = message as { id?: RequestId; method?: string; params?: { requestId?: RequestId } };
    if (method !== undefined && id !== undefined) {
      this.open ??= new Set();
      this.open.add(id);
    }
    // A cancelled request gets no response (MCP spec, cancellation): stop waiting for one.
    else if (method === 'notifications/cancelled' && params?.requestId !== undefined) {
      this.settle(params.requestId);
      this.release(params.requestId);
    } else return;
    this.onChange();
  }

  sent(message: JSONRPCMessage): void {
    this.lastActiveAt = this.now();
    const { id, method } = message as { id?: RequestId; method?: string };
    // A response (no method) to one of the client's requests settles it.
    if (method === undefined && id !== undefined) {
      this.release(id);
      if (this.settle(id)) this.onChange();
    }
  }

  /** Runs `release` when request `id` is answered or cancelled, or when releaseAll() runs. */
  holdUntilAnswered(id: RequestId, release: () => void): void {
    const list = this.holds?.get(id);
    if (list) list.push(release);
    else {
      this.holds ??= new Map();
      this.holds.set(id, [release]);
    }
  }

  /** The session ended: nothing it holds stays held. */
  releaseAll(): void {
    if (this.holds) for (const id of [...this.holds.keys()]) this.release(id);
  }

  /** Request `id` is no longer open; true when it was. */
  private settle(id: RequestId): boolean {
    if (!this.open?.delete(id)) return false;
    if (this.open.size === 0) this.open = undefined;
    return true;
  }

  private release(id: RequestId): void {
    const list = this.holds?.get(id);
    if (!list) return;
    this.holds!.delete(id);
    if (this.holds!.size === 0) this.holds = undefined;
    for (const release of list) release();
  }
}

/**
 * Feeds a transport's traffic into `activity`. Call before server.connect(): the SDK's Protocol
 * chains an onmessage set before connect, and send is wrapped on the instance.
 */
export function observeTransport(transport: Transport, activity: SessionActivity): void {
  transport.onmessage = (message) => activity.received(message);
  const send = transport.send.bind(transport);
  transport.send = async (message, options) => {
    try {
      await send(message, options);
    } finally {
      // Even when the stream is gone: the request is over either way.
      activity.sent(message);
    }
  };
}
