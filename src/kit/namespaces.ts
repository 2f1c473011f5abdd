// The --namespaces allowlist and the default namespace, enforced for every tool call.
import { ToolError } from './tool-error.js';

export class NamespacePolicy {
  constructor(
    readonly defaultNamespace: string,
    private readonly allowed: readonly string[],
  ) {}

  get restricted(): boolean {
    return this.allowed.length > 0;
  }

  /** The namespace a tool acts in: the one asked for, else the default; refused outside the allowlist. */
  resolve(requested: string | undefined): string {
    const namespace = requested ?? this.defaultNamespace;
    this.check(namespace);
    return namespace;
  }

  check(namespace: string): void {
    if (this.restricted && !this.allowed.includes(namespace)) {
      throw new ToolError(`namespace "${namespace}" is not allowed on this server`, `Allowed namespaces: ${this.allowed.join(', ')}.`);
    }
  }

  /** For "all namespaces" listings: undefined means every namespace; otherwise the allowlist. */
  listScope(): readonly string[] | undefined {
    return this.restricted ? this.allowed : undefined;
  }
}
