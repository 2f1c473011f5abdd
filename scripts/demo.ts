// npm run demo [-- --port 3000] — the whole thing on one machine, no cluster needed: the local
// cluster (etcd, kube-apiserver, the CloudNativePG operator and, where the machine allows it, a
// real node), a healthy 2-instance PostgreSQL Cluster `demo` on it (so a switchover can be tried
// at once), then cnpg-mcp over HTTP, then a ready-to-paste MCP client configuration. Ctrl-C
// stops everything and puts the machine back as it was.
//
// The token: a fresh random bearer token each run, handed to the server in AUTH_TOKENS (never on
// the command line, where the process list would show it) and put in the client configuration.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startControlPlane } from '../local-cluster/start.js';
import { customObjects, loadKubeConfig } from '../test-support/kube.js';
import { startServerProcess, waitReady, type ServerProcess } from '../test-support/server-process.js';
import { waitFor } from '../test-support/wait.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '3000' }, host: { type: 'string', default: '127.0.0.1' } } });
const say = (line: string) => console.error(`[demo] ${line}`);

const plane = await startControlPlane({ log: (line) => say(`local cluster: ${line}`) });
const demoCluster = plane.mode === 'pods' ? await createDemoCluster(plane.kubeconfigPath) : undefined;
const token = randomBytes(32).toString('base64url');
const serverLog = join(plane.logDir, 'cnpg-mcp.log');

// Its own process group: Ctrl-C reaches the demo, which then stops the server in order.
let server: ServerProcess | undefined;
server = await startServerProcess({
  kubeconfigPath: plane.kubeconfigPath,
  host: values.host!,
  port: Number(values.port),
  env: { AUTH_TOKENS: token, CNPG_MCP_LOG_LEVEL: 'info' },
  stderrFile: serverLog,
  detached: true,
  // The drain a deployment gets on SIGTERM, not the tests' quick one.
  shutdownTimeoutSec: null,
}).catch(async (err: Error) => {
  say(`the server did not start: ${err.message.split('\n')[0]}; its log: ${serverLog}`);
  return stopAll(1);
});
const base = server.url.origin;
await waitReady(server).catch(async () => {
  say(`the server did not become ready; its log: ${serverLog}`);
  await stopAll(1);
});

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
  void server?.exited.then((code) => resolve(`the server exited (code ${code}); its log: ${serverLog}`));
  plane.died.addEventListener('abort', () => resolve(String((plane.died.reason as Error).message)), { once: true });
});
if (reason) say(reason);
await stopAll(reason ? 1 : 0);

/** A 2-instance Cluster with no image and no storage class named: the local defaults apply. */
async function createDemoCluster(kubeconfigPath: string): Promise<string> {
  const clusters = customObjects(loadKubeConfig(kubeconfigPath));
  const name = 'demo';
  await clusters.create('Cluster', 'default', { metadata: { name }, spec: { instances: 2, storage: { size: '1Gi' } } });
  say(`Cluster default/${name}: 2 instances starting…`);
  const started = Date.now();
  let last = '';
  await waitFor(
    async () => {
      const { status } = await clusters.get('Cluster', 'default', name);
      const line = `${status?.phase ?? 'pending'} (${status?.readyInstances ?? 0}/2 ready)`;
      if (line !== last) say(`Cluster default/${name}: ${line}`);
      last = line;
      return status?.phase === 'Cluster in healthy state' && status.readyInstances === 2;
    },
    {
      what: `Cluster default/${name} to become healthy (operator log: ${plane.logDir}/cnpg-operator.log)`,
      timeoutMs: 600_000,
      intervalMs: 1_000,
      signal: plane.died,
    },
  );
  say(`Cluster default/${name} healthy after ${Math.round((Date.now() - started) / 1000)} s`);
  return name;
}

/** Server first (it drains its calls), then the control plane; the server gets 30 s before SIGKILL. */
async function stopAll(code: number): Promise<never> {
  say('stopping…');
  await server?.stop(30_000);
  await plane.stop();
  say('stopped; temp files removed');
  process.exit(code);
}
