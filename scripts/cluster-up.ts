// npm run cluster:up — the e2e control plane (etcd, kube-apiserver, CloudNativePG operator) in the
// foreground, for trying the server or kubectl by hand. Ctrl-C stops it and removes its files.
import { startControlPlane } from '../local-cluster/start.js';

const plane = await startControlPlane({ log: (line) => console.error(`[cluster-up] ${line}`) });
console.log(`API server:  ${plane.server}`);
console.log(`kubeconfig:  ${plane.kubeconfigPath}`);
console.log(`logs:        ${plane.logDir}`);
console.log(`operator:    CloudNativePG ${plane.versions.cnpg} (no pods run here: there is no kubelet)`);
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
