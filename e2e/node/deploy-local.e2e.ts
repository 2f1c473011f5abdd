// `npm run deploy:local` from nothing to Ctrl-C (issue #14): with no node running it starts the
// local cluster, builds and installs the release and prints the URL and a token that work; Ctrl-C
// uninstalls the release and stops the cluster it started, leaving the machine as it was.
// Here because it starts a node of its own: it runs in the node suite (vitest.node.config.ts,
// `npm run e2e:node`, in .ci/run), never beside the e2e suite's node.
//
// The lock: deploy:local takes the machine's one-node lock itself, so it cannot run inside a run
// that holds that lock (every e2e run does, as the CI does). This spec holds the machine's lock
// for it (its run's `flock` if an ancestor holds it, else its own, waiting for other node users)
// and gives deploy:local a lock file of its own (CNPG_MCP_NODE_LOCK), which it must hold while it
// runs and free when it exits — the code path a user's Ctrl-C goes through.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, describe, expect, it } from 'vitest';
import { holdLock, lockHeldByAncestor, lockIsFree, nodeLockPath } from '../../local-cluster/node-lock.js';
import { podsUnavailable } from '../../local-cluster/node/host.js';
import { machineDiff, snapshotMachine } from '../../local-cluster/node/machine-state.js';
import { readRecord } from '../../local-cluster/node/record.js';
import { isAlive, planeDirPrefix } from '../../local-cluster/stale.js';
import { waitFor } from '../../test-support/wait.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const unavailable = podsUnavailable();
const NAMESPACE = 'cnpg-mcp';
/** A cold run builds the image from the Dockerfile (minutes); warm, the node and the rollout. */
const UP_TIMEOUT_MS = 900_000;
const CTRL_C_TIMEOUT_MS = 180_000;

const planeDirs = () => readdirSync(tmpdir()).filter((name) => name.startsWith(planeDirPrefix));

/**
 * What a watch of the release's namespace saw ("Pod/<name>", "Secret/<name>") and what it saw
 * deleted or being deleted (a pod's deletion ends on the kubelet, which may stop first).
 */
function watchDeletions(kubeconfigPath: string): { deleted: Set<string>; seen: Set<string>; stop(): void } {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const deleted = new Set<string>();
  const seen = new Set<string>();
  const controllers: Promise<AbortController>[] = [];
  for (const [kind, path] of [
    ['Pod', `/api/v1/namespaces/${NAMESPACE}/pods`],
    ['Secret', `/api/v1/namespaces/${NAMESPACE}/secrets`],
    ['Deployment', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`],
  ] as const) {
    controllers.push(
      new Watch(kc).watch(
        path,
        {},
        (phase, object: { metadata?: { name?: string; deletionTimestamp?: string } }) => {
          const name = `${kind}/${object.metadata?.name}`;
          seen.add(name);
          if (phase === 'DELETED' || object.metadata?.deletionTimestamp) deleted.add(name);
        },
        // Ends when the API server stops: what it delivered until then is the record.
        () => {},
      ),
    );
  }
  return {
    deleted,
    seen,
    stop: () =>
      controllers.forEach(
        (c) =>
          void c.then(
            (a) => a.abort(),
            () => {},
          ),
      ),
  };
}

describe.skipIf(!!unavailable)(`npm run deploy:local${unavailable ? ` [skipped: ${unavailable}]` : ''}`, () => {
  let child: ChildProcess | undefined;
  const ownLockDir = mkdtempSync(join(tmpdir(), 'cnpg-mcp-deploy-lock-'));
  afterAll(() => {
    // Only on a failure before Ctrl-C: the same Ctrl-C, so the script still cleans up.
    if (child?.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGINT');
    rmSync(ownLockDir, { recursive: true, force: true });
  });

  it('starts the cluster, prints a URL and token the SDK client works with; Ctrl-C exits 0, uninstalls the release and stops the cluster it started: its processes gone, its lock free, the machine as it was', {
    timeout: UP_TIMEOUT_MS + CTRL_C_TIMEOUT_MS + 120_000,
  }, async () => {
    // Serialized against the machine's other node users (see the top of the file).
    if (!lockHeldByAncestor(nodeLockPath)) holdLock(nodeLockPath, (line) => console.log(`[deploy-local] ${line}`));
    expect(readRecord(), 'a node is already running on this machine').toBeUndefined();
    const before = snapshotMachine();
    const planesBefore = planeDirs();
    const ownLock = join(ownLockDir, 'node.lock');

    const started = performance.now();
    // tsx, as `npm run deploy:local` runs it, in a process group of its own: a terminal's Ctrl-C
    // is SIGINT to the foreground group (npm itself then ends by the signal, whatever the
    // script's exit code, so the script's own code is checked here).
    child = spawn(join(repoRoot, 'node_modules/.bin/tsx'), ['scripts/deploy-local.ts'], {
      cwd: repoRoot,
      detached: true,
      env: { ...process.env, CNPG_MCP_NODE_LOCK: ownLock },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child!.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const ended = new AbortController();
    void exited.then(() => ended.abort(new Error(`deploy:local exited early:\n${stderr.slice(-3000)}`)));

    const up = await waitFor(
      () => {
        const url = /^CNPG_MCP_URL=(\S+)$/m.exec(stdout)?.[1];
        const token = /^CNPG_MCP_TOKEN=(\S+)$/m.exec(stdout)?.[1];
        const kubeconfig = /^export KUBECONFIG=(\S+)/m.exec(stdout)?.[1];
        return url && token && kubeconfig && { url, token, kubeconfig };
      },
      { what: 'deploy:local to print CNPG_MCP_URL, CNPG_MCP_TOKEN and its kubeconfig', timeoutMs: UP_TIMEOUT_MS, intervalMs: 1000, signal: ended.signal },
    );
    const upSeconds = (performance.now() - started) / 1000;
    console.log(`[deploy-local] up in ${upSeconds.toFixed(0)} s (${/image \S+ \(([^)]*)\)/.exec(stderr)?.[1] ?? 'image ?'})`);

    // The cluster is the one it started: a new plane, whose dir holds the kubeconfig it printed
    // (API-only planes of other runs may start beside it: they have no node).
    const planeDir = dirname(up.kubeconfig);
    expect(planeDirs().filter((name) => !planesBefore.includes(name))).toContain(basename(planeDir));
    const { pids } = JSON.parse(readFileSync(join(planeDir, 'owner.json'), 'utf8')) as { pids: number[] };
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.every(isAlive)).toBe(true);
    expect(readRecord()?.dir, 'the node record names the plane it started').toBe(planeDir);
    expect(lockIsFree(ownLock), 'deploy:local holds its lock while it runs').toBe(false);

    // The SDK's own client, with exactly what it printed.
    const client = new Client({ name: 'e2e-deploy-local', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', up.url), { requestInit: { headers: { authorization: `Bearer ${up.token}` } } }));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('list_postgres_clusters');
      const listed = await client.callTool({ name: 'list_postgres_clusters', arguments: { namespace: NAMESPACE } });
      expect(listed.isError, JSON.stringify(listed.content)).toBeFalsy();
    } finally {
      await client.close();
    }

    const watch = watchDeletions(up.kubeconfig);
    const releaseObjects = [
      `Deployment/${NAMESPACE}`,
      `Deployment/${NAMESPACE}-redis`,
      `Secret/sh.helm.release.v1.${NAMESPACE}.v1`,
      `Secret/${NAMESPACE}-auth`,
      `Secret/${NAMESPACE}-redis`,
    ];
    await waitFor(() => releaseObjects.every((name) => watch.seen.has(name)), { what: "the watch to list the release's objects", timeoutMs: 30_000 });
    const pods = [...watch.seen].filter((name) => name.startsWith('Pod/'));
    expect(pods.length, [...watch.seen].join(', ')).toBeGreaterThanOrEqual(3);

    const interrupted = performance.now();
    process.kill(-child.pid!, 'SIGINT');
    const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, CTRL_C_TIMEOUT_MS, 'timeout').unref());
    const exit = await Promise.race([exited, timer]);
    watch.stop();
    expect(exit, `deploy:local still running ${CTRL_C_TIMEOUT_MS / 1000} s after Ctrl-C:\n${stderr.slice(-3000)}`).not.toBe('timeout');
    const teardownSeconds = (performance.now() - interrupted) / 1000;
    console.log(`[deploy-local] Ctrl-C to exit: ${teardownSeconds.toFixed(1)} s`);
    expect(exit, stderr.slice(-3000)).toEqual({ code: 0, signal: null });
    expect(stderr).toContain('SIGINT: uninstalling the release');

    // The release was uninstalled while the API server still ran: the server and Redis
    // Deployments, their pods, the tokens and Redis Secrets and Helm's record of the release
    // were deleted.
    expect([...watch.deleted].sort()).toEqual(expect.arrayContaining([...releaseObjects, ...pods].sort()));
    // The cluster it started is stopped: its processes, its plane dir, its node record, its
    // lock, and everything a node changes on the machine (links, mounts, routes, iptables,
    // cgroups, shims) is as it was.
    expect(pids.filter(isAlive), 'processes of the plane still alive').toEqual([]);
    expect(existsSync(planeDir)).toBe(false);
    expect(readRecord()).toBeUndefined();
    expect(lockIsFree(ownLock), 'deploy:local freed its lock').toBe(true);
    expect(machineDiff(before, snapshotMachine())).toEqual([]);
  });
});
