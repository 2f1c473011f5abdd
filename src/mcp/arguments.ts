// Validation of tools/call arguments against a tool's input schema, with errors that say what
// was wrong in words a model can act on (issue #12, item 1). Every tool's input is a strict
// object (defineTool), so an unknown argument — a typo such as dryRun for dry_run — is refused
// before the handler runs, instead of being dropped while the call does real work. Values are
// never coerced: the published JSON Schema is exactly what is accepted ("true" is not a boolean,
// "3" is not a number), the same for every tool.
import type { z } from 'zod';
import { closestName } from './did-you-mean.js';

export type ArgumentCheck<T> = { ok: true; data: T } | { ok: false; problems: string[] };

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`.slice(0, 60);
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let current = root;
  for (const key of path) current = (current as Record<PropertyKey, unknown> | undefined)?.[key];
  return current;
}

function describeIssue(issue: z.core.$ZodIssue, args: unknown, known: readonly string[]): string[] {
  const where = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const near = issue.path.length === 0 ? closestName(key, known) : undefined;
      const prefix = where ? `${where}.${key}` : key;
      return near ? `${prefix}: unknown argument, did you mean ${near}?` : `${prefix}: unknown argument (known: ${known.join(', ')})`;
    });
  }
  if (issue.code === 'invalid_type') {
    const got = typeOf(valueAt(args, issue.path));
    if (!where) return [`the arguments must be a JSON object, not ${got}`];
    const quoted = typeof valueAt(args, issue.path) === 'string' && (issue.expected === 'boolean' || issue.expected === 'number' || issue.expected === 'int');
    return [`${where}: expected ${issue.expected}, got ${got}${quoted ? ' (send the value without quotes)' : ''}`];
  }
  return [`${where || '(arguments)'}: ${issue.message}`];
}

/** Parses `args` with `schema`; on failure, one readable line per problem (never raw zod JSON). */
export function checkArguments<S extends z.ZodObject>(schema: S, args: unknown): ArgumentCheck<z.infer<S>> {
  const parsed = schema.safeParse(args ?? {});
  if (parsed.success) return { ok: true, data: parsed.data };
  const known = Object.keys(schema.shape);
  return { ok: false, problems: parsed.error.issues.flatMap((issue) => describeIssue(issue, args ?? {}, known)) };
}
