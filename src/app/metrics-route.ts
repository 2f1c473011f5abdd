// Prometheus: the HTTP request metrics of every request, and /metrics itself — behind the
// guards on the main port, or on its own --metrics-port (same host, no auth: keep that port
// inside the cluster network, e.g. with a NetworkPolicy), never both.
import { createServer, type Server } from 'node:http';
import type { RequestHandler } from 'express';
import { httpDuration, httpRequests, registry } from '../metrics.js';
import { ROUTES as PATHS } from '../protocol/routes.js';
import { listen } from './listen.js';

// Label values come from this fixed set: an attacker probing random paths must not be able to
// grow the metric's cardinality.
const ROUTES = new Set<string>([PATHS.mcp, PATHS.sse, PATHS.messages, PATHS.metrics, ...PATHS.live, PATHS.ready, PATHS.resourceMetadata]);
const METHODS = new Set(['GET', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PUT', 'PATCH']);

export const httpMetrics: RequestHandler = (req, res, next) => {
  const started = process.hrtime.bigint();
  // A response emits 'close' once, whether it was sent whole or its connection ended first
  // (on(), not once(): once() wraps the listener anew, and a stream may stay open for days).
  res.on('close', () => {
    const path = req.path.toLowerCase();
    const route = ROUTES.has(path) ? path : path.startsWith(`${PATHS.resourceMetadata}/`) ? PATHS.resourceMetadata : 'other';
    const method = METHODS.has(req.method) ? req.method : 'other';
    httpRequests.inc({ route, method, status: String(res.statusCode) });
    httpDuration.observe({ route, method }, Number(process.hrtime.bigint() - started) / 1e9);
  });
  next();
};

export const serveMetrics: RequestHandler = async (_req, res) => {
  res.set({ 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }).send(await registry.metrics());
};

/** The --metrics-port listener: GET /metrics and nothing else. */
export async function startMetricsServer(port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== PATHS.metrics) return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await listen(server, port, host);
  return server;
}
