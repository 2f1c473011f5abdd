// What a model is shown of a Kubernetes object: the object without its managedFields.
/** Strips server-managed noise from an object before returning it to a model. */
export function tidyObject(obj: unknown): Record<string, unknown> {
  if (!obj || typeof obj !== 'object') return {};
  const { metadata, ...rest } = obj as { metadata?: Record<string, unknown> };
  if (!metadata) return rest;
  const { managedFields: _m, ...meta } = metadata;
  return { ...rest, metadata: meta };
}
