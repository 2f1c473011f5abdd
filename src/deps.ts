// Builds what every session shares: the Kubernetes client and the namespace policy, beside the
// mode, limits and tools of src/server-settings.ts (the server factory is handed the tools).
import { WatchCache } from './cnpg/cache.js';
import { CnpgClient } from './cnpg/client.js';
import { impersonatingConfig, type KubeIdentity } from './cnpg/impersonation.js';
import { loadKube, notConfigured } from './cnpg/kubeconfig.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { NamespacePolicy } from './kit/namespaces.js';
import type { ServerDeps } from './kit/deps.js';
import { serverSettings } from './server-settings.js';

export function buildDeps(config: Config, logger: Logger): ServerDeps {
  const kube = loadKube(config);
  if (kube.problem) logger.warn({ problem: kube.problem }, 'no Kubernetes configuration; tools will report it until restarted with one');
  const scopes = config.namespaces.length ? config.namespaces : undefined;
  // A shared cache would let one principal read what another may see: with impersonation,
  // every read goes to the API server under the caller's identity.
  const cache = kube.kubeConfig && config.watchCache && !config.impersonate ? new WatchCache(kube.kubeConfig, scopes, logger) : undefined;
  const client = kube.kubeConfig ? new CnpgClient(kube.kubeConfig, cache) : undefined;
  // With an allowlist and no explicit default, the first allowed namespace is the default.
  const defaultNamespace =
    config.namespaces.length && !config.namespace && !config.namespaces.includes(kube.defaultNamespace) ? config.namespaces[0]! : kube.defaultNamespace;
  const base: ServerDeps = {
    cnpg: () => {
      if (!client) throw notConfigured(kube.problem);
      return client;
    },
    namespaces: new NamespacePolicy(defaultNamespace, config.namespaces),
    ...serverSettings(config, logger),
    clusterChanges: cache ? (listener) => cache.listen('cluster', listener) : undefined,
    close: async () => {
      await cache?.stop();
    },
  };
  if (!config.impersonate) return base;
  return {
    ...base,
    forPrincipal: (identity: KubeIdentity) => {
      const own = kube.kubeConfig ? new CnpgClient(impersonatingConfig(kube.kubeConfig, identity)) : undefined;
      return {
        ...base,
        cnpg: () => {
          if (!own) throw notConfigured(kube.problem);
          return own;
        },
      };
    },
  };
}
