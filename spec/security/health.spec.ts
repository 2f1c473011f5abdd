// Issue #5, item 11: the health probes need no credentials and reveal nothing beyond a status:
// no version, no host names, no error text — whatever the failure behind a "not ready".
import { hostname } from 'node:os';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeError } from '../../src/cnpg/errors.js';
import { SERVER_VERSION } from '../../src/version.js';
import { depsWithCnpg, stopAllServers } from '../../test-support/http-server.js';
import { startSecured } from './support/server.js';

afterEach(() => stopAllServers());

const SECRET_DETAIL = 'connect ECONNREFUSED kube-api.internal.example.com:6443 as system:serviceaccount:prod:cnpg-mcp';

function expectNothingRevealed(res: request.Response) {
  const everything = `${JSON.stringify(res.headers)}\n${res.text}`;
  expect(everything).not.toContain(SERVER_VERSION);
  expect(everything).not.toContain(hostname());
  expect(everything).not.toMatch(/ECONNREFUSED|internal\.example|serviceaccount|\n\s+at /);
  expect(res.headers['x-powered-by']).toBeUndefined();
  expect(res.headers.server).toBeUndefined();
  // Nothing but these keys, ever.
  expect(Object.keys(res.body).every((k) => k === 'status' || k === 'reason')).toBe(true);
}

describe('health endpoints', () => {
  it('answer without credentials, with a status and nothing else, when ready', async () => {
    const { url } = await startSecured({ deps: depsWithCnpg({ ping: async () => {} }) });
    for (const path of ['/healthz', '/health', '/readyz']) {
      const res = await request(url).get(path).expect(200);
      expectNothingRevealed(res);
    }
  });

  it('say "not ready" with a fixed reason, never the error behind it', async () => {
    const { url } = await startSecured({
      deps: depsWithCnpg({
        ping: async () => {
          throw new KubeError('unreachable', SECRET_DETAIL);
        },
      }),
    });
    const res = await request(url).get('/readyz').expect(503);
    expect(res.body).toEqual({ status: 'not ready', reason: 'kubernetes API unreachable' });
    expectNothingRevealed(res);
    expectNothingRevealed(await request(url).get('/healthz').expect(200));
  });

  it('say "not ready" for an unclassified failure without its message', async () => {
    const { url } = await startSecured({
      deps: depsWithCnpg({
        ping: async () => {
          throw new Error(SECRET_DETAIL);
        },
      }),
    });
    const res = await request(url).get('/readyz').expect(503);
    expect(res.body).toEqual({ status: 'not ready', reason: 'kubernetes API check failed' });
    expectNothingRevealed(res);
  });
});
