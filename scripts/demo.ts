// npm run demo [-- --port 3000] — the whole thing on one machine, no cluster needed: the local
// cluster (etcd, kube-apiserver, the CloudNativePG operator and, where the machine allows it, a
// real node), a healthy 2-instance PostgreSQL Cluster `demo` on it (so a switchover can be tried
// at once), then cnpg-mcp over HTTP, then a ready-to-paste MCP client configuration. Ctrl-C
// stops everything and puts the machine back as it was.
//
// The token: a fresh random bearer token each run, handed to the server in AUTH_TOKENS (never on
// the command line, where the process list would show it) and put in the client configuration.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { startControlPlane } from '../local-cluster/start.js';
import { waitFor } from '../local-cluster/wait.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '3000' }, host: { type: 'string', default: '127.0.0.1' } } });
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const say = (line: string) => console.error(`[demo] ${line}`);

const plane = await startControlPlane({ log: (line) => say(`local cluster: ${line}`) });
const demoCluster = plane.mode === 'pods' ? await createDemoCluster(plane.kubeconfigPath) : undefined;
const token = randomBytes(32).toString('base64url');
const serverLog = join(plane.logDir, 'cnpg-mcp.log');

// Its own process group: Ctrl-C reaches the demo, which then stops the server in order.
const server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--transport', 'http', '--host', values.host!, '--port', values.port!], {
  cwd: repoRoot,
  env: { ...process.env, KUBECONFIG: plane.kubeconfigPath, AUTH_TOKENS: token, CNPG_MCP_LOG_LEVEL: 'info' },
  stdio: ['ignore', 'ignore', openSync(serverLog, 'a')],
  detached: true,
});
process.on('exit', () => server.exitCode === null && server.kill('SIGKILL'));
const serverExited = once(server, 'exit').then(([code]) => code as number | null);

const base = `http://${values.host!.includes(':') ? `[${values.host}]` : values.host}:${values.port}`;
const ready = await waitUntilReady(`${base}/readyz`, 60_000);
if (!ready) {
  say(`the server did not become ready; its log: ${serverLog}`);
  await stopAll(1);
}

const clientConfig = {
  mcpServers: {
    cnpg: { type: 'http', url: `${base}/mcp`, headers: { Authorization: `Bearer ${token}` } },
  },
};
console.log(`
cnpg-mcp is up on the local cluster (CloudNativePG ${plane.versions.cnpg}; ${
  demoCluster
    ? `Cluster default/${demoCluster} is healthy with 2 instances: try "switch the primary of demo to demo-2")`
    : `API only, pods never run here${plane.podsUnavailable ? `: ${plane.podsUnavailable}` : ''})`
}.

  Streamable HTTP:  ${base}/mcp
  Legacy SSE:       ${base}/sse
  Token:            ${token}
                    (Authorization: Bearer <token>; every endpoint but /healthz and /readyz needs it)
  KUBECONFIG:       ${plane.kubeconfigPath}
  Server log:       ${serverLog}

MCP client configuration (Claude Code: .mcp.json; Cursor: ~/.cursor/mcp.json; see docs/http.md for others):

${JSON.stringify(clientConfig, null, 2)}

Try it:
  curl -sN -X POST ${base}/mcp -H 'Authorization: Bearer ${token}' \\
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\
    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'

Press Ctrl-C to stop everything.
`);

const reason = await new Promise<string | undefined>((resolve) => {
  process.once('SIGINT', () => resolve(undefined));
  process.once('SIGTERM', () => resolve(undefined));
  void serverExited.then((code) => resolve(`the server exited (code ${code}); its log: ${serverLog}`));
  plane.died.addEventListener('abort', () => resolve(String((plane.died.reason as Error).message)), { once: true });
});
if (reason) say(reason);
await stopAll(reason ? 1 : 0);

/** A 2-instance Cluster with no image and no storage class named: the local defaults apply. */
async function createDemoCluster(kubeconfigPath: string): Promise<string> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const ref = { group: 'postgresql.cnpg.io', version: 'v1', namespace: 'default', plural: 'clusters' };
  const name = 'demo';
  await custom.createNamespacedCustomObject({
    ...ref,
    body: { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name }, spec: { instances: 2, storage: { size: '1Gi' } } },
  });
  say(`Cluster default/${name}: 2 instances starting…`);
  const started = Date.now();
  let last = '';
  await waitFor(
    async () => {
      const { status } = (await custom.getNamespacedCustomObject({ ...ref, name })) as { status?: { phase?: string; readyInstances?: number } };
      const line = `${status?.phase ?? 'pending'} (${status?.readyInstances ?? 0}/2 ready)`;
      if (line !== last) say(`Cluster default/${name}: ${(last = line)}`);
      return status?.phase === 'Cluster in healthy state' && status.readyInstances === 2;
    },
    { what: `Cluster default/${name} to become healthy (operator log: ${plane.logDir}/cnpg-operator.log)`, timeoutMs: 600_000, intervalMs: 1_000, signal: plane.died },
  );
  say(`Cluster default/${name} healthy after ${Math.round((Date.now() - started) / 1000)} s`);
  return name;
}

/** Polls readiness until 200, the server exits, or the deadline passes. */
async function waitUntilReady(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && server.exitCode === null) {
    const status = await fetch(url).then((r) => r.status, () => 0);
    if (status === 200) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/** Server first (it drains its calls), then the control plane; the server gets 30 s before SIGKILL. */
async function stopAll(code: number): Promise<never> {
  say('stopping…');
  if (server.exitCode === null) {
    server.kill('SIGTERM');
    const killer = setTimeout(() => server.kill('SIGKILL'), 30_000);
    await serverExited;
    clearTimeout(killer);
  }
  await plane.stop();
  say('stopped; temp files removed');
  process.exit(code);
}
