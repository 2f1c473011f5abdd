// Resources: cnpg://<namespace>/<name> gives a cluster's status summary and its manifest.
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/server';
import { summariseCluster } from '../cnpg/status.js';
import type { Cluster } from '../cnpg/types.js';
import { tidyObject } from '../tools/outputs.js';
import type { ServerDeps } from './server.js';

export function registerResources(server: McpServer, deps: ServerDeps): void {
  const template = new ResourceTemplate('cnpg://{namespace}/{name}', {
    list: async () => {
      const scopes = deps.namespaces.listScope() ?? [undefined];
      const clusters = (await Promise.all(scopes.map((ns) => deps.cnpg().list<Cluster>('cluster', ns)))).flat();
      return {
        resources: clusters.slice(0, 500).map((c) => ({
          uri: `cnpg://${c.metadata.namespace}/${c.metadata.name}`,
          name: `${c.metadata.namespace}/${c.metadata.name}`,
          mimeType: 'application/json',
        })),
      };
    },
  });
  server.registerResource(
    'cluster',
    template,
    { title: 'CloudNativePG cluster', description: 'Status summary and manifest of one Cluster', mimeType: 'application/json' },
    async (uri, variables) => {
      const namespace = deps.namespaces.resolve(String(variables.namespace));
      const cluster = await deps.cnpg().get<Cluster>('cluster', namespace, String(variables.name));
      const body = { summary: summariseCluster(cluster, 'detailed'), manifest: tidyObject(cluster) };
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(body, null, 2) }] };
    },
  );
}
