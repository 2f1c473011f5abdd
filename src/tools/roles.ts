// Managed roles: spec.managed.roles[] on the Cluster, each password in a basic-auth Secret the
// tool generates and never echoes (docs/cnpg-facts.md, "roles").
import { z } from 'zod';
import { buildRoleSecret, generatePassword, roleFields, roleSecretName, type RoleAttributes } from '../cnpg/manifests.js';
import { KubeError } from '../cnpg/errors.js';
import type { ROLE_ATTRIBUTES, Cluster, DatabaseRoleObject, ManagedRole } from '../cnpg/types.js';
import { ToolError } from '../kit/tool-error.js';
import { ADDITIVE, ADDITIVE_IDEMPOTENT, DESTRUCTIVE, READ_ONLY, defineTool, type ToolContext } from '../kit/tool.js';
import { change, modifyObject } from './change.js';
import { changeOutput } from './outputs.js';
import * as s from './schemas.js';

const attributes = {
  login: z.boolean().optional().describe('May log in.'),
  superuser: z.boolean().optional(),
  inherit: z.boolean().optional().describe('Inherits the privileges of its roles.'),
  createdb: z.boolean().optional(),
  createrole: z.boolean().optional(),
  replication: z.boolean().optional(),
  bypassrls: z.boolean().optional(),
  connection_limit: z.number().int().min(-1).max(100000).optional().describe('-1 for no limit.'),
  in_roles: z.array(s.pgIdentifier).max(50).optional().describe('Roles this role is a member of.'),
  comment: s.oneLine(1000).optional(),
  valid_until: z.iso.datetime({ offset: true }).optional().describe('Password expiry (RFC 3339).'),
  disable_password: z.boolean().optional().describe('PASSWORD NULL: no password login, no Secret.'),
} satisfies { [K in keyof typeof ROLE_ATTRIBUTES]: z.ZodType<RoleAttributes[K]> };

const roleShape = z.object({
  name: z.string(),
  ensure: z.string(),
  login: z.boolean(),
  superuser: z.boolean(),
  createdb: z.boolean(),
  createrole: z.boolean(),
  replication: z.boolean(),
  in_roles: z.array(z.string()),
  password_secret: z.string().optional(),
  status: z.string().optional(),
  source: z
    .enum(['managed', 'DatabaseRole'])
    .describe("'managed': in the Cluster's spec.managed.roles; 'DatabaseRole': its own DatabaseRole object (operator 1.30+)."),
  object: z.string().optional().describe('Name of the DatabaseRole object, for source DatabaseRole.'),
});

async function loadRoles(ctx: ToolContext, namespace: string, cluster: string, fresh = false) {
  const obj = await ctx.cnpg().get<Cluster>('cluster', namespace, cluster, { fresh });
  return { cluster: obj, roles: obj.spec?.managed?.roles ?? [] };
}

/**
 * The DatabaseRole objects (operator 1.30+) of `cluster`: roles can live there as well as in
 * spec.managed.roles (issue #12, item 8). None where the operator predates the kind (404).
 */
async function loadDatabaseRoles(ctx: ToolContext, namespace: string, cluster: string): Promise<DatabaseRoleObject[]> {
  try {
    return (await ctx.cnpg().list<DatabaseRoleObject>('databaseRole', namespace)).filter((d) => d.spec?.cluster?.name === cluster);
  } catch (err) {
    if (err instanceof KubeError && err.kind === 'not_found') return [];
    throw err;
  }
}

/** Where a role is declared: the Cluster's spec.managed.roles, or its own DatabaseRole object. */
type RoleHome = { source: 'managed'; role: ManagedRole } | { source: 'DatabaseRole'; role: ManagedRole; object: DatabaseRoleObject };

async function findRole(ctx: ToolContext, namespace: string, cluster: string, role: string): Promise<RoleHome> {
  const [{ roles }, objects] = await Promise.all([loadRoles(ctx, namespace, cluster), loadDatabaseRoles(ctx, namespace, cluster)]);
  const managed = roles.find((r) => r.name === role);
  if (managed) return { source: 'managed', role: managed };
  const object = objects.find((o) => o.spec?.name === role);
  if (object) return { source: 'DatabaseRole', role: object.spec as ManagedRole, object };
  const known = [...roles.map((r) => r.name), ...objects.map((o) => `${o.spec?.name} (DatabaseRole ${o.metadata.name})`)];
  throw new ToolError(`role ${role} is not managed on ${cluster}`, `Managed roles: ${known.join(', ') || 'none'}.`);
}

/** Applies `edit` to the role where it is declared: the roles list (conditioned, retried on 409) or its DatabaseRole. */
function writeRole(ctx: ToolContext, cluster: string, home: RoleHome, edit: (r: ManagedRole) => ManagedRole, dryRun: boolean, action: string) {
  if (home.source === 'DatabaseRole') {
    // Conditioned on the version read: a concurrent edit gets 409 and a fresh retry, never a lost update.
    const name = home.object.metadata.name;
    return modifyObject<DatabaseRoleObject>(
      ctx,
      'databaseRole',
      name,
      (latest) => ({ spec: mergeFields(latest.spec as ManagedRole, edit(latest.spec as ManagedRole)) }),
      dryRun,
      action,
    );
  }
  return modifyObject<Cluster>(
    ctx,
    'cluster',
    cluster,
    (latest) => rolesPatch(rolesOf(latest).map((r) => (r.name === home.role.name ? edit(r) : r))),
    dryRun,
    action,
  );
}

/** Appends `role` to the cluster's roles list; refused when a concurrent create got there first. */
function addRole(ctx: ToolContext, cluster: string, role: ManagedRole, dryRun: boolean) {
  return modifyObject<Cluster>(
    ctx,
    'cluster',
    cluster,
    (latest) => {
      if (rolesOf(latest).some((r) => r.name === role.name)) throw new ToolError(`role ${role.name} already exists`);
      return rolesPatch([...rolesOf(latest), role]);
    },
    dryRun,
    'create role',
  );
}

/** A merge patch from `before` to `after`: changed fields, and null for the ones `after` drops. */
function mergeFields(before: ManagedRole, after: ManagedRole): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...after };
  for (const key of Object.keys(before)) if (!(key in after)) patch[key] = null;
  return patch;
}

/** The whole roles list, written by modify() conditioned on the version it was read from. */
function rolesPatch(roles: ManagedRole[]) {
  return { spec: { managed: { roles } } };
}

function rolesOf(cluster: Cluster): ManagedRole[] {
  return cluster.spec?.managed?.roles ?? [];
}

function roleStatus(cluster: Cluster, role: string): string | undefined {
  const byStatus = cluster.status?.managedRolesStatus?.byStatus ?? {};
  const found = Object.entries(byStatus).find(([, names]) => names.includes(role));
  const problem = cluster.status?.managedRolesStatus?.cannotReconcile?.[role];
  return problem ? `cannot reconcile: ${problem.join('; ')}` : found?.[0];
}

function listedRole(r: ManagedRole, status: string | undefined, home: { source: 'managed' } | { source: 'DatabaseRole'; object: string }) {
  return {
    name: r.name,
    ensure: r.ensure ?? 'present',
    login: r.login ?? false,
    superuser: r.superuser ?? false,
    createdb: r.createdb ?? false,
    createrole: r.createrole ?? false,
    replication: r.replication ?? false,
    in_roles: r.inRoles ?? [],
    password_secret: r.passwordSecret?.name,
    status,
    ...home,
  };
}

function databaseRoleStatus(o: DatabaseRoleObject): string {
  if (o.status?.applied === true) return 'reconciled';
  if (o.status?.applied === false) return `cannot reconcile: ${o.status.message ?? 'no reason given'}`;
  return 'pending';
}

export const listRoles = defineTool({
  name: 'list_postgres_roles',
  title: 'List managed roles',
  description:
    'Lists the roles the operator manages for a cluster, from spec.managed.roles and DatabaseRole objects (source says which), with attributes and reconciliation status. Never shows passwords.',
  input: z.object({ cluster_name: s.clusterName, namespace: s.namespace, format: s.format }),
  output: z.object({ roles: z.array(roleShape) }),
  annotations: READ_ONLY,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const [{ cluster, roles }, objects] = await Promise.all([
      loadRoles(ctx, namespace, input.cluster_name),
      loadDatabaseRoles(ctx, namespace, input.cluster_name),
    ]);
    const out = [
      ...roles.map((r) => listedRole(r, roleStatus(cluster, r.name), { source: 'managed' })),
      ...objects.map((o) =>
        listedRole({ ...(o.spec as ManagedRole), name: o.spec?.name ?? o.metadata.name }, databaseRoleStatus(o), {
          source: 'DatabaseRole',
          object: o.metadata.name,
        }),
      ),
    ];
    const lines = out.map(
      (r) =>
        `${r.name} (${r.ensure}; ${r.source === 'managed' ? 'spec.managed.roles' : `DatabaseRole ${r.object}`})${r.login ? ' login' : ''}${r.superuser ? ' superuser' : ''}${r.createdb ? ' createdb' : ''}${r.status ? ` — ${r.status}` : ''}`,
    );
    return {
      text: lines.length ? lines.join('\n') : `Cluster ${input.cluster_name} has no managed roles (neither spec.managed.roles nor DatabaseRole objects).`,
      data: { roles: out },
    };
  },
});

export const createRole = defineTool({
  name: 'create_postgres_role',
  title: 'Create a role',
  description:
    'Adds a managed role to a cluster. Its generated password goes to a kubernetes.io/basic-auth Secret (<cluster>-role-<role>), never into the answer: read the Secret to use it.',
  input: z.object({
    cluster_name: s.clusterName,
    role_name: s.pgIdentifier,
    namespace: s.namespace,
    ...attributes,
    login: z.boolean().default(true).describe('May log in (default true).'),
    inherit: z.boolean().default(true),
    dry_run: s.dryRun,
  }),
  output: changeOutput.extend({ password_secret: z.string().optional().describe('Absent with disable_password=true.') }),
  annotations: ADDITIVE,
  async handler(input, ctx) {
    const { namespace } = ctx;
    if (input.disable_password) return createWithoutPassword(ctx, namespace, input);
    const [{ roles }, objects] = await Promise.all([loadRoles(ctx, namespace, input.cluster_name), loadDatabaseRoles(ctx, namespace, input.cluster_name)]);
    if (roles.some((r) => r.name === input.role_name) || objects.some((o) => o.spec?.name === input.role_name)) {
      throw new ToolError(`role ${input.role_name} already exists`, 'Use update_postgres_role to change it.');
    }
    const secret = buildRoleSecret(namespace, input.cluster_name, input.role_name, generatePassword());
    await ctx.cnpg().createSecret(namespace, secret, { dryRun: input.dry_run });
    const role: ManagedRole = {
      name: input.role_name,
      ensure: 'present',
      ...roleFields(input as RoleAttributes),
      passwordSecret: { name: secret.metadata!.name! },
    };
    try {
      const result = await addRole(ctx, input.cluster_name, role, input.dry_run);
      return {
        text: `${input.dry_run ? 'Would create' : 'Created'} role ${input.role_name}; password in Secret ${secret.metadata!.name}.`,
        data: { ...result, password_secret: secret.metadata!.name! },
      };
    } catch (err) {
      // Leave nothing behind when the cluster refused the role.
      if (!input.dry_run)
        await ctx
          .cnpg()
          .deleteSecret(namespace, secret.metadata!.name!)
          .catch(() => undefined);
      throw err;
    }
  },
});

/**
 * disable_password: the role gets no password and no Secret (the operator refuses
 * passwordSecret beside disablePassword), so there is nothing to clean up on failure.
 */
async function createWithoutPassword(
  ctx: ToolContext,
  namespace: string,
  input: RoleAttributes & { cluster_name: string; role_name: string; dry_run: boolean },
) {
  const [{ roles }, objects] = await Promise.all([loadRoles(ctx, namespace, input.cluster_name), loadDatabaseRoles(ctx, namespace, input.cluster_name)]);
  if (roles.some((r) => r.name === input.role_name) || objects.some((o) => o.spec?.name === input.role_name)) {
    throw new ToolError(`role ${input.role_name} already exists`, 'Use update_postgres_role to change it.');
  }
  const role: ManagedRole = { name: input.role_name, ensure: 'present', ...roleFields(input) };
  const result = await addRole(ctx, input.cluster_name, role, input.dry_run);
  return { text: `${input.dry_run ? 'Would create' : 'Created'} role ${input.role_name} without a password.`, data: result };
}

export const updateRole = defineTool({
  name: 'update_postgres_role',
  title: 'Update a role',
  description:
    'Changes the attributes given of a managed role. rotate_password=true generates a password, or give password; either goes to the Secret, never into the answer.',
  input: z.object({
    cluster_name: s.clusterName,
    role_name: s.pgIdentifier,
    namespace: s.namespace,
    ...attributes,
    password: z.string().min(12).max(200).optional().describe('New password (to the Secret, never echoed).'),
    rotate_password: z.boolean().default(false),
    dry_run: s.dryRun,
  }),
  output: changeOutput,
  annotations: ADDITIVE_IDEMPOTENT,
  async handler(input, ctx) {
    const { namespace } = ctx;
    if (input.password && input.rotate_password) throw new ToolError('give either password or rotate_password, not both');
    if (input.disable_password && (input.password || input.rotate_password))
      throw new ToolError('disable_password=true removes the password: give no password or rotate_password with it');
    const home = await findRole(ctx, namespace, input.cluster_name, input.role_name);
    const existing = home.role;
    const updated: Partial<ManagedRole> = roleFields(input as RoleAttributes);
    const newPassword = input.password ?? (input.rotate_password ? generatePassword() : undefined);
    const secretName = existing.passwordSecret?.name ?? roleSecretName(input.cluster_name, input.role_name);
    if (newPassword) updated.passwordSecret = { name: secretName };
    // The operator takes a password Secret or disablePassword, never both.
    if (newPassword && existing.disablePassword) updated.disablePassword = false;
    const apply = (r: ManagedRole): ManagedRole => {
      const next = { ...r, ...updated };
      if (input.disable_password) delete next.passwordSecret;
      return next;
    };
    const writeRoles = (dryRun: boolean) => writeRole(ctx, input.cluster_name, home, apply, dryRun, 'update role');
    // A failed call changes nothing (issue #12, item 3): the operator applies a new password as soon
    // as the Secret changes, so the roles patch is first validated by a server-side dry run (RBAC,
    // schema, existence), and if the real patch still fails the Secret is put back as it was.
    let result = await writeRoles(true);
    if (input.dry_run && newPassword) await writePassword(ctx, namespace, input.cluster_name, input.role_name, secretName, newPassword, true);
    if (!input.dry_run) {
      const restore = newPassword ? await writePassword(ctx, namespace, input.cluster_name, input.role_name, secretName, newPassword) : undefined;
      try {
        result = await writeRoles(false);
      } catch (err) {
        await restore?.();
        throw err;
      }
    }
    return {
      text: `${input.dry_run ? 'Would update' : 'Updated'} role ${input.role_name}${newPassword ? ' (new password stored in its Secret)' : ''}.`,
      data: result,
    };
  },
});

/**
 * Writes the role's password into its Secret (creating it when missing) and returns what undoes
 * that write: the Secret's previous data back, or the Secret deleted when this created it.
 */
async function writePassword(
  ctx: ToolContext,
  namespace: string,
  cluster: string,
  role: string,
  secretName: string,
  password: string,
  dryRun = false,
): Promise<() => Promise<void>> {
  const client = ctx.cnpg();
  const previous = await client.getSecret(namespace, secretName).catch((err) => {
    if ((err as { kind?: string }).kind !== 'not_found') throw err;
    return undefined;
  });
  if (previous) {
    await client.patchSecret(namespace, secretName, { stringData: { username: role, password } }, { dryRun });
    return async () => {
      await client.patchSecret(namespace, secretName, { data: previous.data ?? {} });
    };
  }
  const secret = buildRoleSecret(namespace, cluster, role, password);
  await client.createSecret(namespace, { ...secret, metadata: { ...secret.metadata, name: secretName } }, { dryRun });
  return () => client.deleteSecret(namespace, secretName);
}

export const deleteRole = defineTool({
  name: 'delete_postgres_role',
  title: 'Delete a role',
  description:
    'Drops a managed role (ensure=absent: the operator runs DROP ROLE) and deletes the password Secret this server made. Fails in PostgreSQL while the role owns objects.',
  input: z.object({ cluster_name: s.clusterName, role_name: s.pgIdentifier, namespace: s.namespace, dry_run: s.dryRun }),
  output: changeOutput,
  annotations: DESTRUCTIVE,
  async handler(input, ctx) {
    const { namespace } = ctx;
    const home = await findRole(ctx, namespace, input.cluster_name, input.role_name);
    const { passwordSecret } = home.role;
    const dropped = (r: ManagedRole): ManagedRole => {
      const { passwordSecret: _dropped, ...rest } = r;
      return { ...rest, ensure: 'absent' };
    };
    const result =
      home.source === 'DatabaseRole'
        ? await dropDatabaseRole(ctx, namespace, home.object.metadata.name, input.dry_run)
        : await writeRole(ctx, input.cluster_name, home, dropped, input.dry_run, 'delete role');
    if (passwordSecret && passwordSecret.name === roleSecretName(input.cluster_name, input.role_name)) {
      await ctx
        .cnpg()
        .deleteSecret(namespace, passwordSecret.name, { dryRun: input.dry_run })
        .catch((err) => {
          if ((err as { kind?: string }).kind !== 'not_found') throw err;
        });
    }
    const how = home.source === 'DatabaseRole' ? `DatabaseRole ${home.object.metadata.name} deleted with databaseRoleReclaimPolicy=delete` : 'ensure=absent';
    return { text: `${input.dry_run ? 'Would drop' : 'Dropping'} role ${input.role_name} (${how}).`, data: result };
  },
});

/**
 * The operator refuses ensure=absent on a DatabaseRole ("delete the resource with
 * databaseRoleReclaimPolicy: delete instead"): set that policy, then delete the object.
 */
async function dropDatabaseRole(ctx: ToolContext, namespace: string, name: string, dryRun: boolean) {
  const result = await change(ctx, 'databaseRole', namespace, name, { spec: { databaseRoleReclaimPolicy: 'delete' } }, dryRun, 'delete role');
  await ctx.cnpg().delete('databaseRole', namespace, name, { dryRun });
  return result;
}

export const roleTools = [listRoles, createRole, updateRole, deleteRole];
