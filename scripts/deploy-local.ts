// npm run deploy:local — the server as people deploy it, on this machine: the local cluster with
// its node (started here unless --kubeconfig names a running one, e.g. from `npm run
// cluster:up`), the image built from the Dockerfile by BuildKit, the Helm chart installed with 2
// replicas and Redis in the cluster (deploy/helm/values-local.yaml), then the URL and a token that
// works. Stays in the foreground; Ctrl-C uninstalls the release and stops the cluster if it
// started it.
//   npm run deploy:local [-- --kubeconfig <path>] [-- --namespace <ns>]
// Holds /tmp/cnpg-mcp-e2e.lock while its node runs: one node per machine, and the e2e runs take
// the same lock. CNPG_MCP_NODE_LOCK names another lock file instead: for a caller that already
// holds the machine's lock for it (e2e/node/deploy-local.e2e.ts, which checks this lock too).
import { parseArgs } from 'node:util';
import { holdLock, nodeLockPath } from '../local-cluster/node-lock.js';
import { installRelease, helmBinary, prepareImages, type Release } from '../local-cluster/release/install.js';
import { startControlPlane, type ControlPlane } from '../local-cluster/start.js';

const lockPath = process.env.CNPG_MCP_NODE_LOCK || nodeLockPath;
const say = (line: string) => console.error(`[deploy:local] ${line}`);

const { values: flags } = parseArgs({
  options: { kubeconfig: { type: 'string' }, kubectl: { type: 'string' }, namespace: { type: 'string', default: 'cnpg-mcp' } },
});

const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const listenersBefore = new Map(signals.map((signal) => [signal, process.listeners(signal)]));

let plane: ControlPlane | undefined;
let kubeconfigPath = flags.kubeconfig;
let kubectl = flags.kubectl ?? 'kubectl';
if (!kubeconfigPath) {
  holdLock(lockPath, say);
  plane = await startControlPlane({ mode: 'pods', log: (line) => say(`local cluster: ${line}`) });
  if (plane.mode !== 'pods') {
    await plane.stop();
    throw new Error(`the server's pods need the local node, which cannot run here: ${plane.podsUnavailable}`);
  }
  kubeconfigPath = plane.kubeconfigPath;
  kubectl = plane.kubectl;
}

let release: Release | undefined;
const shutDown = async (why: string) => {
  say(`${why}: uninstalling the release…`);
  await release?.uninstall();
  if (plane) {
    say('stopping the local cluster…');
    await plane.stop();
  }
  say('done');
};
// The plane's own signal hooks would stop it at once, under the uninstall: this script stops it
// itself, after the uninstall (its 'exit' hook stays, for a crash). Only the plane's hooks go:
// tsx keeps a hidden listener in this process that tells its parent the signal is handled;
// without it (removeAllListeners did that) tsx SIGKILLed this script 30 ms after Ctrl-C, in the
// middle of the uninstall, and the node was left running (e2e/node/deploy-local.e2e.ts).
for (const signal of signals) {
  for (const listener of process.listeners(signal)) if (!listenersBefore.get(signal)!.includes(listener)) process.off(signal, listener);
}
// The plane's processes do not hold the event loop open; this timer does.
const keepAlive = setInterval(() => {}, 2 ** 30);
const ended = new Promise<string>((resolve) => {
  // `on`, not `once`: a terminal's Ctrl-C reaches this process twice (directly and relayed by
  // tsx), and a second signal without a listener would kill it mid-uninstall. Later signals
  // are ignored; the shutdown runs once.
  for (const signal of signals) process.on(signal, () => resolve(signal));
  plane?.died.addEventListener('abort', () => resolve(String((plane!.died.reason as Error).message)), { once: true });
});
const finish = async (why: string): Promise<never> => {
  clearInterval(keepAlive);
  await shutDown(why);
  // exit(), not exitCode: a build or install interrupted by Ctrl-C may still have work queued.
  process.exit(why.startsWith('SIG') ? 0 : 1);
};

const setUp = (async () => {
  say('building the image from the Dockerfile (BuildKit; cached by its inputs) and importing it…');
  const images = await prepareImages(kubeconfigPath, say);
  say(`image ${images.server.ref} (${images.server.built ? `built in ${images.server.buildSeconds.toFixed(0)} s` : 'cached'})`);
  say(`installing the chart in namespace ${flags.namespace}…`);
  release = await installRelease({ kubeconfigPath, kubectl, helm: await helmBinary(), images, namespace: flags.namespace! });
  say(`2 replicas ready ${release.rolloutSeconds.toFixed(1)} s after helm install`);
  return release;
})();
// After a Ctrl-C the set-up may still fail as the cluster goes away under it: expected, not a crash.
setUp.catch(() => {});
// Ctrl-C during the build or the install stops at once (what is installed by then is uninstalled).
const up = await Promise.race([setUp, ended]).catch(async (error: unknown) => {
  clearInterval(keepAlive);
  await shutDown('failed');
  throw error;
});
if (typeof up === 'string') await finish(up);
release = up as Release;

const token = release.tokens[0]!;
console.log(`CNPG_MCP_URL=${release.url}`);
console.log(`CNPG_MCP_TOKEN=${token}`);
console.log('');
console.log('MCP client configuration (Streamable HTTP; legacy SSE clients use <URL>/sse):');
console.log(JSON.stringify({ mcpServers: { cnpg: { type: 'http', url: `${release.url}/mcp`, headers: { Authorization: `Bearer ${token}` } } } }, null, 2));
console.log('');
console.log(`export KUBECONFIG=${kubeconfigPath}   # kubectl -n ${flags.namespace} get pods`);
console.log(`Up. Press Ctrl-C to uninstall${plane ? ' and stop the cluster.' : '.'}`);

await finish(await ended);
