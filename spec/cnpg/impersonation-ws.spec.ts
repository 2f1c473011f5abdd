// query_postgres runs over a WebSocket (pods/exec), whose request options come from
// applyToHTTPSOptions, not from the per-request authentication the REST calls use: with
// --impersonate the exec must carry the caller's identity too, or it would run as the server's
// own (issue #15). e2e/impersonation.e2e.ts proves the REST side against a real API server.
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { impersonatingConfig } from '../../src/cnpg/impersonation.js';

function base(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: true }],
    users: [{ name: 'u', token: 'server-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

describe('impersonation on WebSocket requests', () => {
  it('adds Impersonate-User and one Impersonate-Group per group, beside the credentials', async () => {
    const opts: { headers?: Record<string, string | string[]> } = {};
    await impersonatingConfig(base(), { user: 'alice', groups: ['dba', 'oncall'] }).applyToHTTPSOptions(opts as never);
    expect(opts.headers).toMatchObject({ Authorization: 'Bearer server-token', 'Impersonate-User': 'alice', 'Impersonate-Group': ['dba', 'oncall'] });
  });

  it('no groups: no Impersonate-Group header; a plain config impersonates nobody', async () => {
    const opts: { headers?: Record<string, string | string[]> } = {};
    await impersonatingConfig(base(), { user: 'bob', groups: [] }).applyToHTTPSOptions(opts as never);
    expect(opts.headers?.['Impersonate-User']).toBe('bob');
    expect(opts.headers?.['Impersonate-Group']).toBeUndefined();
    const plain: { headers?: Record<string, string> } = {};
    await base().applyToHTTPSOptions(plain as never);
    expect(plain.headers?.['Impersonate-User']).toBeUndefined();
  });
});
