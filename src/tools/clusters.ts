// Cluster tools: list, status, create, scale, resize storage, parameters, delete.
import { z } from 'zod';
import { formatSummary, summariseCluster } from '../cnpg/status.js';
import { instanceStatusShape, instanceTableRows, readInstances, walArchivingLine, walArchivingShape } from '../cnpg/instance-status.js';
import { formatTable } from './table.js';
import { buildCluster } from '../cnpg/manifests.js';
import { quantityBytes } from '../cnpg/quantity.js';
import type { Cluster } from '../cnpg/types.js';
import { ToolError } from '../kit/tool-error.js';
import { ADDITIVE, ADDITIVE_IDEMPOTENT, DESTRUCTIVE, READ_ONLY, defineTool } from '../kit/tool.js';
import { tidyObject } from '../cnpg/tidy.js';
import { changeOutput, clusterSummaryShape } from './outputs.js';
import * as s from './schemas.js';
import { change, modifyObject } from './change.js';
import { followCluster, followFields, followIfAsked, followOutcome, followSentence } from './follow.js';
import { configurationHashes, instanceCountEnd, parametersEnd } from './operation-ends.js';

export const listClusters = defineTool({
  name: 'list_postgres_clusters',
  title: 'List PostgreSQL clusters',
  description: 'Lists clusters with phase, ready instances and primary; start here. One namespace, or all_namespaces=true; label_selector filters.',
  input: z.object({
    namespace: s.namespace,
    all_namespaces: z.boolean().default(false).describe('Every namespace the server may see.'),
    label_selector: s.labelSelector,
    detail_level: s.detailLevel,
    format: s.format,
    limit: s.limit,
  }),
  output: z.object({ clusters: z.array(clusterSummaryShape), count: z.number(), truncated: z.boolean() }),
  annotations: READ_ONLY,
  async handler(input, ctx) {
    const scopes = input.all_namespaces ? (ctx.allowedNamespaces ?? [undefined]) : [ctx.namespace];
    const found = (await Promise.all(scopes.map((ns) => ctx.cnpg().list<Cluster>('cluster', ns, input.label_selector)))).flat();
    const clusters = found.slice(0, input.limit).map((c) => summariseCluster(c, input.detail_level));
    const where = input.all_namespaces ? 'all allowed namespaces' : `namespace ${scopes[0]}`;
    const head = clusters.length ? `${found.length} cluster(s) in ${where}:` : `No CloudNativePG clusters in ${where}.`;
    const more = found.length > clusters.length ? `\n(${found.length - clusters.length} more not shown; raise limit or filter)` : '';
    return {
      text: [head, ...clusters.map(formatSummary)].join('\n') + more,
      data: { clusters, count: found.length, truncated: found.length > clusters.length },
    };
  },
});

export const getClusterStatus = defineTool({
  name: 'get_cluster_status',
  title: 'Get cluster status',
  description:
    "One cluster as the operator sees it: phase, ready/total instances, primary, image, storage, last backup. 'detailed' adds each instance as kubectl cnpg status shows it (role, timeline, replication lag, pending restart), WAL archiving, conditions, services, certificates, parameters, roles. Check health before and after changes.",
  input: z.object({
    name: s.clusterName,
    namespace: s.namespace,
    detail_level: s.detailLevel,
    include_instances: z.boolean().optional().describe("Ask each instance manager (pods/proxy); default: with 'detailed'."),
    format: s.format,
  }),
  output: clusterSummaryShape.extend({
    instance_status: z
      .array(instanceStatusShape)
      .optional()
      .describe('Per instance, from its instance manager (/pg/status); an instance that did not answer has error set.'),
    wal_archiving: walArchivingShape.optional(),
    instance_status_error: z.string().optional().describe('Why no instance could be asked (e.g. listing pods was refused).'),
  }),
  annotations: READ_ONLY,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const cluster = await ctx.cnpg().get<Cluster>('cluster', namespace, input.name);
    const summary = { ...summariseCluster(cluster, input.detail_level), last_successful_backup: cluster.status?.lastSuccessfulBackup };
    // Off for 'concise' unless asked: that call stays a read of the shared cache (load/, issue #13),
    // where the instances cost a pods list and one proxied request each.
    if (!(input.include_instances ?? input.detail_level === 'detailed')) return { text: formatSummary(summary), data: summary };
    // Degrades, never fails: the Cluster's own status above stands whatever the instances answer.
    let report: Awaited<ReturnType<typeof readInstances>>;
    try {
      report = await readInstances(ctx.cnpg(), cluster);
    } catch (err) {
      const why = `the instance pods could not be listed: ${err instanceof Error ? err.message : 'unknown error'}`;
      return { text: `${formatSummary(summary)}\nInstances: ${why}`, data: { ...summary, instance_status_error: why } };
    }
    const { instances, wal_archiving } = report;
    const lines = [formatSummary(summary)];
    if (!instances.length) lines.push('Instances: no instance pods (none created yet, hibernated, or an API server without nodes).');
    else {
      const table = instanceTableRows({ instances, wal_archiving });
      lines.push('Instances (from each instance manager, as kubectl cnpg status reads them):', formatTable(table.columns, table.rows));
      for (const i of instances) if (i.error) lines.push(`  ${i.instance}: no status: ${i.error}`);
      lines.push(walArchivingLine(wal_archiving));
    }
    // formatSummary shows the last backup when there is one.
    if (!summary.last_successful_backup) lines.push('Last successful backup: none recorded');
    return { text: lines.join('\n'), data: { ...summary, instance_status: instances, wal_archiving: instances.length ? wal_archiving : undefined } };
  },
});

export const createCluster = defineTool({
  name: 'create_postgres_cluster',
  title: 'Create a PostgreSQL cluster',
  description:
    'Creates a Cluster (a primary plus streaming replicas); returns the manifest sent. dry_run=true previews it as stored. wait=true: until every instance is ready.',
  input: z.object({
    name: s.clusterName,
    namespace: s.namespace,
    instances: z.number().int().min(1).max(10).default(3).describe('1 for development, 3+ for HA.'),
    storage_size: s.quantity.default('10Gi').describe('Volume size per instance.'),
    storage_class: k8sOrUndefined(),
    // A number, as a version is (issue #12: 17 used to be refused); no string form, as for every number.
    postgres_version: z.number().int().min(13).max(29).optional().describe('PostgreSQL major, e.g. 17; the operator default when omitted.'),
    image: z
      .string()
      .max(500)
      .regex(/^[a-z0-9][a-z0-9._\-/:@]*$/, 'an image reference such as ghcr.io/cloudnative-pg/postgresql:17.5')
      .optional()
      .describe('Operand image; wins over postgres_version.'),
    database: s.pgIdentifier.optional().describe('Application database (default app).'),
    owner: s.pgIdentifier.optional().describe('Its owner role (default: the database name).'),
    parameters: s.pgParameters.optional().describe('postgresql.conf, e.g. {"max_connections":"200"}.'),
    cpu: s.cpuQuantity.optional().describe('Per instance (requests = limits).'),
    memory: s.quantity.optional().describe('Per instance (requests = limits).'),
    image_pull_policy: z.enum(['Always', 'IfNotPresent', 'Never']).optional().describe('spec.imagePullPolicy.'),
    node_selector: s.nodeSelector.optional(),
    tolerations: s.tolerations.optional(),
    affinity: z
      .object({
        enable_pod_anti_affinity: z.boolean().optional().describe('Instances on different nodes (operator default true).'),
        topology_key: s.labelKeyName.optional().describe('Node label defining "different", e.g. topology.kubernetes.io/zone.'),
        pod_anti_affinity_type: z.enum(['preferred', 'required']).optional().describe('required: an instance with no free node stays Pending.'),
        node_affinity: z.record(z.string(), z.unknown()).optional().describe('A Kubernetes NodeAffinity, as is.'),
      })
      .strict()
      .optional()
      .describe('spec.affinity.'),
    dry_run: s.dryRun,
    ...followFields,
  }),
  output: changeOutput.extend({ manifest: z.record(z.string(), z.unknown()), wait: followOutcome }),
  annotations: ADDITIVE,
  async handler(input, ctx) {
    if (input.image && input.postgres_version) throw new ToolError('give either image or postgres_version, not both');
    const { namespace } = ctx;
    const manifest = buildCluster({ ...input, namespace });
    const created = await ctx.cnpg().create<Cluster>('cluster', namespace, manifest, { dryRun: input.dry_run });
    const wait = await followIfAsked(ctx, input, instanceCountEnd(ctx, input.instances));
    const verb = input.dry_run ? 'Would create' : 'Created';
    const tail = input.dry_run ? '' : followSentence(wait, 'All instances are ready');
    return {
      text: `${verb} cluster ${namespace}/${input.name} with ${input.instances} instance(s) of ${input.storage_size}.${tail}`,
      data: { name: input.name, namespace, action: 'create', dry_run: input.dry_run, changes: manifest, manifest, result: tidyObject(created), wait },
    };
  },
});

function k8sOrUndefined() {
  return s.k8sName.max(253).optional().describe('StorageClass; the default one when omitted.');
}

export const scaleCluster = defineTool({
  name: 'scale_postgres_cluster',
  title: 'Scale a cluster',
  description: 'Sets spec.instances; scaling down removes replicas, never the primary. wait=true: until the new count is ready.',
  input: z.object({
    name: s.clusterName,
    namespace: s.namespace,
    instances: z.number().int().min(1).max(10).describe('New number of instances.'),
    dry_run: s.dryRun,
    ...followFields,
  }),
  output: changeOutput.extend({ wait: followOutcome }),
  annotations: ADDITIVE_IDEMPOTENT,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const result = await change(ctx, 'cluster', namespace, input.name, { spec: { instances: input.instances } }, input.dry_run, 'scale');
    const wait = await followIfAsked(ctx, input, instanceCountEnd(ctx, input.instances));
    // Without wait the one-line answer stays as it was (spec/mcp/dry-run.spec.ts).
    const tail = wait ? followSentence(wait, `${input.instances} instance(s) ready`) : '';
    return {
      text: `${input.dry_run ? 'Would scale' : 'Scaled'} ${namespace}/${input.name} to ${input.instances} instance(s).${tail}`,
      data: { ...result, wait },
    };
  },
});

export const resizeCluster = defineTool({
  name: 'resize_postgres_cluster',
  title: 'Resize cluster storage',
  description: "Grows every instance's volume (spec.storage.size). Volumes cannot shrink; the StorageClass must allow expansion.",
  input: z.object({ name: s.clusterName, namespace: s.namespace, storage_size: s.quantity.describe('New size per instance, e.g. 20Gi.'), dry_run: s.dryRun }),
  output: changeOutput,
  annotations: ADDITIVE_IDEMPOTENT,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const changes = { spec: { storage: { size: input.storage_size } } };
    // Volumes only grow: a smaller size is refused before the operator is asked for the impossible
    // (issue #12, item 6). The check runs inside modify(), on the version the write replaces, so a
    // concurrent resize cannot slip between the comparison and the write; a refusal writes nothing.
    const result = await modifyObject<Cluster>(
      ctx,
      'cluster',
      input.name,
      (cluster) => {
        const current = cluster.spec?.storage?.size;
        const [from, to] = [current && quantityBytes(current), quantityBytes(input.storage_size)];
        if (from && to !== undefined && to < from) {
          throw new ToolError(
            `${namespace}/${input.name} has ${current} volumes and volumes cannot shrink: ${input.storage_size} is smaller`,
            `Give a size of at least ${current}; to use less space, create a new cluster and move the data.`,
          );
        }
        return changes;
      },
      input.dry_run,
      'resize',
    );
    // `changes` reports what was asked for, not the resourceVersion modify() conditioned the write on.
    return { text: `${input.dry_run ? 'Would resize' : 'Resized'} ${namespace}/${input.name} storage to ${input.storage_size}.`, data: { ...result, changes } };
  },
});

export const updateParameters = defineTool({
  name: 'update_postgres_parameters',
  title: 'Update PostgreSQL parameters',
  description:
    'Sets postgresql.conf parameters (spec.postgresql.parameters); null removes one. Reloadable ones apply live, others restart instances; the operator rejects those it fixes. wait=true: until every instance has loaded them with no restart pending.',
  input: z.object({
    name: s.clusterName,
    namespace: s.namespace,
    parameters: z
      .record(z.string().regex(/^[a-z_][a-z0-9_.]*$/, 'parameter names are lowercase'), s.oneLine(1000).nullable())
      .refine((p) => Object.keys(p).length >= 1 && Object.keys(p).length <= 100, 'between 1 and 100 parameters'),
    dry_run: s.dryRun,
    ...followFields,
  }),
  output: changeOutput.extend({ wait: followOutcome }),
  annotations: ADDITIVE_IDEMPOTENT,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const following = input.wait && !input.dry_run;
    // What the change must move away from: the configuration each instance has loaded now.
    const before = following ? await ctx.cnpg().get<Cluster>('cluster', namespace, input.name, { fresh: true }) : undefined;
    const hashes = before ? await configurationHashes(ctx, before) : new Set<string>();
    const result = await change(
      ctx,
      'cluster',
      namespace,
      input.name,
      { spec: { postgresql: { parameters: input.parameters } } },
      input.dry_run,
      'update parameters',
    );
    // The same parameters again change no spec, and so no configuration: nothing to wait for but health.
    const unchanged =
      before?.metadata.generation !== undefined && before.metadata.generation === (result.result?.metadata as { generation?: number } | undefined)?.generation;
    const wait = following ? await followCluster(ctx, namespace, input.name, parametersEnd(ctx, unchanged ? new Set() : hashes), input.timeout) : undefined;
    const list = Object.entries(input.parameters)
      .map(([k, v]) => (v === null ? `-${k}` : `${k}=${v}`))
      .join(', ');
    const tail = input.dry_run ? '' : followSentence(wait, 'Every instance runs with the new configuration');
    return { text: `${input.dry_run ? 'Would set' : 'Set'} ${list} on ${namespace}/${input.name}.${tail}`, data: { ...result, wait } };
  },
});

export const deleteCluster = defineTool({
  name: 'delete_postgres_cluster',
  title: 'Delete a cluster',
  description: 'Deletes a Cluster; the operator removes its pods, services and (by default) volumes: the data is gone. Requires confirm_deletion=true.',
  input: z.object({
    name: s.clusterName,
    namespace: s.namespace,
    confirm_deletion: z.boolean().default(false).describe('Must be true: deletion destroys the data.'),
    dry_run: s.dryRun,
  }),
  output: changeOutput,
  annotations: DESTRUCTIVE,
  async handler(input, ctx) {
    const { namespace } = ctx;
    if (!input.confirm_deletion && !input.dry_run) {
      throw new ToolError(
        `deleting ${namespace}/${input.name} needs confirm_deletion=true`,
        'Ask the user to confirm: the cluster and its data will be deleted.',
      );
    }
    await ctx.cnpg().get('cluster', namespace, input.name); // a clear 404 before anything else
    await ctx.cnpg().delete('cluster', namespace, input.name, { dryRun: input.dry_run });
    return {
      text: `${input.dry_run ? 'Would delete' : 'Deleted'} cluster ${namespace}/${input.name}.`,
      data: { name: input.name, namespace, action: 'delete', dry_run: input.dry_run, changes: {} },
    };
  },
});

export const clusterTools = [listClusters, getClusterStatus, createCluster, scaleCluster, resizeCluster, updateParameters, deleteCluster];
