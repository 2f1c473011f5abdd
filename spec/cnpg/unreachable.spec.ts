// Issue #12, item 14: an API server that cannot be reached is named, with what failed on the way
// (connection refused, TLS failure) and the kubeconfig context, in tool answers; /readyz's probe
// gives the same reason without the address. Real sockets on loopback: a port nobody listens on,
// and a TLS server whose certificate the kubeconfig does not trust.
import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadinessProbe } from '../../src/app/readiness.js';
import type { ServerDeps } from '../../src/mcp/server.js';
import { connectInMemory, testDeps } from '../../test-support/in-memory.js';
import { createTestCa } from '../../test-support/pki.js';

const dir = mkdtempSync(join(tmpdir(), 'cnpg-mcp-unreachable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfigFor(server: string, file: string): string {
  const path = join(dir, file);
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'spec', cluster: { server } }],
      users: [{ name: 'spec', user: { token: 'not-a-real-token' } }],
      contexts: [{ name: 'spec-context', context: { cluster: 'spec', user: 'spec', namespace: 'default' } }],
      'current-context': 'spec-context',
    }),
  );
  return path;
}

async function closedPort(): Promise<number> {
  const server = createNetServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function callTool(deps: ServerDeps) {
  const conn = await connectInMemory(deps);
  try {
    const result = await conn.client.callTool({ name: 'list_postgres_clusters', arguments: {} });
    return { isError: result.isError === true, text: (result.content as { text: string }[]).map((c) => c.text).join('\n') };
  } finally {
    await conn.close();
  }
}

describe('connection refused', () => {
  let server: string;
  let deps: ServerDeps;
  beforeAll(async () => {
    server = `https://127.0.0.1:${await closedPort()}`;
    deps = testDeps(['--kubeconfig', kubeconfigFor(server, 'refused.json')]);
  });
  afterAll(() => deps.close?.());

  it('a tool says connection refused, the address and the context, and what to check', async () => {
    const r = await callTool(deps);
    expect(r.isError).toBe(true);
    expect(r.text).toContain(`the Kubernetes API server at ${server} (kubeconfig context "spec-context") did not answer: connection refused (ECONNREFUSED)`);
    expect(r.text).toContain('check that the API server is running');
    expect(r.text).not.toMatch(/fetch failed/);
  });

  it('the readiness probe gives the same reason, without the address', async () => {
    const status = await new ReadinessProbe(() => deps.cnpg().ping()).status();
    expect(status).toEqual({ ready: false, reason: 'kubernetes API unreachable: connection refused' });
  });
});

describe('TLS failure', () => {
  let https: Server;
  let server: string;
  let deps: ServerDeps;
  beforeAll(async () => {
    const { certPem, keyPem } = await (await createTestCa()).issueServerCert();
    https = createHttpsServer({ cert: certPem, key: keyPem }, (_req, res) => res.end('{}')).listen(0, '127.0.0.1');
    await once(https, 'listening');
    server = `https://127.0.0.1:${(https.address() as { port: number }).port}`;
    // No certificate-authority in the kubeconfig: the test CA is not trusted.
    deps = testDeps(['--kubeconfig', kubeconfigFor(server, 'tls.json')]);
  });
  afterAll(async () => {
    await deps.close?.();
    https.closeAllConnections();
    https.close();
  });

  it('a tool says it is a TLS failure and to check the certificate authority', async () => {
    const r = await callTool(deps);
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(
      new RegExp(`the Kubernetes API server at ${server.replace(/\./g, '\\.')} \\(kubeconfig context "spec-context"\\) did not answer: TLS failure: `),
    );
    expect(r.text).toContain('check the certificate-authority data');
    expect(r.text).not.toMatch(/fetch failed/);
  });
});
