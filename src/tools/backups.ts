// Backups (Backup objects) and scheduled backups (ScheduledBackup objects).
import { z } from 'zod';
import { buildBackup, buildScheduledBackup, rfc3339 } from '../cnpg/manifests.js';
import type { Cluster, CnpgObject } from '../cnpg/types.js';
import { ToolError } from '../kit/tool-error.js';
import { ADDITIVE, DESTRUCTIVE, READ_ONLY, defineTool } from '../kit/tool.js';
import { changeOutput } from './outputs.js';
import { createObject } from './change.js';
import * as s from './schemas.js';

const METHODS = ['barmanObjectStore', 'volumeSnapshot', 'plugin'] as const;
type Method = (typeof METHODS)[number];
const method = z.enum(METHODS).optional().describe("barman object store, CSI volume snapshots or a CNPG-I plugin; default: the cluster's.");

/** What the Cluster must have for each method, in the words of its spec. */
const NEEDS: Record<Method, string> = {
  barmanObjectStore: 'spec.backup.barmanObjectStore (an object store and its credentials)',
  volumeSnapshot: 'spec.backup.volumeSnapshot (a VolumeSnapshotClass)',
  plugin: 'spec.plugins with a backup plugin such as barman-cloud.cloudnative-pg.io',
};

/**
 * The method and plugin a Backup of `cluster` can use, or a refusal naming what the cluster
 * lacks: the operator would accept the Backup and then fail it (issue #12, item 7).
 */
function backupMethodFor(cluster: Cluster, requested: Method | undefined, pluginName: string | undefined): { method: Method; plugin_name?: string } {
  const plugins = (cluster.spec?.plugins as { name: string; enabled?: boolean }[] | undefined)?.filter((p) => p.enabled !== false).map((p) => p.name) ?? [];
  const configured = METHODS.filter((m) => (m === 'plugin' ? plugins.length > 0 : cluster.spec?.backup?.[m] !== undefined));
  const where = `${cluster.metadata.namespace}/${cluster.metadata.name}`;
  const supported = configured.length
    ? `It supports: ${configured.join(', ')}.`
    : `Configure one of: ${METHODS.map((m) => `${m} needs ${NEEDS[m]}`).join('; ')}.`;
  const chosen = requested ?? configured[0];
  if (!chosen) throw new ToolError(`cluster ${where} has no backup configuration`, supported);
  if (!configured.includes(chosen)) throw new ToolError(`cluster ${where} is not configured for ${chosen} backups: that needs ${NEEDS[chosen]}`, supported);
  if (chosen !== 'plugin') return { method: chosen };
  const plugin = pluginName ?? (plugins.length === 1 ? plugins[0] : undefined);
  if (!plugin || !plugins.includes(plugin)) throw new ToolError(`give plugin_name: one of the cluster's plugins (${plugins.join(', ')})`);
  return { method: chosen, plugin_name: plugin };
}
const backupOptions = {
  method,
  target: z.enum(['primary', 'prefer-standby']).optional().describe("Instance to back up from; default: the cluster's."),
  online: z.boolean().optional().describe('Hot (true) or cold (false; volumeSnapshot only).'),
  plugin_name: z
    .string()
    .max(253)
    .regex(/^[a-z0-9.-]+$/, 'a plugin name such as barman-cloud.cloudnative-pg.io')
    .optional()
    .describe('Plugin name when method=plugin.'),
};

const backupShape = z.object({
  name: z.string(),
  namespace: z.string(),
  cluster: z.string().optional(),
  method: z.string().optional(),
  phase: z.string().optional(),
  started_at: z.string().optional(),
  stopped_at: z.string().optional(),
  error: z.string().optional(),
});

type Backup = CnpgObject<{ cluster?: { name?: string }; method?: string }, { phase?: string; startedAt?: string; stoppedAt?: string; error?: string }>;

function summariseBackup(b: Backup): z.infer<typeof backupShape> {
  return {
    name: b.metadata.name,
    namespace: b.metadata.namespace ?? '',
    cluster: b.spec?.cluster?.name,
    method: b.spec?.method,
    phase: b.status?.phase ?? 'pending (not picked up yet)',
    started_at: b.status?.startedAt,
    stopped_at: b.status?.stoppedAt,
    error: b.status?.error,
  };
}
const backupLine = (b: z.infer<typeof backupShape>) =>
  `${b.name} (cluster ${b.cluster ?? '?'}, ${b.method ?? 'default'}): ${b.phase}${b.error ? ` — ${b.error}` : ''}`;

export const listBackups = defineTool({
  name: 'list_postgres_backups',
  title: 'List backups',
  description: 'Lists Backups (on-demand and scheduled) with their phase, newest first; optionally of one cluster.',
  input: z.object({ namespace: s.namespace, cluster_name: s.clusterName.optional(), format: s.format, limit: s.limit }),
  output: z.object({ backups: z.array(backupShape), count: z.number() }),
  annotations: READ_ONLY,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const all = await ctx.cnpg().list<Backup>('backup', namespace);
    const mine = all.filter((b) => !input.cluster_name || b.spec?.cluster?.name === input.cluster_name);
    mine.sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
    const backups = mine.slice(0, input.limit).map(summariseBackup);
    return { text: backups.length ? backups.map(backupLine).join('\n') : `No backups in ${namespace}.`, data: { backups, count: mine.length } };
  },
});

export const getBackup = defineTool({
  name: 'get_postgres_backup',
  title: 'Get a backup',
  description: "One Backup: phase, timing, error and the operator's full status.",
  input: z.object({ name: s.k8sName, namespace: s.namespace, format: s.format }),
  output: backupShape.extend({ status: z.record(z.string(), z.unknown()) }),
  annotations: READ_ONLY,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const backup = await ctx.cnpg().get<Backup>('backup', namespace, input.name);
    const summary = summariseBackup(backup);
    return { text: backupLine(summary), data: { ...summary, status: (backup.status ?? {}) as Record<string, unknown> } };
  },
});

export const createBackup = defineTool({
  name: 'create_postgres_backup',
  title: 'Take a backup now',
  description: 'Starts an on-demand Backup with a method the cluster has configured (spec.backup or a plugin). Follow it with get_postgres_backup.',
  input: z.object({
    cluster_name: s.clusterName,
    namespace: s.namespace,
    backup_name: s.k8sName.optional().describe('Default <cluster>-<timestamp>.'),
    ...backupOptions,
    dry_run: s.dryRun,
  }),
  output: changeOutput,
  annotations: ADDITIVE,
  async handler(input, ctx) {
    const { namespace } = ctx;
    // Fresh from the API, not the cache: the backup method this write is decided on may have just been set. Also a clear 404 for an unknown cluster.
    const cluster = await ctx.cnpg().get<Cluster>('cluster', namespace, input.cluster_name, { fresh: true });
    const chosen = backupMethodFor(cluster, input.method, input.plugin_name);
    const name =
      input.backup_name ??
      `${input.cluster_name}-${rfc3339()
        .replace(/[-:TZ]/g, '')
        .slice(0, 14)}`;
    const manifest = buildBackup({ ...input, ...chosen, cluster: input.cluster_name, name, namespace });
    const data = await createObject(ctx, 'backup', namespace, manifest, input.dry_run, 'create backup');
    return { text: `${input.dry_run ? 'Would request' : 'Requested'} backup ${namespace}/${name} of cluster ${input.cluster_name} (${chosen.method}).`, data };
  },
});

const scheduledShape = z.object({
  name: z.string(),
  cluster: z.string().optional(),
  schedule: z.string().optional(),
  suspended: z.boolean(),
  last_schedule_time: z.string().optional(),
  next_schedule_time: z.string().optional(),
});
type Scheduled = CnpgObject<{ cluster?: { name?: string }; schedule?: string; suspend?: boolean }, { lastScheduleTime?: string; nextScheduleTime?: string }>;

export const listScheduledBackups = defineTool({
  name: 'list_scheduled_backups',
  title: 'List scheduled backups',
  description: 'Lists ScheduledBackups: schedule, suspension, last and next run.',
  input: z.object({ namespace: s.namespace, cluster_name: s.clusterName.optional(), format: s.format }),
  output: z.object({ scheduled_backups: z.array(scheduledShape) }),
  annotations: READ_ONLY,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const items = (await ctx.cnpg().list<Scheduled>('scheduledBackup', namespace)).filter(
      (b) => !input.cluster_name || b.spec?.cluster?.name === input.cluster_name,
    );
    const scheduled = items.map((b) => ({
      name: b.metadata.name,
      cluster: b.spec?.cluster?.name,
      schedule: b.spec?.schedule,
      suspended: b.spec?.suspend === true,
      last_schedule_time: b.status?.lastScheduleTime,
      next_schedule_time: b.status?.nextScheduleTime,
    }));
    const lines = scheduled.map(
      (b) => `${b.name}: "${b.schedule}" for ${b.cluster}${b.suspended ? ' (suspended)' : ''}${b.next_schedule_time ? `, next ${b.next_schedule_time}` : ''}`,
    );
    return { text: lines.length ? lines.join('\n') : `No scheduled backups in ${namespace}.`, data: { scheduled_backups: scheduled } };
  },
});

export const createScheduledBackup = defineTool({
  name: 'create_scheduled_backup',
  title: 'Schedule backups',
  description: 'Creates a ScheduledBackup: a Backup on each tick of a six-field cron, seconds first ("0 0 2 * * *" = daily at 02:00).',
  input: z.object({
    cluster_name: s.clusterName,
    namespace: s.namespace,
    name: s.k8sName.describe('ScheduledBackup name.'),
    schedule: s.sixFieldCron,
    suspend: z.boolean().optional(),
    immediate: z.boolean().optional().describe('Also take one backup right away.'),
    backup_owner_reference: z.enum(['none', 'self', 'cluster']).optional().describe('Owner of the Backups it creates.'),
    ...backupOptions,
    dry_run: s.dryRun,
  }),
  output: changeOutput,
  annotations: ADDITIVE,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const cluster = await ctx.cnpg().get<Cluster>('cluster', namespace, input.cluster_name, { fresh: true }); // as create_postgres_backup
    const chosen = backupMethodFor(cluster, input.method, input.plugin_name);
    const manifest = buildScheduledBackup({ ...input, ...chosen, schedule: input.schedule.trim(), cluster: input.cluster_name, namespace });
    const data = await createObject(ctx, 'scheduledBackup', namespace, manifest, input.dry_run, 'create scheduled backup');
    return {
      text: `${input.dry_run ? 'Would schedule' : 'Scheduled'} backups of ${input.cluster_name} as ${namespace}/${input.name} ("${input.schedule.trim()}").`,
      data,
    };
  },
});

export const deleteScheduledBackup = defineTool({
  name: 'delete_scheduled_backup',
  title: 'Delete a backup schedule',
  description: 'Deletes a ScheduledBackup: no more backups on its schedule. Its backups stay unless it owns them (backup_owner_reference=self).',
  input: z.object({ name: s.k8sName, namespace: s.namespace, dry_run: s.dryRun }),
  output: changeOutput,
  annotations: DESTRUCTIVE,
  async handler(input, ctx) {
    const { namespace } = ctx;
    await ctx.cnpg().delete('scheduledBackup', namespace, input.name, { dryRun: input.dry_run });
    return {
      text: `${input.dry_run ? 'Would delete' : 'Deleted'} scheduled backup ${namespace}/${input.name}.`,
      data: { name: input.name, namespace, action: 'delete scheduled backup', dry_run: input.dry_run, changes: {} },
    };
  },
});

export const backupTools = [listBackups, getBackup, createBackup, listScheduledBackups, createScheduledBackup, deleteScheduledBackup];
