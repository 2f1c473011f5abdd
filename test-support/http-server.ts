// The HTTP server in-process for the fast specs: settings, deps with a fake CNPG boundary, and a
// server on port 0 that afterEach stops. (Clients of its streams: sse-client.ts.)
import type { CnpgClient } from '../src/cnpg/client.js';
import type { HttpConfig } from '../src/app/app.js';
import type { ServerDeps } from '../src/mcp/server.js';
import { startHttpServer, type RunningHttpServer } from '../src/app/serve.js';
import type { HttpAppOptions } from '../src/app/app.js';
import { testConfig, testDeps } from './in-memory.js';

export function httpConfig(overrides: Partial<HttpConfig> = {}): HttpConfig {
  // Every other setting at its OPTIONS default, so a new flag needs no change here.
  const defaults = testConfig(['--transport', 'http']).http;
  return {
    ...defaults,
    host: '127.0.0.1',
    port: 0,
    maxSessions: 100,
    sessionIdleTimeoutSec: 600,
    bodyLimit: '1mb',
    keepaliveIntervalSec: 25,
    shutdownTimeoutSec: 5,
    ...overrides,
  };
}

/** Deps without a cluster whose cnpg() answers with `fake` (our own boundary, fine for units). */
export function depsWithCnpg(fake: Partial<Record<keyof CnpgClient, unknown>>): ServerDeps {
  return { ...testDeps(), cnpg: () => fake as unknown as CnpgClient };
}

/** A Cluster object as the API server would return it, enough for the cluster tools. */
export function fakeCluster(namespace: string, name: string) {
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name, namespace },
    spec: { instances: 1 },
    status: { phase: 'Cluster in healthy state', instances: 1, readyInstances: 1, currentPrimary: `${name}-1` },
  };
}

/** Starts the HTTP server on 127.0.0.1:0 and remembers it for stopAllServers(). */
const running = new Set<RunningHttpServer>();
export async function startServer(deps: ServerDeps, overrides: Partial<HttpConfig> = {}, options: HttpAppOptions = {}): Promise<RunningHttpServer> {
  // Audit lines would go to stdout, in the middle of the test report: a spec that reads them passes its own sink.
  const server = await startHttpServer(deps, httpConfig(overrides), { auditSink: () => {}, ...options });
  running.add(server);
  return server;
}

/** For afterEach: stops every server startServer() started, without waiting for calls in flight. */
export async function stopAllServers(): Promise<void> {
  const servers = [...running];
  running.clear();
  const hurry = AbortSignal.abort();
  await Promise.all(servers.map((s) => s.shutdown(hurry)));
}
