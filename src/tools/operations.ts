// Day-2 operations, each through the mechanism the operator reads (docs/cnpg-facts.md):
// switchover via the status subresource, restarts and reloads via annotations, fencing and
// hibernation via their cnpg.io annotations, one-instance restarts by deleting the pod.
import type { V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { CLUSTER_LABEL } from '../cnpg/kinds.js';
import { rfc3339 } from '../cnpg/manifests.js';
import { FENCED_ANNOTATION, HIBERNATION_ANNOTATION, fencedInstances } from '../cnpg/status.js';
import type { Cluster } from '../cnpg/types.js';
import { ToolError } from '../kit/tool-error.js';
import { ADDITIVE_IDEMPOTENT, DESTRUCTIVE, DESTRUCTIVE_IDEMPOTENT, defineTool, type ToolContext } from '../kit/tool.js';
import { change, modifyObject } from './change.js';
import { followFields, followIfAsked, followOutcome, followSentence, settled } from './follow.js';
import { fencingEnd, instanceRestartEnd, RESTARTED_AT, rollingRestartEnd } from './operation-ends.js';
import { changeOutput } from './outputs.js';
import * as s from './schemas.js';

const RELOADED_AT = 'cnpg.io/reloadedAt';
const SWITCHOVER_PHASE = 'Switchover in progress';
const HIBERNATION_CONDITION = 'cnpg.io/hibernation';

const instanceName = s.k8sName.describe('Instance (pod), e.g. mycluster-2.');

/** An instance belongs to the cluster when its pod carries the cluster label, or the operator lists it. */
export async function assertInstanceOf(ctx: ToolContext, cluster: Cluster, instance: string): Promise<void> {
  const namespace = cluster.metadata.namespace!;
  const pods = await ctx.cnpg().listPods(namespace, `${CLUSTER_LABEL}=${cluster.metadata.name}`);
  const known = new Set([...pods.map((p) => p.metadata?.name), ...((cluster.status?.instanceNames as string[] | undefined) ?? [])]);
  if (!known.has(instance)) {
    const list = [...known].filter(Boolean).sort().join(', ') || 'none yet';
    throw new ToolError(`${instance} is not an instance of cluster ${namespace}/${cluster.metadata.name}`, `Its instances: ${list}.`);
  }
}

/** Ready=True, and not being deleted: an instance the operator can promote. */
function podReady(pod: V1Pod): boolean {
  return !pod.metadata?.deletionTimestamp && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Why a switchover to `instance` must not be requested now, as `kubectl cnpg promote` decides
 * (internal/cmd/plugin/promote) and stricter (issue #12, item 5): not the current primary, not
 * the current target, no switchover already under way, and the instance's pod exists and is ready.
 */
async function switchoverRefusal(ctx: ToolContext, cluster: Cluster, instance: string): Promise<ToolError | undefined> {
  const { currentPrimary, targetPrimary, phase } = cluster.status ?? {};
  const where = `${cluster.metadata.namespace}/${cluster.metadata.name}`;
  if (instance === currentPrimary) return new ToolError(`${instance} is already the primary of ${where}`);
  if (instance === targetPrimary)
    return new ToolError(`${instance} is already the target primary of ${where}: a switchover to it was requested`, 'Follow it with get_cluster_status.');
  if (!currentPrimary)
    return new ToolError(`${where} has no primary yet (phase: ${phase ?? 'not reconciled'})`, 'Wait until get_cluster_status shows it healthy.');
  if (phase === SWITCHOVER_PHASE || (targetPrimary && targetPrimary !== currentPrimary)) {
    return new ToolError(
      `a switchover of ${where} to ${targetPrimary ?? 'another instance'} is already in progress`,
      'Wait until it completes (get_cluster_status), then try again.',
    );
  }
  const pods = await ctx.cnpg().listPods(cluster.metadata.namespace!, `${CLUSTER_LABEL}=${cluster.metadata.name}`);
  const pod = pods.find((p) => p.metadata?.name === instance);
  if (!pod) {
    const list =
      pods
        .map((p) => p.metadata?.name)
        .filter(Boolean)
        .sort()
        .join(', ') || 'none';
    return new ToolError(`${instance} has no pod in cluster ${where}`, `Its instance pods: ${list}.`);
  }
  if (!podReady(pod))
    return new ToolError(
      `the pod of ${instance} is not ready (phase: ${pod.status?.phase ?? 'unknown'})`,
      'Promote a ready replica: get_cluster_status lists the instances.',
    );
  return undefined;
}

export const promoteInstance = defineTool({
  name: 'promote_cluster_instance',
  title: 'Promote an instance (switchover)',
  description:
    'Switchover to another instance, as `kubectl cnpg promote` (sets status.targetPrimary; brief write outage). Refused for the current primary or target, during a switchover, and for a missing or unready pod. wait=true: until the new primary is in place and every instance is ready.',
  input: z.object({ name: s.clusterName, namespace: s.namespace, instance: instanceName, dry_run: s.dryRun, ...followFields }),
  output: changeOutput.extend({ wait: followOutcome }),
  annotations: DESTRUCTIVE,
  async handler(input, ctx) {
    const { namespace } = ctx;
    // The guard is checked against the version the patch is conditioned on (resourceVersion): if
    // the status moves on in between, the API answers 409 and the guard runs again on the new one,
    // so a refusal never writes and a phase it did not check is never overwritten.
    const result = await modifyObject<Cluster>(
      ctx,
      'cluster',
      input.name,
      async (cluster) => {
        const refusal = await switchoverRefusal(ctx, cluster, input.instance);
        if (refusal) throw refusal;
        return {
          status: {
            targetPrimary: input.instance,
            targetPrimaryTimestamp: rfc3339(),
            phase: SWITCHOVER_PHASE,
            phaseReason: `Switching over to ${input.instance}`,
          },
        };
      },
      input.dry_run,
      'promote',
      'status',
    );
    // Complete when the operator has made it the primary and the cluster is healthy again.
    const wait = await followIfAsked(ctx, input, (c) => c.status?.currentPrimary === input.instance && c.status.targetPrimary === input.instance && settled(c));
    const verb = input.dry_run ? 'Would request' : 'Requested';
    const tail = input.dry_run ? '' : followSentence(wait, `${input.instance} is the primary and every instance is ready`);
    return { text: `${verb} switchover of ${namespace}/${input.name} to ${input.instance}.${tail}`, data: { ...result, wait } };
  },
});

export const restartCluster = defineTool({
  name: 'restart_postgres_cluster',
  title: 'Restart a cluster (rolling)',
  description:
    'Rolling restart, replicas first, the primary last with a switchover, as `kubectl cnpg restart`. wait=true: until every instance has restarted and is ready.',
  input: z.object({ name: s.clusterName, namespace: s.namespace, dry_run: s.dryRun, ...followFields }),
  output: changeOutput.extend({ wait: followOutcome }),
  annotations: DESTRUCTIVE,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const requestedAt = rfc3339();
    const patch = { metadata: { annotations: { [RESTARTED_AT]: requestedAt } } };
    const result = await change(ctx, 'cluster', namespace, input.name, patch, input.dry_run, 'restart');
    const wait = await followIfAsked(ctx, input, rollingRestartEnd(ctx, requestedAt));
    const tail = input.dry_run ? '' : followSentence(wait, 'Every instance restarted and is ready');
    return { text: `${input.dry_run ? 'Would start' : 'Started'} a rolling restart of ${namespace}/${input.name}.${tail}`, data: { ...result, wait } };
  },
});

export const restartInstance = defineTool({
  name: 'restart_cluster_instance',
  title: 'Restart one replica',
  description:
    'Restarts one replica by deleting its pod (same volume). Refuses the primary: promote_cluster_instance first, or restart_postgres_cluster. wait=true: until the new pod is ready.',
  input: z.object({ name: s.clusterName, namespace: s.namespace, instance: instanceName, dry_run: s.dryRun, ...followFields }),
  output: changeOutput.extend({ wait: followOutcome }),
  annotations: DESTRUCTIVE,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const cluster = await ctx.cnpg().get<Cluster>('cluster', namespace, input.name);
    if (cluster.status?.currentPrimary === input.instance) {
      throw new ToolError(`${input.instance} is the primary`, 'Promote another instance first, or use restart_postgres_cluster.');
    }
    await assertInstanceOf(ctx, cluster, input.instance);
    const before = (await ctx.cnpg().listPods(namespace, `${CLUSTER_LABEL}=${input.name}`)).find((p) => p.metadata?.name === input.instance);
    await ctx.cnpg().deletePod(namespace, input.instance, { dryRun: input.dry_run });
    const wait = await followIfAsked(ctx, input, instanceRestartEnd(ctx, input.instance, before?.metadata?.uid));
    const tail = input.dry_run ? '' : followSentence(wait, `${input.instance} is back and ready`);
    return {
      text: `${input.dry_run ? 'Would restart' : 'Restarting'} instance ${input.instance} of ${namespace}/${input.name}.${tail}`,
      data: { name: input.name, namespace, action: 'restart instance', dry_run: input.dry_run, changes: { deletedPod: input.instance }, wait },
    };
  },
});

export const reloadCluster = defineTool({
  name: 'reload_postgres_configuration',
  title: 'Reload configuration',
  description: 'Every instance reloads its configuration and re-reads secrets and certificates, without a restart, as `kubectl cnpg reload`.',
  input: z.object({ name: s.clusterName, namespace: s.namespace, dry_run: s.dryRun }),
  output: changeOutput,
  annotations: ADDITIVE_IDEMPOTENT,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const patch = { metadata: { annotations: { [RELOADED_AT]: rfc3339() } } };
    const result = await change(ctx, 'cluster', namespace, input.name, patch, input.dry_run, 'reload');
    return { text: `${input.dry_run ? 'Would request' : 'Requested'} a configuration reload of ${namespace}/${input.name}.`, data: result };
  },
});

export const hibernateCluster = defineTool({
  name: 'hibernate_postgres_cluster',
  title: 'Hibernate or wake a cluster',
  description:
    "hibernation='on' shuts the cluster down (pods removed, volumes kept: no service until 'off'), as `kubectl cnpg hibernate`. wait=true: until the pods are gone ('on') or every instance is ready ('off').",
  input: z.object({ name: s.clusterName, namespace: s.namespace, hibernation: z.enum(['on', 'off']), dry_run: s.dryRun, ...followFields }),
  output: changeOutput.extend({ wait: followOutcome }),
  annotations: DESTRUCTIVE_IDEMPOTENT,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const patch = { metadata: { annotations: { [HIBERNATION_ANNOTATION]: input.hibernation } } };
    const result = await change(ctx, 'cluster', namespace, input.name, patch, input.dry_run, `hibernation ${input.hibernation}`);
    const what = input.hibernation === 'on' ? 'hibernate' : 'wake';
    // The operator's own verdict (pkg/reconciler/hibernation/status.go): condition cnpg.io/hibernation
    // is True once every pod is gone, and removed when woken; woken is done when healthy again.
    const hibernated = (c: Cluster) => c.status?.conditions?.some((k) => k.type === HIBERNATION_CONDITION && k.status === 'True') === true;
    const done = input.hibernation === 'on' ? hibernated : (c: Cluster) => !c.status?.conditions?.some((k) => k.type === HIBERNATION_CONDITION) && settled(c);
    const wait = await followIfAsked(ctx, input, done);
    const tail = input.dry_run
      ? ''
      : followSentence(wait, input.hibernation === 'on' ? 'Hibernated (every pod gone, volumes kept)' : 'Awake: every instance is ready');
    return { text: `${input.dry_run ? 'Would' : 'Asked the operator to'} ${what} ${namespace}/${input.name}.${tail}`, data: { ...result, wait } };
  },
});

export const fenceInstances = defineTool({
  name: 'fence_cluster_instances',
  title: 'Fence or unfence instances',
  description:
    "Fencing stops PostgreSQL on the given instances ('*': all) and keeps their pods for investigation; unfencing starts it again, as `kubectl cnpg fencing`. wait=true: until the fenced ones are down (pod not ready), or all are ready again.",
  input: z.object({
    name: s.clusterName,
    namespace: s.namespace,
    action: z.enum(['fence', 'unfence']),
    instances: z
      .array(z.union([instanceName, z.literal('*')]))
      .min(1)
      .max(20)
      .describe("Instance names, or ['*'] for every instance."),
    dry_run: s.dryRun,
    ...followFields,
  }),
  output: changeOutput.extend({ wait: followOutcome }),
  annotations: DESTRUCTIVE_IDEMPOTENT,
  async handler(input, ctx) {
    const { namespace } = ctx;
    let value: string | null = null;
    // resourceVersion makes the read-modify-write safe: a concurrent edit gets 409 and a fresh retry, never a lost update.
    const result = await modifyObject<Cluster>(
      ctx,
      'cluster',
      input.name,
      (cluster) => {
        const current = new Set(fencedInstances(cluster));
        const next =
          input.action === 'fence'
            ? new Set([...current, ...input.instances])
            : new Set([...current].filter((i) => !input.instances.includes(i) && !input.instances.includes('*')));
        value = next.size ? JSON.stringify([...next].sort()) : null;
        return { metadata: { annotations: { [FENCED_ANNOTATION]: value } } };
      },
      input.dry_run,
      input.action,
    );
    const wait = await followIfAsked(ctx, input, fencingEnd(ctx, input.action, input.instances));
    const finished = input.action === 'fence' ? `PostgreSQL of ${input.instances.join(', ')} is stopped` : 'Every instance is ready';
    const tail = input.dry_run ? '' : followSentence(wait, finished);
    return {
      text: `${input.dry_run ? 'Would set' : 'Set'} fenced instances of ${namespace}/${input.name} to ${value ?? 'none'}.${tail}`,
      data: { ...result, wait },
    };
  },
});

export const operationTools = [promoteInstance, restartCluster, restartInstance, reloadCluster, hibernateCluster, fenceInstances];
