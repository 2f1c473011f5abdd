// The deps of a stdio session, before the Kubernetes side exists. Importing
// @kubernetes/client-node costs about 1 s of CPU and 80 MB of RSS (docs/benchmarks.md, issue #13),
// and initialize, tools/list or prompts never need it: so the stdio transport answers those at
// once and calls load() before handing on the first request that may reach Kubernetes.
import { flushCompileCache } from 'node:module';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import type { NamespacePolicy } from './kit/namespaces.js';
import type { DeferredDeps, ServerDeps } from './kit/deps.js';
import { serverSettings } from './server-settings.js';

export function deferDeps(config: Config, logger: Logger): DeferredDeps {
  let real: ServerDeps | undefined;
  let loading: Promise<void> | undefined;
  // Only a request the transport let through without load() could get here: a bug, said so.
  const early = () => new Error('internal error: Kubernetes used before its client was loaded');

  const deps: ServerDeps = {
    cnpg: () => {
      if (!real) throw early();
      return real.cnpg();
    },
    get namespaces(): NamespacePolicy {
      if (!real) throw early();
      return real.namespaces;
    },
    ...serverSettings(config, logger),
    // Known from the config before the load, so initialize can advertise subscriptions; the
    // subscribe request itself waits for the load (it may reach Kubernetes: stdio.ts).
    clusterChanges:
      config.watchCache && !config.impersonate
        ? (listener) => {
            if (!real) throw early();
            if (!real.clusterChanges) throw new Error('no Kubernetes configuration was loaded, so there is no watch to follow');
            return real.clusterChanges(listener);
          }
        : undefined,
    close: async () => {
      await loading;
      await real?.close?.();
    },
  };
  return {
    deps,
    get loaded() {
      return real !== undefined;
    },
    load: () =>
      (loading ??= import('./deps.js').then(({ buildDeps }) => {
        real = buildDeps(config, logger);
        // The Kubernetes client is most of what there is to compile: into the cache now, not
        // only at a clean exit, which a client that kills its server never lets happen.
        flushCompileCache();
      })),
  };
}
