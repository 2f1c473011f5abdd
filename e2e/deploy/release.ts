// The chart installed on the local node for the e2e/deploy specs, the way `npm run deploy:local`
// installs it (local-cluster/release/install.ts): the image built from the Dockerfile, two
// replicas, Redis in the cluster. One release per describe block, in its own namespace; the
// images are built once per run (cached by their inputs) and imported into the node.
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, inject } from 'vitest';
import { helmBinary, installRelease, prepareImages, type LocalImages, type Release } from '../../local-cluster/release/install.js';
import { createTestNamespace, deleteTestNamespace, podsCanRun } from '../helpers/cluster.js';

let images: Promise<LocalImages> | undefined;
let helm: Promise<string> | undefined;

export interface UseRelease {
  (): Release;
  /** Seconds the image build took in this file's run (0 when it was cached). */
  buildSeconds(): number;
}

/**
 * A release for the enclosing describe block (beforeAll installs, afterAll uninstalls and deletes
 * the namespace). Needs running pods: guard the block with `describe.skipIf(!podsCanRun())`.
 */
export function useRelease(prefix: string, options: { release?: string; values?: Record<string, unknown>; tokens?: string[] } = {}): UseRelease {
  let release: Release | undefined;
  let namespace: string | undefined;
  let built = 0;
  beforeAll(async () => {
    if (!podsCanRun()) return;
    images ??= prepareImages(inject('kubeconfigPath'), (line) => console.log(`[deploy] ${line}`));
    helm ??= helmBinary();
    const ready = await images;
    built = ready.server.built ? ready.server.buildSeconds : 0;
    namespace = await createTestNamespace(prefix);
    release = await installRelease({
      kubeconfigPath: inject('kubeconfigPath'),
      kubectl: inject('kubectlPath'),
      helm: await helm,
      images: ready,
      namespace,
      release: options.release,
      values: options.values,
      tokens: options.tokens,
    });
    console.log(
      `[deploy] ${release.release} in ${namespace}: 2 replicas ready ${release.rolloutSeconds.toFixed(1)} s after helm upgrade --install (image ${ready.server.ref}${built ? `, built in ${built.toFixed(0)} s` : ', cached'})`,
    );
    // A cold image build takes minutes; the rollout well under one.
  }, 900_000);
  afterAll(async () => {
    await release?.uninstall();
    if (namespace) await deleteTestNamespace(namespace);
  }, 120_000);
  const get = (() => {
    if (!release) throw new Error('useRelease(): the release exists only from beforeAll on');
    return release;
  }) as UseRelease;
  get.buildSeconds = () => built;
  return get;
}

export type Kind = 'sse' | 'streamable';

/** The SDK's own client through the Service's node port, with a bearer token. */
export async function connectClient(
  release: Release,
  kind: Kind,
  token = release.tokens[0]!,
  { closeOnError = true, ownConnection = false }: { closeOnError?: boolean; ownConnection?: boolean } = {},
): Promise<{ client: Client; sessionId(): string | undefined }> {
  const requestInit = { headers: { authorization: `Bearer ${token}` } };
  // ownConnection: a connection pool of its own, so kube-proxy picks a pod for this client
  // (clients sharing the global pool share its kept-alive connections, hence one pod).
  const agent = ownConnection ? new Agent() : undefined;
  const fetch =
    agent &&
    (((input: string | URL | Request, init?: RequestInit) =>
      undiciFetch(input as string, { ...(init as object), dispatcher: agent })) as unknown as typeof globalThis.fetch);
  const client = new Client({ name: `e2e-deploy-${kind}`, version: '1.0.0' });
  // Load specs: any transport error closes the client, so its pending calls fail at once and it
  // starts over. Without that (closeOnError false), a pending call waits for its own answer even
  // when the session's GET stream ends (a draining server closes it).
  if (closeOnError) client.onerror = () => void client.close();
  if (kind === 'sse') {
    await client.connect(new SSEClientTransport(new URL('/sse', release.url), { requestInit, fetch }));
    return { client, sessionId: () => undefined };
  }
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', release.url), {
    requestInit,
    fetch,
    reconnectionOptions: { initialReconnectionDelay: 100, maxReconnectionDelay: 500, reconnectionDelayGrowFactor: 1.5, maxRetries: 1 },
  });
  await client.connect(transport);
  return { client, sessionId: () => transport.sessionId };
}

export interface ServerPod {
  name: string;
  ip: string;
  uid: string;
}

/** The release's server pods that are Running and not being deleted. */
export async function serverPods(release: Release): Promise<ServerPod[]> {
  const list = JSON.parse(
    await release.kubectl(['get', 'pods', '-l', `app.kubernetes.io/instance=${release.release},app.kubernetes.io/name=cnpg-mcp`, '-o', 'json']),
  ) as {
    items: { metadata: { name: string; uid: string; deletionTimestamp?: string }; status: { phase: string; podIP?: string } }[];
  };
  return list.items
    .filter((pod) => pod.status.phase === 'Running' && !pod.metadata.deletionTimestamp && pod.status.podIP)
    .map((pod) => ({ name: pod.metadata.name, ip: pod.status.podIP!, uid: pod.metadata.uid }));
}

/** A pod's own /metrics (pod IPs are reachable from the machine through the pod bridge). */
export async function podMetric(pod: ServerPod, token: string, metric: string, labels: string[] = []): Promise<number> {
  const text = await (await fetch(`http://${pod.ip}:3000/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  return text
    .split('\n')
    .filter((line) => (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) && labels.every((l) => line.includes(l)))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}
