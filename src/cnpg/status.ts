// Reading a Cluster's status the way an operator would: one summary for tools and resources.
import { z } from 'zod';
import type { Cluster } from './types.js';

export const HEALTHY_PHASE = 'Cluster in healthy state';
export const HIBERNATION_ANNOTATION = 'cnpg.io/hibernation';
export const FENCED_ANNOTATION = 'cnpg.io/fencedInstances';

/** A cluster as tools and resources report it; the schema is also the tools' output schema. */
export const clusterSummaryShape = z.object({
  name: z.string(),
  namespace: z.string(),
  phase: z.string(),
  phase_reason: z.string().optional(),
  instances: z.number(),
  ready_instances: z.number(),
  current_primary: z.string().optional(),
  target_primary: z.string().optional(),
  image: z.string().optional(),
  storage_size: z.string().optional(),
  storage_class: z.string().optional(),
  hibernated: z.boolean(),
  fenced_instances: z.array(z.string()),
  healthy: z.boolean(),
  conditions: z.array(z.object({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional() })).optional(),
  services: z.object({ read_write: z.string().optional(), read_only: z.string().optional(), read: z.string().optional() }).optional(),
  certificate_expirations: z.record(z.string(), z.string()).optional(),
  last_successful_backup: z.string().optional(),
  instances_status: z.record(z.string(), z.array(z.string())).optional(),
  parameters: z.record(z.string(), z.string()).optional(),
  managed_roles: z.array(z.string()).optional(),
});

export type ClusterSummary = z.infer<typeof clusterSummaryShape>;

export function fencedInstances(cluster: Cluster): string[] {
  const raw = cluster.metadata.annotations?.[FENCED_ANNOTATION];
  if (!raw) return [];
  try {
    const list = JSON.parse(raw) as unknown;
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function summariseCluster(cluster: Cluster, detail: 'concise' | 'detailed'): ClusterSummary {
  const { spec = {}, status = {}, metadata } = cluster;
  const summary: ClusterSummary = {
    name: metadata.name,
    namespace: metadata.namespace ?? '',
    phase: status.phase ?? 'Unknown (not reconciled yet)',
    phase_reason: status.phaseReason,
    instances: spec.instances ?? 0,
    ready_instances: status.readyInstances ?? 0,
    current_primary: status.currentPrimary,
    target_primary: status.targetPrimary,
    image: status.image ?? spec.imageName,
    storage_size: spec.storage?.size,
    storage_class: spec.storage?.storageClass,
    hibernated: metadata.annotations?.[HIBERNATION_ANNOTATION] === 'on',
    fenced_instances: fencedInstances(cluster),
    // The operator keeps phase "Cluster in healthy state" while hibernated, with no pod running:
    // a cluster that serves nothing is not reported healthy.
    healthy: status.phase === HEALTHY_PHASE && metadata.annotations?.[HIBERNATION_ANNOTATION] !== 'on',
  };
  if (detail === 'detailed') {
    summary.conditions = (status.conditions ?? []).map(({ type, status: s, reason, message }) => ({ type, status: s, reason, message }));
    // status.readService is the -r Service (any instance, GetServiceReadName in api/v1); the
    // operator records no field for -ro (issue #12, item 9).
    summary.services = {
      read_write: status.writeService ?? `${metadata.name}-rw`,
      read_only: `${metadata.name}-ro`,
      read: status.readService ?? `${metadata.name}-r`,
    };
    summary.certificate_expirations = status.certificates?.expirations;
    summary.last_successful_backup = status.lastSuccessfulBackup;
    summary.instances_status = status.instancesStatus;
    summary.parameters = spec.postgresql?.parameters;
    summary.managed_roles = (spec.managed?.roles ?? []).map((r) => r.name);
  }
  return summary;
}

export function formatSummary(s: ClusterSummary): string {
  const lines = [
    `Cluster ${s.namespace}/${s.name}: ${s.phase}${s.phase_reason ? ` (${s.phase_reason})` : ''}`,
    `  instances: ${s.ready_instances}/${s.instances} ready; primary: ${s.current_primary ?? 'none yet'}${
      s.target_primary && s.target_primary !== s.current_primary ? `; target primary: ${s.target_primary}` : ''
    }`,
  ];
  if (s.image) lines.push(`  image: ${s.image}`);
  if (s.storage_size) lines.push(`  storage: ${s.storage_size}${s.storage_class ? ` (${s.storage_class})` : ''}`);
  if (s.hibernated) lines.push('  hibernated: yes (pods removed, volumes kept)');
  if (s.fenced_instances.length) lines.push(`  fenced: ${s.fenced_instances.join(', ')}`);
  if (s.services) lines.push(`  services: rw=${s.services.read_write} ro=${s.services.read_only} r=${s.services.read}`);
  for (const c of s.conditions ?? []) lines.push(`  condition ${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`);
  for (const [name, when] of Object.entries(s.certificate_expirations ?? {})) lines.push(`  certificate ${name} expires ${when}`);
  if (s.last_successful_backup) lines.push(`  last successful backup: ${s.last_successful_backup}`);
  if (s.parameters && Object.keys(s.parameters).length)
    lines.push(
      `  parameters: ${Object.entries(s.parameters)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
  if (s.managed_roles?.length) lines.push(`  managed roles: ${s.managed_roles.join(', ')}`);
  return lines.join('\n');
}
