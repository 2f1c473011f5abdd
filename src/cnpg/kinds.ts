// The only place that knows CloudNativePG's group, version and plural names
// (docs/cnpg-facts.md, "API"). Everything else refers to kinds by their key.
export const CNPG_GROUP = 'postgresql.cnpg.io';
export const CNPG_VERSION = 'v1';

export const CNPG_KINDS = {
  cluster: { kind: 'Cluster', plural: 'clusters' },
  backup: { kind: 'Backup', plural: 'backups' },
  scheduledBackup: { kind: 'ScheduledBackup', plural: 'scheduledbackups' },
  pooler: { kind: 'Pooler', plural: 'poolers' },
  database: { kind: 'Database', plural: 'databases' },
  // New in operator 1.30: one object per role, beside spec.managed.roles (issue #12, item 8).
  databaseRole: { kind: 'DatabaseRole', plural: 'databaseroles' },
} as const;

export type CnpgKind = keyof typeof CNPG_KINDS;

export const API_VERSION = `${CNPG_GROUP}/${CNPG_VERSION}`;

/** Label the operator puts on every pod, service and PVC of a cluster. */
export const CLUSTER_LABEL = 'cnpg.io/cluster';
/** Label the operator puts on instance pods: "primary" or "replica". */
export const INSTANCE_ROLE_LABEL = 'cnpg.io/instanceRole';
