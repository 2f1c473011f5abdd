// The tool list a mode allows, with its JSON Schemas, computed once per process and mode.
// tools/list then answers a precomputed value, and tools/call looks tools up by name: no schema
// conversion or registration happens per session or per request.
import type { Tool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { ALL_TOOLS } from '../tools/index.js';
import { toolAllowed, type ModeOptions } from './modes.js';
import type { ToolDef } from './tool.js';

export interface ToolCatalog {
  readonly list: { tools: Tool[] };
  readonly byName: ReadonlyMap<string, ToolDef>;
}

// The target the MCP SDK uses for tool schemas, so tools/list looks the same as through McpServer.
const TARGET = 'draft-2020-12';

/** The same Standard-Schema conversion the SDK applies to registered tools. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Tool['inputSchema'] {
  const json = schema['~standard'].jsonSchema[io]({ target: TARGET }) as Record<string, unknown>;
  return { type: 'object', ...json } as Tool['inputSchema'];
}

function describe(tool: ToolDef): Tool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: jsonSchema(tool.input, 'input'),
    annotations: { title: tool.title, ...tool.annotations },
    outputSchema: jsonSchema(tool.output, 'output') as Tool['outputSchema'],
  };
}

const catalogs = new Map<string, ToolCatalog>();

export function catalogFor(mode: ModeOptions): ToolCatalog {
  const key = `${mode.readOnly}/${mode.disableDestructive}`;
  let catalog = catalogs.get(key);
  if (!catalog) {
    const tools = ALL_TOOLS.filter((t) => toolAllowed(t, mode));
    catalog = { list: { tools: tools.map(describe) }, byName: new Map(tools.map((t) => [t.name, t])) };
    catalogs.set(key, catalog);
  }
  return catalog;
}
