// The tool list a mode allows out of the tools the server was given (ServerDeps.tools), with
// their JSON Schemas, computed once per tool set and mode (on the first tools/list).
// tools/list then answers a precomputed value, and tools/call looks tools up by name: no schema
// conversion or registration happens per session or per request.
import type { Tool } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import { closestName } from './did-you-mean.js';
import type { ModeOptions } from '../kit/deps.js';
import type { ToolDef } from '../kit/tool.js';
import { hiddenBy, toolAllowed } from './modes.js';

export interface ToolCatalog {
  /** Every tool the server was given, allowed by the mode or not. */
  readonly all: readonly ToolDef[];
  readonly list: { tools: Tool[] };
  readonly byName: ReadonlyMap<string, ToolDef>;
}

// The target the MCP SDK uses for tool schemas, so tools/list says what it would through McpServer.
const TARGET = 'draft-2020-12';

/**
 * The same Standard-Schema conversion the SDK applies to registered tools, less what tells a
 * caller nothing (issue #15: the list stays small): `$schema` (2020-12 is MCP's default dialect
 * when none is declared, and the SDK's validators read it so), `propertyNames: {type: 'string'}`
 * (every JSON key is a string) and, in output schemas, `additionalProperties: false` (it binds
 * this server, not the caller; input schemas keep it, so a caller knows no other argument exists).
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Tool['inputSchema'] {
  const { $schema: _default, ...json } = schema['~standard'].jsonSchema[io]({ target: TARGET }) as Record<string, unknown>;
  return { type: 'object', ...(withoutSilentRules(json, io) as Record<string, unknown>) } as Tool['inputSchema'];
}

/** `inProperties`: the keys of `node` are property names (a parameter may be called propertyNames). */
function withoutSilentRules(node: unknown, io: 'input' | 'output', inProperties = false): unknown {
  if (Array.isArray(node)) return node.map((n) => withoutSilentRules(n, io));
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (!inProperties && isSilent(key, value, io)) continue;
    out[key] = withoutSilentRules(value, io, !inProperties && (key === 'properties' || key === '$defs'));
  }
  return out;
}

function isSilent(key: string, value: unknown, io: 'input' | 'output'): boolean {
  if (key === 'additionalProperties') return io === 'output' && value === false;
  if (key !== 'propertyNames' || !value || typeof value !== 'object') return false;
  const names = value as Record<string, unknown>;
  return Object.keys(names).length === 1 && names.type === 'string';
}

function describe(tool: ToolDef): Tool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: jsonSchema(tool.input, 'input'),
    // Not again as annotations.title: Tool.title is the display name since 2025-06-18.
    annotations: { ...tool.annotations },
    outputSchema: jsonSchema(tool.output, 'output') as Tool['outputSchema'],
  };
}

const catalogs = new WeakMap<readonly ToolDef[], Map<string, ToolCatalog>>();

export function catalogFor(all: readonly ToolDef[], mode: ModeOptions): ToolCatalog {
  let byMode = catalogs.get(all);
  if (!byMode) {
    byMode = new Map();
    catalogs.set(all, byMode);
  }
  const key = `${mode.readOnly}/${mode.disableDestructive}/${mode.allowSql === true}`;
  let catalog = byMode.get(key);
  if (!catalog) {
    const tools = all.filter((t) => toolAllowed(t, mode));
    let list: ToolCatalog['list'] | undefined;
    // The JSON Schemas on the first tools/list, not at the first session: ~50 ms of CPU that
    // stdio's answer to initialize does not need (issue #13).
    catalog = {
      all,
      get list() {
        list ??= { tools: tools.map(describe) };
        return list;
      },
      byName: new Map(tools.map((t) => [t.name, t])),
    };
    byMode.set(key, catalog);
  }
  return catalog;
}

/**
 * The answer to a tools/call of a name not in the catalog: a tool the mode hides says so (and
 * which flag), a typo gets the closest listed name (issue #12, "Small").
 */
export function unknownToolMessage(name: string, mode: ModeOptions, catalog: ToolCatalog): string {
  const hidden = catalog.all.find((t) => t.name === name);
  if (hidden) return `Tool ${name} not found: this server's ${hiddenBy(hidden, mode) ?? 'mode hides it'}`;
  const near = closestName(name, catalog.byName.keys());
  return `Tool ${name} not found${near ? `; did you mean ${near}?` : '; tools/list shows the tools this server offers'}`;
}
