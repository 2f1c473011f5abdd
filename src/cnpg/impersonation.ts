// Kubernetes impersonation (--impersonate): every API request of a principal's client carries
// Impersonate-User and one Impersonate-Group header per group, so the API server enforces that
// user's RBAC and its audit log records who did what. client-node only supports the user
// header, and its headers are a plain record (no repeats), so groups are added by an undici
// interceptor on the request's dispatcher.
import { KubeConfig } from '@kubernetes/client-node';
import type { Dispatcher } from 'undici';

export interface KubeIdentity {
  user: string;
  groups: string[];
}

type Context = Parameters<KubeConfig['applySecurityAuthentication']>[0];

function withGroups(groups: string[]): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    const headers = opts.headers;
    let merged: Dispatcher.DispatchOptions['headers'];
    if (Array.isArray(headers)) merged = [...headers, ...groups.flatMap((g) => ['Impersonate-Group', g])];
    else merged = { ...(headers as Record<string, string | string[]> | undefined), 'Impersonate-Group': groups };
    return dispatch({ ...opts, headers: merged }, handler);
  };
}

class ImpersonatingKubeConfig extends KubeConfig {
  constructor(private readonly identity: KubeIdentity) {
    super();
  }

  override async applySecurityAuthentication(context: Context): Promise<void> {
    await super.applySecurityAuthentication(context);
    context.setHeaderParam('Impersonate-User', this.identity.user);
    const dispatcher = context.getDispatcher();
    if (this.identity.groups.length && dispatcher) context.setDispatcher(dispatcher.compose(withGroups(this.identity.groups)));
  }
}

/** A copy of `base` (same cluster, credentials and context) whose requests impersonate `identity`. */
export function impersonatingConfig(base: KubeConfig, identity: KubeIdentity): KubeConfig {
  const kc = new ImpersonatingKubeConfig(identity);
  kc.loadFromOptions({
    clusters: base.getClusters(),
    users: base.getUsers(),
    contexts: base.getContexts(),
    currentContext: base.getCurrentContext(),
  });
  return kc;
}
