// completion/complete (issue #15): namespaces and cluster names for the resource template
// cnpg://{namespace}/{name} and for the prompts' name/namespace arguments. Names come from
// CnpgClient.list, which the shared watch cache answers once synced; namespaces are the
// allowlist when there is one, else the namespaces that hold clusters. Never outside the allowlist.
import { type CompleteRequestParams, type CompleteResult, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { Cluster } from '../cnpg/types.js';
import type { ServerDeps } from '../kit/deps.js';
import { RESOURCE_TEMPLATES } from './resources.js';
import { PROMPT_LIST } from './prompts.js';

/** The protocol's cap on values in one completion answer. */
const MAX_VALUES = 100;

const PROMPT_NAMES = PROMPT_LIST.prompts.map((p) => p.name);
const TEMPLATE_URI = RESOURCE_TEMPLATES.resourceTemplates[0]!.uriTemplate;

export async function complete(deps: ServerDeps, params: CompleteRequestParams): Promise<CompleteResult> {
  const { ref, argument } = params;
  // The conformance scenario's prompt (ServerDeps.conformanceFixtures, tests only): it asks for an answer of the right shape.
  if (deps.conformanceFixtures && ref.type === 'ref/prompt' && ref.name === 'test_prompt_with_arguments') {
    return { completion: { values: [], total: 0, hasMore: false } };
  }
  const known = ref.type === 'ref/resource' ? ref.uri === TEMPLATE_URI : ref.type === 'ref/prompt' ? PROMPT_NAMES.includes(ref.name) : false;
  if (!known) {
    const what = ref.type === 'ref/resource' ? `resource template ${ref.uri}` : ref.type === 'ref/prompt' ? `prompt ${ref.name}` : 'reference';
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `no completions for ${what}: this server completes ${TEMPLATE_URI} and the prompts ${PROMPT_NAMES.join(', ')}`,
    );
  }
  const context = params.context?.arguments ?? {};
  if (argument.name !== 'namespace' && argument.name !== 'name')
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `no completions for the argument "${argument.name.slice(0, 100)}": only namespace and name`);
  let candidates: string[];
  try {
    candidates = argument.name === 'namespace' ? await namespaces(deps) : await clusterNames(deps, context.namespace);
  } catch (err) {
    // A completion is a convenience: say why there is none (no kubeconfig, API down), never a stack.
    throw new ProtocolError(ProtocolErrorCode.InternalError, `cannot complete ${argument.name}: ${(err as Error).message}`);
  }
  const prefix = argument.value ?? '';
  const matches = [...new Set(candidates)].filter((v) => v.startsWith(prefix)).sort();
  return { completion: { values: matches.slice(0, MAX_VALUES), total: matches.length, hasMore: matches.length > MAX_VALUES } };
}

async function namespaces(deps: ServerDeps): Promise<string[]> {
  const scope = deps.namespaces.listScope();
  if (scope) return [...scope];
  const clusters = await deps.cnpg().list<Cluster>('cluster', undefined);
  return [deps.namespaces.defaultNamespace, ...clusters.map((c) => c.metadata.namespace ?? '')].filter(Boolean);
}

/** Clusters of the namespace already chosen, else of the default one; none outside the allowlist. */
async function clusterNames(deps: ServerDeps, namespace: string | undefined): Promise<string[]> {
  const ns = namespace || deps.namespaces.defaultNamespace;
  const scope = deps.namespaces.listScope();
  if (scope && !scope.includes(ns)) return [];
  const clusters = await deps.cnpg().list<Cluster>('cluster', ns);
  return clusters.map((c) => c.metadata.name);
}
