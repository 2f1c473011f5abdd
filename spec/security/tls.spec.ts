// Issue #5, item 7: HTTPS built in (--tls-cert/--tls-key), at least TLS 1.2, certificates
// reloaded when their files change. The CA and certificates are made by the spec at runtime.
import { request as httpsRequest } from 'node:https';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SseClient } from '../../test-support/sse-client.js';
import { stopAllServers } from '../../test-support/http-server.js';
import { waitFor } from '../../test-support/wait.js';
import { createTestCa, type TestCa } from '../../test-support/pki.js';
import { createSecretDir, type SecretDir } from './support/secret-dir.js';
import { TOKEN_A, bearer, connectWithToken, depsLoggingTo, startSecured } from './support/server.js';

let ca: TestCa;
const defaultCas = tls.getCACertificates('default');
beforeAll(async () => {
  ca = await createTestCa();
  // fetch (the SDK client, eventsource) trusts the test CA for the length of this file.
  tls.setDefaultCACertificates([...defaultCas, ca.certPem]);
});
afterAll(() => tls.setDefaultCACertificates(defaultCas));

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0)) await fn();
  await stopAllServers();
});

async function tlsSecret(): Promise<{ dir: SecretDir; serial: string }> {
  const { certPem, keyPem, serialNumber } = await ca.issueServerCert();
  const dir = await createSecretDir({ 'tls.crt': certPem, 'tls.key': keyPem });
  cleanups.push(() => dir.remove());
  return { dir, serial: serialNumber };
}

function startTls(dir: SecretDir, pollMs?: number, logLines?: string[]) {
  return startSecured({
    ...(logLines ? { deps: depsLoggingTo(logLines) } : {}),
    config: { tls: { certFile: dir.path('tls.crt'), keyFile: dir.path('tls.key') } },
    options: pollMs ? { fileWatch: { pollMs } } : {},
  });
}

/** The serial number of the certificate the server presents to a new connection. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'localhost' }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial.toLowerCase().replace(/^0+/, ''));
    });
    socket.on('error', reject);
  });
}

describe('HTTPS', () => {
  it('serves MCP over HTTPS with a certificate the client verifies against the test CA', async () => {
    const { dir } = await tlsSecret();
    const { url } = await startTls(dir);
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const { client } = await connectWithToken(url, TOKEN_A);
    cleanups.push(() => client.close());
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    const sse = await SseClient.connect(url, 5000, bearer(TOKEN_A));
    cleanups.push(() => sse.close());
    expect((await sse.initialize()).result).toBeDefined();
    // Health over HTTPS too, verified with the CA given explicitly.
    const status = await new Promise<number>((resolve, reject) =>
      httpsRequest(`${url}/healthz`, { ca: ca.certPem }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
        .on('error', reject)
        .end(),
    );
    expect(status).toBe(200);
  });

  it('refuses plain HTTP on the HTTPS port', async () => {
    const { dir } = await tlsSecret();
    const { running } = await startTls(dir);
    const res = await fetch(`http://127.0.0.1:${running.port}/healthz`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(res === 'refused' || res === 400).toBe(true);
  });

  it('serves the new certificate once the files change (Secret update), without a restart', async () => {
    const { dir, serial } = await tlsSecret();
    const { running } = await startTls(dir, 60_000);
    expect(await servedSerial(running.port)).toBe(serial.replace(/^0+/, ''));
    const next = await ca.issueServerCert();
    await dir.update({ 'tls.crt': next.certPem, 'tls.key': next.keyPem });
    await waitFor(async () => (await servedSerial(running.port)) === next.serialNumber.replace(/^0+/, ''), {
      what: 'the renewed certificate to be served',
      timeoutMs: 5000,
    });
  });

  it('keeps the current certificate when the new files do not form a pair', async () => {
    const { dir, serial } = await tlsSecret();
    const log: string[] = [];
    const { running } = await startTls(dir, 60_000, log);
    const a = await ca.issueServerCert();
    const b = await ca.issueServerCert();
    await dir.update({ 'tls.crt': a.certPem, 'tls.key': b.keyPem });
    await waitFor(() => log.some((line) => line.includes('do not load')), { what: 'the watcher to try the new pair', timeoutMs: 5000 });
    expect(await servedSerial(running.port)).toBe(serial.replace(/^0+/, ''));
  });

  it('refuses TLS 1.1 even when Node itself was told to allow it (NODE_OPTIONS=--tls-min-v1.0)', async () => {
    const { dir } = await tlsSecret();
    const defaults = { min: tls.DEFAULT_MIN_VERSION, ciphers: tls.DEFAULT_CIPHERS };
    // What --tls-min-v1.0 and a permissive cipher list would do to every server without its own minimum.
    tls.DEFAULT_MIN_VERSION = 'TLSv1';
    tls.DEFAULT_CIPHERS = 'DEFAULT@SECLEVEL=0';
    try {
      const { running } = await startTls(dir);
      const outcome = await new Promise<string>((resolve) => {
        const socket = tls.connect(
          {
            host: '127.0.0.1',
            port: running.port,
            ca: ca.certPem,
            servername: 'localhost',
            minVersion: 'TLSv1.1',
            maxVersion: 'TLSv1.1',
            ciphers: 'DEFAULT@SECLEVEL=0',
          },
          () => {
            resolve(`connected with ${socket.getProtocol()}`);
            socket.end();
          },
        );
        socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      });
      expect(outcome).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
      // TLS 1.2 is fine.
      const ok = await new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port: running.port, ca: ca.certPem, servername: 'localhost', maxVersion: 'TLSv1.2' }, () => {
          resolve(socket.getProtocol()!);
          socket.end();
        });
        socket.on('error', reject);
      });
      expect(ok).toBe('TLSv1.2');
    } finally {
      tls.DEFAULT_MIN_VERSION = defaults.min;
      tls.DEFAULT_CIPHERS = defaults.ciphers;
    }
  });

  it('does not start with a key that does not match the certificate', async () => {
    const a = await ca.issueServerCert();
    const b = await ca.issueServerCert();
    const dir = await createSecretDir({ 'tls.crt': a.certPem, 'tls.key': b.keyPem });
    cleanups.push(() => dir.remove());
    await expect(startTls(dir)).rejects.toThrow(/key values mismatch|private key/i);
  });
});
