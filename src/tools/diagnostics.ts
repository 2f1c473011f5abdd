// Diagnostics: events, logs and connection details of a cluster.
import { z } from 'zod';
import { CLUSTER_LABEL, INSTANCE_ROLE_LABEL } from '../cnpg/kinds.js';
import type { Cluster } from '../cnpg/types.js';
import { ToolError } from '../kit/tool-error.js';
import { READ_ONLY, defineTool } from '../kit/tool.js';
import * as s from './schemas.js';

const eventShape = z.object({
  time: z.string().optional(),
  type: z.string().optional(),
  reason: z.string().optional(),
  object: z.string(),
  message: z.string().optional(),
  count: z.number().optional(),
});

export const getEvents = defineTool({
  name: 'get_cluster_events',
  title: 'Get cluster events',
  description: 'Recent Kubernetes events of a cluster and its pods, volumes and jobs, newest first. Use it when a cluster is stuck or unhealthy.',
  input: z.object({ name: s.clusterName, namespace: s.namespace, warnings_only: z.boolean().default(false), format: s.format, limit: s.limit.default(50) }),
  output: z.object({ events: z.array(eventShape), count: z.number() }),
  annotations: READ_ONLY,
  async handler(input, ctx) {
    const { namespace } = ctx;
    await ctx.cnpg().get('cluster', namespace, input.name);
    const all = await ctx.cnpg().listEvents(namespace);
    const related = all.filter((e) => {
      const obj = e.involvedObject?.name ?? '';
      return (obj === input.name || obj.startsWith(`${input.name}-`)) && (!input.warnings_only || e.type === 'Warning');
    });
    const when = (e: (typeof all)[number]) => String(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '');
    related.sort((a, b) => new Date(when(b)).getTime() - new Date(when(a)).getTime());
    const events = related.slice(0, input.limit).map((e) => ({
      time: when(e) ? new Date(when(e)).toISOString() : undefined,
      type: e.type,
      reason: e.reason,
      object: `${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}`,
      message: e.message,
      count: e.count,
    }));
    const lines = events.map((e) => `${e.time ?? ''} ${e.type ?? ''} ${e.reason ?? ''} ${e.object}: ${e.message ?? ''}`);
    return { text: lines.length ? lines.join('\n') : `No events for cluster ${namespace}/${input.name}.`, data: { events, count: related.length } };
  },
});

const MAX_LOG_BYTES = 512 * 1024;

export const getLogs = defineTool({
  name: 'get_cluster_logs',
  title: 'Get cluster logs',
  description: 'PostgreSQL logs (JSON lines) of one instance or all: the last tail_lines, optionally only the last since_seconds; size-bounded.',
  input: z.object({
    name: s.clusterName,
    namespace: s.namespace,
    instance: s.k8sName.optional().describe('Instance (pod); all when omitted.'),
    tail_lines: z.number().int().min(1).max(5000).default(100),
    since_seconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 86400)
      .optional(),
    max_bytes: z
      .number()
      .int()
      .min(1024)
      .max(MAX_LOG_BYTES)
      .default(64 * 1024)
      .describe('Most bytes read per instance.'),
  }),
  output: z.object({ logs: z.array(z.object({ instance: z.string(), role: z.string().optional(), text: z.string() })) }),
  annotations: READ_ONLY,
  async handler(input, ctx) {
    const { namespace } = ctx;
    await ctx.cnpg().get('cluster', namespace, input.name);
    const pods = (await ctx.cnpg().listPods(namespace, `${CLUSTER_LABEL}=${input.name}`)).filter(
      (p) => p.metadata?.labels?.[INSTANCE_ROLE_LABEL] && (!input.instance || p.metadata?.name === input.instance),
    );
    if (!pods.length)
      throw new ToolError(
        `no instance pods of ${namespace}/${input.name}${input.instance ? ` named ${input.instance}` : ''} exist`,
        'Check get_cluster_status: the cluster may be hibernated or still being created.',
      );
    const opts = { container: 'postgres', tailLines: input.tail_lines, sinceSeconds: input.since_seconds, limitBytes: input.max_bytes };
    const logs = await Promise.all(
      pods.map(async (p) => ({
        instance: p.metadata!.name!,
        role: p.metadata?.labels?.[INSTANCE_ROLE_LABEL],
        text: await ctx.cnpg().podLog(namespace, p.metadata!.name!, opts),
      })),
    );
    return { text: logs.map((l) => `=== ${l.instance} (${l.role ?? '?'}) ===\n${l.text}`).join('\n'), data: { logs } };
  },
});

export const getConnectionInfo = defineTool({
  name: 'get_connection_info',
  title: 'Get connection details',
  description:
    'How applications connect: read-write, read-only and any-instance Services, port, database, and the Secrets with credentials. Credentials only with include_credentials=true; ask the user first.',
  input: z.object({ name: s.clusterName, namespace: s.namespace, include_credentials: z.boolean().default(false) }),
  output: z.object({
    services: z.object({ read_write: z.string(), read_only: z.string(), read: z.string() }),
    port: z.number(),
    database: z.string(),
    app_secret: z.string(),
    superuser_secret: z.string().optional(),
    credentials: z.object({ username: z.string(), password: z.string(), uri: z.string().optional() }).optional(),
  }),
  annotations: READ_ONLY,
  async handler(input, ctx) {
    if (input.include_credentials && ctx.credentialsRefusal)
      throw new ToolError(
        `include_credentials=true is refused: ${ctx.credentialsRefusal}`,
        'Call it without include_credentials: the answer names the Secret that holds them.',
      );
    const { namespace } = ctx;
    const cluster = await ctx.cnpg().get<Cluster>('cluster', namespace, input.name);
    const fqdn = (svc: string) => `${svc}.${namespace}.svc`;
    const services = { read_write: fqdn(`${input.name}-rw`), read_only: fqdn(`${input.name}-ro`), read: fqdn(`${input.name}-r`) };
    const database = cluster.spec?.bootstrap?.initdb?.database ?? 'app';
    const superuser = cluster.spec?.enableSuperuserAccess === true ? `${input.name}-superuser` : undefined;
    const data = { services, port: 5432, database, app_secret: `${input.name}-app`, superuser_secret: superuser } as Record<string, unknown> & {
      credentials?: { username: string; password: string; uri?: string };
    };
    if (input.include_credentials) {
      const secret = await ctx.cnpg().getSecret(namespace, `${input.name}-app`);
      const field = (k: string) => (secret.data?.[k] ? Buffer.from(secret.data[k], 'base64').toString('utf8') : '');
      data.credentials = { username: field('username'), password: field('password'), uri: field('uri') || undefined };
    }
    const text = [
      `read-write: ${services.read_write}:5432   read-only: ${services.read_only}:5432   any: ${services.read}:5432`,
      `database: ${database}; credentials in Secret ${namespace}/${input.name}-app${superuser ? `; superuser in ${superuser}` : ''}`,
      data.credentials
        ? `username: ${data.credentials.username} (password included in the structured result)`
        : 'Credentials not included (include_credentials=false).',
    ].join('\n');
    return { text, data: data as never };
  },
});

export const diagnosticTools = [getEvents, getLogs, getConnectionInfo];
