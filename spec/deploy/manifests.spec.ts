// The plain manifests (deploy/manifests/, rendered from the chart with default values) are what
// people without Helm apply: they must be current, and the Deployment in them must be safe to run.
import type { V1Deployment, V1Role } from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedHelm, manifestsDir, only, readRenderedManifests, repoRoot } from '../../test-support/helm.js';

const objects = readRenderedManifests();
const deployment = only<V1Deployment>(objects, 'Deployment');
const pod = deployment.spec!.template.spec!;
const container = pod.containers[0]!;
const helm = cachedHelm();

describe('deploy/manifests', () => {
  it.skipIf(!helm)(
    `are what the chart renders now (npm run check:manifests)${helm ? '' : ' — skipped: helm is not built yet; run scripts/build-helm.sh (needs Go)'}`,
    () => {
      const check = spawnSync('bash', [join(repoRoot, 'scripts/render-manifests.sh'), '--check'], { encoding: 'utf8' });
      expect(check.status, check.stderr).toBe(0);
    },
  );

  it('kubernetes-deployment.yaml (the name the guide uses) is the same file as cnpg-mcp.yaml', () => {
    const read = (f: string) => readFileSync(join(manifestsDir, f), 'utf8');
    expect(read('kubernetes-deployment.yaml')).toBe(read('cnpg-mcp.yaml'));
  });

  it('hold the namespace, ServiceAccount, least-privilege Role and binding, Deployment, Service, NetworkPolicy and PDB', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(
      ['Deployment', 'Namespace', 'NetworkPolicy', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount'].sort(),
    );
    for (const o of objects.filter((o) => o.kind !== 'Namespace')) expect(o.metadata.namespace, `${o.kind} namespace`).toBe('cnpg-mcp');
  });
});

describe('the Deployment', () => {
  it('runs 2 replicas as the chart ServiceAccount, without service-link variables', () => {
    expect(deployment.spec!.replicas).toBe(2);
    expect(pod.serviceAccountName).toBe('cnpg-mcp');
    expect(pod.enableServiceLinks).toBe(false);
  });

  it('has the restricted securityContext (non-root, read-only root, no capabilities, RuntimeDefault seccomp)', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext!.capabilities!.add).toBeUndefined();
  });

  it('probes /healthz (liveness) and /readyz (readiness) on the http port', () => {
    expect(container.livenessProbe?.httpGet).toMatchObject({ path: '/healthz', port: 'http', scheme: 'HTTP' });
    expect(container.readinessProbe?.httpGet).toMatchObject({ path: '/readyz', port: 'http', scheme: 'HTTP' });
    expect(container.ports).toContainEqual(expect.objectContaining({ name: 'http', containerPort: 3000 }));
  });

  it('mounts the token Secret as a directory (no subPath, so rotation reaches the pod) and passes its file', () => {
    const volume = pod.volumes!.find((v) => v.secret?.secretName === 'cnpg-mcp-auth');
    expect(volume).toBeDefined();
    const mount = container.volumeMounts!.find((m) => m.name === volume!.name)!;
    expect(mount.subPath).toBeUndefined();
    expect(mount.subPathExpr).toBeUndefined();
    expect(mount.readOnly).toBe(true);
    expect(container.args).toContain(`--auth-tokens-file=${mount.mountPath}/tokens`);
    // No subPath anywhere: every mount sees updates.
    expect(container.volumeMounts!.filter((m) => m.subPath || m.subPathExpr)).toEqual([]);
  });

  it('writes only to an emptyDir at /tmp', () => {
    const tmp = container.volumeMounts!.find((m) => m.mountPath === '/tmp')!;
    expect(pod.volumes!.find((v) => v.name === tmp.name)?.emptyDir).toBeDefined();
  });

  it('serves HTTP on 0.0.0.0:3000 and is limited to the namespaces its Role covers', () => {
    expect(container.args).toEqual(expect.arrayContaining(['--transport=http', '--host=0.0.0.0', '--port=3000', '--namespaces=cnpg-mcp']));
    const role = only<V1Role>(objects, 'Role');
    expect(role.metadata!.namespace).toBe('cnpg-mcp');
  });

  it('sets requests and a memory limit, and spreads replicas over nodes and zones', () => {
    expect(container.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources?.limits?.memory).toBeDefined();
    expect(pod.topologySpreadConstraints!.map((t) => t.topologyKey)).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
  });
});
