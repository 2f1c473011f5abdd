// Issue #5, item 4: JWTs from an OpenID Connect issuer, keys from its JWKS (served here by a
// local test issuer on 127.0.0.1:0); signature, exp, nbf, iss and aud are checked; the principal
// is `sub` with groups from a configurable claim. RFC 9728 metadata with --resource-url.
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Guard } from '../../src/guards/chain.js';
import { OidcVerifier } from '../../src/guards/oidc.js';
import { principalOf } from '../../src/sessions/principal.js';
import { stopAllServers } from '../../test-support/http-server.js';
import { startTestIssuer, type TestIssuer } from './support/oidc.js';
import { TOKEN_A, bearer, connectWithToken, depsLoggingTo, startSecured } from './support/server.js';

const AUDIENCE = 'cnpg-mcp-spec';
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer(AUDIENCE);
});
afterAll(() => issuer.close());
afterEach(() => stopAllServers());

function startWithOidc(oidc: { jwksUri?: string; groupsClaim?: string } = {}, extra: { resourceUrl?: string; tokens?: string[] } = {}) {
  return startSecured({
    tokens: extra.tokens ?? [],
    auth: {
      oidc: { issuer: issuer.issuer, audience: [AUDIENCE], groupsClaim: oidc.groupsClaim ?? 'groups', ...(oidc.jwksUri ? { jwksUri: oidc.jwksUri } : {}) },
      ...(extra.resourceUrl ? { resourceUrl: extra.resourceUrl } : {}),
    },
    // Every failure below comes from one address: keep the failure budget out of the way.
    config: { authFailuresPerMinute: 1000 },
  });
}

const status = async (url: string, token: string) => (await request(url).get('/metrics').set(bearer(token))).status;

/** A guard after the declared ones that records the principal each request was given. */
const spyingOn =
  (seen: unknown[]) =>
  (declared: Guard[]): Guard[] => [
    ...declared,
    {
      name: 'spy',
      handle: (req, _res, next) => {
        seen.push(principalOf(req));
        next();
      },
    },
  ];

describe('JWT bearer tokens (OIDC)', () => {
  it('accepts a JWT signed by a key of the issuer JWKS, found through discovery; the principal is sub with its groups', async () => {
    const seen: unknown[] = [];
    const { url, audit } = await startSecured({
      tokens: [],
      auth: { oidc: { issuer: issuer.issuer, audience: [AUDIENCE], groupsClaim: 'groups' } },
      options: { guards: spyingOn(seen) },
    });
    const token = await issuer.sign({ sub: 'alice@example.com', groups: ['dba', 'system:masters'] });
    const { client } = await connectWithToken(url, token);
    await client.listTools();
    await client.close();
    expect(seen[0]).toMatchObject({ id: 'alice@example.com', user: 'alice@example.com', method: 'jwt', groups: ['dba'] });
    // system: groups are never taken from a token: they could only be used to escalate.
    expect(audit.of('mcp_request')[0]).toMatchObject({ principal: 'alice@example.com', authMethod: 'jwt' });
  });

  it('reads groups from a configured, dotted claim', async () => {
    const seen: unknown[] = [];
    const { url } = await startSecured({
      tokens: [],
      auth: { oidc: { issuer: issuer.issuer, audience: [AUDIENCE], groupsClaim: 'realm_access.roles', jwksUri: issuer.jwksUri } },
      options: { guards: spyingOn(seen) },
    });
    const token = await issuer.sign({ sub: 'bob', realm_access: { roles: ['readers'] } });
    expect(await status(url, token)).toBe(200);
    expect(seen[0]).toMatchObject({ user: 'bob', groups: ['readers'] });
  });

  it.each([
    ['expired', () => issuer.sign({ sub: 'alice' }, { expiresIn: Math.floor(Date.now() / 1000) - 120 }), 'jwt_expired'],
    ['not yet valid', () => issuer.sign({ sub: 'alice' }, { notBefore: Math.floor(Date.now() / 1000) + 3600 }), 'jwt_not_yet_valid'],
    ['for another audience', () => issuer.sign({ sub: 'alice' }, { audience: 'someone-else' }), 'jwt_bad_claims'],
    ['from another issuer', () => issuer.sign({ sub: 'alice' }, { issuer: 'https://evil.example.com' }), 'jwt_bad_claims'],
    ['signed by a key the JWKS does not hold (same kid)', async () => issuer.sign({ sub: 'alice' }, { key: await issuer.foreignKey() }), 'jwt_bad_signature'],
    ['signed by an unknown key id', async () => issuer.sign({ sub: 'alice' }, { kid: 'nope', key: await issuer.foreignKey() }), 'jwt_unknown_key'],
    ['without sub', () => issuer.sign({}), 'jwt_bad_claims'],
    ['naming a system: user', () => issuer.sign({ sub: 'system:admin' }), 'jwt_reserved_identity'],
  ])('refuses a JWT %s with the usual 401', async (_label, make, reason) => {
    const { url, audit } = await startWithOidc();
    const res = await request(url)
      .get('/metrics')
      .set(bearer(await make()));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Unauthorized' }, id: null });
    expect(audit.of('auth_failure').map((r) => r.reason)).toEqual([reason]);
  });

  it('refuses a JWT with alg none, and a tampered payload', async () => {
    const { url } = await startWithOidc();
    const good = await issuer.sign({ sub: 'alice' });
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'mallory' })).toString('base64url')}.${signature}`;
    expect(await status(url, none)).toBe(401);
    expect(await status(url, tampered)).toBe(401);
    expect(await status(url, good)).toBe(200);
  });

  it('caches the JWKS instead of fetching it for every request', async () => {
    const { url } = await startWithOidc({ jwksUri: issuer.jwksUri });
    const before = issuer.jwksFetches();
    for (let i = 0; i < 5; i++) expect(await status(url, await issuer.sign({ sub: `user-${i}` }))).toBe(200);
    expect(issuer.jwksFetches() - before).toBe(1);
  });

  it('accepts static tokens and JWTs side by side', async () => {
    const { url } = await startWithOidc({}, { tokens: [TOKEN_A] });
    expect(await status(url, TOKEN_A)).toBe(200);
    expect(await status(url, await issuer.sign({ sub: 'alice' }))).toBe(200);
  });
});

describe('RFC 9728 protected resource metadata', () => {
  it('is served without auth at /.well-known/oauth-protected-resource (and its path-aware twin) when --resource-url is set', async () => {
    const { url } = await startWithOidc({}, { resourceUrl: 'https://mcp.example.com/mcp' });
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const res = await request(url).get(path).expect(200);
      expect(res.body).toEqual({
        resource: 'https://mcp.example.com/mcp',
        authorization_servers: [issuer.issuer],
        bearer_methods_supported: ['header'],
        resource_name: 'cnpg-mcp',
      });
    }
  });

  it('is not served without --resource-url', async () => {
    const { url } = await startWithOidc();
    // 404, not 401: a 401 sends clients into OAuth discovery (issue #12, item 16; spec/security/well-known.spec.ts).
    await request(url).get('/.well-known/oauth-protected-resource').expect(404);
  });
});

describe('OIDC over plain http', () => {
  it('warns when the issuer or the JWKS is fetched over plain http from another host, and not for loopback or https', () => {
    const lines: string[] = [];
    const { logger } = depsLoggingTo(lines);
    new OidcVerifier({ issuer: 'http://idp.example.com', audience: [AUDIENCE], groupsClaim: 'groups', jwksUri: 'http://keys.example.com/jwks' }, logger);
    new OidcVerifier({ issuer: 'http://127.0.0.1:8080', audience: [AUDIENCE], groupsClaim: 'groups' }, logger);
    new OidcVerifier({ issuer: 'https://idp.example.com', audience: [AUDIENCE], groupsClaim: 'groups' }, logger);
    const warnings = lines.map((l) => JSON.parse(l) as { msg: string; issuer?: string; jwksUri?: string }).filter((l) => l.msg.includes('plain http'));
    expect(warnings.map((w) => w.issuer ?? w.jwksUri)).toEqual(['http://idp.example.com', 'http://keys.example.com/jwks']);
  });
});
