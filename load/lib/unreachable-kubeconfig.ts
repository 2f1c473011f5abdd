// A kubeconfig that loads like a user's but points at 127.0.0.1:1, where nothing listens: for
// measuring a server that must start with a configuration yet never reach a cluster.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `<dir>/kubeconfig` and returns its path. */
export function writeUnreachableKubeconfig(dir: string): string {
  const path = join(dir, 'kubeconfig');
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none, namespace: default}}]
current-context: none
`,
  );
  return path;
}
