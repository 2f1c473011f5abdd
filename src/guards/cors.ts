// CORS for browser clients on other origins: off unless --cors-origins lists them. Only a
// listed origin gets CORS headers, and only its preflight (OPTIONS) is answered here, before
// authentication (browsers send no Authorization on a preflight). Every other OPTIONS goes on
// to the guards like any request. Disallowed origins never get here: origin.ts refused them.
import cors from 'cors';
import type { RequestHandler } from 'express';

// What an MCP client sends (Streamable HTTP and 2026 headers) and must be able to read.
const ALLOWED_HEADERS = ['Content-Type', 'Accept', 'Authorization', 'Mcp-Session-Id', 'MCP-Protocol-Version', 'Last-Event-ID', 'Mcp-Method', 'Mcp-Name'];
const EXPOSED_HEADERS = ['Mcp-Session-Id', 'WWW-Authenticate', 'Retry-After'];

export function corsGuard(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  const handler = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    // Bearer tokens, not cookies: no credentials mode needed, none allowed.
    credentials: false,
    maxAge: 600,
    optionsSuccessStatus: 204,
  });
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined || !allowed.has(origin)) return next();
    handler(req, res, next);
  };
}
