// Teardown leaves the machine as it was: after stop() with pods running, and after a run that
// was killed outright (its leftovers are reaped by the next start). Compared with a snapshot of
// everything a node touches: links, addresses, routes, iptables, mounts, sysctls, cgroups, the
// kubelet's fixed paths and containerd shims.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { listImages } from '../../local-cluster/images.js';
import { podsUnavailable } from '../../local-cluster/node/host.js';
import { machineDiff, snapshotMachine } from '../../local-cluster/node/machine-state.js';
import { startControlPlane } from '../../local-cluster/start.js';
import { waitFor } from '../../test-support/wait.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const unavailable = podsUnavailable();

/** A running container (the pause image starts in a second): mounts, a veth, cgroups, a shim. */
async function runAPod(kubeconfigPath: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const pause = (await listImages()).pause.ref;
  await core.createNamespacedPod({
    namespace: 'default',
    body: { metadata: { name: 'sleeper' }, spec: { containers: [{ name: 'sleeper', image: pause, imagePullPolicy: 'Never' }] } },
  });
  await waitFor(async () => (await core.readNamespacedPod({ namespace: 'default', name: 'sleeper' })).status?.phase === 'Running', {
    what: 'pod default/sleeper to run',
    timeoutMs: 120_000,
  });
}

describe.skipIf(!!unavailable)(`the local node${unavailable ? ` [skipped: ${unavailable}]` : ''}`, () => {
  it('stop() with a pod running leaves the machine as it was', async () => {
    const before = snapshotMachine();
    const plane = await startControlPlane({ mode: 'pods' });
    try {
      expect(plane.mode).toBe('pods');
      await runAPod(plane.kubeconfigPath);
      expect(machineDiff(before, snapshotMachine()).length, 'a running node changes the machine').toBeGreaterThan(0);
    } finally {
      await plane.stop();
    }
    expect(machineDiff(before, snapshotMachine())).toEqual([]);
  });

  it('a run killed with SIGKILL is cleaned up by the next start', async () => {
    const before = snapshotMachine();
    // npm run cluster:up in a child, killed without a chance to clean up once a pod runs.
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cluster-up.ts'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const kubeconfigPath = await waitFor(() => /export KUBECONFIG=(\S+)/.exec(output)?.[1], { what: 'cluster:up to print its kubeconfig', timeoutMs: 600_000 });
    await runAPod(kubeconfigPath);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(machineDiff(before, snapshotMachine()).length, 'the killed run left its node behind').toBeGreaterThan(0);

    const plane = await startControlPlane({ mode: 'pods' });
    expect(plane.mode, plane.podsUnavailable).toBe('pods');
    await plane.stop();
    expect(machineDiff(before, snapshotMachine())).toEqual([]);
  });
});
