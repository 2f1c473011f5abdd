// Where each operation followed with wait=true ends, as the operator itself reports it (checked
// against CloudNativePG 1.30, docs/cnpg-facts.md). The Cluster half is read on every watch event;
// the probe half asks the pods or the instance managers, which the Cluster does not mirror.
import type { V1Pod } from '@kubernetes/client-node';
import { CLUSTER_LABEL } from '../cnpg/kinds.js';
import { readPgStatuses } from '../cnpg/instance-status.js';
import { HEALTHY_PHASE, fencedInstances } from '../cnpg/status.js';
import type { Cluster } from '../cnpg/types.js';
import type { ToolContext } from '../kit/tool.js';
import { type OperationEnd, settled } from './follow.js';

/** The annotation a rolling restart sets on the Cluster, and the operator copies to each pod it restarted. */
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

const ready = (pod: V1Pod) => !pod.metadata?.deletionTimestamp && pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

const instancePods = (ctx: ToolContext, c: Cluster) =>
  ctx.cnpg().listPods(c.metadata.namespace!, `${CLUSTER_LABEL}=${c.metadata.name},cnpg.io/podRole=instance`);

/**
 * A rolling restart: the operator restarts a pod whose restartedAt annotation differs from the
 * Cluster's (cluster_upgrade.go), giving a recreated pod the Cluster's value and patching it onto
 * a primary restarted in place. Done when every instance pod carries this request's value and is ready.
 */
export function rollingRestartEnd(ctx: ToolContext, requestedAt: string): OperationEnd {
  return {
    cluster: settled,
    probe: async (c) => {
      const pods = await instancePods(ctx, c);
      const behind = pods.filter((p) => p.metadata?.annotations?.[RESTARTED_AT] !== requestedAt || !ready(p)).map((p) => p.metadata?.name);
      return behind.length ? `${behind.sort().join(', ')} to restart and be ready` : undefined;
    },
  };
}

/** One instance restarted by deleting its pod: a new pod of that name (another uid), ready. */
export function instanceRestartEnd(ctx: ToolContext, instance: string, oldUid: string | undefined): OperationEnd {
  return {
    cluster: settled,
    probe: async (c) => {
      const pod = (await instancePods(ctx, c)).find((p) => p.metadata?.name === instance);
      return pod && pod.metadata?.uid !== oldUid && ready(pod) ? undefined : `a new pod of ${instance} to be ready`;
    },
  };
}

/**
 * Fencing: the instance manager stops PostgreSQL of a fenced instance and its readiness probe
 * fails, so the pod stays but is not ready. Done when every fenced instance's pod is not ready.
 * Unfencing: done when the annotation no longer lists them and every instance is ready again.
 */
export function fencingEnd(ctx: ToolContext, action: 'fence' | 'unfence', instances: string[]): OperationEnd {
  if (action === 'unfence') return { cluster: (c) => !instances.some((i) => isFenced(c, i)) && settled(c) };
  return {
    cluster: (c) => instances.every((i) => isFenced(c, i)),
    probe: async (c) => {
      const pods = await instancePods(ctx, c);
      const up = pods.filter((p) => isFenced(c, p.metadata?.name ?? '') && ready(p)).map((p) => p.metadata?.name);
      return up.length ? `PostgreSQL of ${up.sort().join(', ')} to stop` : undefined;
    },
  };
}

function isFenced(c: Cluster, instance: string): boolean {
  const fenced = fencedInstances(c);
  return fenced.includes('*') || fenced.includes(instance);
}

/**
 * A count of instances: healthy with that many counted and ready, and that many instance pods
 * left (the operator counts a scale down before the old pod has finished terminating).
 */
export function instanceCountEnd(ctx: ToolContext, instances: number): OperationEnd {
  return {
    cluster: (c) => c.status?.phase === HEALTHY_PHASE && c.status.instances === instances && c.status.readyInstances === instances,
    probe: async (c) => {
      const pods = await instancePods(ctx, c);
      return pods.length === instances && pods.every(ready) ? undefined : `${instances} ready instance pod(s), ${pods.length} now`;
    },
  };
}

/**
 * A change of postgresql.conf parameters, applied as the operator decides it is
 * (cluster_upgrade.go, instance_controller.go): every instance manager reports the same loaded
 * configuration hash, a different one from before the change, and no pending restart; the
 * Cluster is healthy (the "Applying configuration" phase is over).
 */
export function parametersEnd(ctx: ToolContext, hashesBefore: ReadonlySet<string>): OperationEnd {
  return {
    cluster: settled,
    probe: async (c) => {
      const answers = await readPgStatuses(ctx.cnpg(), c);
      const silent = answers.filter((a) => !a.status).map((a) => a.pod.metadata?.name);
      if (silent.length || !answers.length) return `${silent.join(', ') || 'the instances'} to answer`;
      const hashes = new Set(answers.map((a) => a.status?.loadedConfigurationHash ?? ''));
      const pending = answers.filter((a) => a.status?.pendingRestart).map((a) => a.pod.metadata?.name);
      if (pending.length) return `${pending.sort().join(', ')} to restart for the new configuration`;
      const [hash] = [...hashes];
      if (hashes.size !== 1 || !hash || hashesBefore.has(hash)) return 'every instance to load the new configuration';
      return undefined;
    },
  };
}

/** The loaded configuration hashes now: what a parameter change must move away from. */
export async function configurationHashes(ctx: ToolContext, c: Cluster): Promise<Set<string>> {
  const answers = await readPgStatuses(ctx.cnpg(), c);
  return new Set(answers.map((a) => a.status?.loadedConfigurationHash).filter((h): h is string => !!h));
}

/**
 * An instance destroyed with its volume: that pod and those claims (by uid) gone, and the cluster
 * healthy at its count again, its instance pods all there and ready. The operator may give the new instance the same name (1.30 reuses
 * the free serial), on a new, empty volume: uids, not names, tell the old from the new.
 */
export function destroyedEnd(ctx: ToolContext, podUid: string | undefined, claimUids: string[]): OperationEnd {
  return {
    cluster: (c) => settled(c) && c.status?.instances === c.spec?.instances,
    probe: async (c) => {
      const namespace = c.metadata.namespace!;
      const [pods, claims] = await Promise.all([instancePods(ctx, c), ctx.cnpg().listPvcs(namespace, `${CLUSTER_LABEL}=${c.metadata.name}`)]);
      if (podUid && pods.some((p) => p.metadata?.uid === podUid)) return 'the old pod to go';
      const left = claims.filter((p) => claimUids.includes(p.metadata?.uid ?? '')).map((p) => p.metadata?.name);
      if (left.length) return `the volume(s) ${left.join(', ')} to go`;
      // The Cluster's status can still be the one from before the delete (the operator has not
      // looked yet): only the replacement pod, there and ready, says the count is back.
      const wanted = c.spec?.instances ?? 0;
      return pods.length === wanted && pods.every(ready) ? undefined : `${wanted} ready instance pod(s), ${pods.length} now`;
    },
  };
}
