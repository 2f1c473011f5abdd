// PgBouncer poolers as CloudNativePG Pooler objects.
import { z } from 'zod';
import { buildPooler } from '../cnpg/manifests.js';
import type { CnpgObject } from '../cnpg/types.js';
import { ADDITIVE, DESTRUCTIVE, READ_ONLY, defineTool } from '../kit/tool.js';
import { changeOutput } from './outputs.js';
import { createObject } from './change.js';
import * as s from './schemas.js';

type Pooler = CnpgObject<
  { cluster?: { name?: string }; type?: string; instances?: number; pgbouncer?: { poolMode?: string; paused?: boolean } },
  { instances?: number }
>;

const poolerShape = z.object({
  name: z.string(),
  cluster: z.string().optional(),
  type: z.string().optional(),
  instances: z.number().optional(),
  ready_instances: z.number().optional(),
  pool_mode: z.string().optional(),
  paused: z.boolean(),
});

export const listPoolers = defineTool({
  name: 'list_postgres_poolers',
  title: 'List poolers',
  description: 'Lists PgBouncer Poolers: target cluster, type (rw/ro/r), instances, pool mode.',
  input: z.object({ namespace: s.namespace, cluster_name: s.clusterName.optional(), format: s.format }),
  output: z.object({ poolers: z.array(poolerShape) }),
  annotations: READ_ONLY,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const items = (await ctx.cnpg().list<Pooler>('pooler', namespace)).filter((p) => !input.cluster_name || p.spec?.cluster?.name === input.cluster_name);
    const poolers = items.map((p) => ({
      name: p.metadata.name,
      cluster: p.spec?.cluster?.name,
      type: p.spec?.type,
      instances: p.spec?.instances,
      ready_instances: p.status?.instances,
      pool_mode: p.spec?.pgbouncer?.poolMode,
      paused: p.spec?.pgbouncer?.paused === true,
    }));
    const lines = poolers.map(
      (p) => `${p.name} → ${p.cluster} (${p.type}, ${p.pool_mode ?? 'session'}, ${p.instances ?? 1} instance(s))${p.paused ? ' paused' : ''}`,
    );
    return { text: lines.length ? lines.join('\n') : `No poolers in ${namespace}.`, data: { poolers } };
  },
});

export const createPooler = defineTool({
  name: 'create_postgres_pooler',
  title: 'Create a pooler',
  description:
    'Creates a PgBouncer Pooler for a cluster: rw (primary), ro (replicas) or r (any instance). Clients connect to the Service named like the pooler.',
  input: z.object({
    cluster_name: s.clusterName,
    namespace: s.namespace,
    name: s.k8sName.optional().describe('Default <cluster>-pooler-<type>.'),
    type: z.enum(['rw', 'ro', 'r']).default('rw'),
    instances: z.number().int().min(1).max(10).default(1),
    pool_mode: z.enum(['session', 'transaction']).default('session'),
    parameters: z
      .record(z.string().regex(/^[a-z_]+$/, 'PgBouncer parameter names are lowercase'), s.oneLine(200))
      .optional()
      .describe('pgbouncer.ini, e.g. {"max_client_conn":"1000"}.'),
    dry_run: s.dryRun,
  }),
  output: changeOutput,
  annotations: ADDITIVE,
  async handler(input, ctx) {
    const { namespace } = ctx;
    await ctx.cnpg().get('cluster', namespace, input.cluster_name);
    const name = input.name ?? `${input.cluster_name}-pooler-${input.type}`;
    const manifest = buildPooler({ ...input, name, namespace, cluster: input.cluster_name });
    const data = await createObject(ctx, 'pooler', namespace, manifest, input.dry_run, 'create pooler');
    return {
      text: `${input.dry_run ? 'Would create' : 'Created'} pooler ${namespace}/${name} (${input.type}, ${input.pool_mode}) for ${input.cluster_name}.`,
      data,
    };
  },
});

export const deletePooler = defineTool({
  name: 'delete_postgres_pooler',
  title: 'Delete a pooler',
  description: 'Deletes a Pooler, disconnecting its clients; the cluster is untouched.',
  input: z.object({ name: s.k8sName, namespace: s.namespace, dry_run: s.dryRun }),
  output: changeOutput,
  annotations: DESTRUCTIVE,
  async handler(input, ctx) {
    const { namespace } = ctx;
    await ctx.cnpg().delete('pooler', namespace, input.name, { dryRun: input.dry_run });
    return {
      text: `${input.dry_run ? 'Would delete' : 'Deleted'} pooler ${namespace}/${input.name}.`,
      data: { name: input.name, namespace, action: 'delete pooler', dry_run: input.dry_run, changes: {} },
    };
  },
});

export const poolerTools = [listPoolers, createPooler, deletePooler];
