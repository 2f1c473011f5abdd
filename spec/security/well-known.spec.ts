// Issue #12, item 16: /.well-known/ paths the server does not serve answer 404, never the auth
// guard's 401, which sends clients into OAuth discovery and dynamic registration.
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { stopAllServers } from '../../test-support/http-server.js';
import { bearer, TOKEN_A, startSecured } from './support/server.js';

afterEach(stopAllServers);

const OAUTH_PATHS = [
  '/.well-known/oauth-protected-resource',
  '/.well-known/oauth-protected-resource/mcp',
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
];

describe('/.well-known/ with tokens and no OAuth metadata configured', () => {
  it.each(OAUTH_PATHS)('GET %s is 404 without credentials, not 401', async (path) => {
    const { url } = await startSecured();
    const res = await request(url).get(path);
    expect(res.status).toBe(404);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('the MCP endpoint still asks for credentials', async () => {
    const { url } = await startSecured();
    await request(url).post('/mcp').send({}).expect(401);
  });
});

describe('/.well-known/ with --resource-url', () => {
  it('serves the protected resource metadata and 404s the authorization server paths it does not serve', async () => {
    const { url } = await startSecured({ auth: { resourceUrl: 'https://mcp.example.com/mcp' } });
    const meta = await request(url).get('/.well-known/oauth-protected-resource/mcp').expect(200);
    expect(meta.body.resource).toBe('https://mcp.example.com/mcp');
    const res = await request(url).get('/.well-known/oauth-authorization-server').set(bearer(TOKEN_A));
    expect(res.status).toBe(404);
  });
});
