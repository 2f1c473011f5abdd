// A real Kubernetes cluster without Docker: etcd, kube-apiserver and the CloudNativePG operator
// as local processes built from the Go module proxy (build.sh), and, where the machine allows
// it, a real node (node/): containerd, the kubelet, kube-proxy, the controllers, cluster DNS and
// a StorageClass, running the PostgreSQL, PgBouncer and operator images built locally (images/).
// Without the node ("API-only"), pods never run; everything the operator does through the API
// still happens.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { startApiserver, waitForApiserver } from './apiserver.js';
import { trackForCleanup } from './cleanup.js';
import { cnpgGroup, installCrds, waitForEstablished } from './crds.js';
import { writeAdminToken, writeKubeconfig, writeServiceAccountKeys } from './credentials.js';
import { startEtcd, waitForEtcd } from './etcd.js';
import { startOperator, waitForOperatorToReconcile } from './operator.js';
import { freePorts } from './ports.js';
import type { ManagedProcess } from './processes.js';
import { planeDirPrefix, reapStalePlanes, writeOwner } from './stale.js';
import { buildImages } from './images.js';
import { podsUnavailable, reapStaleNode } from './node/host.js';
import { setUpNetwork } from './node/network.js';
import { makeNodePki } from './node/pki.js';
import { takeRecord, type NodeRecord } from './node/record.js';
import { startNode } from './node/start.js';
import { tearDownNode } from './node/teardown.js';
import { buildToolchain, type Versions } from './toolchain.js';

/** `pods` (a real node) or `api-only` (no kubelet: Clusters stop at "Setting up primary"). */
export type ClusterMode = 'pods' | 'api-only';

type Ports = [number, number, number, number, number];

export interface ControlPlaneOptions {
  /** Receives progress lines ("kube-apiserver ready (2.1 s)"). Default: silent. */
  log?: (line: string) => void;
  /** Deadline of each readiness wait once the binaries exist (the build has none). Default 120 s. */
  timeoutMs?: number;
  /**
   * `pods` when the machine allows it, else `api-only` with the reason logged. Default: the
   * environment's LOCAL_CLUSTER (`pods`, `api-only`), else `pods`.
   */
  mode?: ClusterMode;
}

export interface ControlPlane {
  /** Admin kubeconfig (bearer token in system:masters, namespace "default"). */
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  pids: { etcd: number; apiserver: number; operator: number };
  /** Everything of this plane on disk: etcd data, certificates, kubeconfig, logs/. Removed by stop(). */
  tempDir: string;
  logDir: string;
  versions: Versions;
  /** kubectl of the same Kubernetes release, built with the plane. */
  kubectl: string;
  /** What runs: `pods` (a node; Clusters become healthy) or `api-only`. */
  mode: ClusterMode;
  /** Why pods do not run, when mode is `api-only` because the machine does not allow them. */
  podsUnavailable?: string;
  /** Aborted when any of the plane's processes exits before stop(); its reason names the log. */
  died: AbortSignal;
  /** Stops the operator, kube-apiserver and etcd (in that order), then removes tempDir. Idempotent. */
  stop(): Promise<void>;
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const { log = () => {}, timeoutMs = 120_000 } = options;
  const wanted = options.mode ?? (process.env.LOCAL_CLUSTER === 'api-only' ? 'api-only' : 'pods');
  // A crashed run's node first: its kubelet and containerd die with its plane, then the node's
  // mounts under the plane's dir go, then the dir.
  reapStalePlanes(() => reapStaleNode());
  reapStaleNode();
  let podsUnavailableReason: string | undefined;
  if (wanted === 'pods') {
    podsUnavailableReason = podsUnavailable();
    if (podsUnavailableReason) log(`real pods unavailable: ${podsUnavailableReason}; starting the API-only plane`);
  }
  const mode: ClusterMode = wanted === 'pods' && !podsUnavailableReason ? 'pods' : 'api-only';
  const toolchain = await buildToolchain({ withNode: mode === 'pods' });
  // After the toolchain: the operator image is the operator binary it builds.
  const images = mode === 'pods' ? await buildImages() : undefined;

  const tempDir = mkdtempSync(join(tmpdir(), planeDirPrefix));
  const logDir = join(tempDir, 'logs');
  mkdirSync(logDir);
  const processes: ManagedProcess[] = [];
  const own = (child: ManagedProcess) => {
    processes.push(child);
    writeOwner(
      tempDir,
      processes.map((p) => p.pid),
    );
    return child;
  };
  const died = () => AbortSignal.any(processes.map((p) => p.died));
  let nodeRecord: NodeRecord | undefined;
  const stopProcesses = async () => {
    for (const child of [...processes].reverse()) await child.stop();
    // Containers outlive the kubelet and containerd (their shims keep them): teardown ends them.
    if (nodeRecord) tearDownNode(nodeRecord);
  };
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await stopProcesses();
      rmSync(tempDir, { recursive: true, force: true });
      untrack();
    })());
  const untrack = trackForCleanup({
    stop,
    killNow() {
      for (const child of processes) child.killNow();
      if (nodeRecord) tearDownNode(nodeRecord);
      rmSync(tempDir, { recursive: true, force: true });
    },
  });

  const startedAt = performance.now();
  const step = (what: string) => log(`${what} (${((performance.now() - startedAt) / 1000).toFixed(1)} s)`);
  try {
    const [etcdClient, etcdPeer, apiserverPort, metricsPort, webhookPort] = (await freePorts(5)) as Ports;
    const pki = mode === 'pods' ? makeNodePki(join(tempDir, 'pki')) : undefined;
    const containerdSocket = join(tempDir, 'containerd', 'containerd.sock');
    if (mode === 'pods') {
      // Written before the first change to the machine, so a crash at any later point is undone.
      nodeRecord = takeRecord(tempDir, containerdSocket, toolchain.node.kubeProxy);
      setUpNetwork();
    }
    const etcd = startEtcd({ binary: toolchain.etcd, dir: tempDir, logDir, clientPort: etcdClient, peerPort: etcdPeer });
    own(etcd.process);
    await waitForEtcd(etcd.url, timeoutMs, died());
    step('etcd ready');

    const admin = writeAdminToken(tempDir);
    const serviceAccount = writeServiceAccountKeys(tempDir);
    const apiserver = startApiserver({
      binary: toolchain.kubeApiserver,
      dir: tempDir,
      logDir,
      port: apiserverPort,
      etcdUrl: etcd.url,
      serviceAccount,
      admin,
      node: pki && { pki },
    });
    own(apiserver.process);
    const caPem = await waitForApiserver(apiserver, admin.token, timeoutMs, died());
    step('kube-apiserver ready');

    const kubeconfigPath = join(tempDir, 'kubeconfig');
    writeKubeconfig({ path: kubeconfigPath, server: apiserver.server, caPem, token: admin.token });
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);

    if (pki && images) {
      await startNode({
        binaries: toolchain.node,
        kubectl: toolchain.kubectl,
        images,
        dir: tempDir,
        logDir,
        server: apiserver.server,
        kubeconfigPath,
        kubeconfigContext: kc.getCurrentContext(),
        kc,
        pki,
        serviceAccountKey: serviceAccount.privateKeyPath,
        containerdSocket,
        own,
        step,
        timeoutMs,
        died,
      });
    }

    const crds = await installCrds({
      kubectl: toolchain.kubectl,
      kubeconfigPath,
      manifestPath: toolchain.manifest,
      dir: tempDir,
      logDir,
    });
    const cnpgCrds = crds.filter((crd) => crd.group === cnpgGroup).map((crd) => crd.name);
    await waitForEstablished(kc, cnpgCrds, timeoutMs, died());
    step(`${cnpgCrds.length} CloudNativePG CRDs established`);

    const operator = own(
      startOperator({
        binary: toolchain.operator,
        dir: tempDir,
        kubeconfigPath,
        logDir,
        metricsPort,
        webhookPort,
        // The apiserver's self-signed pair already has the file names the operator expects.
        webhookCertDir: apiserver.certDir,
        images: images && { operator: images.operator.ref, postgresql: images.postgresql.ref, pgbouncer: images.pgbouncer.ref },
      }),
    );
    await waitForOperatorToReconcile(kc, timeoutMs, died());
    step(`CloudNativePG operator ${toolchain.versions.cnpg} reconciling`);

    return {
      kubeconfigPath,
      server: apiserver.server,
      pids: { etcd: etcd.process.pid, apiserver: apiserver.process.pid, operator: operator.pid },
      tempDir,
      logDir,
      versions: toolchain.versions,
      kubectl: toolchain.kubectl,
      mode,
      podsUnavailable: podsUnavailableReason,
      died: died(),
      stop,
    };
  } catch (error) {
    await stopProcesses();
    untrack();
    // Keep the logs, which explain the failure; drop the rest (etcd data, keys, the token).
    for (const entry of readdirSync(tempDir)) if (entry !== 'logs') rmSync(join(tempDir, entry), { recursive: true, force: true });
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`local control plane failed to start: ${reason}\nlogs kept in ${logDir}`, { cause: error });
  }
}
