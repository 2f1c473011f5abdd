// Builders from tool input to CloudNativePG objects (docs/cnpg-facts.md, "Operations").
// Pure functions: unit-tested in spec/cnpg/manifests.spec.ts.
import type { V1Secret } from '@kubernetes/client-node';
import { randomInt } from 'node:crypto';
import { ROLE_ATTRIBUTES, type ClusterSpec, type CnpgObject, type ManagedRole } from './types.js';

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'cnpg-mcp' };
/** Image repository CloudNativePG publishes its PostgreSQL operand images to. */
export const POSTGRES_IMAGE_REPOSITORY = 'ghcr.io/cloudnative-pg/postgresql';

export interface ClusterInput {
  name: string;
  namespace: string;
  instances: number;
  storage_size: string;
  storage_class?: string;
  postgres_version?: number;
  image?: string;
  database?: string;
  owner?: string;
  parameters?: Record<string, string>;
  cpu?: string;
  memory?: string;
  image_pull_policy?: 'Always' | 'IfNotPresent' | 'Never';
  node_selector?: Record<string, string>;
  tolerations?: TolerationInput[];
  affinity?: AffinityInput;
}

export interface TolerationInput {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  toleration_seconds?: number;
}

/** The scheduling part of CloudNativePG's spec.affinity (AffinityConfiguration in api/v1). */
export interface AffinityInput {
  enable_pod_anti_affinity?: boolean;
  topology_key?: string;
  pod_anti_affinity_type?: 'preferred' | 'required';
  /** A Kubernetes NodeAffinity, passed as it is (the API server validates it). */
  node_affinity?: Record<string, unknown>;
}

/**
 * spec.affinity: CloudNativePG takes node selector and tolerations inside it, not at the top of
 * the spec as a Pod does; undefined when nothing was asked.
 */
function clusterAffinity(input: ClusterInput): Record<string, unknown> | undefined {
  const a = input.affinity ?? {};
  const out: Record<string, unknown> = {
    ...(a.enable_pod_anti_affinity !== undefined ? { enablePodAntiAffinity: a.enable_pod_anti_affinity } : {}),
    ...(a.topology_key ? { topologyKey: a.topology_key } : {}),
    ...(a.pod_anti_affinity_type ? { podAntiAffinityType: a.pod_anti_affinity_type } : {}),
    ...(a.node_affinity ? { nodeAffinity: a.node_affinity } : {}),
    ...(input.node_selector && Object.keys(input.node_selector).length ? { nodeSelector: input.node_selector } : {}),
    ...(input.tolerations?.length
      ? {
          tolerations: input.tolerations.map(({ toleration_seconds, ...t }) => ({
            ...t,
            ...(toleration_seconds !== undefined ? { tolerationSeconds: toleration_seconds } : {}),
          })),
        }
      : {}),
  };
  return Object.keys(out).length ? out : undefined;
}

export function buildCluster(input: ClusterInput): Omit<CnpgObject<ClusterSpec>, 'apiVersion' | 'kind'> {
  const spec: ClusterSpec = {
    instances: input.instances,
    storage: { size: input.storage_size, ...(input.storage_class ? { storageClass: input.storage_class } : {}) },
  };
  // An explicit image wins; a major version maps to the operand image of that major.
  if (input.image) spec.imageName = input.image;
  else if (input.postgres_version) spec.imageName = `${POSTGRES_IMAGE_REPOSITORY}:${input.postgres_version}`;
  if (input.image_pull_policy) spec.imagePullPolicy = input.image_pull_policy;
  const affinity = clusterAffinity(input);
  if (affinity) spec.affinity = affinity;
  if (input.database || input.owner) {
    spec.bootstrap = { initdb: { database: input.database ?? 'app', owner: input.owner ?? input.database ?? 'app' } };
  }
  if (input.parameters && Object.keys(input.parameters).length) spec.postgresql = { parameters: input.parameters };
  if (input.cpu || input.memory) {
    const amounts = { ...(input.cpu ? { cpu: input.cpu } : {}), ...(input.memory ? { memory: input.memory } : {}) };
    // Requests = limits gives Guaranteed QoS, what CloudNativePG recommends for databases.
    spec.resources = { requests: amounts, limits: amounts };
  }
  return { metadata: { name: input.name, namespace: input.namespace, labels: { ...MANAGED_BY } }, spec };
}

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/**
 * A random password from an unambiguous alphabet, generated server-side, never echoed.
 * crypto.randomInt draws each character uniformly (it rejects biased values itself).
 */
export function generatePassword(length = 32): string {
  return Array.from({ length }, () => PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)]).join('');
}

export function roleSecretName(cluster: string, role: string): string {
  return `${cluster}-role-${role.replace(/_/g, '-')}`.slice(0, 253);
}

/** The kubernetes.io/basic-auth Secret CloudNativePG reads a managed role's password from. */
export function buildRoleSecret(namespace: string, cluster: string, role: string, password: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/basic-auth',
    metadata: {
      name: roleSecretName(cluster, role),
      namespace,
      // cnpg.io/reload makes the operator pick up password changes without a restart.
      labels: { ...MANAGED_BY, 'cnpg.io/cluster': cluster, 'cnpg.io/reload': 'true' },
    },
    stringData: { username: role, password },
  };
}

/** A role's attributes as the tools name them (the Python server's names), typed by ROLE_ATTRIBUTES. */
export type RoleAttributes = { [K in keyof typeof ROLE_ATTRIBUTES]?: ManagedRole[(typeof ROLE_ATTRIBUTES)[K]] };

/** Maps tool attribute names to spec.managed.roles[] fields (only the ones given). */
export function roleFields(attrs: RoleAttributes): Partial<ManagedRole> {
  const out: Record<string, unknown> = {};
  for (const [arg, field] of Object.entries(ROLE_ATTRIBUTES)) {
    const value = attrs[arg as keyof RoleAttributes];
    if (value !== undefined) out[field] = value;
  }
  return out as Partial<ManagedRole>;
}

export interface DatabaseInput {
  namespace: string;
  cluster: string;
  database: string;
  owner: string;
  reclaim_policy: 'retain' | 'delete';
  extensions?: string[];
  schemas?: string[];
  /** CREATE DATABASE's ENCODING, LOCALE and TEMPLATE: fixed once the database exists. */
  encoding?: string;
  locale?: string;
  template?: string;
}

/** Database object names must be RFC 1123; PostgreSQL names may hold '_'. */
export function databaseObjectName(cluster: string, database: string): string {
  return `${cluster}-${database.replace(/_/g, '-')}`;
}

export function buildDatabase(input: DatabaseInput): Omit<CnpgObject, 'apiVersion' | 'kind'> {
  return {
    metadata: {
      name: databaseObjectName(input.cluster, input.database),
      namespace: input.namespace,
      labels: { ...MANAGED_BY, 'cnpg.io/cluster': input.cluster },
    },
    spec: {
      cluster: { name: input.cluster },
      name: input.database,
      owner: input.owner,
      ensure: 'present',
      databaseReclaimPolicy: input.reclaim_policy,
      ...(input.encoding ? { encoding: input.encoding } : {}),
      ...(input.locale ? { locale: input.locale } : {}),
      ...(input.template ? { template: input.template } : {}),
      ...(input.extensions?.length ? { extensions: input.extensions.map((name) => ({ name, ensure: 'present' })) } : {}),
      ...(input.schemas?.length ? { schemas: input.schemas.map((name) => ({ name, owner: input.owner, ensure: 'present' })) } : {}),
    },
  };
}

export type BackupMethod = 'barmanObjectStore' | 'volumeSnapshot' | 'plugin';

export interface BackupInput {
  namespace: string;
  cluster: string;
  name: string;
  method: BackupMethod;
  target?: 'primary' | 'prefer-standby';
  online?: boolean;
  plugin_name?: string;
}

function backupMethodFields(input: Omit<BackupInput, 'name' | 'namespace'>): Record<string, unknown> {
  return {
    cluster: { name: input.cluster },
    method: input.method,
    ...(input.target ? { target: input.target } : {}),
    ...(input.online !== undefined ? { online: input.online } : {}),
    ...(input.method === 'plugin' && input.plugin_name ? { pluginConfiguration: { name: input.plugin_name } } : {}),
  };
}

export function buildBackup(input: BackupInput): Omit<CnpgObject, 'apiVersion' | 'kind'> {
  return {
    metadata: { name: input.name, namespace: input.namespace, labels: { ...MANAGED_BY, 'cnpg.io/cluster': input.cluster } },
    spec: backupMethodFields(input),
  };
}

export interface ScheduledBackupInput extends BackupInput {
  schedule: string;
  suspend?: boolean;
  immediate?: boolean;
  backup_owner_reference?: 'none' | 'self' | 'cluster';
}

export function buildScheduledBackup(input: ScheduledBackupInput): Omit<CnpgObject, 'apiVersion' | 'kind'> {
  return {
    metadata: { name: input.name, namespace: input.namespace, labels: { ...MANAGED_BY, 'cnpg.io/cluster': input.cluster } },
    spec: {
      ...backupMethodFields(input),
      schedule: input.schedule,
      ...(input.suspend !== undefined ? { suspend: input.suspend } : {}),
      ...(input.immediate !== undefined ? { immediate: input.immediate } : {}),
      ...(input.backup_owner_reference ? { backupOwnerReference: input.backup_owner_reference } : {}),
    },
  };
}

export interface PoolerInput {
  namespace: string;
  cluster: string;
  name: string;
  type: 'rw' | 'ro' | 'r';
  instances: number;
  pool_mode: 'session' | 'transaction';
  parameters?: Record<string, string>;
}

export function buildPooler(input: PoolerInput): Omit<CnpgObject, 'apiVersion' | 'kind'> {
  return {
    metadata: { name: input.name, namespace: input.namespace, labels: { ...MANAGED_BY, 'cnpg.io/cluster': input.cluster } },
    spec: {
      cluster: { name: input.cluster },
      type: input.type,
      instances: input.instances,
      pgbouncer: { poolMode: input.pool_mode, ...(input.parameters ? { parameters: input.parameters } : {}) },
    },
  };
}

/** RFC 3339 timestamp without milliseconds, as kubectl cnpg writes its annotations. */
export function rfc3339(now = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
