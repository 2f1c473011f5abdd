import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeError } from '../../src/cnpg/errors.js';
import { createHttpApp, type HttpApp } from '../../src/app/app.js';
import { testDeps } from '../../test-support/in-memory.js';
import { depsWithCnpg, httpConfig } from '../../test-support/http-server.js';

let current: HttpApp | undefined;
afterEach(async () => {
  await current?.handle.close();
  current = undefined;
});

function appWith(ping: () => Promise<void>, readiness = {}) {
  current = createHttpApp(depsWithCnpg({ ping }), httpConfig(), { readiness, auditSink: () => {} });
  return current;
}

describe('health endpoints', () => {
  it('/healthz and /health answer 200 with nothing but a status', async () => {
    const { app } = appWith(async () => {});
    for (const path of ['/healthz', '/health']) {
      const res = await request(app).get(path).expect(200);
      expect(res.body).toEqual({ status: 'ok' });
      expect(res.headers['cache-control']).toBe('no-store');
    }
    await request(app).head('/healthz').expect(200);
  });

  it('/readyz is 200 when the Kubernetes API answers and the CNPG API group exists', async () => {
    const { app } = appWith(async () => {});
    const res = await request(app).get('/readyz').expect(200);
    expect(res.body).toEqual({ status: 'ready' });
  });

  it('/readyz is 503 with a short reason without a kubeconfig', async () => {
    current = createHttpApp(testDeps(), httpConfig(), { auditSink: () => {} });
    const res = await request(current.app).get('/readyz').expect(503);
    expect(res.body).toEqual({ status: 'not ready', reason: 'kubernetes not configured' });
  });

  it.each([
    [new KubeError('unreachable', 'connect ECONNREFUSED 10.0.0.1:6443'), 'kubernetes API unreachable'],
    [new KubeError('not_found', 'the server could not find the requested resource'), 'CloudNativePG CRDs not installed'],
    [new KubeError('forbidden', 'system:serviceaccount:x cannot get'), 'kubernetes API refused the credentials'],
    [new Error('something else at /secret/path'), 'kubernetes API check failed'],
  ])('/readyz names the failure (%s) without its details', async (err, reason) => {
    const { app } = appWith(async () => {
      throw err;
    });
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body).toEqual({ status: 'not ready', reason });
  });

  it('/readyz fails a check that does not answer in time', async () => {
    const { app } = appWith(() => new Promise<void>(() => {}), { timeoutMs: 50 });
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body.reason).toBe('kubernetes API did not answer in time');
  });

  it('/readyz caches the answer so probes do not hammer the API server', async () => {
    let calls = 0;
    const { app } = appWith(async () => {
      calls++;
    });
    await Promise.all([request(app).get('/readyz'), request(app).get('/readyz')]);
    await request(app).get('/readyz').expect(200);
    expect(calls).toBe(1);
  });

  it('/readyz fails first when draining, while /healthz stays up', async () => {
    const { app, handle } = appWith(async () => {});
    await request(app).get('/readyz').expect(200);
    await handle.drain();
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body).toEqual({ status: 'not ready', reason: 'shutting down' });
    await request(app).get('/healthz').expect(200);
  });

  it('probes answer 405 with Allow for other methods', async () => {
    const { app } = appWith(async () => {});
    const res = await request(app).post('/readyz').expect(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });
});
