// Clients of the server's event streams for the specs: a legacy HTTP+SSE client built on the
// `eventsource` package, and a reader of a streaming response body.
import { EventSource } from 'eventsource';

type JsonRpcResponse = { jsonrpc: '2.0'; id: number | string; result?: Record<string, unknown>; error?: { code: number; message: string } };

/**
 * A legacy HTTP+SSE client the way the 2024-11-05 spec describes it: GET /sse, read the
 * `endpoint` event, POST messages there, read the answers off the stream.
 */
export class SseClient {
  readonly received: Record<string, unknown>[] = [];
  private readonly pending = new Map<number | string, (message: JsonRpcResponse) => void>();
  private nextId = 1;

  private constructor(
    private readonly source: EventSource,
    readonly endpoint: URL,
    private readonly headers: Record<string, string>,
  ) {
    source.addEventListener('message', (event) => {
      const message = JSON.parse(event.data) as JsonRpcResponse;
      this.received.push(message);
      this.pending.get(message.id)?.(message);
      this.pending.delete(message.id);
    });
  }

  /** `headers` (e.g. Authorization) go with the stream request and every POST. */
  static async connect(baseUrl: string, timeoutMs = 5000, headers: Record<string, string> = {}, path = '/sse'): Promise<SseClient> {
    const source = new EventSource(new URL(path, baseUrl), {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }),
    });
    const endpoint = await new Promise<URL>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('no endpoint event')), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        source.close();
        reject(err);
      };
      source.addEventListener('endpoint', (event) => {
        clearTimeout(timer);
        resolve(new URL(event.data, baseUrl));
      });
      source.addEventListener('error', (event) => fail(new Error(`SSE error ${event.code ?? ''} ${event.message ?? ''}`)));
    });
    return new SseClient(source, endpoint, headers);
  }

  get sessionId(): string {
    return this.endpoint.searchParams.get('sessionId')!;
  }

  /** Sends a request with the given id (or the next one) and resolves with its answer from the stream. */
  async request(method: string, params: Record<string, unknown> = {}, id: number | string = this.nextId++): Promise<JsonRpcResponse> {
    const answer = new Promise<JsonRpcResponse>((resolve) => this.pending.set(id, resolve));
    const posted = await this.post({ jsonrpc: '2.0', id, method, params });
    if (posted.status !== 202) throw new Error(`POST ${method} answered ${posted.status}: ${await posted.text()}`);
    return answer;
  }

  async notify(method: string, params: Record<string, unknown> = {}): Promise<void> {
    const posted = await this.post({ jsonrpc: '2.0', method, params });
    if (posted.status !== 202) throw new Error(`POST ${method} answered ${posted.status}`);
  }

  post(body: unknown): Promise<globalThis.Response> {
    return fetch(this.endpoint, { method: 'POST', headers: { 'content-type': 'application/json', ...this.headers }, body: JSON.stringify(body) });
  }

  async initialize(): Promise<JsonRpcResponse> {
    const answer = await this.request('initialize', {
      protocolVersion: '2024-11-05',
      capabilities: {},
      clientInfo: { name: 'spec-sse-client', version: '1.0.0' },
    });
    await this.notify('notifications/initialized');
    return answer;
  }

  /** Resolves when the server ended the stream (EventSource then reports an error and reconnects; we stop it). */
  closedByServer(timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the stream stayed open')), timeoutMs);
      this.source.addEventListener('error', () => {
        clearTimeout(timer);
        this.source.close();
        resolve();
      });
    });
  }

  close(): void {
    this.source.close();
  }
}

/** Reads a streaming response body until `needle` appears; returns what was read. */
export async function readUntil(body: ReadableStream<Uint8Array>, needle: string, timeoutMs = 5000): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const timer = setTimeout(() => void reader.cancel(), timeoutMs);
  try {
    while (!text.includes(needle)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended (or ${timeoutMs} ms passed) before "${needle}" arrived; got: ${text.slice(0, 500)}`);
      text += decoder.decode(value, { stream: true });
    }
    return text;
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
}
