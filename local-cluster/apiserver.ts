import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { AdminToken, ServiceAccountKeys } from './credentials.js';
import { startProcess, type ManagedProcess } from './processes.js';
import { waitFor } from './wait.js';

export interface ApiserverSpec {
  binary: string;
  dir: string;
  logDir: string;
  port: number;
  etcdUrl: string;
  serviceAccount: ServiceAccountKeys;
  admin: AdminToken;
}

export interface Apiserver {
  process: ManagedProcess;
  server: string;
  /**
   * Given no certificate, kube-apiserver generates a self-signed apiserver.crt/apiserver.key
   * here (the .crt holds the serving certificate and its CA).
   */
  certDir: string;
}

export function startApiserver({ binary, dir, logDir, port, etcdUrl, serviceAccount, admin }: ApiserverSpec): Apiserver {
  const certDir = join(dir, 'apiserver-certs');
  // Flags as controller-runtime's envtest passes them, plus a static admin token.
  const apiserver = startProcess({
    name: 'kube-apiserver',
    command: binary,
    logDir,
    args: [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${certDir}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--authorization-mode=RBAC',
      // Without kube-controller-manager nobody creates the service-account tokens this plugin wants.
      '--disable-admission-plugins=ServiceAccount',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${serviceAccount.publicKeyPath}`,
      `--service-account-signing-key-file=${serviceAccount.privateKeyPath}`,
      `--token-auth-file=${admin.tokenFilePath}`,
      // The default reconciler publishes the advertise address as the endpoint of Service
      // "kubernetes", and 127.0.0.1 is rejected ("may not be in the loopback range") every few
      // seconds. Nothing here needs that Service.
      '--endpoint-reconciler-type=none',
    ],
  });
  return { process: apiserver, server: `https://127.0.0.1:${port}`, certDir };
}

/** Waits for /readyz and returns the PEM that clients must trust. */
export async function waitForApiserver(apiserver: Apiserver, token: string, timeoutMs: number, signal: AbortSignal) {
  const certPath = join(apiserver.certDir, 'apiserver.crt');
  const caPem = await waitFor(() => existsSync(certPath) && readFileSync(certPath, 'utf8'), {
    what: `kube-apiserver to write its self-signed certificate ${certPath}`,
    timeoutMs,
    signal,
  });
  await waitFor(async () => (await getStatus(`${apiserver.server}/readyz`, caPem, token)) === 200, {
    what: `kube-apiserver to report ready at ${apiserver.server}/readyz`,
    timeoutMs,
    signal,
  });
  return caPem;
}

/** GET over TLS with a custom CA (global fetch cannot take one without undici's Agent). */
function getStatus(url: string, ca: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.once('error', reject);
    req.end();
  });
}
