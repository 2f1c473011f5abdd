// Databases as CloudNativePG Database objects (the operator's declarative database management).
import { z } from 'zod';
import { buildDatabase } from '../cnpg/manifests.js';
import type { CnpgObject } from '../cnpg/types.js';
import { ToolError } from '../kit/tool-error.js';
import { ADDITIVE, ADDITIVE_IDEMPOTENT, DESTRUCTIVE, READ_ONLY, defineTool, type ToolContext } from '../kit/tool.js';
import { change, createObject } from './change.js';
import { changeOutput } from './outputs.js';
import * as s from './schemas.js';

type Database = CnpgObject<
  { cluster?: { name?: string }; name?: string; owner?: string; ensure?: string; databaseReclaimPolicy?: string },
  { applied?: boolean; message?: string }
>;

const databaseShape = z.object({
  object_name: z.string(),
  database: z.string(),
  owner: z.string().optional(),
  ensure: z.string(),
  reclaim_policy: z.string(),
  applied: z.boolean().optional(),
  message: z.string().optional(),
});

const reclaimPolicy = z.enum(['retain', 'delete']).describe("When the object is deleted: 'retain' keeps the database, 'delete' drops it.");

async function databasesOf(ctx: ToolContext, namespace: string, cluster: string): Promise<Database[]> {
  return (await ctx.cnpg().list<Database>('database', namespace)).filter((d) => d.spec?.cluster?.name === cluster);
}

async function findDatabase(ctx: ToolContext, namespace: string, cluster: string, database: string): Promise<Database> {
  const all = await databasesOf(ctx, namespace, cluster);
  const found = all.find((d) => d.spec?.name === database);
  if (!found) {
    throw new ToolError(
      `no Database object for "${database}" on cluster ${namespace}/${cluster}`,
      `Managed databases: ${all.map((d) => d.spec?.name).join(', ') || 'none'}.`,
    );
  }
  return found;
}

export const listDatabases = defineTool({
  name: 'list_postgres_databases',
  title: 'List databases',
  description: "Lists a cluster's declarative databases (Database objects): owner, reclaim policy, applied or not.",
  input: z.object({ cluster_name: s.clusterName, namespace: s.namespace, format: s.format }),
  output: z.object({ databases: z.array(databaseShape) }),
  annotations: READ_ONLY,
  async handler(input, ctx) {
    const items = await databasesOf(ctx, ctx.namespace, input.cluster_name);
    const databases = items.map((d) => ({
      object_name: d.metadata.name,
      database: d.spec?.name ?? '',
      owner: d.spec?.owner,
      ensure: d.spec?.ensure ?? 'present',
      reclaim_policy: d.spec?.databaseReclaimPolicy ?? 'retain',
      applied: d.status?.applied,
      message: d.status?.message,
    }));
    const lines = databases.map(
      (d) =>
        `${d.database} (owner ${d.owner}, ${d.ensure}, reclaim ${d.reclaim_policy})${d.applied === undefined ? ' — not applied yet' : d.applied ? ' — applied' : ` — failed: ${d.message ?? ''}`}`,
    );
    return { text: lines.length ? lines.join('\n') : `No Database objects for cluster ${input.cluster_name}.`, data: { databases } };
  },
});

export const createDatabase = defineTool({
  name: 'create_postgres_database',
  title: 'Create a database',
  description: 'Creates a database (Database object) owned by an existing role, with optional extensions and schemas.',
  input: z.object({
    cluster_name: s.clusterName,
    database_name: s.pgIdentifier,
    owner: s.pgIdentifier.describe('Role that owns the database; it must exist.'),
    namespace: s.namespace,
    reclaim_policy: reclaimPolicy.default('retain'),
    extensions: z.array(s.pgIdentifier).max(50).optional(),
    schemas: z.array(s.pgIdentifier).max(50).optional(),
    encoding: z
      .string()
      .max(30)
      .regex(/^[A-Za-z0-9_-]+$/, 'an encoding name such as UTF8 or LATIN1')
      .optional()
      .describe('ENCODING, e.g. UTF8; fixed once created.'),
    locale: z
      .string()
      .max(100)
      .regex(/^[A-Za-z0-9_.@-]+$/, 'a locale name such as C, C.UTF-8 or en_US.UTF-8')
      .optional()
      .describe('LOCALE, e.g. en_US.UTF-8; fixed once created.'),
    template: s.pgIdentifier.optional().describe('Database to copy; template0 when encoding or locale differ from template1.'),
    dry_run: s.dryRun,
  }),
  output: changeOutput,
  annotations: ADDITIVE,
  async handler(input, ctx) {
    const { namespace } = ctx;
    await ctx.cnpg().get('cluster', namespace, input.cluster_name);
    const manifest = buildDatabase({ ...input, namespace, cluster: input.cluster_name, database: input.database_name });
    const data = await createObject(ctx, 'database', namespace, manifest, input.dry_run, 'create database');
    return {
      text: `${input.dry_run ? 'Would create' : 'Created'} database ${input.database_name} (owner ${input.owner}) on ${namespace}/${input.cluster_name}.`,
      data,
    };
  },
});

export const updateDatabase = defineTool({
  name: 'update_postgres_database',
  title: 'Update a database',
  description: "Changes a managed database's owner or reclaim policy; only the fields given change.",
  input: z.object({
    cluster_name: s.clusterName,
    database_name: s.pgIdentifier,
    namespace: s.namespace,
    owner: s.pgIdentifier.optional(),
    reclaim_policy: reclaimPolicy.optional(),
    dry_run: s.dryRun,
  }),
  output: changeOutput,
  annotations: ADDITIVE_IDEMPOTENT,
  async handler(input, ctx) {
    if (!input.owner && !input.reclaim_policy) throw new ToolError('nothing to change: give owner and/or reclaim_policy');
    const { namespace } = ctx;
    const db = await findDatabase(ctx, namespace, input.cluster_name, input.database_name);
    const spec = { ...(input.owner ? { owner: input.owner } : {}), ...(input.reclaim_policy ? { databaseReclaimPolicy: input.reclaim_policy } : {}) };
    const result = await change(ctx, 'database', namespace, db.metadata.name, { spec }, input.dry_run, 'update database');
    return { text: `${input.dry_run ? 'Would update' : 'Updated'} database ${input.database_name}.`, data: result };
  },
});

export const deleteDatabase = defineTool({
  name: 'delete_postgres_database',
  title: 'Delete a database',
  description:
    "Deletes the Database object. Reclaim policy 'delete': the operator drops the database and its data; 'retain': it stays in PostgreSQL, unmanaged. drop=true switches the policy to delete first.",
  input: z.object({
    cluster_name: s.clusterName,
    database_name: s.pgIdentifier,
    namespace: s.namespace,
    drop: z.boolean().default(false).describe('Also drop the database in PostgreSQL (destroys its data).'),
    dry_run: s.dryRun,
  }),
  output: changeOutput,
  annotations: DESTRUCTIVE,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const db = await findDatabase(ctx, namespace, input.cluster_name, input.database_name);
    if (input.drop)
      await change(ctx, 'database', namespace, db.metadata.name, { spec: { databaseReclaimPolicy: 'delete' } }, input.dry_run, 'set reclaim policy');
    await ctx.cnpg().delete('database', namespace, db.metadata.name, { dryRun: input.dry_run });
    const policy = input.drop ? 'delete' : (db.spec?.databaseReclaimPolicy ?? 'retain');
    return {
      text: `${input.dry_run ? 'Would delete' : 'Deleted'} Database ${db.metadata.name}; ${policy === 'delete' ? 'the operator drops the database.' : 'the database itself is retained.'}`,
      data: { name: db.metadata.name, namespace, action: 'delete database', dry_run: input.dry_run, changes: { reclaim_policy: policy } },
    };
  },
});

export const databaseTools = [listDatabases, createDatabase, updateDatabase, deleteDatabase];
