// What the e2e environment itself promises, checked against the real API server and the real
// operator: the tool specs build on these facts, so they fail here first, with a clear reason.
import { existsSync } from 'node:fs';
import { BatchV1Api, CoreV1Api, Health, type V1ObjectMeta } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { cnpgCrdsInManifest, isEstablished } from '../local-cluster/crds.js';
import { releaseManifestPath } from '../local-cluster/toolchain.js';
import { clusterKind, e2eKubeConfig, podsCanRun, skipReasonNoPods, useTestNamespace } from './helpers/cluster.js';
import { customObjects, KubeApiError, type NewCnpgObject } from '../test-support/kube.js';
import { waitFor } from '../test-support/wait.js';

const core = () => e2eKubeConfig().makeApiClient(CoreV1Api);
const batch = () => e2eKubeConfig().makeApiClient(BatchV1Api);

function cluster(name: string, spec: Record<string, unknown> = {}): NewCnpgObject {
  return { metadata: { name }, spec: { instances: 1, storage: { size: '1Gi' }, ...spec } };
}

/** The operator marks what it creates for a Cluster with a controller reference to it. */
function expectControlledBy(clusterName: string, metadata: V1ObjectMeta | undefined) {
  expect(metadata?.ownerReferences).toContainEqual(
    expect.objectContaining({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', name: clusterName, controller: true }),
  );
}

/** The API's own rejection: the create must fail, and with a KubeApiError, not a network error. */
async function rejectionOf(promise: Promise<unknown>): Promise<KubeApiError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(KubeApiError);
  return error as KubeApiError;
}

describe('the API server', () => {
  it('is live and ready', async () => {
    const health = new Health(e2eKubeConfig());
    expect(await health.livez({})).toBe(true);
    expect(await health.readyz({})).toBe(true);
  });

  const manifest = releaseManifestPath();
  // kind-up.sh saves the release manifest where build.sh does; an external cluster may lack it.
  it.skipIf(clusterKind() === 'external' && !existsSync(manifest))(
    'serves every postgresql.cnpg.io/v1 CRD of the pinned operator release, Established',
    async () => {
      const crds = cnpgCrdsInManifest(manifest);
      expect(crds.map((crd) => crd.name)).toContain('clusters.postgresql.cnpg.io');
      for (const crd of crds) {
        expect(crd.versions, crd.name).toContain('v1');
        expect(await isEstablished(e2eKubeConfig(), crd.name), `${crd.name} Established`).toBe(true);
      }
    },
  );
});

describe('the operator, given a new Cluster', () => {
  const namespace = useTestNamespace('reconcile');
  const name = 'pg';

  beforeAll(async () => {
    await customObjects(e2eKubeConfig()).create('Cluster', namespace(), cluster(name));
  });

  it('creates the Secrets -app, -ca, -server and -replication', async () => {
    const expectedTypes = {
      [`${name}-app`]: 'kubernetes.io/basic-auth',
      [`${name}-ca`]: 'Opaque',
      [`${name}-server`]: 'kubernetes.io/tls',
      [`${name}-replication`]: 'kubernetes.io/tls',
    };
    for (const [secretName, type] of Object.entries(expectedTypes)) {
      const secret = await waitFor(() => core().readNamespacedSecret({ name: secretName, namespace: namespace() }), {
        what: `Secret ${namespace()}/${secretName}`,
      });
      expect(secret.type, secretName).toBe(type);
      expectControlledBy(name, secret.metadata);
    }
    const app = await core().readNamespacedSecret({ name: `${name}-app`, namespace: namespace() });
    const decoded = (key: string) => Buffer.from(app.data?.[key] ?? '', 'base64').toString();
    expect(decoded('username')).toBe('app');
    expect(decoded('dbname')).toBe('app');
    expect(decoded('host')).toBe(`${name}-rw`);
  });

  it('creates the Services -rw, -ro and -r', async () => {
    const expectedSelectors = {
      [`${name}-rw`]: { 'cnpg.io/cluster': name, 'cnpg.io/instanceRole': 'primary' },
      [`${name}-ro`]: { 'cnpg.io/cluster': name, 'cnpg.io/instanceRole': 'replica' },
      [`${name}-r`]: { 'cnpg.io/cluster': name, 'cnpg.io/podRole': 'instance' },
    };
    for (const [serviceName, selector] of Object.entries(expectedSelectors)) {
      const service = await waitFor(() => core().readNamespacedService({ name: serviceName, namespace: namespace() }), {
        what: `Service ${namespace()}/${serviceName}`,
      });
      expect(service.spec?.selector, serviceName).toEqual(selector);
      expect(service.spec?.ports?.[0]?.port, serviceName).toBe(5432);
      expectControlledBy(name, service.metadata);
    }
  });

  it('creates the PVC -1 and the Job -1-initdb of the first instance', async () => {
    const pvc = await waitFor(() => core().readNamespacedPersistentVolumeClaim({ name: `${name}-1`, namespace: namespace() }), {
      what: `PersistentVolumeClaim ${namespace()}/${name}-1`,
    });
    expect(pvc.spec?.resources?.requests?.storage).toBe('1Gi');
    expect(pvc.metadata?.labels?.['cnpg.io/pvcRole']).toBe('PG_DATA');
    expectControlledBy(name, pvc.metadata);

    const job = await waitFor(() => batch().readNamespacedJob({ name: `${name}-1-initdb`, namespace: namespace() }), {
      what: `Job ${namespace()}/${name}-1-initdb`,
    });
    expect(job.metadata?.labels?.['cnpg.io/jobRole']).toBe('initdb');
    expectControlledBy(name, job.metadata);
  });

  it.skipIf(podsCanRun())(
    `stops at phase "Setting up primary" with no pods to run${podsCanRun() ? ' [API-only behaviour: skipped because pods run here]' : ''}`,
    async () => {
      const reconciled = await waitFor(
        async () => {
          const object = await customObjects(e2eKubeConfig()).get('Cluster', namespace(), name);
          return object.status?.phase === 'Setting up primary' && object;
        },
        { what: `Cluster ${namespace()}/${name} to reach phase "Setting up primary"` },
      );
      expect(reconciled.status?.targetPrimary).toBe(`${name}-1`);
      expect(reconciled.status?.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'False' }));
    },
  );

  it.skipIf(!podsCanRun())(`becomes healthy${podsCanRun() ? '' : ` ${skipReasonNoPods()}`}`, { timeout: 600_000 }, async () => {
    const healthy = await waitFor(
      async () => {
        const object = await customObjects(e2eKubeConfig()).get('Cluster', namespace(), name);
        return object.status?.phase === 'Cluster in healthy state' && object;
      },
      // The first pull of the PostgreSQL image dominates on a fresh kind node.
      { what: `Cluster ${namespace()}/${name} to become healthy`, timeoutMs: 540_000, intervalMs: 2_000 },
    );
    expect(healthy.status?.readyInstances).toBe(1);
    expect(healthy.status?.currentPrimary).toBe(`${name}-1`);
  });
});

describe('an invalid Cluster', () => {
  const namespace = useTestNamespace('invalid');

  it('with instances: 0 is rejected by the CRD schema with 422, naming spec.instances', async () => {
    const error = await rejectionOf(customObjects(e2eKubeConfig()).create('Cluster', namespace(), cluster('zero', { instances: 0 })));
    expect(error.code).toBe(422);
    expect(error.status?.reason).toBe('Invalid');
    expect(error.message).toMatch(/spec\.instances/);
    expect(error.message).toMatch(/greater than or equal to 1/);
  });

  it('with both imageName and imageCatalogRef is rejected by the CRD rule with 422', async () => {
    const spec = {
      imageName: 'ghcr.io/cloudnative-pg/postgresql:18',
      imageCatalogRef: { apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: 'catalog', major: 18 },
    };
    const error = await rejectionOf(customObjects(e2eKubeConfig()).create('Cluster', namespace(), cluster('both', spec)));
    expect(error.code).toBe(422);
    expect(error.message).toMatch(/imageName and imageCatalogRef are mutually exclusive/);
  });

  // The CRD types storage.size as a plain string; the quantity check lives in the operator's
  // validating webhook. The local plane installs no webhooks, so there the operator's reconciler
  // applies the same validation and records it in the status instead.
  if (clusterKind() === 'local') {
    it('with storage.size "lots" is accepted by the schema, then marked invalid by the operator', async () => {
      await customObjects(e2eKubeConfig()).create('Cluster', namespace(), cluster('lots', { storage: { size: 'lots' } }));
      const marked = await waitFor(
        async () => {
          const object = await customObjects(e2eKubeConfig()).get('Cluster', namespace(), 'lots');
          return object.status?.phase === 'Invalid cluster definition' && object;
        },
        { what: `Cluster ${namespace()}/lots to be marked "Invalid cluster definition"` },
      );
      expect(marked.status?.phaseReason).toMatch(/spec\.storage\.size/);
    });
  } else {
    it('with storage.size "lots" is rejected by the operator webhook with 422, naming spec.storage.size', async () => {
      const error = await rejectionOf(customObjects(e2eKubeConfig()).create('Cluster', namespace(), cluster('lots', { storage: { size: 'lots' } })));
      expect(error.code).toBe(422);
      expect(error.message).toMatch(/spec\.storage\.size/);
    });
  }
});
