// The harness's HTTP client, on node:http with keep-alive Agents: no fetch/undici, whose per-request
// cost would count against the two cores the harness shares with the server it measures.
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { isLoopbackHost } from '../../src/loopback.js';

export interface HttpTarget {
  /** http://host:port of the server under load. Loopback only (see assertLoopback). */
  origin: URL;
  /** Sent as `Authorization: Bearer <token>` on every request when set. */
  token?: string;
}

/** Load is only ever sent to this machine: refuse any other address before a request leaves. */
export function assertLoopback(url: URL): void {
  if (isLoopbackHost(url.hostname)) return;
  throw new Error(`refusing to load ${url.origin}: the harness only targets loopback addresses (127.0.0.0/8, ::1, localhost)`);
}

/**
 * A keep-alive agent for one client (or one pool of clients). An idle socket is closed after 4 s,
 * before Node's server drops it at its 5 s keepAliveTimeout: reusing a socket the server is closing
 * at that very moment fails with ECONNRESET, an error of the client's making (undici's 4 s default
 * is there for the same reason).
 */
export function keepAliveAgent(maxSockets = 2): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo', keepAliveMsecs: 30_000, timeout: IDLE_SOCKET_MS });
}

export const IDLE_SOCKET_MS = 4000;

export interface StartedRequest {
  /** The response head; the body is the caller's to read (readBody) or stream. */
  response: Promise<IncomingMessage>;
  /** Destroys the request and its socket (deadline passed, or a stream is no longer wanted). */
  abort(reason?: Error): void;
}

export interface RequestOptions {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  headers?: OutgoingHttpHeaders;
  body?: string;
  agent: http.Agent | false;
}

export function startRequest(target: HttpTarget, options: RequestOptions): StartedRequest {
  const headers: OutgoingHttpHeaders = { ...options.headers };
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
  const req = http.request({
    host: target.origin.hostname.replace(/^\[|\]$/g, ''),
    port: target.origin.port,
    method: options.method,
    path: options.path,
    headers,
    agent: options.agent,
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  // A rejection nobody awaits (aborted stream) must not crash the harness.
  response.catch(() => undefined);
  req.end(options.body);
  return { response, abort: (reason) => req.destroy(reason ?? new Error('aborted')) };
}

/** Reads a whole body as text; rejects when the connection breaks first. */
export function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    res.once('end', () => resolve(text));
    res.once('error', reject);
    res.once('aborted', () => reject(new Error('response aborted')));
  });
}

export interface SimpleResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with its whole answer; for probes and scrapes, not for the hot path. */
export async function simpleRequest(
  target: HttpTarget,
  method: RequestOptions['method'],
  path: string,
  headers: OutgoingHttpHeaders = {},
  body?: string,
): Promise<SimpleResponse> {
  const started = startRequest(target, { method, path, headers, body, agent: false });
  const timer = setTimeout(() => started.abort(new Error(`${method} ${path} took over 30 s`)), 30_000);
  try {
    const res = await started.response;
    return { status: res.statusCode ?? 0, headers: res.headers, body: await readBody(res) };
  } finally {
    clearTimeout(timer);
  }
}
