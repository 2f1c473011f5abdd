// destroy_cluster_instance: one instance removed with its volume, as `kubectl cnpg destroy`
// does it (internal/cmd/plugin/destroy in CloudNativePG 1.30): delete the instance's pod (only
// when the Cluster owns it), its jobs, and the PVCs labelled cnpg.io/instanceName=<instance>
// that the Cluster owns or that were detached from that instance. With no PVC left the operator
// cannot start that instance again: it creates a new one on a new, empty volume (1.30 may reuse
// the name) to get back to spec.instances. Unlike the plugin, the primary is refused (a destroyed primary is a failover
// and loses what was not replicated yet): switch over first.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { z } from 'zod';
import type { Cluster } from '../cnpg/types.js';
import { CLUSTER_LABEL } from '../cnpg/kinds.js';
import { ToolError } from '../kit/tool-error.js';
import { DESTRUCTIVE, defineTool } from '../kit/tool.js';
import { followFields, followIfAsked, followOutcome, followSentence } from './follow.js';
import { destroyedEnd } from './operation-ends.js';
import { assertInstanceOf } from './operations.js';
import { changeOutput } from './outputs.js';
import * as s from './schemas.js';

const INSTANCE_LABEL = 'cnpg.io/instanceName';
const PVC_STATUS_ANNOTATION = 'cnpg.io/pvcStatus';

const ownedBy = (meta: V1ObjectMeta | undefined, cluster: string) =>
  (meta?.ownerReferences ?? []).some((o) => o.kind === 'Cluster' && o.name === cluster && o.controller === true);

export const destroyInstance = defineTool({
  name: 'destroy_cluster_instance',
  title: 'Destroy one instance and its volume',
  description:
    'Deletes one replica with its pod, jobs and volumes, as `kubectl cnpg destroy`; the operator recreates it on a new volume. Its data is gone. Refuses the primary. Requires confirm_destroy=true.',
  input: z.object({
    name: s.clusterName,
    namespace: s.namespace,
    instance: s.k8sName.describe('Instance (pod), e.g. mycluster-2.'),
    confirm_destroy: z.boolean().default(false).describe("Must be true: the instance's volume is deleted."),
    dry_run: s.dryRun,
    ...followFields,
  }),
  output: changeOutput.extend({ wait: followOutcome }),
  annotations: DESTRUCTIVE,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const where = `${namespace}/${input.name}`;
    if (!input.confirm_destroy && !input.dry_run)
      throw new ToolError(
        `destroying ${input.instance} of ${where} needs confirm_destroy=true`,
        'Ask the user to confirm: its volume and data will be deleted.',
      );
    const cluster = await ctx.cnpg().get<Cluster>('cluster', namespace, input.name, { fresh: true });
    if (input.instance === cluster.status?.currentPrimary || input.instance === cluster.status?.targetPrimary)
      throw new ToolError(`${input.instance} is the primary of ${where}`, 'Promote another instance first (promote_cluster_instance), then destroy this one.');
    await assertInstanceOf(ctx, cluster, input.instance);

    const dryRun = { dryRun: input.dry_run };
    // Pods by a list, not a get: the verb every mode's RBAC already grants on pods.
    const [pods, jobs, claims] = await Promise.all([
      ctx.cnpg().listPods(namespace, `${CLUSTER_LABEL}=${input.name}`),
      ctx.cnpg().listJobs(namespace, `${INSTANCE_LABEL}=${input.instance}`),
      ctx.cnpg().listPvcs(namespace, `${INSTANCE_LABEL}=${input.instance}`),
    ]);
    const pod = pods.find((p) => p.metadata?.name === input.instance);
    if (pod && !ownedBy(pod.metadata, input.name)) throw new ToolError(`instance ${input.instance} is not owned by cluster ${where}`);
    // As the plugin: a claim the Cluster no longer owns is deleted only if it was detached from this instance.
    const volumes = claims.filter((c) => ownedBy(c.metadata, input.name) || c.metadata?.annotations?.[PVC_STATUS_ANNOTATION] === 'detached');
    // The plugin's order: the pod first (so nothing uses the volume), then its jobs, then the volumes.
    if (pod) await ctx.cnpg().deletePod(namespace, input.instance, dryRun);
    for (const job of jobs) await ctx.cnpg().deleteJob(namespace, job.metadata!.name!, dryRun);
    for (const claim of volumes) await ctx.cnpg().deletePvc(namespace, claim.metadata!.name!, dryRun);

    const deleted = {
      pod: pod ? input.instance : null,
      jobs: jobs.map((j) => j.metadata!.name!),
      persistent_volume_claims: volumes.map((c) => c.metadata!.name!),
    };
    const wait = await followIfAsked(
      ctx,
      input,
      destroyedEnd(
        ctx,
        pod?.metadata?.uid,
        volumes.map((v) => v.metadata?.uid ?? ''),
      ),
    );
    const list = [deleted.pod && `pod ${deleted.pod}`, ...deleted.jobs.map((j) => `job ${j}`), ...deleted.persistent_volume_claims.map((c) => `PVC ${c}`)]
      .filter(Boolean)
      .join(', ');
    const tail = input.dry_run ? '' : followSentence(wait, `${input.instance} is gone and every instance of the cluster is ready`);
    return {
      text: `${input.dry_run ? 'Would destroy' : 'Destroyed'} instance ${input.instance} of ${where}: ${list || 'nothing was left of it'}.${tail}`,
      data: { name: input.name, namespace, action: 'destroy instance', dry_run: input.dry_run, changes: { deleted }, wait },
    };
  },
});

export const destroyTools = [destroyInstance];
