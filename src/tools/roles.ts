// Managed roles: spec.managed.roles[] on the Cluster, each password in a basic-auth Secret the
// tool generates and never echoes (docs/cnpg-facts.md, "roles").
import { z } from 'zod';
import { buildRoleSecret, generatePassword, roleFields, roleSecretName, type RoleAttributes } from '../cnpg/manifests.js';
import type { Cluster, ManagedRole } from '../cnpg/types.js';
import { ToolError } from '../mcp/errors.js';
import { ADDITIVE, ADDITIVE_IDEMPOTENT, DESTRUCTIVE, READ_ONLY, defineTool, type ToolContext } from '../mcp/tool.js';
import { change, retryOnConflict } from './change.js';
import { changeOutput } from './outputs.js';
import * as s from './schemas.js';

const attributes = {
  login: z.boolean().optional().describe('May log in.'),
  superuser: z.boolean().optional(),
  inherit: z.boolean().optional().describe('Inherits privileges of roles it is a member of.'),
  createdb: z.boolean().optional(),
  createrole: z.boolean().optional(),
  replication: z.boolean().optional(),
  bypassrls: z.boolean().optional(),
  connection_limit: z.number().int().min(-1).max(100000).optional().describe('-1 for no limit.'),
  in_roles: z.array(s.pgIdentifier).max(50).optional().describe('Roles this role is a member of.'),
  comment: s.oneLine(1000).optional(),
  valid_until: z.iso.datetime({ offset: true }).optional().describe('Password expiry (RFC 3339).'),
};

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
});

async function loadRoles(ctx: ToolContext, namespace: string, cluster: string, fresh = false) {
  const obj = await ctx.cnpg().get<Cluster>('cluster', namespace, cluster, { fresh });
  return { cluster: obj, roles: obj.spec?.managed?.roles ?? [] };
}

/** Writes the whole roles list with the resourceVersion read, so a concurrent edit gets 409 instead of being lost. */
function rolesPatch(cluster: Cluster, roles: ManagedRole[]) {
  return { metadata: { resourceVersion: cluster.metadata.resourceVersion }, spec: { managed: { roles } } };
}

function roleStatus(cluster: Cluster, role: string): string | undefined {
  const byStatus = cluster.status?.managedRolesStatus?.byStatus ?? {};
  const found = Object.entries(byStatus).find(([, names]) => names.includes(role));
  const problem = cluster.status?.managedRolesStatus?.cannotReconcile?.[role];
  return problem ? `cannot reconcile: ${problem.join('; ')}` : found?.[0];
}

export const listRoles = defineTool({
  name: 'list_postgres_roles',
  title: 'List managed roles',
  description: "Lists the PostgreSQL roles the operator manages for a cluster (spec.managed.roles) with their attributes and reconciliation status. Passwords are never shown.",
  input: z.object({ cluster_name: s.clusterName, namespace: s.namespace, format: s.format }),
  output: z.object({ roles: z.array(roleShape) }),
  annotations: READ_ONLY,
  async handler(input, ctx) {
    const { cluster, roles } = await loadRoles(ctx, ctx.namespaces.resolve(input.namespace), input.cluster_name);
    const out = roles.map((r) => ({
      name: r.name,
      ensure: r.ensure ?? 'present',
      login: r.login ?? false,
      superuser: r.superuser ?? false,
      createdb: r.createdb ?? false,
      createrole: r.createrole ?? false,
      replication: r.replication ?? false,
      in_roles: r.inRoles ?? [],
      password_secret: r.passwordSecret?.name,
      status: roleStatus(cluster, r.name),
    }));
    const lines = out.map((r) => `${r.name} (${r.ensure})${r.login ? ' login' : ''}${r.superuser ? ' superuser' : ''}${r.createdb ? ' createdb' : ''}${r.status ? ` — ${r.status}` : ''}`);
    return { text: lines.length ? lines.join('\n') : `Cluster ${input.cluster_name} has no managed roles.`, data: { roles: out } };
  },
});

export const createRole = defineTool({
  name: 'create_postgres_role',
  title: 'Create a role',
  description:
    'Adds a managed PostgreSQL role to a cluster. A strong password is generated into a kubernetes.io/basic-auth Secret ' +
    '(<cluster>-role-<role>) that the operator reads; the password is never returned, read the Secret to use it.',
  input: z.object({
    cluster_name: s.clusterName,
    role_name: s.pgIdentifier,
    namespace: s.namespace,
    ...attributes,
    login: z.boolean().default(true).describe('May log in (default true).'),
    inherit: z.boolean().default(true),
    dry_run: s.dryRun,
  }),
  output: changeOutput.extend({ password_secret: z.string() }),
  annotations: ADDITIVE,
  async handler(input, ctx) {
    const namespace = ctx.namespaces.resolve(input.namespace);
    const { roles } = await loadRoles(ctx, namespace, input.cluster_name);
    if (roles.some((r) => r.name === input.role_name)) throw new ToolError(`role ${input.role_name} already exists`, 'Use update_postgres_role to change it.');
    const secret = buildRoleSecret(namespace, input.cluster_name, input.role_name, generatePassword());
    await ctx.cnpg().createSecret(namespace, secret, { dryRun: input.dry_run });
    const role: ManagedRole = { name: input.role_name, ensure: 'present', ...roleFields(input as RoleAttributes), passwordSecret: { name: secret.metadata!.name! } };
    try {
      const result = await retryOnConflict(async () => {
        const latest = await loadRoles(ctx, namespace, input.cluster_name, true);
        if (latest.roles.some((r) => r.name === input.role_name)) throw new ToolError(`role ${input.role_name} already exists`);
        return change(ctx, 'cluster', namespace, input.cluster_name, rolesPatch(latest.cluster, [...latest.roles, role]), input.dry_run, 'create role');
      }, ctx.signal);
      return { text: `${input.dry_run ? 'Would create' : 'Created'} role ${input.role_name}; password in Secret ${secret.metadata!.name}.`, data: { ...result, password_secret: secret.metadata!.name! } };
    } catch (err) {
      // Leave nothing behind when the cluster refused the role.
      if (!input.dry_run) await ctx.cnpg().deleteSecret(namespace, secret.metadata!.name!).catch(() => undefined);
      throw err;
    }
  },
});

export const updateRole = defineTool({
  name: 'update_postgres_role',
  title: 'Update a role',
  description:
    'Changes attributes of a managed role; only the attributes given change. rotate_password=true generates a new password, ' +
    'or give password to set one; either is written to the Secret and never returned.',
  input: z.object({
    cluster_name: s.clusterName,
    role_name: s.pgIdentifier,
    namespace: s.namespace,
    ...attributes,
    password: z.string().min(12).max(200).optional().describe('New password (stored in the Secret, never echoed).'),
    rotate_password: z.boolean().default(false),
    dry_run: s.dryRun,
  }),
  output: changeOutput,
  annotations: ADDITIVE_IDEMPOTENT,
  async handler(input, ctx) {
    const namespace = ctx.namespaces.resolve(input.namespace);
    if (input.password && input.rotate_password) throw new ToolError('give either password or rotate_password, not both');
    const { roles } = await loadRoles(ctx, namespace, input.cluster_name);
    const existing = roles.find((r) => r.name === input.role_name);
    if (!existing) throw new ToolError(`role ${input.role_name} is not managed on ${input.cluster_name}`, `Managed roles: ${roles.map((r) => r.name).join(', ') || 'none'}.`);
    const updated: Partial<ManagedRole> = roleFields(input as RoleAttributes);
    const newPassword = input.password ?? (input.rotate_password ? generatePassword() : undefined);
    const secretName = existing.passwordSecret?.name ?? roleSecretName(input.cluster_name, input.role_name);
    if (newPassword) updated.passwordSecret = { name: secretName };
    const writeRoles = (dryRun: boolean) =>
      retryOnConflict(async () => {
        const latest = await loadRoles(ctx, namespace, input.cluster_name, true);
        const roles = latest.roles.map((r) => (r.name === input.role_name ? { ...r, ...updated } : r));
        return change(ctx, 'cluster', namespace, input.cluster_name, rolesPatch(latest.cluster, roles), dryRun, 'update role');
      }, ctx.signal);
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
    return { text: `${input.dry_run ? 'Would update' : 'Updated'} role ${input.role_name}${newPassword ? ' (new password stored in its Secret)' : ''}.`, data: result };
  },
});

/**
 * Writes the role's password into its Secret (creating it when missing) and returns what undoes
 * that write: the Secret's previous data back, or the Secret deleted when this created it.
 */
async function writePassword(ctx: ToolContext, namespace: string, cluster: string, role: string, secretName: string, password: string, dryRun = false): Promise<() => Promise<void>> {
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
    'Drops a managed role: sets ensure=absent so the operator runs DROP ROLE, and deletes the password Secret this server created. ' +
    'Fails in PostgreSQL if the role still owns objects.',
  input: z.object({ cluster_name: s.clusterName, role_name: s.pgIdentifier, namespace: s.namespace, dry_run: s.dryRun }),
  output: changeOutput,
  annotations: DESTRUCTIVE,
  async handler(input, ctx) {
    const namespace = ctx.namespaces.resolve(input.namespace);
    const { roles } = await loadRoles(ctx, namespace, input.cluster_name);
    const existing = roles.find((r) => r.name === input.role_name);
    if (!existing) throw new ToolError(`role ${input.role_name} is not managed on ${input.cluster_name}`, `Managed roles: ${roles.map((r) => r.name).join(', ') || 'none'}.`);
    const { passwordSecret } = existing;
    const result = await retryOnConflict(async () => {
      const latest = await loadRoles(ctx, namespace, input.cluster_name, true);
      const roles = latest.roles.map((r) => {
        if (r.name !== input.role_name) return r;
        const { passwordSecret: _dropped, ...rest } = r;
        return { ...rest, ensure: 'absent' as const };
      });
      return change(ctx, 'cluster', namespace, input.cluster_name, rolesPatch(latest.cluster, roles), input.dry_run, 'delete role');
    }, ctx.signal);
    if (passwordSecret && passwordSecret.name === roleSecretName(input.cluster_name, input.role_name)) {
      await ctx.cnpg().deleteSecret(namespace, passwordSecret.name, { dryRun: input.dry_run }).catch((err) => {
        if ((err as { kind?: string }).kind !== 'not_found') throw err;
      });
    }
    return { text: `${input.dry_run ? 'Would drop' : 'Dropping'} role ${input.role_name} (ensure=absent).`, data: result };
  },
});

export const roleTools = [listRoles, createRole, updateRole, deleteRole];
