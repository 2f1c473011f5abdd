// Every error the HTTP layer answers is a fixed JSON-RPC error body: the same shape the SDK
// transports use, so a client parses one format, and never a stack trace or an echo of input.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from '../log.js';

import type { JsonRpcId } from './envelope.js';

export function sendJsonRpcError(
  res: Response,
  status: number,
  code: number,
  message: string,
  id: JsonRpcId = null,
  headers: Record<string, string> = {},
): void {
  res
    .status(status)
    .set({ 'Cache-Control': 'no-store', ...headers })
    .json({ jsonrpc: '2.0', error: { code, message }, id });
}

export const refuse = {
  parseError: (res: Response) => sendJsonRpcError(res, 400, -32700, 'Parse error: the body is not valid JSON'),
  invalidRequest: (res: Response, why: string, id: JsonRpcId = null) => sendJsonRpcError(res, 400, -32600, `Invalid Request: ${why}`, id),
  unsupportedMediaType: (res: Response) => sendJsonRpcError(res, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json'),
  tooLarge: (res: Response) => sendJsonRpcError(res, 413, -32000, 'Request body too large'),
  notFound: (res: Response) => sendJsonRpcError(res, 404, -32000, 'Not found'),
  // -32001 and the wording match the SDK's own answer for an unknown session.
  sessionNotFound: (res: Response, id: JsonRpcId = null) => sendJsonRpcError(res, 404, -32001, 'Session not found', id),
  methodNotAllowed: (res: Response, allow: readonly string[]) => sendJsonRpcError(res, 405, -32000, 'Method not allowed', null, { Allow: allow.join(', ') }),
  tooManySessions: (res: Response, id: JsonRpcId = null) =>
    sendJsonRpcError(res, 503, -32000, 'Server busy: too many open sessions, try again later', id, { 'Retry-After': '5' }),
  shuttingDown: (res: Response, id: JsonRpcId = null) => sendJsonRpcError(res, 503, -32000, 'Server is shutting down', id, { Connection: 'close' }),
  internal: (res: Response) => sendJsonRpcError(res, 500, -32603, 'Internal error'),
  // One body for every authentication failure (missing, empty, malformed, unknown, expired, …):
  // the answer must not help tell a wrong token from a missing one.
  unauthorized: (res: Response, challenge: string) => sendJsonRpcError(res, 401, -32000, 'Unauthorized', null, { 'WWW-Authenticate': challenge }),
  rateLimited: (res: Response, retryAfterSec: number) =>
    sendJsonRpcError(res, 429, -32000, 'Too many requests, try again later', null, { 'Retry-After': String(retryAfterSec) }),
  tooManyPrincipalSessions: (res: Response, id: JsonRpcId = null) =>
    sendJsonRpcError(res, 429, -32000, 'Too many open sessions for this principal: close one first', id, { 'Retry-After': '5' }),
  tooManyCalls: (res: Response, id: JsonRpcId = null) =>
    sendJsonRpcError(res, 503, -32000, 'Server busy: too many tool calls in progress, try again later', id, { 'Retry-After': '1' }),
};

/**
 * For a refusal sent before the body was read: close the connection after the answer, so Node
 * does not read (and discard) the rest of a large body to keep the connection alive.
 */
export function closeIfBodyPending(req: IncomingMessage, res: ServerResponse): void {
  const length = Number(req.headers['content-length'] ?? 0);
  if ((length > 0 || req.headers['transfer-encoding'] !== undefined) && !req.complete) res.setHeader('Connection', 'close');
}

/** For a route that exists: any method it does not serve gets 405 with the Allow header. */
export function methodNotAllowed(allow: readonly string[]): RequestHandler {
  return (_req, res) => refuse.methodNotAllowed(res, allow);
}

export const notFound: RequestHandler = (_req, res) => refuse.notFound(res);

/**
 * The last handler of the app. body-parser errors carry a status and a type; anything else is
 * ours and becomes a 500 whose body says nothing about the cause (the log line does).
 */
export function finalErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const { status, type } = (err ?? {}) as { status?: unknown; type?: unknown };
    if (res.headersSent) {
      // A stream was already open: nothing well-formed can be added; end it.
      logger.warn({ path: req.path, err: describe(err) }, 'error after the response started');
      res.end();
      return;
    }
    if (status === 413) return refuse.tooLarge(res);
    if (type === 'entity.parse.failed') return refuse.parseError(res);
    if (status === 415) return refuse.unsupportedMediaType(res);
    if (typeof status === 'number' && status >= 400 && status < 500) return refuse.invalidRequest(res, 'the request could not be read');
    logger.error({ path: req.path, method: req.method, err: describe(err) }, 'unhandled error in the HTTP layer');
    refuse.internal(res);
  };
}

function describe(err: unknown): { name?: string; message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { message: String(err) };
}
