// The real CloudNativePG operator, run out of cluster against the local API server.
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { startProcess, type ManagedProcess } from './processes.js';
import { waitFor } from '../test-support/wait.js';

export interface OperatorSpec {
  binary: string;
  kubeconfigPath: string;
  /** Must hold apiserver.crt/apiserver.key (the names the operator uses when WEBHOOK_CERT_DIR is set). */
  webhookCertDir: string;
  logDir: string;
  metricsPort: number;
  webhookPort: number;
  /** Scratch dir for the operator's working directory. */
  dir: string;
  /** With a node: the local images, as the defaults of Clusters and Poolers that name none. */
  images?: { operator: string; postgresql: string; pgbouncer: string };
}

export function startOperator(spec: OperatorSpec): ManagedProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: spec.kubeconfigPath, WEBHOOK_CERT_DIR: spec.webhookCertDir };
  // Unset = development mode: no operator Deployment, Service or namespace to look up.
  // Empty WATCH_NAMESPACE = every namespace. A value inherited from the caller's shell must not leak in.
  delete env.OPERATOR_NAMESPACE;
  delete env.WATCH_NAMESPACE;
  if (spec.images) {
    env.OPERATOR_IMAGE_NAME = spec.images.operator;
    env.POSTGRES_IMAGE_NAME = spec.images.postgresql;
    env.PGBOUNCER_IMAGE_NAME = spec.images.pgbouncer;
  }
  return startProcess({
    name: 'cnpg-operator',
    command: spec.binary,
    logDir: spec.logDir,
    env,
    cwd: imageLayout(spec.dir, spec.binary),
    // No --leader-elect: one operator per plane, and a Lease would only delay its start.
    // Own ports instead of :8080/:9443, so two planes (or a dev's other tools) never collide.
    args: ['controller', `--metrics-bind-address=127.0.0.1:${spec.metricsPort}`, `--webhook-port=${spec.webhookPort}`],
  });
}

/**
 * The operator lists the instance-manager binaries it can inject into pods by globbing
 * `operator/manager_<GOARCH>` relative to its working directory (/ in its image; see
 * pkg/utils/discovery.go). With none found, every Cluster status update fails with
 * "invalid architecture: amd64". The instance manager is the same binary, so a symlink does.
 */
function imageLayout(dir: string, binary: string): string {
  const workdir = join(dir, 'operator-workdir');
  mkdirSync(join(workdir, 'operator'), { recursive: true });
  symlinkSync(binary, join(workdir, 'operator', `manager_${goArch()}`));
  return workdir;
}

function goArch(): string {
  const names: Partial<Record<NodeJS.Architecture, string>> = { x64: 'amd64', ia32: '386', arm: 'arm' };
  return names[process.arch] ?? process.arch; // arm64, ppc64, s390x, riscv64 are spelled alike
}

const probe = { namespace: 'cnpg-mcp-probe', name: 'probe' } as const;

/**
 * "Controllers started" in a log proves little; a Cluster that gets a status.phase proves the
 * operator watches, reconciles and writes. The probe Cluster is deleted afterwards so it never
 * shows up in a spec's list; the objects it owns stay in its namespace (there is no garbage
 * collector without kube-controller-manager), inert.
 */
export async function waitForOperatorToReconcile(kc: KubeConfig, timeoutMs: number, signal: AbortSignal) {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const cluster = { group: 'postgresql.cnpg.io', version: 'v1', plural: 'clusters', namespace: probe.namespace };
  await ignoreConflict(core.createNamespace({ body: { metadata: { name: probe.namespace } } }));
  await ignoreConflict(
    custom.createNamespacedCustomObject({
      ...cluster,
      body: {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata: { name: probe.name },
        spec: { instances: 1, storage: { size: '1Gi' } },
      },
    }),
  );
  await waitFor(
    async () => {
      const object = (await custom.getNamespacedCustomObject({ ...cluster, name: probe.name })) as { status?: { phase?: string } };
      return object.status?.phase;
    },
    { what: `the operator to set status.phase on Cluster ${probe.namespace}/${probe.name}`, timeoutMs, signal },
  );
  await custom.deleteNamespacedCustomObject({ ...cluster, name: probe.name }).catch(() => undefined);
}

async function ignoreConflict(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
  }
}
