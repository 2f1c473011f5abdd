// Per-instance status the way `kubectl cnpg status` takes it (issue #15): each instance
// manager's /pg/status on port 8000, read through the API server's pods proxy
// (internal/plugin/resources/instance.go in the operator), and the same derivations its
// printInstancesStatus / printReplicaStatus / printWALArchivingStatus make
// (internal/cmd/plugin/status/status.go). An instance that does not answer says so and why; the
// rest of the status stands.
import type { V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import type { CnpgClient } from './client.js';
import { KubeError } from './errors.js';
import type { Cluster } from './types.js';

export const STATUS_PORT = 8000;
export const SKIP_WAL_ARCHIVING_ANNOTATION = 'cnpg.io/skipWalArchiving';
/** One slow instance must not hold the whole answer. */
const PER_INSTANCE_MS = 5_000;

/** The fields of the operator's PostgresqlStatus (pkg/postgres/status.go) used here. */
export interface PgStatus {
  currentLsn?: string;
  receivedLsn?: string;
  replayLsn?: string;
  isPrimary?: boolean;
  replayPaused?: boolean;
  pendingRestart?: boolean;
  /** cnpg.config_sha256 of the configuration PostgreSQL has loaded (pg_show_all_file_settings). */
  loadedConfigurationHash?: string;
  isWalReceiverActive?: boolean;
  isPgRewindRunning?: boolean;
  mightBeUnavailable?: boolean;
  isArchivingWAL?: boolean;
  lastArchivedWAL?: string;
  lastArchivedWALTime?: string;
  lastFailedWAL?: string;
  lastFailedWALTime?: string;
  readyWalFiles?: number;
  timeLineID?: number;
  instanceManagerVersion?: string;
  replicationInfo?: {
    applicationName?: string;
    state?: string;
    receivedLsn?: string; // the sent LSN: the operator's JSON name for SentLsn
    writeLsn?: string;
    flushLsn?: string;
    replayLsn?: string;
    writeLag?: string;
    flushLag?: string;
    replayLag?: string;
    syncState?: string;
  }[];
  /** pg_replication_slots as the instance manager reads it (probes.go). */
  replicationSlotsInfo?: { slotName?: string; slotType?: string; active?: boolean; restartLsn?: string; walStatus?: string }[];
}

export const instanceStatusShape = z.object({
  instance: z.string(),
  role: z.string().describe('As kubectl cnpg status says it: Primary, Standby (async|sync|potential sync|file based|starting up|paused), Fenced, Unknown.'),
  ready: z.boolean(),
  node: z.string().optional(),
  timeline: z.number().optional(),
  lsn: z.string().optional().describe('Current LSN on the primary, replay LSN on a standby.'),
  replication: z
    .object({
      state: z.string().optional(),
      sync_state: z.string().optional(),
      lag_bytes: z.number().optional().describe("Bytes between the primary's current LSN and this standby's replay LSN."),
      write_lag: z.string().optional(),
      flush_lag: z.string().optional(),
      replay_lag: z.string().optional(),
    })
    .optional()
    .describe("From the primary's pg_stat_replication row for this standby."),
  pending_restart: z.boolean().optional(),
  manager_version: z.string().optional(),
  error: z.string().optional().describe('Why this instance gave no status; the other fields are then what Kubernetes knows.'),
});
export type InstanceStatus = z.infer<typeof instanceStatusShape>;

export const walArchivingShape = z.object({
  status: z.enum(['OK', 'Failing', 'Starting up', 'Disabled', 'No primary answered']),
  ready_wal_files: z.number().optional(),
  last_archived_wal: z.string().optional(),
  last_archived_at: z.string().optional(),
  last_failed_wal: z.string().optional(),
  last_failed_at: z.string().optional(),
});
export type WalArchiving = z.infer<typeof walArchivingShape>;

export interface InstanceReport {
  instances: InstanceStatus[];
  wal_archiving: WalArchiving;
}

const podReady = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** As GetStatusSchemeFromPod: https when the postgres container was started with --status-port-tls. */
export function statusScheme(pod: V1Pod): 'http' | 'https' {
  const container = pod.spec?.containers.find((c) => c.name === 'postgres');
  return container?.command?.includes('--status-port-tls') ? 'https' : 'http';
}

/** "16/B374D848" → bytes; undefined when not an LSN. */
export function lsnBytes(lsn: string | undefined): bigint | undefined {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn ?? '');
  return m ? (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`) : undefined;
}

/** Why the instance manager gave no status, in words; classified by status code, not text. */
function whyNoAnswer(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof KubeError) {
    if (err.kind === 'forbidden') return "the server's identity may not get pods/proxy (RBAC), so the instance manager cannot be asked";
    if (err.kind === 'timeout') return `the instance manager did not answer within ${PER_INSTANCE_MS / 1000}s`;
    if (err.status === 503 || err.status === 502 || err.status === 500)
      return `the instance manager did not answer (HTTP ${err.status}): the pod is not running, or PostgreSQL is starting`;
    return `the instance manager did not answer${err.status ? ` (HTTP ${err.status})` : ''}: ${err.message}`;
  }
  return 'the instance manager answered with something that is not a status';
}

async function fetchStatus(client: CnpgClient, pod: V1Pod): Promise<PgStatus> {
  const namespace = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KubeError('timeout', 'no answer in time')), PER_INSTANCE_MS);
  });
  try {
    const body = await Promise.race([client.podProxyGet(namespace, name, statusScheme(pod), STATUS_PORT, 'pg/status'), deadline]);
    const parsed: unknown = typeof body === 'string' ? JSON.parse(body) : body;
    if (!parsed || typeof parsed !== 'object') throw new Error('not a status');
    return parsed as PgStatus;
  } finally {
    clearTimeout(timer);
  }
}

/** The role column of kubectl cnpg status (getReplicaRole). */
function roleOf(s: PgStatus, pod: V1Pod, primary: PgStatus | undefined): string {
  if (s.mightBeUnavailable) return 'Fenced';
  if (s.isPrimary) return 'Primary';
  if (!s.isWalReceiverActive) {
    if (podReady(pod)) return 'Standby (file based)';
    return s.isPgRewindRunning ? 'Standby (pg_rewind)' : 'Standby (starting up)';
  }
  if (s.replayPaused) return 'Standby (paused)';
  if (!primary) return 'Unknown';
  const row = primary.replicationInfo?.find((r) => r.applicationName === pod.metadata?.name && r.state === 'streaming');
  if (row?.syncState === 'sync' || row?.syncState === 'quorum') return 'Standby (sync)';
  if (row?.syncState === 'potential') return 'Standby (potential sync)';
  if (row?.syncState === 'async') return 'Standby (async)';
  return 'Unknown';
}

/** printWALArchivingStatus / getWalArchivingStatus, from the primary's answer. */
function walArchiving(cluster: Cluster, primary: PgStatus | undefined): WalArchiving {
  if (!primary) return { status: 'No primary answered' };
  const disabled = cluster.metadata.annotations?.[SKIP_WAL_ARCHIVING_ANNOTATION] === 'enabled';
  const status = disabled ? 'Disabled' : primary.isArchivingWAL ? 'OK' : primary.lastFailedWAL ? 'Failing' : 'Starting up';
  return {
    status,
    ready_wal_files: primary.readyWalFiles ?? 0,
    last_archived_wal: primary.lastArchivedWAL || undefined,
    last_archived_at: primary.lastArchivedWALTime || undefined,
    last_failed_wal: primary.lastFailedWAL || undefined,
    last_failed_at: primary.lastFailedWALTime || undefined,
  };
}

/** Builds the report from what each pod answered (a PgStatus) or why it did not (an error). */
export function describeInstances(cluster: Cluster, answers: InstanceAnswer[]): InstanceReport {
  const sorted = [...answers].sort((a, b) => (a.pod.metadata?.name ?? '').localeCompare(b.pod.metadata?.name ?? ''));
  // tryGetPrimaryInstance: the one that says it is primary, or that has standbys streaming from it.
  const primary = sorted.find((a) => a.status?.isPrimary || (a.status?.replicationInfo?.length ?? 0) > 0)?.status;
  const primaryLsn = lsnBytes(primary?.currentLsn);
  const instances = sorted.map(({ pod, status, error }): InstanceStatus => {
    const name = pod.metadata?.name ?? '';
    const base = { instance: name, ready: podReady(pod), node: pod.spec?.nodeName };
    if (!status)
      return {
        ...base,
        role: pod.metadata?.labels?.['cnpg.io/instanceRole'] === 'primary' ? 'Primary (from its label)' : 'Unknown',
        error: whyNoAnswer(error),
      };
    const lsn = status.isPrimary ? status.currentLsn : status.replayLsn;
    const row = status.isPrimary ? undefined : primary?.replicationInfo?.find((r) => r.applicationName === name);
    const replay = lsnBytes(status.replayLsn);
    return {
      ...base,
      role: roleOf(status, pod, primary),
      timeline: status.timeLineID,
      lsn: lsn || undefined,
      replication:
        status.isPrimary || (!row && replay === undefined)
          ? undefined
          : {
              state: row?.state,
              sync_state: row?.syncState,
              lag_bytes: primaryLsn !== undefined && replay !== undefined && primaryLsn >= replay ? Number(primaryLsn - replay) : undefined,
              write_lag: row?.writeLag || undefined,
              flush_lag: row?.flushLag || undefined,
              replay_lag: row?.replayLag || undefined,
            },
      pending_restart: status.pendingRestart ?? false,
      manager_version: status.instanceManagerVersion || undefined,
    };
  });
  return { instances, wal_archiving: walArchiving(cluster, primary) };
}

export interface InstanceAnswer {
  pod: V1Pod;
  status?: PgStatus;
  error?: unknown;
}

/** Every instance manager's own answer (or why there is none), in parallel. */
export async function readPgStatuses(client: CnpgClient, cluster: Cluster): Promise<InstanceAnswer[]> {
  const namespace = cluster.metadata.namespace ?? '';
  const pods = await client.listPods(namespace, `cnpg.io/cluster=${cluster.metadata.name},cnpg.io/podRole=instance`);
  return Promise.all(
    pods.map(async (pod) => {
      if (pod.status?.phase !== 'Running') return { pod, error: `the pod is ${pod.status?.phase ?? 'not running yet'}, so its instance manager cannot answer` };
      return fetchStatus(client, pod).then(
        (status) => ({ pod, status }),
        (error: unknown) => ({ pod, error }),
      );
    }),
  );
}

/** Asks every instance pod of `cluster` for its status, in parallel. */
export async function readInstances(client: CnpgClient, cluster: Cluster): Promise<InstanceReport> {
  return describeInstances(cluster, await readPgStatuses(client, cluster));
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Rows of the instance table: the columns kubectl cnpg status shows, plus lag and pending restart. */
export function instanceTableRows(report: InstanceReport): { columns: string[]; rows: string[][] } {
  const columns = ['Instance', 'Role', 'Ready', 'Timeline', 'LSN', 'Replication', 'Lag', 'Pending restart', 'Node'];
  const rows = report.instances.map((i) => {
    const r = i.replication;
    const lag = r
      ? [r.lag_bytes !== undefined ? bytes(r.lag_bytes) : undefined, r.replay_lag ? `replay ${r.replay_lag}` : undefined].filter(Boolean).join(', ')
      : '';
    return [
      i.instance,
      i.role,
      i.ready ? 'yes' : 'no',
      i.timeline === undefined ? '-' : String(i.timeline),
      i.lsn ?? '-',
      r ? [r.state, r.sync_state].filter(Boolean).join(' ') || '-' : '-',
      lag || '-',
      i.error ? '?' : i.pending_restart ? 'yes' : 'no',
      i.node ?? '-',
    ];
  });
  return { columns, rows };
}

export function walArchivingLine(w: WalArchiving): string {
  if (w.status === 'No primary answered') return 'WAL archiving: unknown (no primary instance answered)';
  const archived = w.last_archived_wal ? `${w.last_archived_wal} at ${w.last_archived_at ?? '?'}` : '-';
  const failed = w.last_failed_wal ? `${w.last_failed_wal} at ${w.last_failed_at ?? '?'}` : '-';
  return `WAL archiving: ${w.status}; WALs waiting: ${w.ready_wal_files ?? 0}; last archived: ${archived}; last failed: ${failed}`;
}
