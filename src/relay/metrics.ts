// The relay's Prometheus metrics, in the process registry (served at /metrics with the others).
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from '../metrics.js';

export const relayedRequests = new Counter({
  name: 'cnpg_mcp_relay_requests_total',
  help:
    'Requests for a session held by another replica, relayed through Redis, by role (forwarded: this replica took the request; ' +
    'served: this replica holds the session), transport (sse, streamable) and outcome',
  labelNames: ['role', 'transport', 'outcome'] as const,
  registers: [registry],
});

export const relayFirstFrame = new Histogram({
  name: 'cnpg_mcp_relay_first_frame_seconds',
  help: 'From forwarding a request to the first frame of its answer: the relay round trip plus the time the owner takes to start answering',
  labelNames: ['transport'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const relaysInFlight = new Gauge({
  name: 'cnpg_mcp_relay_in_flight',
  help: 'Relayed requests whose answer has not ended, by role',
  labelNames: ['role'] as const,
  registers: [registry],
});
