// Input pieces shared by the tools, with the bounds the Kubernetes API and CloudNativePG
// enforce, so bad input fails here with a clear message instead of at the API server.
import { createRequire } from 'node:module';
import type { CronExpressionParser as Parser } from 'cron-parser';
import { z } from 'zod';
import { k8sName } from '../kit/names.js';

export { k8sName };

/** Cluster names become pod, service and secret names with suffixes, so CNPG needs room. */
export const clusterName = k8sName.max(50).describe('Cluster name.');

export const namespace = k8sName.optional().describe("Namespace (default: the server's).");

/** Kubernetes resource quantity as used for storage and memory, e.g. 10Gi, 500Mi, 1.5Ti. */
export const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/, 'must be a Kubernetes quantity such as 10Gi or 500Mi');

/** CPU quantity: cores or millicores, e.g. 2, 0.5, 500m. */
export const cpuQuantity = z.string().regex(/^[0-9]+(\.[0-9]+)?m?$/, 'must be a CPU quantity such as 2, 0.5 or 500m');

/** PostgreSQL identifier for roles and databases (unquoted, lowercase). */
export const pgIdentifier = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z_][a-z0-9_]*$/, 'must be a lowercase PostgreSQL identifier: letters, digits and "_", not starting with a digit');

// cron-parser (and luxon under it) is loaded by the first schedule checked, not at start-up:
// ~35 ms of CPU that stdio's first answer does not need (issue #13).
const requireCjs = createRequire(import.meta.url);
let cronParser: typeof Parser | undefined;
const cron = () => (cronParser ??= (requireCjs('cron-parser') as { CronExpressionParser: typeof Parser }).CronExpressionParser);

/** CloudNativePG schedules have six fields, seconds first (robfig/cron), e.g. "0 0 2 * * *". */
export const sixFieldCron = z
  .string()
  .max(200)
  .refine((s) => s.trim().split(/\s+/).length === 6, 'must have six fields (seconds minutes hours day-of-month month day-of-week), e.g. "0 0 2 * * *"')
  .refine((s) => {
    try {
      cron().parse(s.trim());
      return true;
    } catch {
      return false;
    }
  }, 'is not a valid cron expression');

export const dryRun = z.boolean().default(false).describe('Server-side dry run: nothing is stored.');

export const detailLevel = z.enum(['concise', 'detailed']).default('concise').describe("'detailed' shows everything.");
export const format = z.enum(['text', 'json']).default('text').describe("'json' adds the structured result to the text.");

/** Label selector as kubectl takes it: key=value, key!=value, key in (a,b), !key, comma-separated. */
export const labelSelector = z
  .string()
  .max(1000)
  .regex(/^[A-Za-z0-9_.\-/=!,() ]*$/, 'must be a Kubernetes label selector such as app=web,tier!=cache')
  .optional()
  .describe('Label selector, e.g. team=payments.');

/**
 * One line of text: a value that ends up in postgresql.conf or pgbouncer.ini, or a comment. A
 * newline there would start another setting (issue #12, "Small").
 */
export const oneLine = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\x00-\x1f\x7f]*$/, 'must be one line: no newlines or other control characters');

/** PostgreSQL configuration parameters as CloudNativePG takes them (all values are strings). */
export const pgParameters = z
  .record(z.string().regex(/^[a-z_][a-z0-9_.]*$/, 'parameter names are lowercase, e.g. max_connections'), oneLine(1000))
  .refine((p) => Object.keys(p).length <= 100, 'at most 100 parameters at once');

/** Label key (optional DNS-subdomain prefix, then a name) and value, as Kubernetes validates them. */
export const labelKeyName = z
  .string()
  .max(317)
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    'must be a Kubernetes label key such as kubernetes.io/arch or disktype',
  );
const labelValue = z
  .string()
  .max(63)
  .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/, 'must be a Kubernetes label value');

/** Node labels the instances' pods must run on. */
export const nodeSelector = z
  .record(labelKeyName, labelValue)
  .refine((m) => Object.keys(m).length <= 20, 'at most 20 labels')
  .describe('Node labels the instances must run on, e.g. {"disktype":"ssd"}.');

/** Pod tolerations, in the tool's snake_case; the manifest builder writes Kubernetes' names. */
export const tolerations = z
  .array(
    z
      .object({
        key: labelKeyName.optional(),
        operator: z.enum(['Exists', 'Equal']).optional(),
        value: labelValue.optional(),
        effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
        toleration_seconds: z.number().int().min(0).optional().describe('NoExecute: seconds the pod stays after the taint appears.'),
      })
      .strict()
      .refine((t) => !(t.operator === 'Exists' && t.value), 'operator Exists takes no value'),
  )
  .max(20)
  .describe('Taints the instances tolerate.');

export const limit = z.number().int().min(1).max(1000).default(100).describe('Most items to return.');
