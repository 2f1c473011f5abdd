// A tiny OpenID provider for specs, on 127.0.0.1:0: a discovery document and a JWKS made with
// jose's generateKeyPair, and a signer for tokens with whatever claims a spec needs.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose';

export interface TestIssuer {
  issuer: string;
  jwksUri: string;
  /** How many times the JWKS was fetched (caching is visible here). */
  jwksFetches(): number;
  sign(
    claims: JWTPayload,
    options?: { expiresIn?: string | number; notBefore?: string | number; audience?: string; issuer?: string; kid?: string; key?: CryptoKey },
  ): Promise<string>;
  /** A key the JWKS does not publish, to sign forgeries with. */
  foreignKey(): Promise<CryptoKey>;
  close(): Promise<void>;
}

export async function startTestIssuer(audience: string): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key-1', alg: 'ES256', use: 'sig' };
  let fetches = 0;
  let base = '';
  const server: Server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: base, jwks_uri: `${base}/jwks` }));
    } else if (req.url === '/jwks') {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer: base,
    jwksUri: `${base}/jwks`,
    jwksFetches: () => fetches,
    async sign(claims, options = {}) {
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'test-key-1' })
        .setIssuedAt()
        .setIssuer(options.issuer ?? base)
        .setAudience(options.audience ?? audience)
        .setExpirationTime(options.expiresIn ?? '5m');
      if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
      return jwt.sign(options.key ?? privateKey);
    },
    async foreignKey() {
      return (await generateKeyPair('ES256')).privateKey;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
