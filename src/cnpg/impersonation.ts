// Kubernetes impersonation (--impersonate): every API request of a principal's client carries
// Impersonate-User and one Impersonate-Group header per group, so the API server enforces that
// user's RBAC and its audit log records who did what. client-node only supports the user
// header, and its headers are a plain record (no repeats), so groups are added by an undici
// interceptor on the request's dispatcher.
import { KubeConfig, type Cluster } from '@kubernetes/client-node';
import type { AgentOptions } from 'node:https';
import { Agent, type Dispatcher } from 'undici';

export interface KubeIdentity {
  user: string;
  groups: string[];
}

type Context = Parameters<KubeConfig['applySecurityAuthentication']>[0];

function withGroups(groups: string[]): Dispatcher.DispatcherComposeInterceptor {
  // The flat [name, value, name, value, …] form is the only one in which undici sends a header
  // name more than once (an array value in a record is joined into one line).
  const extra = groups.flatMap((g) => ['Impersonate-Group', g]);
  return (dispatch) => (opts, handler) => {
    const flat: string[] = [];
    const headers = opts.headers;
    if (Array.isArray(headers)) flat.push(...(headers as string[]));
    else if (headers)
      for (const [name, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
        for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) flat.push(name, v);
      }
    return dispatch({ ...opts, headers: [...flat, ...extra] }, handler);
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

  /**
   * WebSocket requests (pods/exec of query_postgres, src/cnpg/exec.ts) take their options from
   * here, not from applySecurityAuthentication: without this they would run as the server's own
   * identity. Node's http client sends an array value as repeated headers (HTTP/1.1).
   */
  override async applyToHTTPSOptions(opts: Parameters<KubeConfig['applyToHTTPSOptions']>[0]): Promise<void> {
    await super.applyToHTTPSOptions(opts);
    const withHeaders = opts as { headers?: Record<string, string | string[]> };
    withHeaders.headers ??= {};
    const headers = withHeaders.headers;
    headers['Impersonate-User'] = this.identity.user;
    if (this.identity.groups.length) headers['Impersonate-Group'] = [...this.identity.groups];
  }
}

// Over HTTP/2 undici folds repeated headers into one "a, b" line, which the API server reads
// as a single group, so this client speaks HTTP/1.1. createDispatcher is private in the
// typings but is the one place the connection options are known: replaced on the prototype.
Object.defineProperty(ImpersonatingKubeConfig.prototype, 'createDispatcher', {
  value(this: KubeConfig, cluster: Cluster | null, agentOptions: AgentOptions): Dispatcher | undefined {
    const opts = this.createDispatcherOptions(cluster, agentOptions);
    if (opts.type === 'agent') return new Agent({ connect: opts.connect, allowH2: false });
    throw new Error('impersonation through a proxy is not supported');
  },
});

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
