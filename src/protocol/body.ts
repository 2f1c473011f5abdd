// The request-body limit: JSON bodies are parsed once, here, bounded by --body-limit. Over the
// limit is 413 and malformed JSON is -32700, both answered by the final error handler.
import express, { type RequestHandler } from 'express';
import { isJsonContentType } from '@modelcontextprotocol/server';
import { refuse } from './errors.js';

export function jsonBody(limit: string): RequestHandler {
  // strict: a bare string or number is not a JSON-RPC message; refuse it as a parse error.
  return express.json({ limit, strict: true, type: 'application/json' });
}

/**
 * For the MCP message routes: a POST must say it carries JSON. Checked in the routes rather
 * than globally so an unknown path still answers 404, whatever its Content-Type.
 */
export const requireJsonPost: RequestHandler = (req, res, next) => {
  if (req.method === 'POST' && !isJsonContentType(req.headers['content-type'])) return refuse.unsupportedMediaType(res);
  next();
};
