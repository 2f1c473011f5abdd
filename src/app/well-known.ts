// RFC 9728 OAuth 2.0 Protected Resource Metadata, served when --resource-url is set, without
// authentication (a client reads it to learn how to authenticate). It is served at the root
// well-known path and at the path-aware one derived from the resource URL (RFC 9728 §3.1),
// which is also what the 401 challenge's resource_metadata names.
import type { OAuthProtectedResourceMetadata } from '@modelcontextprotocol/server';
import { Router, type RequestHandler } from 'express';
import { REALM, resourceMetadataUrl } from '../guards/auth.js';
import { methodNotAllowed, notFound } from '../protocol/errors.js';
import { ROUTES } from '../protocol/routes.js';

/** RFC 8414 / RFC 9728 / OpenID discovery names, optionally path-aware (…/oauth-x/mcp), no dot segments. */
const DISCOVERY_PATHS = /^\/\.well-known\/(oauth-[a-z-]+|openid-configuration)(\/[A-Za-z0-9_-]+)*\/?$/;

export interface ResourceMetadataSettings {
  resourceUrl?: string;
  /** The OIDC issuer, when JWTs are accepted: the authorization server clients get tokens from. */
  issuer?: string;
  allowQueryToken: boolean;
}

export function wellKnownRoutes(settings: ResourceMetadataSettings): Router {
  const router = Router();
  // OAuth and OpenID discovery documents this server does not serve are 404 before the auth
  // guard: a 401 there sends clients (Inspector, mcp-remote) into OAuth discovery and dynamic
  // client registration against a server that has none (issue #12, item 16). Only those names:
  // every other unknown path stays behind authentication, so probes learn nothing from it.
  const absent = () => router.get(DISCOVERY_PATHS, notFound);
  if (!settings.resourceUrl) {
    absent();
    return router;
  }
  const document: OAuthProtectedResourceMetadata = {
    resource: settings.resourceUrl,
    ...(settings.issuer ? { authorization_servers: [settings.issuer] } : {}),
    bearer_methods_supported: settings.allowQueryToken ? ['header', 'query'] : ['header'],
    resource_name: REALM,
  };
  const serve: RequestHandler = (_req, res) => {
    // Public metadata, readable by browser clients on any origin.
    res.set({ 'Cache-Control': 'max-age=300', 'Access-Control-Allow-Origin': '*' }).json(document);
  };
  const paths = new Set([ROUTES.resourceMetadata, new URL(resourceMetadataUrl(settings.resourceUrl)).pathname]);
  for (const path of paths)
    router
      .route(path)
      .get(serve)
      .all(methodNotAllowed(['GET']));
  absent();
  return router;
}
