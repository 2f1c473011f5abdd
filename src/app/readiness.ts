// Readiness: the Kubernetes API answers and the CloudNativePG API group is served. The result
// is cached for a couple of seconds and concurrent probes share one check, so a busy kubelet
// or load balancer never turns into a stream of calls to the API server.
import type { KubeErrorKind } from '../cnpg/errors.js';

export type Readiness = { ready: true } | { ready: false; reason: string };

export interface ReadinessOptions {
  /** How long one answer is reused. Default 2000 ms. */
  cacheMs?: number;
  /** A check slower than this counts as not ready. Default 3000 ms (below the kubelet's default probe timeout is the caller's job). */
  timeoutMs?: number;
  now?: () => number;
}

// Short, fixed reasons: a probe answer must not reveal hosts, paths or credentials.
const REASONS: Partial<Record<KubeErrorKind, string>> = {
  not_configured: 'kubernetes not configured',
  unreachable: 'kubernetes API unreachable',
  timeout: 'kubernetes API did not answer in time',
  not_found: 'CloudNativePG CRDs not installed',
  unauthorized: 'kubernetes API refused the credentials',
  forbidden: 'kubernetes API refused the credentials',
};

export function reasonFor(err: unknown): string {
  const { kind, networkReason } = (err ?? {}) as { kind?: KubeErrorKind; networkReason?: string };
  const reason = (kind && REASONS[kind]) ?? 'kubernetes API check failed';
  // The same reason a tool gives (connection refused, TLS failure, …), without the address (issue #12, item 14).
  return networkReason ? `${reason}: ${networkReason}` : reason;
}

export class ReadinessProbe {
  private cached?: { at: number; value: Readiness };
  private running?: Promise<Readiness>;
  private readonly cacheMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  /** `check` resolves when ready and throws a classified error (with a `kind`) otherwise. */
  constructor(
    private readonly check: () => Promise<void>,
    options: ReadinessOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 2000;
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.now = options.now ?? Date.now;
  }

  async status(): Promise<Readiness> {
    if (this.cached && this.now() - this.cached.at < this.cacheMs) return this.cached.value;
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<Readiness> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject({ kind: 'timeout' }), this.timeoutMs);
    });
    let value: Readiness;
    try {
      await Promise.race([this.check(), deadline]);
      value = { ready: true };
    } catch (err) {
      value = { ready: false, reason: reasonFor(err) };
    } finally {
      clearTimeout(timer);
    }
    this.cached = { at: this.now(), value };
    return value;
  }
}
