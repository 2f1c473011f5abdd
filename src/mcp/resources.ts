// Resources: cnpg://<namespace>/<name> gives a cluster's status summary and its manifest.
import { ProtocolError, ProtocolErrorCode, type ReadResourceResult } from '@modelcontextprotocol/server';
import { summariseCluster } from '../cnpg/status.js';
import type { Cluster } from '../cnpg/types.js';
import { tidyObject } from '../cnpg/tidy.js';
import { k8sName } from '../kit/names.js';
import type { ServerDeps } from '../kit/deps.js';

export const RESOURCE_TEMPLATES = {
  resourceTemplates: [
    {
      uriTemplate: 'cnpg://{namespace}/{name}',
      name: 'cluster',
      title: 'CloudNativePG cluster',
      description: 'Status summary and manifest of one Cluster',
      mimeType: 'application/json',
    },
  ],
};

export function clusterUri(namespace: string, name: string): string {
  return `cnpg://${namespace}/${name}`;
}

/** The namespace and name of a cluster resource URI, or an InvalidParams error saying what it should look like. */
export function parseClusterUri(uri: string): { namespace: string; name: string } {
  const match = /^cnpg:\/\/([^/]+)\/([^/]+)$/.exec(uri);
  if (!match || !k8sName.safeParse(match[1]).success || !k8sName.safeParse(match[2]).success) {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `not a cluster resource: ${uri.slice(0, 200)} (expected cnpg://<namespace>/<name>)`);
  }
  return { namespace: match[1]!, name: match[2]! };
}

export async function listClusterResources(deps: ServerDeps) {
  const scopes = deps.namespaces.listScope() ?? [undefined];
  const clusters = (await Promise.all(scopes.map((ns) => deps.cnpg().list<Cluster>('cluster', ns)))).flat();
  return {
    resources: clusters.slice(0, 500).map((c) => ({
      uri: clusterUri(c.metadata.namespace!, c.metadata.name),
      name: `${c.metadata.namespace}/${c.metadata.name}`,
      mimeType: 'application/json',
    })),
  };
}

export async function readClusterResource(deps: ServerDeps, uri: string): Promise<ReadResourceResult> {
  const target = parseClusterUri(uri);
  try {
    const namespace = deps.namespaces.resolve(target.namespace);
    const cluster = await deps.cnpg().get<Cluster>('cluster', namespace, target.name);
    const body = { summary: summariseCluster(cluster, 'detailed'), manifest: tidyObject(cluster) };
    return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(body, null, 2) }] };
  } catch (err) {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `cannot read ${uri}: ${(err as Error).message}`);
  }
}
