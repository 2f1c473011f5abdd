// The operator's CustomResourceDefinitions, taken from its release manifest. Only the CRDs are
// installed locally: the manifest's webhook configurations point at an in-cluster Service with
// failurePolicy Fail, which would reject every write on a plane that has no pods.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiextensionsV1Api, type KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { runLogged } from './processes.js';
import { waitFor } from '../test-support/wait.js';

export const cnpgGroup = 'postgresql.cnpg.io';

export interface CrdInfo {
  /** e.g. clusters.postgresql.cnpg.io */
  name: string;
  group: string;
  kind: string;
  plural: string;
  scope: 'Namespaced' | 'Cluster';
  versions: string[];
}

interface CrdDocument {
  kind?: string;
  metadata?: { name?: string };
  spec?: {
    group: string;
    scope: CrdInfo['scope'];
    names: { kind: string; plural: string };
    versions: { name: string }[];
  };
}

/** Every CRD in a manifest, with the YAML text of just those documents. */
export function crdsInManifest(manifestPath: string): { crds: CrdInfo[]; yaml: string } {
  const documents = parseAllDocuments(readFileSync(manifestPath, 'utf8'));
  const picked = documents.filter((doc) => (doc.toJS() as CrdDocument | null)?.kind === 'CustomResourceDefinition');
  const crds = picked.map((doc) => {
    const { metadata, spec } = doc.toJS() as Required<CrdDocument>;
    return {
      name: metadata.name ?? '',
      group: spec.group,
      kind: spec.names.kind,
      plural: spec.names.plural,
      scope: spec.scope,
      versions: spec.versions.map((version) => version.name),
    };
  });
  return { crds, yaml: picked.map((doc) => doc.toString()).join('---\n') };
}

/** The CRDs of postgresql.cnpg.io that the pinned operator release ships. */
export function cnpgCrdsInManifest(manifestPath: string): CrdInfo[] {
  return crdsInManifest(manifestPath).crds.filter((crd) => crd.group === cnpgGroup);
}

export interface InstallCrdsSpec {
  kubectl: string;
  kubeconfigPath: string;
  manifestPath: string;
  dir: string;
  logDir: string;
}

/** Server-side apply: these CRDs exceed the annotation size limit of client-side apply. */
export async function installCrds({ kubectl, kubeconfigPath, manifestPath, dir, logDir }: InstallCrdsSpec) {
  const { crds, yaml } = crdsInManifest(manifestPath);
  const file = join(dir, 'crds.yaml');
  writeFileSync(file, yaml);
  await runLogged(
    kubectl,
    ['apply', '--server-side', '--field-manager=cnpg-mcp-e2e', `--kubeconfig=${kubeconfigPath}`, '-f', file],
    join(logDir, 'kubectl.log'),
  );
  return crds;
}

/** True once the CRD's Established condition is True: its REST endpoints serve from then on. */
export async function isEstablished(kc: KubeConfig, name: string): Promise<boolean> {
  const crd = await kc.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name });
  return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
}

export async function waitForEstablished(kc: KubeConfig, names: string[], timeoutMs: number, signal?: AbortSignal) {
  await Promise.all(names.map((name) => waitFor(() => isEstablished(kc, name), { what: `CRD ${name} to be Established`, timeoutMs, signal })));
}
