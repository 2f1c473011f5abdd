// Issue #14: the image built from the Dockerfile and the Helm chart, run for real on the local
// node: two replicas behind the chart's Service (node port, sessionAffinity None), sessions
// relayed through Redis in the cluster, driven by the SDK's own clients from this machine.
import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { podsCanRun, skipReasonNoPods, e2eKubeConfig } from '../helpers/cluster.js';
import { customObjects } from '../../test-support/kube.js';
import { waitFor } from '../../test-support/wait.js';
import { connectClient, podMetric, serverPods, useRelease, type Kind, type ServerPod } from './release.js';

const CLIENTS_PER_TRANSPORT = 20;
const CALLS_PER_CLIENT = 5;
// The delete spec's clients call for longer: past the deleted pod's preStop sleep (5 s) and into its
// drain, so that its clients do lose their sessions (5 calls each were all answered within 7 s).
const CALLS_PER_CLIENT_AT_DELETE = 30;
const CLUSTERS = ['pg-deploy-a', 'pg-deploy-b', 'pg-deploy-c'];
// A call whose answer went with a deleted pod gives up after this and the client starts over.
// Generous: at load 12 on the two cores a call through the relay took more than 10 s; this spec
// proves that answers arrive, to the right client, not how fast.
const CALL_TIMEOUT_MS = 60_000;
// How long one client may take for its five calls, reconnects included.
const CLIENT_DEADLINE_MS = 300_000;
// Two tokens from the start: B's session must outlive the rotation that removes A.
const TOKEN_A = `a-${randomBytes(16).toString('hex')}`;
const TOKEN_B = `b-${randomBytes(16).toString('hex')}`;
// The rollout spec's own principal: the load specs before it spend B's rate limit (600/min).
const TOKEN_D = `d-${randomBytes(16).toString('hex')}`;

interface ClientRun {
  kind: Kind;
  calls: number;
  reconnects: number;
  /** Why sessions were started over: error message → count. */
  errors: Map<string, number>;
}

describe.skipIf(!podsCanRun())(
  `the chart on the local node: 2 replicas of the Dockerfile's image and Redis${podsCanRun() ? '' : ` ${skipReasonNoPods()}`}`,
  () => {
    // 60 s for calls in flight at SIGTERM: the rollout spec's calls (40 s) span both old pods' ends.
    // The per-principal rate limit raised from 600 to 20000 a minute: the 40 load clients share
    // token B (one principal), and their initialize, tools/list, calls, GET streams and the
    // reconnects after the pod delete pass 600 within the minute. With 600 the load specs measured
    // the rate limiter (429s until the minute turns), not the delivery of answers; the limiter has
    // its own specs (spec/security).
    const release = useRelease('deploy', {
      tokens: [TOKEN_A, TOKEN_B, TOKEN_D],
      values: { server: { shutdownTimeoutSeconds: 60, extraArgs: ['--rate-limit-per-minute=20000'] } },
    });

    async function createClusters(): Promise<void> {
      const ns = release().namespace;
      // Read, never run: reconciliation off, so no PostgreSQL shares the two cores with the load.
      await Promise.all(
        CLUSTERS.map((name) =>
          customObjects(e2eKubeConfig())
            .create('Cluster', ns, {
              metadata: { name, annotations: { 'cnpg.io/reconciliationLoop': 'disabled' } },
              spec: { instances: 1, storage: { size: '1Gi' } },
            })
            .catch((error: { code?: number }) => {
              if (error.code !== 409) throw error;
            }),
        ),
      );
    }

    /** initialize → tools/list → CALLS_PER_CLIENT get_cluster_status calls; a failed session starts over. */
    /** `until`: after its `calls`, a client goes on calling until this says stop (the delete spec: until the deleted pod is gone). */
    async function runClient(kind: Kind, index: number, progress: { calls: number }, calls = CALLS_PER_CLIENT, until = () => true): Promise<ClientRun> {
      const run: ClientRun = { kind, calls: 0, reconnects: 0, errors: new Map() };
      const deadline = Date.now() + CLIENT_DEADLINE_MS;
      let session: { client: Client } | undefined;
      while (run.calls < calls || !until()) {
        if (Date.now() > deadline) throw new Error(`${kind} client ${index} did not finish: ${JSON.stringify(run)}`);
        try {
          if (!session) {
            session = await connectClient(release(), kind, TOKEN_B);
            const { tools } = await session.client.listTools(undefined, { timeout: CALL_TIMEOUT_MS });
            expect(tools.map((t) => t.name)).toContain('get_cluster_status');
          }
          const name = CLUSTERS[(index + run.calls) % CLUSTERS.length]!;
          const result = await session.client.callTool({ name: 'get_cluster_status', arguments: { name } }, { timeout: CALL_TIMEOUT_MS });
          expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
          // The answer is the one to this call: a misrouted answer would name another cluster.
          expect(result.structuredContent).toMatchObject({ name, namespace: release().namespace });
          run.calls++;
          progress.calls++;
        } catch (error) {
          if ((error as { name?: string }).name === 'AssertionError') throw error;
          run.reconnects++;
          const message = String((error as Error).message ?? error).slice(0, 80);
          run.errors.set(message, (run.errors.get(message) ?? 0) + 1);
          await session?.client.close().catch(() => undefined);
          session = undefined;
          // As a client would: a short pause before starting over.
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      await session?.client.close().catch(() => undefined);
      return run;
    }

    const runAll = (progress: { calls: number }, calls = CALLS_PER_CLIENT, until?: () => boolean) =>
      Promise.all([
        ...Array.from({ length: CLIENTS_PER_TRANSPORT }, (_, i) => runClient('sse', i, progress, calls, until)),
        ...Array.from({ length: CLIENTS_PER_TRANSPORT }, (_, i) => runClient('streamable', i, progress, calls, until)),
      ]);

    const toolCalls = (pod: ServerPod) => podMetric(pod, TOKEN_B, 'cnpg_mcp_tool_calls_total');
    const relayed = (pod: ServerPod) => podMetric(pod, TOKEN_B, 'cnpg_mcp_relay_requests_total', ['role="forwarded"', 'outcome="ok"']);

    it('the pods run as the chart says: uid 10001, read-only root, no privilege escalation, no capabilities (read back from the running containers); probes answer; PDB and topology spread present', async () => {
      const r = release();
      const pods = await serverPods(r);
      expect(pods).toHaveLength(2);
      for (const pod of pods) {
        // /proc/1 is the server (ENTRYPOINT node …): what the kernel says about it.
        const status = await r.kubectl(['exec', pod.name, '--', 'cat', '/proc/1/status']);
        const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim();
        expect(field('Uid')?.split(/\s+/)).toEqual(['10001', '10001', '10001', '10001']);
        expect(field('Gid')?.split(/\s+/)).toEqual(['10001', '10001', '10001', '10001']);
        expect(field('NoNewPrivs')).toBe('1');
        for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) expect(field(set), set).toBe('0000000000000000');
        expect(field('Seccomp')).toBe('2'); // filter mode: the runtime's default profile
        const cmdline = (await r.kubectl(['exec', pod.name, '--', 'cat', '/proc/1/cmdline'])).split('\0');
        expect(cmdline.slice(0, 2)).toEqual(['node', 'dist/main.js']);
        // The root file system refuses a write; /tmp (the emptyDir) takes one.
        const denied = await r.kubectl(['exec', pod.name, '--', 'node', '-e', "try{require('fs').writeFileSync('/app/x','')}catch(e){console.log(e.code)}"]);
        expect(denied.trim()).toBe('EROFS');
        await r.kubectl(['exec', pod.name, '--', 'node', '-e', "require('fs').writeFileSync('/tmp/x','')"]);
        for (const path of ['/healthz', '/readyz']) expect((await fetch(`http://${pod.ip}:3000${path}`)).status, path).toBe(200);
      }
      const spec = JSON.parse(await r.kubectl(['get', 'deployment', r.release, '-o', 'json'])).spec.template.spec;
      expect(spec.topologySpreadConstraints.map((c: { topologyKey: string }) => c.topologyKey)).toEqual([
        'kubernetes.io/hostname',
        'topology.kubernetes.io/zone',
      ]);
      const pdb = JSON.parse(await r.kubectl(['get', 'pdb', r.release, '-o', 'json']));
      expect(pdb.spec.minAvailable).toBe(1);
      // The disruption controller counts both replicas as healthy.
      await waitFor(async () => JSON.parse(await r.kubectl(['get', 'pdb', r.release, '-o', 'json'])).status?.currentHealthy === 2, {
        what: 'the PodDisruptionBudget to count 2 healthy pods',
        timeoutMs: 30_000,
      });
    });

    it(
      'serves 20 legacy SSE and 20 Streamable HTTP clients through the Service: every answer reaches its call, both replicas serve, the relay carries sessions across',
      async () => {
        await createClusters();
        const pods = await serverPods(release());
        const before = await Promise.all(pods.flatMap((pod) => [toolCalls(pod), relayed(pod)]));
        const progress = { calls: 0 };
        const started = Date.now();
        const runs = await runAll(progress);
        expect(runs.map((r) => r.calls)).toEqual(Array(2 * CLIENTS_PER_TRANSPORT).fill(CALLS_PER_CLIENT));
        expect(runs.map((r) => r.reconnects)).toEqual(Array(2 * CLIENTS_PER_TRANSPORT).fill(0));
        const after = await Promise.all(pods.flatMap((pod) => [toolCalls(pod), relayed(pod)]));
        const served = [after[0]! - before[0]!, after[2]! - before[2]!];
        const forwarded = [after[1]! - before[1]!, after[3]! - before[3]!];
        // Sessions landed on both replicas, and requests reached the replica not holding their session.
        expect(served[0]).toBeGreaterThan(0);
        expect(served[1]).toBeGreaterThan(0);
        expect(served[0]! + served[1]!).toBe(2 * CLIENTS_PER_TRANSPORT * CALLS_PER_CLIENT);
        expect(forwarded[0]! + forwarded[1]!).toBeGreaterThan(0);
        console.log(
          `[deploy] ${2 * CLIENTS_PER_TRANSPORT} clients × ${CALLS_PER_CLIENT} calls through the Service in ${Date.now() - started} ms; tool calls per pod ${served.join('/')}, relayed ${forwarded.join('/')}`,
        );
      },
      CLIENT_DEADLINE_MS + 60_000,
    );

    it(
      'deleting one server pod mid-run loses no answer a client may keep: the clients of the deleted pod start new sessions and all finish',
      async () => {
        await createClusters();
        const r = release();
        const [victim] = await serverPods(r);
        const progress = { calls: 0 };
        // Every client keeps calling until the deleted pod is gone (its preStop, drain and exit
        // done), so the clients whose sessions it held do meet its end; 5 calls each were all
        // answered before the preStop sleep was over.
        let victimGone = false;
        const running = runAll(progress, CALLS_PER_CLIENT_AT_DELETE, () => victimGone);
        const total = 2 * CLIENTS_PER_TRANSPORT * CALLS_PER_CLIENT_AT_DELETE;
        await waitFor(() => progress.calls >= total / 4, { what: 'a quarter of the calls to be answered', timeoutMs: 120_000, intervalMs: 20 });
        await r.kubectl(['delete', 'pod', victim!.name, '--wait=false']);
        const deletedAt = Date.now();
        // serverPods() leaves out terminating pods: ask for the pod object itself.
        await waitFor(async () => (await r.kubectl(['get', 'pod', victim!.name, '--ignore-not-found', '-o', 'name'])).trim() === '', {
          what: `pod ${victim!.name} to be gone`,
          timeoutMs: 180_000,
          intervalMs: 500,
        });
        victimGone = true;
        const runs = await running;
        for (const run of runs) expect(run.calls).toBeGreaterThanOrEqual(CALLS_PER_CLIENT_AT_DELETE);
        const reconnects = runs.reduce((sum, run) => sum + run.reconnects, 0);
        // The delete did reach clients: those of the deleted pod started new sessions to finish.
        expect(reconnects).toBeGreaterThan(0);
        const errors = new Map<string, number>();
        for (const run of runs) for (const [message, count] of run.errors) errors.set(message, (errors.get(message) ?? 0) + count);
        console.log(
          `[deploy] pod ${victim!.name} deleted mid-run: ${reconnects} reconnects over ${runs.filter((run) => run.reconnects > 0).length} clients, all finished ${Date.now() - deletedAt} ms after the delete; why: ${JSON.stringify([...errors].sort((a, b) => b[1] - a[1]).slice(0, 5))}`,
        );
        // The Deployment is whole again before the next spec.
        await r.kubectl(['rollout', 'status', `deployment/${r.release}`, '--timeout=120s']);
      },
      CLIENT_DEADLINE_MS + 180_000,
    );

    it('rotates tokens through the real kubelet: after `kubectl apply` of the Secret the new token works and the removed one stops, on both pods, with no restart and the other session kept', async () => {
      const r = release();
      // Whole again whatever the spec before left (a pod still starting is Running but not listening).
      await r.kubectl(['rollout', 'status', `deployment/${r.release}`, '--timeout=120s']);
      await waitFor(async () => (await serverPods(r)).length === 2, { what: '2 running server pods', timeoutMs: 60_000 });
      const pods = await serverPods(r);
      const restartsBefore = await r.kubectl([
        'get',
        'pods',
        '-l',
        `app.kubernetes.io/instance=${r.release},app.kubernetes.io/name=cnpg-mcp`,
        '-o',
        'jsonpath={range .items[*]}{.metadata.uid}={.status.containerStatuses[0].restartCount} {end}',
      ]);
      // A session of token B, kept through the rotation.
      const kept = await connectClient(r, 'streamable', TOKEN_B);
      const keptId = kept.sessionId();
      await kept.client.listTools();
      const status = async (pod: ServerPod, token: string) =>
        (await fetch(`http://${pod.ip}:3000/metrics`, { headers: { authorization: `Bearer ${token}` } })).status;
      for (const pod of pods) expect(await status(pod, TOKEN_A)).toBe(200);

      const tokenC = `c-${randomBytes(16).toString('hex')}`;
      const secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `${r.release}-auth`, namespace: r.namespace },
        type: 'Opaque',
        stringData: { tokens: `${TOKEN_B}\n${tokenC}\n${TOKEN_D}\n` },
      };
      await r.kubectl(['apply', '-f', '-'], JSON.stringify(secret));
      const appliedAt = Date.now();
      // The kubelet refreshes Secret volumes on its pod sync (syncFrequency 1 min, jittered):
      // 63 s on a quiet machine, 131 s measured with the two cores at load 12; allow four periods.
      await waitFor(
        async () => (await Promise.all(pods.map(async (pod) => (await status(pod, tokenC)) === 200 && (await status(pod, TOKEN_A)) === 401))).every(Boolean),
        {
          what: 'token C to work and token A to be refused on both pods',
          timeoutMs: 240_000,
          intervalMs: 1000,
        },
      );
      const seenAfter = Date.now() - appliedAt;
      // The same session id, still answering, on the same pods that never restarted.
      const listed = await kept.client.listTools();
      expect(listed.tools.length).toBeGreaterThan(0);
      expect(kept.sessionId()).toBe(keptId);
      await kept.client.close();
      const restartsAfter = await r.kubectl([
        'get',
        'pods',
        '-l',
        `app.kubernetes.io/instance=${r.release},app.kubernetes.io/name=cnpg-mcp`,
        '-o',
        'jsonpath={range .items[*]}{.metadata.uid}={.status.containerStatuses[0].restartCount} {end}',
      ]);
      expect(restartsAfter).toBe(restartsBefore);
      console.log(`[deploy] rotated tokens reached both pods ${(seenAfter / 1000).toFixed(1)} s after kubectl apply`);
    }, 300_000);

    it('on `kubectl rollout restart` (SIGTERM) in-flight calls finish, and each old pod leaves the Service and fails /readyz before its server stops', async () => {
      const r = release();
      const ns = r.namespace;
      await r.kubectl(['rollout', 'status', `deployment/${r.release}`, '--timeout=120s']);
      const old = await serverPods(r);
      // Calls that last 40 s: create_postgres_cluster waiting for a Cluster whose StorageClass does
      // not exist, so the wait can only end by its timeout. The rollout replaces one pod at a time
      // (maxSurge 1, maxUnavailable 0), each after its successor is ready and its preStop sleep:
      // both old pods get SIGTERM while these calls are in flight.
      const sessions = await Promise.all(
        Array.from({ length: 10 }, () => connectClient(r, 'streamable', TOKEN_D, { closeOnError: false, ownConnection: true })),
      );
      // Sessions live on the pod that answered initialize: both old pods must hold some.
      for (const pod of old) expect(await podMetric(pod, TOKEN_D, 'cnpg_mcp_active_sessions'), `sessions on ${pod.name}`).toBeGreaterThan(0);
      const calls = sessions.map((session, i) =>
        session.client.callTool(
          {
            name: 'create_postgres_cluster',
            arguments: { name: `pg-sigterm-${i}`, namespace: ns, instances: 1, storage_size: '1Gi', storage_class: 'missing-class', wait: true, timeout: 40 },
          },
          // With a progress token the wait sends progress notifications, so the session's owner
          // starts its answer at once (without one it does so after one keep-alive interval, which the
          // relay's head timeout now allows for: spec/http/relay).
          { timeout: 120_000, onprogress: () => undefined },
        ),
      );
      // While the old pods terminate: their /readyz (pod IPs are reachable from the machine) and
      // their endpoints in the Service's EndpointSlice. Readiness fails first: /readyz answers 503
      // while the server still answers at all, and the Service drops the endpoint from its ready
      // set while the container still runs.
      const seen = new Map(old.map((pod) => [pod.uid, { readyz503: false, refusedAfter: false, endpointNotReadyWhileRunning: false }]));
      const watching = (async () => {
        const deadline = Date.now() + 120_000;
        while (Date.now() < deadline) {
          const list = JSON.parse(
            await r.kubectl(['get', 'pods', '-l', `app.kubernetes.io/instance=${r.release},app.kubernetes.io/name=cnpg-mcp`, '-o', 'json']),
          ).items as {
            metadata: { uid: string; deletionTimestamp?: string };
            status: { containerStatuses?: { state: { running?: object } }[] };
          }[];
          const slices = JSON.parse(await r.kubectl(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${r.release}`, '-o', 'json'])).items as {
            endpoints?: { targetRef?: { uid: string }; conditions: { ready?: boolean; terminating?: boolean } }[];
          }[];
          const endpoints = slices.flatMap((slice) => slice.endpoints ?? []);
          await Promise.all(
            old.map(async (pod) => {
              const entry = seen.get(pod.uid)!;
              const status = await fetch(`http://${pod.ip}:3000/readyz`, { signal: AbortSignal.timeout(1000) }).then(
                (res) => res.status,
                () => 0,
              );
              if (status === 503) entry.readyz503 = true;
              if (status === 0 && entry.readyz503) entry.refusedAfter = true;
              const current = list.find((item) => item.metadata.uid === pod.uid);
              const running = current?.status.containerStatuses?.[0]?.state.running !== undefined;
              const endpoint = endpoints.find((e) => e.targetRef?.uid === pod.uid);
              if (current?.metadata.deletionTimestamp && running && endpoint && endpoint.conditions.ready === false) entry.endpointNotReadyWhileRunning = true;
            }),
          );
          if (!list.some((item) => old.some((pod) => pod.uid === item.metadata.uid))) return;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })();
      // The calls have reached their servers (each created its Cluster) before the restart.
      await waitFor(
        async () =>
          (
            await Promise.all(
              sessions.map((_, i) =>
                customObjects(e2eKubeConfig())
                  .get('Cluster', ns, `pg-sigterm-${i}`)
                  .then(
                    () => true,
                    () => false,
                  ),
              ),
            )
          ).every(Boolean),
        {
          what: 'every call to have created its Cluster',
          timeoutMs: 20_000,
        },
      );
      // Each old server's log to its end (`kubectl logs -f` returns when the container exits): what
      // its drain did, shown when a call lost its answer.
      const logs = old.map((pod) =>
        r.kubectl(['logs', '-f', pod.name]).then(
          (text) => text,
          (error: { stdout?: string; message?: string }) => `${error.stdout ?? ''}\n(kubectl logs: ${error.message})`,
        ),
      );
      await r.kubectl(['rollout', 'restart', `deployment/${r.release}`]);
      const results = await Promise.allSettled(calls);
      await r.kubectl(['rollout', 'status', `deployment/${r.release}`, '--timeout=150s']);
      await watching;
      const drains = (await Promise.all(logs)).map((text, i) => {
        const lines = text.split('\n').filter((line) => /drain|shutting down|cut|relay|warn|"level":[45]0/.test(line));
        return `${old[i]!.name}:\n${lines.slice(-30).join('\n')}`;
      });
      console.log(`[deploy] old servers' shutdown lines:\n${drains.join('\n')}`);
      // Every call got its answer: the wait's own timeout, not a lost connection.
      for (const [i, result] of results.entries()) {
        expect(result.status, `call ${i} (session ${sessions[i]!.sessionId()}): ${String((result as PromiseRejectedResult).reason)}`).toBe('fulfilled');
        const value = (
          result as PromiseFulfilledResult<{
            isError?: boolean;
            content: unknown;
            structuredContent?: { wait?: { complete: boolean; waited_seconds: number } };
          }>
        ).value;
        expect(value.isError, JSON.stringify(value.content)).toBeFalsy();
        expect(value.structuredContent?.wait).toMatchObject({ complete: false });
        expect(value.structuredContent!.wait!.waited_seconds).toBeGreaterThanOrEqual(39);
      }
      for (const pod of old) {
        expect(seen.get(pod.uid), `old pod ${pod.name}`).toEqual({ readyz503: true, refusedAfter: true, endpointNotReadyWhileRunning: true });
      }
      await Promise.all(sessions.map((s) => s.client.close().catch(() => undefined)));
    }, 420_000);

    it("NetworkPolicy: the node's CNI (bridge) does NOT enforce it — the policy as the API stores it allows clients of the release namespace only, egress to the apiserver's real port, DNS and Redis", async () => {
      const r = release();
      const policy = JSON.parse(await r.kubectl(['get', 'networkpolicy', r.release, '-o', 'json'])).spec;
      expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(policy.podSelector.matchLabels).toMatchObject({ 'app.kubernetes.io/name': 'cnpg-mcp', 'app.kubernetes.io/instance': r.release });
      expect(policy.ingress).toEqual([
        { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': r.namespace } } }], ports: [{ port: 3000, protocol: 'TCP' }] },
      ]);
      const apiserverPort = Number(new URL((await r.kubectl(['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}'])).trim()).port);
      expect(policy.egress[0]).toEqual({ ports: [{ port: apiserverPort, protocol: 'TCP' }] });
      expect(policy.egress[1].ports).toEqual([
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ]);
      expect(policy.egress[2]).toEqual({
        ports: [{ port: 6379, protocol: 'TCP' }],
        to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'cnpg-mcp-redis' } } }],
      });
      // Not enforced here: this machine is outside the release namespace, and still connects.
      expect((await fetch(`${r.url}/healthz`)).status).toBe(200);
    });
  },
);
