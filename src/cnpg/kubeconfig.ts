// Where the server's Kubernetes identity comes from: --kubeconfig/KUBECONFIG, ~/.kube/config,
// or the pod's ServiceAccount. A missing config is not fatal: the server still starts and
// answers tools/list; tools then report "not configured".
import { KubeConfig } from '@kubernetes/client-node';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeError } from './errors.js';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeSettings {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface LoadedKube {
  kubeConfig: KubeConfig | undefined;
  defaultNamespace: string;
  /** Why no config could be loaded, when kubeConfig is undefined. */
  problem?: string;
}

export function loadKube(settings: KubeSettings): LoadedKube {
  const kc = new KubeConfig();
  try {
    // KUBECONFIG may list several files separated by ':'; the first existing one is used.
    const files = (settings.kubeconfig ?? '').split(':').filter(Boolean);
    const home = join(homedir(), '.kube', 'config');
    const file = files.find((f) => existsSync(f)) ?? (files.length === 0 && existsSync(home) ? home : undefined);
    if (files.length > 0 && !file) throw new Error(`kubeconfig file not found: ${files.join(':')}`);
    if (file) kc.loadFromFile(file);
    else if (process.env.KUBERNETES_SERVICE_HOST && existsSync(join(SA_DIR, 'token'))) kc.loadFromCluster();
    else throw new Error('no kubeconfig found (~/.kube/config missing) and not running in a pod');
    if (settings.context) {
      if (!kc.getContexts().some((c) => c.name === settings.context)) throw new Error(`context "${settings.context}" is not in the kubeconfig`);
      kc.setCurrentContext(settings.context);
    }
    return { kubeConfig: kc, defaultNamespace: settings.namespace ?? contextNamespace(kc) ?? podNamespace() ?? 'default' };
  } catch (err) {
    return { kubeConfig: undefined, defaultNamespace: settings.namespace ?? 'default', problem: (err as Error).message };
  }
}

function contextNamespace(kc: KubeConfig): string | undefined {
  return kc.getContextObject(kc.getCurrentContext())?.namespace;
}

function podNamespace(): string | undefined {
  try {
    return readFileSync(join(SA_DIR, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function notConfigured(problem: string | undefined): KubeError {
  return new KubeError('not_configured', `no Kubernetes configuration: ${problem ?? 'unknown reason'}`);
}
