import { describe, expect, it } from 'vitest';
import { ConfigError, OPTIONS, helpText, parseConfig } from '../src/config.js';

const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = parseConfig(argv, env);
  if (r.kind !== 'run') throw new Error('not a run');
  return r.config;
};

describe('config', () => {
  it('defaults to stdio on loopback', () => {
    const c = run([]);
    expect(c.transport).toBe('stdio');
    expect(c.http.host).toBe('127.0.0.1');
    expect(c.readOnly).toBe(false);
  });
  it('flags win over environment variables', () => {
    const c = run(['--namespaces', 'a,b', '--read-only'], { CNPG_MCP_NAMESPACES: 'x', CNPG_MCP_TRANSPORT: 'http' });
    expect(c.namespaces).toEqual(['a', 'b']);
    expect(c.readOnly).toBe(true);
    expect(c.transport).toBe('http');
  });
  it('rejects unknown flags and bad values clearly', () => {
    expect(() => parseConfig(['--nope'], {})).toThrow(ConfigError);
    expect(() => parseConfig(['--transport', 'carrier-pigeon'], {})).toThrow(/transport/);
    expect(() => parseConfig(['--namespaces', 'Bad_NS'], {})).toThrow(/namespace/);
  });
  it('documents every flag and its environment variable in --help', () => {
    const text = helpText();
    for (const [name, spec] of Object.entries(OPTIONS)) {
      expect(text).toContain(`--${name}`);
      if ('env' in spec && spec.env) expect(text).toContain(spec.env);
    }
    expect(parseConfig(['--help'], {}).kind).toBe('help');
  });
  it('creates an optional section only when the setting that opens it is given', () => {
    expect(run(['--oidc-audience', 'a']).http.auth.oidc).toBeUndefined();
    expect(run([], { CNPG_MCP_OIDC_ISSUER: 'https://idp.example.com', CNPG_MCP_OIDC_AUDIENCE: 'a' }).http.auth.oidc).toEqual({
      issuer: 'https://idp.example.com',
      audience: ['a'],
      jwksUri: undefined,
      groupsClaim: 'groups',
    });
    expect(run([]).http.tls).toBeUndefined();
    expect(() => parseConfig(['--tls-key', '/k.pem'], {})).toThrow('--tls-cert and --tls-key go together: give both or neither');
  });
  it('lands one setting on every path of its row, and keeps environment-only settings off the command line', () => {
    const c = run(['--impersonate'], { AUTH_TOKENS: 'a, b' });
    expect([c.impersonate, c.http.auth.impersonate]).toEqual([true, true]);
    expect(c.http.auth.tokens).toEqual(['a', 'b']);
    expect(() => parseConfig(['--auth-tokens', 'a'], {})).toThrow(/Unknown option '--auth-tokens'/);
  });
});
