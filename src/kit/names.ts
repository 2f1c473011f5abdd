// The one spelling of a Kubernetes object name, checked alike in tool arguments and resource URIs.
import { z } from 'zod';

/** RFC 1123 label: lowercase alphanumerics and '-', at most 63 characters. */
export const k8sName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be an RFC 1123 name: lowercase letters, digits and "-", starting and ending with a letter or digit');
