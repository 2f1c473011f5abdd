// The node's own parts, started once the apiserver answers: containerd with the local images,
// kube-controller-manager and kube-scheduler, the kubelet (until the Node is Ready), kube-proxy,
// cluster DNS and the default StorageClass. The plane (../start.ts) owns their processes.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { importImages, type LocalImages } from '../images.js';
import { freePorts } from '../ports.js';
import type { ManagedProcess } from '../processes.js';
import type { NodeBinaries } from '../toolchain.js';
import { waitFor } from '../../test-support/wait.js';
import { startContainerd, waitForContainerd } from './containerd.js';
import { startControllerManager, startKubeProxy, startScheduler } from './controllers.js';
import { startCoreDns } from './coredns.js';
import { startKubelet } from './kubelet.js';
import { nodeName } from './layout.js';
import type { NodePki } from './pki.js';
import { startStorage } from './storage.js';

export interface NodeSpec {
  binaries: NodeBinaries;
  kubectl: string;
  images: LocalImages;
  dir: string;
  logDir: string;
  server: string;
  kubeconfigPath: string;
  kubeconfigContext: string;
  kc: KubeConfig;
  pki: NodePki;
  serviceAccountKey: string;
  containerdSocket: string;
  /** Registers a started process with the plane (stopped in reverse order). */
  own: (process: ManagedProcess) => ManagedProcess;
  step: (what: string) => void;
  timeoutMs: number;
  died: () => AbortSignal;
}

export async function startNode(spec: NodeSpec): Promise<void> {
  const { binaries, dir, logDir, own, step, timeoutMs, died } = spec;
  const [kcmPort, schedulerPort, kubeletPort, kubeletHealthz, proxyHealthz, proxyMetrics] = (await freePorts(6)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const containerd = startContainerd({ dir, logDir, sandboxImage: spec.images.pause.ref, cniPlugins: binaries.cniPlugins, socket: spec.containerdSocket });
  own(containerd.process);
  await waitForContainerd(containerd, timeoutMs, died());
  await importImages('ctr', containerd.socket, spec.images);
  step('containerd ready, local images imported');

  const admin = { logDir, kubeconfigPath: spec.kubeconfigPath };
  own(startControllerManager({ ...admin, binary: binaries.kubeControllerManager, pki: spec.pki, serviceAccountKey: spec.serviceAccountKey, port: kcmPort }));
  own(startScheduler({ ...admin, binary: binaries.kubeScheduler, port: schedulerPort }));
  own(
    startKubelet({
      binary: binaries.kubelet,
      dir,
      logDir,
      server: spec.server,
      pki: spec.pki,
      containerdSocket: containerd.socket,
      port: kubeletPort,
      healthzPort: kubeletHealthz,
    }),
  );
  own(startKubeProxy({ ...admin, binary: binaries.kubeProxy, dir, healthzPort: proxyHealthz, metricsPort: proxyMetrics }));
  own(startCoreDns({ binary: binaries.coredns, dir, logDir, kubeconfigPath: spec.kubeconfigPath, context: spec.kubeconfigContext }));
  await waitForNodeReady(spec.kc, timeoutMs, died());
  step(`node ${nodeName} Ready`);

  own(
    await startStorage({
      binary: binaries.localPathProvisioner,
      kubectl: spec.kubectl,
      dir,
      logDir,
      kubeconfigPath: spec.kubeconfigPath,
      helperImage: spec.images.postgresql.ref,
    }),
  );
  // Pods need their namespace's `default` ServiceAccount, which kube-controller-manager makes.
  const core = spec.kc.makeApiClient(CoreV1Api);
  await waitFor(
    () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' }).then(
        () => true,
        () => false,
      ),
    {
      what: 'kube-controller-manager to create ServiceAccount default/default',
      timeoutMs,
      signal: died(),
    },
  );
  step('controllers, DNS and the default StorageClass running');
}

async function waitForNodeReady(kc: KubeConfig, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor(
    async () => {
      const node = await core.readNode({ name: nodeName }).catch(() => undefined);
      return node?.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True');
    },
    { what: `node ${nodeName} to be Ready (kubelet log: kubelet.log)`, timeoutMs, signal },
  );
}
