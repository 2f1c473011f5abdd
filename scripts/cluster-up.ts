// npm run cluster:up — the local cluster (etcd, kube-apiserver, the CloudNativePG operator and,
// where the machine allows it, a real node running pods) in the foreground, for trying the server
// or kubectl by hand. LOCAL_CLUSTER=api-only skips the node. Ctrl-C stops it and puts the machine
// back as it was.
import { startControlPlane } from '../local-cluster/start.js';

const plane = await startControlPlane({ log: (line) => console.error(`[cluster-up] ${line}`) });
console.log(`API server:  ${plane.server}`);
console.log(`kubeconfig:  ${plane.kubeconfigPath}`);
console.log(`logs:        ${plane.logDir}`);
console.log(
  plane.mode === 'pods'
    ? `operator:    CloudNativePG ${plane.versions.cnpg}; pods run on the local node (Kubernetes ${plane.versions.kubernetes})`
    : `operator:    CloudNativePG ${plane.versions.cnpg}; API only, no pods run${plane.podsUnavailable ? ` (${plane.podsUnavailable})` : ''}`,
);
console.log('');
console.log(`export KUBECONFIG=${plane.kubeconfigPath}`);
console.log('');
console.log('Up. Press Ctrl-C to stop.');

// The plane's processes do not hold the event loop open (so tests can exit); this timer does.
const keepAlive = setInterval(() => {}, 2 ** 30);
const ended = await new Promise<string | undefined>((resolve) => {
  process.once('SIGINT', () => resolve(undefined));
  process.once('SIGTERM', () => resolve(undefined));
  plane.died.addEventListener('abort', () => resolve(String((plane.died.reason as Error).message)), { once: true });
});
clearInterval(keepAlive);
if (ended) console.error(`[cluster-up] ${ended}`);
console.error('[cluster-up] stopping…');
await plane.stop();
console.error('[cluster-up] stopped; temp files removed');
process.exitCode = ended ? 1 : 0;
