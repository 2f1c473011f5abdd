// Credentials of a throwaway plane, generated per start: the service-account signing key pair,
// the admin bearer token, and the kubeconfig that carries it. Files holding secrets are 0600;
// the token is never printed.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface ServiceAccountKeys {
  publicKeyPath: string;
  privateKeyPath: string;
}

/** kube-apiserver refuses to start without a key to sign and verify service-account tokens. */
export function writeServiceAccountKeys(dir: string): ServiceAccountKeys {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const keys = { publicKeyPath: join(dir, 'sa.pub'), privateKeyPath: join(dir, 'sa.key') };
  writeFileSync(keys.publicKeyPath, publicKey);
  writeFileSync(keys.privateKeyPath, privateKey, { mode: 0o600 });
  return keys;
}

export interface AdminToken {
  token: string;
  tokenFilePath: string;
}

/**
 * A static token in group system:masters: the simplest admin identity kube-apiserver accepts
 * (--token-auth-file), and RBAC's system:masters binding makes it cluster-admin.
 */
export function writeAdminToken(dir: string): AdminToken {
  const token = randomBytes(32).toString('hex');
  const tokenFilePath = join(dir, 'tokens.csv');
  // Format: token,user,uid,"group1,group2"
  writeFileSync(tokenFilePath, `${token},cnpg-mcp-admin,cnpg-mcp-admin,"system:masters"\n`, { mode: 0o600 });
  return { token, tokenFilePath };
}

export interface KubeconfigSpec {
  path: string;
  server: string;
  caPem: string;
  token: string;
  namespace?: string;
}

export function writeKubeconfig({ path, server, caPem, token, namespace = 'default' }: KubeconfigSpec): void {
  const name = 'cnpg-mcp-local';
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: 'admin', user: { token } }],
    contexts: [{ name, context: { cluster: name, user: 'admin', namespace } }],
    'current-context': name,
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
}
