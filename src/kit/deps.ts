// What a server of one session is built from: the Kubernetes client, the namespace policy, the
// mode, the tools. Below the server and the transports, so both name it without a circle.
import type { CacheListener } from '../cnpg/cache.js';
import type { CnpgClient } from '../cnpg/client.js';
import type { Logger } from '../log.js';
import type { NamespacePolicy } from './namespaces.js';
import type { ToolDef } from './tool.js';

export interface ModeOptions {
  readOnly: boolean;
  /**
   * With readOnly: credentials may still be returned. A read-only server is for people who may
   * look, not write, so by default it hands out no passwords (issue #12, item 18).
   */
  readOnlyCredentials?: boolean;
  disableDestructive: boolean;
  /** --allow-sql: tools that opt in with `requires: 'allow-sql'` (query_postgres) are registered. */
  allowSql?: boolean;
}

export interface ServerDeps {
  cnpg(): CnpgClient;
  namespaces: NamespacePolicy;
  mode: ModeOptions;
  /**
   * Every tool this server knows (src/tools/index.ts), handed in by the composition root
   * (src/server-settings.ts): the server filters them by mode and never imports a tool itself.
   */
  tools: readonly ToolDef[];
  maxResponseChars: number;
  logger: Logger;
  /**
   * Registers a listener of Cluster changes from the shared watch cache (src/cnpg/cache.ts) and
   * returns its unregister function. Absent without that cache (--watch-cache off, --impersonate):
   * resource subscriptions are then not offered (src/mcp/subscriptions.ts).
   */
  clusterChanges?: (listener: CacheListener) => () => void;
  /**
   * Test only: the fixtures the official conformance scenarios name (a resource
   * test://watched-resource to subscribe to, a prompt test_prompt_with_arguments to complete).
   * No flag or environment variable sets it: only e2e/live-conformance.e2e.ts, which builds its deps.
   */
  conformanceFixtures?: boolean;
  /**
   * Present with --impersonate: the deps a session of that principal must use, whose
   * Kubernetes requests impersonate it (no shared cache). Transports call it per session.
   */
  forPrincipal?: (identity: { user: string; groups: string[] }) => ServerDeps;
  /** Releases shared resources (watches) at shutdown. */
  close?: () => Promise<void>;
}

/** Deps whose Kubernetes side is loaded on demand (src/deferred-deps.ts builds them, stdio uses them). */
export interface DeferredDeps {
  /** Usable at once for the mode, limits and logger; cnpg() and namespaces only after load(). */
  deps: ServerDeps;
  readonly loaded: boolean;
  /** Builds the real deps (src/server-settings.ts) once; later calls return the same promise. */
  load(): Promise<void>;
}
