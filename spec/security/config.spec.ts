// The security flags of issue #5: each one parses, has an environment variable, and bad values
// or combinations are refused at startup with a clear message.
import { describe, expect, it } from 'vitest';
import { ConfigError, OPTIONS, helpText, parseConfig, type Config } from '../../src/config.js';

const run = (argv: string[], env: NodeJS.ProcessEnv = {}): Config => {
  const parsed = parseConfig(argv, env);
  if (parsed.kind !== 'run') throw new Error('not a run');
  return parsed.config;
};

const TOKEN = 'test-only-token-0123456789abcdef';

describe('security configuration', () => {
  it('has safe defaults: no CORS, no query tokens, no impersonation, limits on', () => {
    const { http } = run(['--transport', 'http']);
    expect(http).toMatchObject({
      headersTimeoutSec: 10,
      corsOrigins: [],
      rateLimitPerMinute: 600,
      authFailuresPerMinute: 10,
      maxSessionsPerPrincipal: 50,
      maxConcurrentCalls: 64,
      auth: { tokens: [], allowQueryToken: false, impersonate: false, insecureNoAuth: false },
    });
    expect(http.tls).toBeUndefined();
    expect(http.metricsPort).toBeUndefined();
    expect(http.allowedHosts).toBeUndefined();
  });

  it('reads every security flag', () => {
    const { http } = run([
      '--transport',
      'http',
      '--host',
      '0.0.0.0',
      '--auth-tokens-file',
      '/var/run/secrets/cnpg-mcp/tokens',
      '--oidc-issuer',
      'https://issuer.example.com',
      '--oidc-audience',
      'cnpg-mcp,other',
      '--oidc-jwks-uri',
      'https://issuer.example.com/keys',
      '--oidc-groups-claim',
      'realm_access.roles',
      '--resource-url',
      'https://mcp.example.com/mcp',
      '--allow-query-token',
      '--impersonate',
      '--tls-cert',
      '/tls/tls.crt',
      '--tls-key',
      '/tls/tls.key',
      '--metrics-port',
      '9090',
      '--allowed-hosts',
      'MCP.example.com,localhost',
      '--cors-origins',
      'https://app.example.com,http://localhost:6274',
      '--trust-proxy',
      'loopback',
      '--audit-log',
      '/var/log/cnpg-mcp/audit.jsonl',
      '--rate-limit-per-minute',
      '100',
      '--auth-failures-per-minute',
      '5',
      '--redis-url',
      'redis://redis:6379',
      '--max-sessions-per-principal',
      '3',
      '--max-concurrent-calls',
      '8',
      '--headers-timeout',
      '5',
    ]); // prettier-ignore
    expect(http).toMatchObject({
      headersTimeoutSec: 5,
      tls: { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' },
      metricsPort: 9090,
      allowedHosts: ['mcp.example.com', 'localhost'],
      corsOrigins: ['https://app.example.com', 'http://localhost:6274'],
      trustProxy: 'loopback',
      auditLog: '/var/log/cnpg-mcp/audit.jsonl',
      rateLimitPerMinute: 100,
      authFailuresPerMinute: 5,
      redisUrl: 'redis://redis:6379',
      maxSessionsPerPrincipal: 3,
      maxConcurrentCalls: 8,
      auth: {
        tokensFile: '/var/run/secrets/cnpg-mcp/tokens',
        oidc: {
          issuer: 'https://issuer.example.com',
          audience: ['cnpg-mcp', 'other'],
          jwksUri: 'https://issuer.example.com/keys',
          groupsClaim: 'realm_access.roles',
        },
        resourceUrl: 'https://mcp.example.com/mcp',
        allowQueryToken: true,
        impersonate: true,
      },
    });
  });

  it('gives every new flag an environment variable, and documents both in --help', () => {
    const flags = [
      'headers-timeout',
      'tls-cert',
      'tls-key',
      'metrics-port',
      'allowed-hosts',
      'cors-origins',
      'trust-proxy',
      'audit-log',
      'auth-tokens-file',
      'oidc-issuer',
      'oidc-audience',
      'oidc-jwks-uri',
      'oidc-groups-claim',
      'resource-url',
      'allow-query-token',
      'insecure-no-auth',
      'rate-limit-per-minute',
      'auth-failures-per-minute',
      'redis-url',
      'max-sessions-per-principal',
      'max-concurrent-calls',
    ] as const;
    const help = helpText();
    for (const flag of flags) {
      const spec = OPTIONS[flag] as { env?: string };
      expect(spec.env, flag).toMatch(/^CNPG_MCP_/);
      expect(help).toContain(`--${flag}`);
      expect(help).toContain(spec.env!);
    }
    expect(help).toContain('AUTH_TOKENS');
    const { http } = run(['--transport', 'http'], {
      CNPG_MCP_CORS_ORIGINS: 'https://a.example.com',
      CNPG_MCP_ALLOW_QUERY_TOKEN: 'true',
      CNPG_MCP_MAX_CONCURRENT_CALLS: '3',
    });
    expect(http.corsOrigins).toEqual(['https://a.example.com']);
    // Written as a browser sends it, whatever the spelling in the flag.
    expect(run(['--transport', 'http', '--cors-origins', 'HTTPS://App.Example.com:443/']).http.corsOrigins).toEqual(['https://app.example.com']);
    expect(http.auth.allowQueryToken).toBe(true);
    expect(http.maxConcurrentCalls).toBe(3);
  });

  it.each([
    [['--tls-cert', '/a.crt'], /--tls-cert and --tls-key go together/],
    [['--oidc-issuer', 'https://issuer.example.com'], /--oidc-audience is required/],
    [['--oidc-issuer', 'not a url', '--oidc-audience', 'x'], /issuer/],
    [['--cors-origins', 'https://app.example.com/path'], /origin like/],
    [['--cors-origins', '*'], /origin like/],
    [['--redis-url', 'http://redis:6379'], /redis:\/\//],
    [['--port', '3000', '--metrics-port', '3000'], /--metrics-port must differ/],
    [['--impersonate'], /--impersonate needs authentication/],
    [['--headers-timeout', '0'], /headersTimeoutSec/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseConfig(['--transport', 'http', ...argv], {})).toThrow(ConfigError);
    expect(() => parseConfig(['--transport', 'http', ...argv], {})).toThrow(message);
  });

  it('refuses AUTH_TOKENS entries that try to name a principal (that is the tokens file format)', () => {
    expect(() => parseConfig(['--transport', 'http'], { AUTH_TOKENS: `${TOKEN}:alice` })).toThrow(/tokens file|--auth-tokens-file/);
  });
});
