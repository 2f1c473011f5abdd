// The MCP clients the harness drives, written against the wire protocol rather than the SDK's
// client so the harness costs little CPU and sees every byte the server sends:
//  - legacy SSE (2024-11-05): GET /sse holds the stream; POST /messages?sessionId=… answers 202
//    and the response arrives as a `message` event on the stream.
//  - Streamable HTTP with sessions (2025-11-25): initialize returns Mcp-Session-Id; each POST is
//    answered on its own short SSE stream (or JSON); DELETE ends the session.
//  - Streamable HTTP session-less (2026-07-28): every request carries its own envelope in
//    params._meta plus Mcp-Method/Mcp-Name headers; answers are JSON.
// The same session-less client drives the bare echo server, which answers any POST with JSON.
import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import { keepAliveAgent, readBody, startRequest, type HttpTarget, type StartedRequest } from './http.js';
import { SseParser } from './sse.js';
import type { Watchdog } from './watchdog.js';

export type TransportName = 'legacy-sse' | 'streamable-session' | 'streamable-sessionless' | 'echo';

export const SESSION_PROTOCOL = '2025-11-25';
export const LEGACY_PROTOCOL = '2024-11-05';
export const SESSIONLESS_PROTOCOL = '2026-07-28';
const CLIENT_INFO = { name: 'cnpg-mcp-load', version: '1.0.0' };

/** What went wrong with one request. `lost` = no answer before the deadline. */
export type FailureKind = 'http' | 'rpc' | 'tool' | 'network' | 'protocol' | 'lost';

export class CallFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  target: HttpTarget;
  watchdog: Watchdog;
  /** How long a response may take before it counts as lost. */
  deadlineMs: number;
  /** Agent for POST/DELETE. Default: the client's own keep-alive agent (one client = its own connections). */
  agent?: http.Agent;
}

export interface LoadClient {
  readonly transport: TransportName;
  /** Connects and initializes (a session where the transport has them). */
  open(): Promise<void>;
  /** tools/list; resolves with the number of tools. */
  listTools(): Promise<number>;
  /** tools/call; rejects with CallFailure (kind 'tool' when the result has isError). */
  callTool(name: string, args: Record<string, unknown>): Promise<void>;
  /** Ends the session (DELETE, or closing the stream). Never rejects. */
  close(): Promise<void>;
}

type JsonRpcResponse = { jsonrpc: '2.0'; id?: number | string | null; result?: Record<string, unknown>; error?: { code: number; message: string } };

/** Interprets one JSON-RPC response: the result, or a CallFailure. */
function settle(response: JsonRpcResponse, method: string): Record<string, unknown> {
  if (response.error) throw new CallFailure('rpc', `${method}: JSON-RPC error ${response.error.code} ${response.error.message}`);
  const result = response.result;
  if (!result) throw new CallFailure('protocol', `${method}: response without result`);
  if (result.isError === true) {
    const content = result.content as { text?: string }[] | undefined;
    throw new CallFailure('tool', `${method}: tool error: ${content?.[0]?.text?.slice(0, 200) ?? 'no text'}`);
  }
  return result;
}

function networkFailure(err: unknown): CallFailure {
  if (err instanceof CallFailure) return err;
  return new CallFailure('network', err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? err.name}: ${err.message}` : String(err));
}

/** A body prefix per method: only the id changes per call, so the rest is serialised once. */
function rpcBody(id: number, method: string, paramsJson: string | undefined): string {
  return paramsJson === undefined
    ? `{"jsonrpc":"2.0","id":${id},"method":"${method}"}`
    : `{"jsonrpc":"2.0","id":${id},"method":"${method}","params":${paramsJson}}`;
}

const paramsCache = new Map<string, string>();
function toolCallParams(name: string, args: Record<string, unknown>, meta?: Record<string, unknown>): string {
  const key = `${name}\0${JSON.stringify(args)}\0${meta ? 'meta' : ''}`;
  let json = paramsCache.get(key);
  if (json === undefined) {
    json = JSON.stringify(meta ? { name, arguments: args, _meta: meta } : { name, arguments: args });
    paramsCache.set(key, json);
  }
  return json;
}

/**
 * POSTs one JSON-RPC request to a Streamable HTTP endpoint and resolves with the response of the
 * same id, whether the server answers with JSON or with an SSE stream.
 */
function exchange(
  options: ClientOptions,
  agent: http.Agent,
  path: string,
  headers: http.OutgoingHttpHeaders,
  body: string,
  id: number,
  method: string,
): Promise<{ res: IncomingMessage; message: JsonRpcResponse }> {
  return new Promise((resolve, reject) => {
    let done = false;
    let started: StartedRequest | undefined;
    const finish = (err: Error | undefined, value?: { res: IncomingMessage; message: JsonRpcResponse }) => {
      if (done) return;
      done = true;
      unwatch();
      if (err) reject(err);
      else resolve(value!);
    };
    const unwatch = options.watchdog.watch(performance.now() + options.deadlineMs, () => {
      finish(new CallFailure('lost', `${method}: no response within ${options.deadlineMs} ms`));
      started?.abort(new Error('deadline'));
    });
    started = startRequest(options.target, { method: 'POST', path, headers, body, agent });
    started.response.then(
      (res) => {
        const status = res.statusCode ?? 0;
        const type = res.headers['content-type'] ?? '';
        if (status < 200 || status >= 300) {
          readBody(res).then(
            (text) => finish(new CallFailure('http', `${method}: HTTP ${status} ${text.slice(0, 200)}`)),
            (err) => finish(networkFailure(err)),
          );
          return;
        }
        if (type.startsWith('text/event-stream')) {
          res.setEncoding('utf8');
          const parser = new SseParser({
            event: (event) => {
              if (done || event.event !== 'message' || event.data === '') return;
              let message: JsonRpcResponse;
              try {
                message = JSON.parse(event.data) as JsonRpcResponse;
              } catch {
                return finish(new CallFailure('protocol', `${method}: an SSE event is not JSON`));
              }
              if (message.id === id) finish(undefined, { res, message });
            },
          });
          res.on('data', (chunk: string) => parser.push(chunk));
          res.once('end', () => finish(new CallFailure('lost', `${method}: the response stream ended without the response`)));
          res.once('error', (err) => finish(networkFailure(err)));
          return;
        }
        readBody(res).then(
          (text) => {
            let message: JsonRpcResponse;
            try {
              message = JSON.parse(text) as JsonRpcResponse;
            } catch {
              return finish(new CallFailure('protocol', `${method}: HTTP ${status} body is not JSON: ${text.slice(0, 100)}`));
            }
            if (Array.isArray(message)) message = (message as JsonRpcResponse[]).find((m) => m.id === id) ?? ({} as JsonRpcResponse);
            if (message.id !== id) return finish(new CallFailure('protocol', `${method}: response id ${String(message.id)} ≠ ${id}`));
            finish(undefined, { res, message });
          },
          (err) => finish(networkFailure(err)),
        );
      },
      (err) => finish(networkFailure(err)),
    );
  });
}

/** POSTs a notification (or anything answered 202 without a body). */
async function notify(options: ClientOptions, agent: http.Agent | false, path: string, headers: http.OutgoingHttpHeaders, body: string): Promise<void> {
  const started = startRequest(options.target, { method: 'POST', path, headers, body, agent });
  const unwatch = options.watchdog.watch(performance.now() + options.deadlineMs, () => started.abort(new CallFailure('lost', 'notification: no answer')));
  try {
    const res = await started.response;
    const text = await readBody(res);
    if (res.statusCode !== 202 && res.statusCode !== 200) throw new CallFailure('http', `POST ${path}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
  } catch (err) {
    throw networkFailure(err);
  } finally {
    unwatch();
  }
}

const POST_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } as const;

/** Streamable HTTP, 2025-11-25: one session per client. */
export class StreamableSessionClient implements LoadClient {
  readonly transport = 'streamable-session' as const;
  sessionId: string | undefined;
  private nextId = 1;
  private readonly agent: http.Agent;
  private headers: http.OutgoingHttpHeaders = POST_HEADERS;

  constructor(
    private readonly options: ClientOptions,
    private readonly path = '/mcp',
  ) {
    this.agent = options.agent ?? keepAliveAgent(2);
  }

  async open(): Promise<void> {
    const id = this.nextId++;
    const params = JSON.stringify({ protocolVersion: SESSION_PROTOCOL, capabilities: {}, clientInfo: CLIENT_INFO });
    const { res, message } = await exchange(this.options, this.agent, this.path, POST_HEADERS, rpcBody(id, 'initialize', params), id, 'initialize');
    settle(message, 'initialize');
    const sessionId = res.headers['mcp-session-id'];
    if (typeof sessionId !== 'string') throw new CallFailure('protocol', 'initialize: no Mcp-Session-Id header');
    this.sessionId = sessionId;
    this.headers = { ...POST_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': SESSION_PROTOCOL };
    await notify(this.options, this.agent, this.path, this.headers, '{"jsonrpc":"2.0","method":"notifications/initialized"}');
  }

  async listTools(): Promise<number> {
    const id = this.nextId++;
    const { message } = await exchange(this.options, this.agent, this.path, this.headers, rpcBody(id, 'tools/list', '{}'), id, 'tools/list');
    return ((settle(message, 'tools/list').tools as unknown[]) ?? []).length;
  }

  async callTool(name: string, args: Record<string, unknown>): Promise<void> {
    const id = this.nextId++;
    const { message } = await exchange(
      this.options,
      this.agent,
      this.path,
      this.headers,
      rpcBody(id, 'tools/call', toolCallParams(name, args)),
      id,
      'tools/call',
    );
    settle(message, 'tools/call');
  }

  async close(): Promise<void> {
    if (this.sessionId === undefined) return void this.agent.destroy();
    const started = startRequest(this.options.target, { method: 'DELETE', path: this.path, headers: this.headers, agent: this.agent });
    const unwatch = this.options.watchdog.watch(performance.now() + this.options.deadlineMs, () => started.abort());
    try {
      await readBody(await started.response);
    } catch {
      // Closing is best effort: the churn scenario counts sessions the server still holds instead.
    } finally {
      unwatch();
      this.sessionId = undefined;
      if (!this.options.agent) this.agent.destroy();
    }
  }
}

/** Streamable HTTP, 2026-07-28: no session, every request self-describing. Also drives the echo server. */
export class StreamableSessionlessClient implements LoadClient {
  readonly transport: TransportName;
  private nextId = 1;
  private readonly agent: http.Agent;
  private static readonly meta = {
    'io.modelcontextprotocol/protocolVersion': SESSIONLESS_PROTOCOL,
    'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
    'io.modelcontextprotocol/clientCapabilities': {},
  };

  constructor(
    private readonly options: ClientOptions,
    private readonly path = '/mcp',
    transport: TransportName = 'streamable-sessionless',
  ) {
    this.transport = transport;
    this.agent = options.agent ?? keepAliveAgent(2);
  }

  private headersFor(method: string, name?: string): http.OutgoingHttpHeaders {
    const headers: http.OutgoingHttpHeaders = { ...POST_HEADERS, 'mcp-method': method, 'mcp-protocol-version': SESSIONLESS_PROTOCOL };
    if (name !== undefined) headers['mcp-name'] = name;
    return headers;
  }

  /** server/discover, the 2026 replacement for initialize (no state is created). */
  async open(): Promise<void> {
    const id = this.nextId++;
    const params = JSON.stringify({ _meta: StreamableSessionlessClient.meta });
    const { message } = await exchange(
      this.options,
      this.agent,
      this.path,
      this.headersFor('server/discover'),
      rpcBody(id, 'server/discover', params),
      id,
      'server/discover',
    );
    settle(message, 'server/discover');
  }

  async listTools(): Promise<number> {
    const id = this.nextId++;
    const params = JSON.stringify({ _meta: StreamableSessionlessClient.meta });
    const { message } = await exchange(this.options, this.agent, this.path, this.headersFor('tools/list'), rpcBody(id, 'tools/list', params), id, 'tools/list');
    return ((settle(message, 'tools/list').tools as unknown[]) ?? []).length;
  }

  private readonly callHeaders = new Map<string, http.OutgoingHttpHeaders>();

  async callTool(name: string, args: Record<string, unknown>): Promise<void> {
    const id = this.nextId++;
    let headers = this.callHeaders.get(name);
    if (!headers) {
      headers = this.headersFor('tools/call', name);
      this.callHeaders.set(name, headers);
    }
    const body = rpcBody(id, 'tools/call', toolCallParams(name, args, StreamableSessionlessClient.meta));
    const { message } = await exchange(this.options, this.agent, this.path, headers, body, id, 'tools/call');
    settle(message, 'tools/call');
  }

  async close(): Promise<void> {
    if (!this.options.agent) this.agent.destroy();
  }
}

/** Legacy HTTP+SSE, 2024-11-05: the stream is the session. */
export class LegacySseClient implements LoadClient {
  readonly transport = 'legacy-sse' as const;
  private nextId = 1;
  private readonly agent: http.Agent;
  private stream: StartedRequest | undefined;
  private endpointPath: string | undefined;
  private readonly pending = new Map<number, { method: string; resolve(m: JsonRpcResponse): void; reject(e: Error): void }>();
  private closed = false;

  constructor(
    private readonly options: ClientOptions,
    private readonly path = '/sse',
  ) {
    this.agent = options.agent ?? keepAliveAgent(2);
  }

  get sessionId(): string | undefined {
    return this.endpointPath ? (new URL(this.endpointPath, 'http://x').searchParams.get('sessionId') ?? undefined) : undefined;
  }

  async open(): Promise<void> {
    this.closed = false;
    // The stream gets a connection of its own: it stays busy for the whole session.
    const stream = startRequest(this.options.target, { method: 'GET', path: this.path, headers: { accept: 'text/event-stream' }, agent: false });
    this.stream = stream;
    this.endpointPath = await new Promise<string>((resolve, reject) => {
      const unwatch = this.options.watchdog.watch(performance.now() + this.options.deadlineMs, () => {
        stream.abort();
        reject(new CallFailure('lost', `GET ${this.path}: no endpoint event within ${this.options.deadlineMs} ms`));
      });
      const fail = (err: Error) => {
        unwatch();
        reject(err);
      };
      stream.response.then(
        (res) => {
          if (res.statusCode !== 200) {
            readBody(res).then(
              (text) => fail(new CallFailure('http', `GET ${this.path}: HTTP ${res.statusCode} ${text.slice(0, 200)}`)),
              (err) => fail(networkFailure(err)),
            );
            return;
          }
          res.setEncoding('utf8');
          const parser = new SseParser({
            event: (event) => {
              if (event.event === 'endpoint') {
                unwatch();
                resolve(event.data);
              } else if (event.event === 'message') this.deliver(event.data);
            },
          });
          res.on('data', (chunk: string) => parser.push(chunk));
          const ended = () => {
            fail(new CallFailure('network', `GET ${this.path}: stream ended before the endpoint event`));
            // A stream this client already replaced (close, then open again) says nothing about the new one.
            if (this.stream === stream) this.streamEnded();
          };
          res.once('end', ended);
          res.once('error', ended);
          res.once('close', ended);
        },
        (err) => fail(networkFailure(err)),
      );
    });
    const id = this.nextId++;
    const params = JSON.stringify({ protocolVersion: LEGACY_PROTOCOL, capabilities: {}, clientInfo: CLIENT_INFO });
    settle(await this.request(id, 'initialize', rpcBody(id, 'initialize', params)), 'initialize');
    await notify(this.options, this.agent, this.endpointPath, POST_HEADERS, '{"jsonrpc":"2.0","method":"notifications/initialized"}');
  }

  async listTools(): Promise<number> {
    const id = this.nextId++;
    return ((settle(await this.request(id, 'tools/list', rpcBody(id, 'tools/list', '{}')), 'tools/list').tools as unknown[]) ?? []).length;
  }

  async callTool(name: string, args: Record<string, unknown>): Promise<void> {
    const id = this.nextId++;
    settle(await this.request(id, 'tools/call', rpcBody(id, 'tools/call', toolCallParams(name, args))), 'tools/call');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stream?.abort(new Error('closed by client'));
    this.stream = undefined;
    this.failPending(new CallFailure('network', 'client closed'));
    if (!this.options.agent) this.agent.destroy();
  }

  /** POSTs a request to the session's endpoint; resolves when its answer arrives on the stream. */
  private request(id: number, method: string, body: string): Promise<JsonRpcResponse> {
    const path = this.endpointPath;
    if (!path || this.closed) return Promise.reject(new CallFailure('network', `${method}: the stream is closed`));
    return new Promise<JsonRpcResponse>((resolve, reject) => {
      let unwatch = () => {};
      const entry = {
        method,
        resolve: (m: JsonRpcResponse) => {
          unwatch();
          resolve(m);
        },
        reject: (e: Error) => {
          unwatch();
          reject(e);
        },
      };
      // Registered before the POST: the answer may arrive on the stream before the 202 does.
      this.pending.set(id, entry);
      unwatch = this.options.watchdog.watch(performance.now() + this.options.deadlineMs, () => {
        if (this.pending.delete(id)) reject(new CallFailure('lost', `${method}: no message on the stream within ${this.options.deadlineMs} ms`));
      });
      const post = startRequest(this.options.target, { method: 'POST', path, headers: POST_HEADERS, body, agent: this.agent });
      post.response.then(
        (res) => {
          if (res.statusCode === 202) return void res.resume();
          readBody(res).then(
            (text) => this.rejectPending(id, new CallFailure('http', `${method}: POST answered HTTP ${res.statusCode} ${text.slice(0, 200)}`)),
            (err) => this.rejectPending(id, networkFailure(err)),
          );
        },
        (err) => this.rejectPending(id, networkFailure(err)),
      );
    });
  }

  private deliver(data: string): void {
    let message: JsonRpcResponse;
    try {
      message = JSON.parse(data) as JsonRpcResponse;
    } catch {
      return;
    }
    if (typeof message.id !== 'number') return;
    const entry = this.pending.get(message.id);
    if (!entry) return;
    this.pending.delete(message.id);
    entry.resolve(message);
  }

  private rejectPending(id: number, err: Error): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    entry.reject(err);
  }

  private streamEnded(): void {
    this.closed = true;
    this.failPending(new CallFailure('network', 'the SSE stream ended'));
  }

  private failPending(err: Error): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) entry.reject(err);
  }
}

export function createClient(transport: TransportName, options: ClientOptions): LoadClient {
  switch (transport) {
    case 'legacy-sse':
      return new LegacySseClient(options);
    case 'streamable-session':
      return new StreamableSessionClient(options);
    case 'streamable-sessionless':
      return new StreamableSessionlessClient(options);
    case 'echo':
      return new StreamableSessionlessClient(options, '/mcp', 'echo');
  }
}
