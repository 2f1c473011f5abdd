// Resources: cnpg://<namespace>/<name> gives a cluster's status summary and its manifest.
import { ProtocolError, ProtocolErrorCode, type ReadResourceResult } from '@modelcontextprotocol/server';
import { allowingLastKnown, STALE_META_KEY, staleNote } from '../cnpg/last-known.js';
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

// Resource reads only read: while the API server is unreachable they may be answered from the
// cache's last known state, marked with its age in `_meta` (src/cnpg/last-known.ts).
export async function listClusterResources(deps: ServerDeps) {
  const scopes = deps.namespaces.listScope() ?? [undefined];
  const { value: clusters, stale } = await allowingLastKnown(async () =>
    (await Promise.all(scopes.map((ns) => deps.cnpg().list<Cluster>('cluster', ns)))).flat(),
  );
  return {
    resources: clusters.slice(0, 500).map((c) => ({
      uri: clusterUri(c.metadata.namespace!, c.metadata.name),
      name: `${c.metadata.namespace}/${c.metadata.name}`,
      mimeType: 'application/json',
    })),
    ...(stale ? { _meta: { [STALE_META_KEY]: staleNote(stale).note } } : {}),
  };
}

export async function readClusterResource(deps: ServerDeps, uri: string): Promise<ReadResourceResult> {
  const target = parseClusterUri(uri);
  try {
    const namespace = deps.namespaces.resolve(target.namespace);
    const { value: cluster, stale } = await allowingLastKnown(() => deps.cnpg().get<Cluster>('cluster', namespace, target.name));
    const note = stale && staleNote(stale).note;
    // The body says it too: a reader of the JSON alone sees how old it is.
    const body = { summary: summariseCluster(cluster, 'detailed'), manifest: tidyObject(cluster), ...(note ? { cache: note } : {}) };
    return {
      contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(body, null, 2) }],
      ...(note ? { _meta: { [STALE_META_KEY]: note } } : {}),
    };
  } catch (err) {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `cannot read ${uri}: ${(err as Error).message}`);
  }
}
