// Certificates of the node, made per start with openssl (ECDSA P-256, valid two days): one CA
// that signs the apiserver's serving certificate (named by the node IP and Service
// `kubernetes`, so pods trust it through their service-account ca.crt) and the client
// certificates of the kubelet (system:node:<node>, for the Node authorizer) and of the
// apiserver towards the kubelet (logs, exec). Keys are 0600.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './command.js';
import { clusterDomain, kubernetesServiceIp, nodeIp, nodeName } from './layout.js';

export interface CertPair {
  cert: string;
  key: string;
}

export interface NodePki {
  ca: CertPair;
  apiserverServing: CertPair;
  /** The apiserver's identity towards the kubelet: system:masters, so the kubelet's webhook authz allows logs and exec. */
  apiserverKubeletClient: CertPair;
  kubeletClient: CertPair;
}

/** openssl req: a new, unencrypted P-256 key for the certificate (what kubeadm makes too). */
const NEW_P256_KEY = ['-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];

export function makeNodePki(dir: string): NodePki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
  run('openssl', [
    'req',
    '-x509',
    '-new',
    ...NEW_P256_KEY,
    '-keyout',
    ca.key,
    '-out',
    ca.cert,
    '-days',
    '2',
    '-subj',
    '/CN=cnpg-mcp-local-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  chmodSync(ca.key, 0o600);
  const names = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${clusterDomain}`, 'localhost'];
  const ips = [nodeIp, kubernetesServiceIp, '127.0.0.1'];
  return {
    ca,
    apiserverServing: sign(dir, ca, 'apiserver', '/CN=kube-apiserver', 'serverAuth', [...names.map((name) => `DNS:${name}`), ...ips.map((ip) => `IP:${ip}`)]),
    apiserverKubeletClient: sign(dir, ca, 'apiserver-kubelet-client', '/O=system:masters/CN=kube-apiserver-kubelet-client', 'clientAuth'),
    kubeletClient: sign(dir, ca, 'kubelet-client', `/O=system:nodes/CN=system:node:${nodeName}`, 'clientAuth'),
  };
}

function sign(dir: string, ca: CertPair, name: string, subject: string, usage: string, altNames: string[] = []): CertPair {
  const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const extensions = join(dir, `${name}.ext`);
  writeFileSync(
    extensions,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${usage}`,
      ...(altNames.length ? [`subjectAltName=${altNames.join(',')}`] : []),
    ].join('\n'),
  );
  const request = join(dir, `${name}.csr`);
  run('openssl', ['req', '-new', ...NEW_P256_KEY, '-keyout', pair.key, '-out', request, '-subj', subject]);
  chmodSync(pair.key, 0o600);
  run('openssl', [
    'x509',
    '-req',
    '-in',
    request,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    pair.cert,
    '-days',
    '2',
    '-extfile',
    extensions,
  ]);
  return pair;
}
