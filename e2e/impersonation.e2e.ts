// Issue #5, item 15, end to end: `cnpg-mcp --transport http --impersonate` against the real API
// server. A tokens file maps token A to user "alice" (granted get/list/watch on Clusters in a test
// namespace by a Role and RoleBinding) and token B to user "mallory" (no RBAC at all). Over
// Streamable HTTP with the SDK's Client, alice's reads succeed and mallory's are refused by the
// API server (403), although both talk to the same server process with the same admin
// kubeconfig: the API server, not the MCP server, decides.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestNamespace, deleteTestNamespace, e2eKubeConfig } from './helpers/cluster.js';
import { customObjects, rethrowAsKubeApiError } from '../test-support/kube.js';
import { startServerProcess, type ServerProcess } from '../test-support/server-process.js';

// Test-only tokens, made for this run.
const TOKEN_ALICE = `e2e-alice-${randomBytes(24).toString('base64url')}`;
const TOKEN_MALLORY = `e2e-mallory-${randomBytes(24).toString('base64url')}`;
const CLUSTER = 'pg-impersonation';

let ns: string;
let dir: string;
let server: ServerProcess | undefined;
let url: string;
const clients: Client[] = [];

beforeAll(async () => {
  ns = await createTestNamespace('impersonation');
  const rbac = e2eKubeConfig().makeApiClient(RbacAuthorizationV1Api);
  await rbac
    .createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'cnpg-clusters-reader' },
        rules: [{ apiGroups: ['postgresql.cnpg.io'], resources: ['clusters'], verbs: ['get', 'list', 'watch'] }],
      },
    })
    .catch(rethrowAsKubeApiError);
  await rbac
    .createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'alice-reads-clusters' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cnpg-clusters-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
      },
    })
    .catch(rethrowAsKubeApiError);
  await customObjects(e2eKubeConfig()).create('Cluster', ns, { metadata: { name: CLUSTER }, spec: { instances: 1, storage: { size: '1Gi' } } });

  dir = mkdtempSync(join(tmpdir(), 'cnpg-mcp-e2e-tokens-'));
  const tokensFile = join(dir, 'tokens');
  writeFileSync(tokensFile, `# e2e, test only\n${TOKEN_ALICE}:alice\n${TOKEN_MALLORY}:mallory\n`, { mode: 0o600 });

  // The admin kubeconfig (system:masters) may impersonate anyone; the server uses it as is.
  server = await startServerProcess({
    kubeconfigPath: inject('kubeconfigPath'),
    args: ['--impersonate', '--auth-tokens-file', tokensFile, '--namespace', ns, '--log-level', 'info'],
    env: { AUTH_TOKENS: '' },
  });
  url = server.url.origin;
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await server?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (ns) await deleteTestNamespace(ns);
});

async function connectAs(token: string): Promise<Client> {
  const client = new Client({ name: 'e2e-impersonation', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  clients.push(client);
  return client;
}

async function call(client: Client, tool: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name: tool, arguments: args });
  const text = (result.content as { text?: string }[]).map((c) => c.text ?? '').join('\n');
  return { isError: result.isError === true, text, data: result.structuredContent as Record<string, unknown> | undefined };
}

describe('Kubernetes impersonation over HTTP (--impersonate)', () => {
  it('alice, granted get/list/watch on Clusters, reads them', async () => {
    const alice = await connectAs(TOKEN_ALICE);
    const list = await call(alice, 'list_postgres_clusters', {});
    expect(list.isError, list.text).toBe(false);
    expect((list.data!.clusters as { name: string }[]).map((c) => c.name)).toContain(CLUSTER);
    const status = await call(alice, 'get_cluster_status', { name: CLUSTER });
    expect(status.isError, status.text).toBe(false);
    expect(status.data).toMatchObject({ name: CLUSTER, namespace: ns });
  });

  it('mallory, with no RBAC, is refused by the API server (403)', async () => {
    const mallory = await connectAs(TOKEN_MALLORY);
    const list = await call(mallory, 'list_postgres_clusters', {});
    expect(list.isError).toBe(true);
    expect(list.text).toMatch(/forbidden|RBAC|403/i);
    expect(list.text).toMatch(/mallory/);
    const status = await call(mallory, 'get_cluster_status', { name: CLUSTER });
    expect(status.isError).toBe(true);
    expect(status.text).toMatch(/forbidden|RBAC|403/i);
  });

  it('alice cannot do more than her Role allows: a write is refused too', async () => {
    const alice = await connectAs(TOKEN_ALICE);
    const create = await call(alice, 'create_postgres_cluster', { name: 'pg-not-allowed', instances: 1, storage_size: '1Gi' });
    expect(create.isError).toBe(true);
    expect(create.text).toMatch(/forbidden|RBAC|403/i);
    await expect(customObjects(e2eKubeConfig()).get('Cluster', ns, 'pg-not-allowed')).rejects.toMatchObject({ code: 404 });
  });

  it('refuses a client without a token before anything reaches Kubernetes', async () => {
    const res = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
  });
});
