// Installs the Helm chart on the local node as a user would: the image built from the Dockerfile
// (local-cluster/buildkit), Redis in the cluster, the tokens Secret, `helm upgrade --install` with
// deploy/helm/values-local.yaml, then waits for the rollout. Used by `npm run deploy:local` and
// the e2e/deploy specs; one definition of how the release is made.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildAndImportServerImage, containerdSocketOf, importOciTarball, type ServerImage } from '../buildkit/server-image.js';
import { nodeIp } from '../node/layout.js';
import { redisObjects } from './redis.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const chartDir = join(repoRoot, 'deploy/helm/cnpg-mcp');
export const localValuesFile = join(repoRoot, 'deploy/helm/values-local.yaml');

export interface LocalImages {
  server: ServerImage;
  redis: { ref: string; tarball: string };
}

/** Builds (if their inputs changed) and imports the server and Redis images into the node. */
export async function prepareImages(kubeconfigPath: string, log: (line: string) => void = () => {}): Promise<LocalImages> {
  const socket = containerdSocketOf(dirname(kubeconfigPath));
  const server = await buildAndImportServerImage(socket, log);
  const { stdout } = await run('bash', [join(repoRoot, 'local-cluster/images/build.sh'), 'redis'], { maxBuffer: 1 << 20 });
  const [ref, tarball] = stdout.trim().split('\n').at(-1)!.split(' ');
  const redis = { ref: ref!, tarball: tarball! };
  await importOciTarball(socket, redis);
  return { server, redis };
}

export async function helmBinary(): Promise<string> {
  const { stdout } = await run('bash', [join(repoRoot, 'scripts/build-helm.sh')], { maxBuffer: 1 << 20 });
  return stdout.trim().split('\n').at(-1)!;
}

export interface ReleaseOptions {
  kubeconfigPath: string;
  kubectl: string;
  helm: string;
  images: LocalImages;
  namespace: string;
  /** Helm release name (also the chart's fullname). Cluster-scoped objects (auth.impersonate) carry it. */
  release?: string;
  /** More values, applied after values-local.yaml (e.g. {server: {readOnly: true}}). */
  values?: Record<string, unknown>;
  /** The tokens Secret's lines. Default: one new random token. */
  tokens?: string[];
  /** Seconds `kubectl rollout status` may take. Default 180. */
  rolloutTimeoutSeconds?: number;
}

export interface Release {
  namespace: string;
  release: string;
  /** http://10.250.0.1:<nodePort>: the Service, from this machine. */
  url: string;
  nodePort: number;
  /** The tokens in <release>-auth, one per line there. */
  tokens: string[];
  /** Seconds from `helm upgrade --install` to every replica ready. */
  rolloutSeconds: number;
  /** kubectl with the plane's kubeconfig, in the release's namespace. */
  kubectl(args: string[], input?: string): Promise<string>;
  /** helm uninstall, then the Redis objects and the Secrets; the namespace stays. */
  uninstall(): Promise<void>;
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export async function installRelease(options: ReleaseOptions): Promise<Release> {
  const { kubeconfigPath, kubectl: kubectlPath, helm, images, namespace } = options;
  const release = options.release ?? 'cnpg-mcp';
  const env = { ...process.env, KUBECONFIG: kubeconfigPath };
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const child = run(kubectlPath, ['-n', namespace, ...args], { env, maxBuffer: 16 << 20 });
    if (input !== undefined) child.child.stdin!.end(input);
    return (await child).stdout;
  };
  await kubectl(['create', 'namespace', namespace]).catch((error: { stderr?: string }) => {
    if (!error.stderr?.includes('AlreadyExists')) throw error;
  });

  const tokens = options.tokens ?? [newToken()];
  const objects = [
    ...redisObjects(namespace, images.redis.ref, randomBytes(18).toString('base64url')),
    // The chart reads <fullname>-auth when auth.existingSecret is empty; one token per line.
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${release}-auth`, namespace }, type: 'Opaque', stringData: { tokens: `${tokens.join('\n')}\n` } },
  ];
  await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));

  // After Service DNAT the pods reach the apiserver on its own port, which is not 443/6443 here.
  const server = new URL((await kubectl(['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}'])).trim());
  const values = { image: { tag: images.server.tag }, networkPolicy: { egress: { apiServer: { ports: [Number(server.port)] } } } };
  const dir = await mkdtemp(join(tmpdir(), 'cnpg-mcp-release-'));
  const started = performance.now();
  try {
    await writeFile(join(dir, 'built.json'), JSON.stringify(values));
    await writeFile(join(dir, 'extra.json'), JSON.stringify(options.values ?? {}));
    await run(
      helm,
      ['upgrade', '--install', release, chartDir, '-n', namespace, '-f', localValuesFile, '-f', join(dir, 'built.json'), '-f', join(dir, 'extra.json')],
      { env, maxBuffer: 16 << 20 },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const timeout = `${options.rolloutTimeoutSeconds ?? 180}s`;
  await Promise.all([
    kubectl(['rollout', 'status', `deployment/${release}`, `--timeout=${timeout}`]),
    kubectl(['rollout', 'status', 'deployment/cnpg-mcp-redis', `--timeout=${timeout}`]),
  ]).catch(async (error: { stderr?: string; message: string }) => {
    // Say why: the pods' states and the last events.
    const pods = await kubectl(['get', 'pods', '-o', 'wide']).catch(() => '');
    const events = await kubectl(['get', 'events', '--sort-by=.lastTimestamp']).catch(() => '');
    throw new Error(
      `rollout of ${release} in ${namespace} did not finish: ${error.stderr ?? error.message}\n${pods}\n${events.split('\n').slice(-15).join('\n')}`,
    );
  });
  const rolloutSeconds = (performance.now() - started) / 1000;
  const nodePort = Number((await kubectl(['get', 'service', release, '-o', 'jsonpath={.spec.ports[0].nodePort}'])).trim());
  if (!Number.isInteger(nodePort) || nodePort <= 0) throw new Error(`Service ${release} has no node port`);

  return {
    namespace,
    release,
    url: `http://${nodeIp}:${nodePort}`,
    nodePort,
    tokens,
    rolloutSeconds,
    kubectl,
    async uninstall() {
      await run(helm, ['uninstall', release, '-n', namespace, '--wait', '--timeout', '60s'], { env }).catch(() => undefined);
      await kubectl(['delete', 'deployment,service,secret', '-l', 'app.kubernetes.io/name=cnpg-mcp-redis', '--ignore-not-found']).catch(() => undefined);
      await kubectl(['delete', 'secret', `${release}-auth`, '--ignore-not-found']).catch(() => undefined);
    },
  };
}
