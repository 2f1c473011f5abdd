// The parts of CloudNativePG objects this server reads or writes (api/v1 of operator 1.30).
// Unknown fields pass through untouched: these types describe, they do not restrict.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  creationTimestamp?: string;
  uid?: string;
  [key: string]: unknown;
}

export interface CnpgObject<Spec = Record<string, unknown>, Status = Record<string, unknown>> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
  status?: Status;
}

/**
 * Every role attribute, once: the tool argument's name → its spec.managed.roles[] (and
 * DatabaseRole spec) field. The tools' input schema must name exactly these (src/tools/roles.ts).
 */
export const ROLE_ATTRIBUTES = {
  login: 'login',
  superuser: 'superuser',
  inherit: 'inherit',
  createdb: 'createdb',
  createrole: 'createrole',
  replication: 'replication',
  bypassrls: 'bypassrls',
  connection_limit: 'connectionLimit',
  in_roles: 'inRoles',
  comment: 'comment',
  valid_until: 'validUntil',
  disable_password: 'disablePassword',
} as const satisfies Record<string, keyof ManagedRole>;

export interface ManagedRole {
  name: string;
  ensure?: 'present' | 'absent';
  comment?: string;
  login?: boolean;
  superuser?: boolean;
  inherit?: boolean;
  createdb?: boolean;
  createrole?: boolean;
  replication?: boolean;
  bypassrls?: boolean;
  connectionLimit?: number;
  inRoles?: string[];
  passwordSecret?: { name: string };
  disablePassword?: boolean;
  validUntil?: string;
}

export interface ClusterSpec {
  instances?: number;
  imageName?: string;
  imagePullPolicy?: string;
  affinity?: Record<string, unknown>;
  storage?: { size?: string; storageClass?: string };
  postgresql?: { parameters?: Record<string, string> };
  managed?: { roles?: ManagedRole[] };
  bootstrap?: { initdb?: { database?: string; owner?: string } };
  resources?: Record<string, unknown>;
  backup?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface ClusterStatus {
  phase?: string;
  phaseReason?: string;
  instances?: number;
  readyInstances?: number;
  instancesStatus?: Record<string, string[]>;
  currentPrimary?: string;
  targetPrimary?: string;
  image?: string;
  conditions?: Condition[];
  writeService?: string;
  readService?: string;
  certificates?: { expirations?: Record<string, string> };
  lastSuccessfulBackup?: string;
  firstRecoverabilityPoint?: string;
  managedRolesStatus?: { byStatus?: Record<string, string[]>; cannotReconcile?: Record<string, string[]> };
  [key: string]: unknown;
}

export type Cluster = CnpgObject<ClusterSpec, ClusterStatus>;

/** A DatabaseRole (operator 1.30+): the role's fields inline in its spec, beside the cluster it is for. */
export type DatabaseRoleObject = CnpgObject<
  ManagedRole & { cluster?: { name?: string }; databaseRoleReclaimPolicy?: string; [key: string]: unknown },
  { applied?: boolean; message?: string }
>;
