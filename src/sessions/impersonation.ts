// --impersonate: each session (and each session-less request) gets the deps of its principal,
// built by deps.forPrincipal, so the Kubernetes API authorizes the caller rather than the
// server. Without the flag every session shares the server's own deps and identity.
import type { ServerDeps } from '../kit/deps.js';
import type { Principal } from './principal.js';

/** The Kubernetes user and groups a principal is impersonated as. */
export type KubernetesIdentity = Parameters<NonNullable<ServerDeps['forPrincipal']>>[0];

export class ImpersonationUnavailable extends Error {
  constructor() {
    super('--impersonate is set but this build cannot impersonate (deps.forPrincipal is missing)');
  }
}

/** Fails at startup rather than at the first request. */
export function checkImpersonation(deps: ServerDeps, impersonate: boolean): void {
  if (impersonate && typeof deps.forPrincipal !== 'function') throw new ImpersonationUnavailable();
}

export function depsForPrincipal(deps: ServerDeps, impersonate: boolean, principal: Principal | undefined): ServerDeps {
  if (!impersonate) return deps;
  // The auth guard runs before every MCP route, so a principal is always there; refuse loudly if not.
  if (!principal || principal.method === 'none') throw new Error('impersonation without an authenticated principal');
  return deps.forPrincipal!({ user: principal.user, groups: [...principal.groups] });
}
