import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, join } from 'node:path';
import type { AdminToken, ServiceAccountKeys } from './credentials.js';
import { nodeIp, serviceCidr } from './node/layout.js';
import type { NodePki } from './node/pki.js';
import { startProcess, type ManagedProcess } from './processes.js';
import { waitFor } from '../test-support/wait.js';

export interface ApiserverSpec {
  binary: string;
  dir: string;
  logDir: string;
  port: number;
  etcdUrl: string;
  serviceAccount: ServiceAccountKeys;
  admin: AdminToken;
  /** With a node: listen on the node IP with the node's certificates, and serve pods. */
  node?: { pki: NodePki };
}

export interface Apiserver {
  process: ManagedProcess;
  server: string;
  /**
   * Given no certificate, kube-apiserver generates a self-signed apiserver.crt/apiserver.key
   * here (the .crt holds the serving certificate and its CA).
   */
  certDir: string;
  /** The PEM clients must trust. */
  caPath: string;
}

export function startApiserver({ binary, dir, logDir, port, etcdUrl, serviceAccount, admin, node }: ApiserverSpec): Apiserver {
  const common = [
    `--etcd-servers=${etcdUrl}`,
    `--secure-port=${port}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${serviceAccount.publicKeyPath}`,
    `--service-account-signing-key-file=${serviceAccount.privateKeyPath}`,
    `--token-auth-file=${admin.tokenFilePath}`,
  ];
  if (node) {
    const { pki } = node;
    // On the node IP, not loopback: pods reach it through Service `kubernetes` (kube-proxy
    // forwards 10.96.0.1:443 to the endpoint the apiserver publishes for itself).
    const args = [
      ...common,
      `--bind-address=${nodeIp}`,
      `--advertise-address=${nodeIp}`,
      `--tls-cert-file=${pki.apiserverServing.cert}`,
      `--tls-private-key-file=${pki.apiserverServing.key}`,
      `--client-ca-file=${pki.ca.cert}`,
      `--service-cluster-ip-range=${serviceCidr}`,
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NodeRestriction',
      '--allow-privileged=true',
      // Logs and exec: the apiserver calls the kubelet with this identity, at its InternalIP.
      `--kubelet-client-certificate=${pki.apiserverKubeletClient.cert}`,
      `--kubelet-client-key=${pki.apiserverKubeletClient.key}`,
      '--kubelet-preferred-address-types=InternalIP',
    ];
    const process = startProcess({ name: 'kube-apiserver', command: binary, logDir, args });
    // The operator's webhook server reads apiserver.crt/apiserver.key from its cert dir: the PKI dir has them.
    return { process, server: `https://${nodeIp}:${port}`, certDir: dirname(pki.apiserverServing.cert), caPath: pki.ca.cert };
  }
  const certDir = join(dir, 'apiserver-certs');
  // Flags as controller-runtime's envtest passes them, plus a static admin token.
  const apiserver = startProcess({
    name: 'kube-apiserver',
    command: binary,
    logDir,
    args: [
      ...common,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--cert-dir=${certDir}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--authorization-mode=RBAC',
      // Without kube-controller-manager nobody creates the service-account tokens this plugin wants.
      '--disable-admission-plugins=ServiceAccount',
      // The default reconciler publishes the advertise address as the endpoint of Service
      // "kubernetes", and 127.0.0.1 is rejected ("may not be in the loopback range") every few
      // seconds. Nothing here needs that Service.
      '--endpoint-reconciler-type=none',
    ],
  });
  return { process: apiserver, server: `https://127.0.0.1:${port}`, certDir, caPath: join(certDir, 'apiserver.crt') };
}

/** Waits for /readyz and returns the PEM that clients must trust. */
export async function waitForApiserver(apiserver: Apiserver, token: string, timeoutMs: number, signal: AbortSignal) {
  const certPath = apiserver.caPath;
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
