// The 2026-07-28 (session-less) exchanges of Streamable HTTP, served from node:http's request and
// response. The protocol itself stays the SDK's: createMcpHandler's `fetch` runs the revision's
// validation ladder, builds a fresh Server per request from our factory and answers through its
// per-request transport, so every request is isolated from every other by construction (nothing
// here outlives the request: one Request, one AbortController, one Response, all per call).
// What this replaces is @modelcontextprotocol/node's toNodeHandler, which in the load profiles
// was ~30 % of a session-less call (docs/benchmarks.md): it re-serialised the already parsed body,
// wrapped it in a body stream and built a second Web Request beside the one the era
// classification needed. Here one body-less Request serves both the classification and the
// exchange (the SDK reads the parsed body passed beside it, never the Request's body), and the
// Response is written back with one write for a JSON answer.
import type { ServerResponse } from 'node:http';
import { isLegacyRequest, type AuthInfo, type McpHttpHandler, type Server, type Transport } from '@modelcontextprotocol/server';
import type { Request } from 'express';
import { noteAnswer } from '../protocol/answer-note.js';

// The Web Request of each exchange → the response it is answered on. The SDK hands the factory
// that same Request (`requestInfo`), and so the factory's Server finds where to note its answers.
const responses = new WeakMap<globalThis.Request, ServerResponse>();

/**
 * `server`, noting every answer it sends in the exchange of `request` on that exchange's response,
 * for the audit line (protocol/answer-note.ts): the SDK builds the answer's body, so this is where
 * the message objects are still at hand. The SDK connects each per-request Server to its own
 * transport once; the hook wraps that transport's send.
 */
export function notingAnswers(server: Server, request: globalThis.Request | undefined): Server {
  const res = request && responses.get(request);
  if (!res) return server;
  const connect = server.connect.bind(server);
  server.connect = (transport: Transport) => {
    const send = transport.send.bind(transport);
    transport.send = (message, options) => {
      if (!('method' in message)) noteAnswer(res, message);
      return send(message, options);
    };
    return connect(transport);
  };
  return server;
}

/** A Web Request carrying what the SDK reads of a session-less POST: method, URL, headers, the abort signal. */
export function webRequestOf(req: Request, signal?: AbortSignal): globalThis.Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  }
  return new globalThis.Request(`http://localhost${req.originalUrl}`, { method: req.method, headers, ...(signal ? { signal } : {}) });
}

/**
 * The era of a POST, decided by the SDK's own predicate (the code its entry runs, so the routing
 * cannot disagree with it), from the headers and the parsed body.
 */
export async function isSessionlessPost(request: globalThis.Request, body: unknown): Promise<boolean> {
  return !(await isLegacyRequest(request, body));
}

/** Serves one session-less POST through the SDK's modern handler and writes its answer to `res`. */
export async function serveSessionless(
  modern: McpHttpHandler,
  request: globalThis.Request,
  abort: AbortController,
  req: Request,
  res: ServerResponse,
): Promise<void> {
  // auth.ts sets req.auth: the SDK hands it to the factory and the handlers as authInfo.
  const authInfo = (req as { auth?: AuthInfo }).auth;
  responses.set(request, res);
  const response = await modern.fetch(request, { parsedBody: req.body, ...(authInfo ? { authInfo } : {}) });
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers) headers[name] = value;
  const { body } = response;
  if (body === null) {
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    // A JSON answer is complete when the Response is: one write, with its length.
    const bytes = Buffer.from(await response.arrayBuffer());
    headers['content-length'] = String(bytes.byteLength);
    res.writeHead(response.status, headers);
    res.end(bytes);
    return;
  }
  res.writeHead(response.status, headers);
  await pipeStream(body, res, abort.signal);
}

/** An SSE answer, chunk by chunk as the SDK produces it, waiting for 'drain' when the socket is full. */
async function pipeStream(body: ReadableStream<Uint8Array>, res: ServerResponse, gone: AbortSignal): Promise<void> {
  const reader = body.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  gone.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || gone.aborted) break;
      if (!res.write(value)) await drained(res, gone);
    }
  } catch {
    // The client went away mid-stream (the reader was cancelled): nothing is left to write to.
  } finally {
    gone.removeEventListener('abort', cancel);
    res.end();
  }
}

function drained(res: ServerResponse, gone: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      gone.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    gone.addEventListener('abort', done, { once: true });
  });
}
