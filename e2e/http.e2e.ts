// The HTTP transports end to end: the real server as a child process (`--transport http`) against
// the real API server and operator, driven by the SDK's Client over Streamable HTTP (a 2025-11-25
// session and the session-less 2026-07-28 revision) and over legacy HTTP+SSE. Effects are read
// back from the API, not taken from the replies.
import { once } from 'node:events';
import { Client, SSEClientTransport, StreamableHTTPClientTransport, type ClientOptions, type Transport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestNamespace, deleteTestNamespace, e2eKubeConfig } from './helpers/cluster.js';
import { customObjects } from '../test-support/kube.js';
import { startServerProcess, type ServerProcess } from '../test-support/server-process.js';

const clients: Record<string, (url: string) => { transport: Transport; options?: ClientOptions }> = {
  'Streamable HTTP, 2025-11-25 session': (url) => ({ transport: new StreamableHTTPClientTransport(new URL('/mcp', url)) }),
  'Streamable HTTP, 2026-07-28 session-less': (url) => ({
    transport: new StreamableHTTPClientTransport(new URL('/mcp', url)),
    options: { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  }),
  'legacy HTTP+SSE': (url) => ({ transport: new SSEClientTransport(new URL('/sse', url)) }),
};

let server: ServerProcess;
let ns: string;

beforeAll(async () => {
  ns = await createTestNamespace('http');
  server = await startServerProcess({ kubeconfigPath: inject('kubeconfigPath'), args: ['--namespace', ns] });
});

afterAll(async () => {
  if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  if (ns) await deleteTestNamespace(ns);
});

describe('HTTP probes against the real API server', () => {
  it('/readyz is ready: the API answers and the CloudNativePG CRDs are installed', async () => {
    const res = await fetch(`${server.url.origin}/readyz`);
    expect(await res.json()).toEqual({ status: 'ready' });
    expect(res.status).toBe(200);
  });
});

describe.each(Object.entries(clients))('tools over %s', (label, make) => {
  let client: Client;
  const name = `pg-${label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 30)
    .replace(/-$/, '')}`;

  beforeAll(async () => {
    const { transport, options } = make(server.url.origin);
    client = new Client({ name: 'e2e-http', version: '1.0.0' }, options);
    await client.connect(transport);
  });
  afterAll(async () => {
    await client?.close();
  });

  const call = async (tool: string, args: Record<string, unknown>) => {
    const result = await client.callTool({ name: tool, arguments: args });
    const text = (result.content as { text?: string }[]).map((c) => c.text ?? '').join('\n');
    expect(result.isError, text).toBeFalsy();
    return { text, data: result.structuredContent as Record<string, unknown> };
  };

  it('lists the tools', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('create_postgres_cluster');
  });

  it('create_postgres_cluster with dry_run stores nothing', async () => {
    const { data } = await call('create_postgres_cluster', { name, instances: 1, storage_size: '1Gi', dry_run: true });
    expect(data.dry_run).toBe(true);
    expect((await customObjects(e2eKubeConfig()).list('Cluster', ns)).map((c) => c.metadata.name)).not.toContain(name);
  });

  it('create_postgres_cluster creates the Cluster; list and status show it', async () => {
    await call('create_postgres_cluster', { name, instances: 1, storage_size: '1Gi' });
    const stored = await customObjects(e2eKubeConfig()).get('Cluster', ns, name);
    expect(stored.spec).toMatchObject({ instances: 1, storage: { size: '1Gi' } });
    const list = await call('list_postgres_clusters', {});
    expect((list.data.clusters as { name: string }[]).map((c) => c.name)).toContain(name);
    const status = await call('get_cluster_status', { name });
    expect(status.data).toMatchObject({ name, namespace: ns, instances: 1 });
  });
});

describe('graceful shutdown', () => {
  it('exits 0 on SIGTERM', async () => {
    server.child.kill('SIGTERM');
    const [code] = await once(server.child, 'exit');
    expect(code, server.log()).toBe(0);
  });
});
