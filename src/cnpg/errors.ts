// Kubernetes errors are classified once, here, by HTTP status code and the Status body
// (never by matching message text; docs/architecture.md, "Conventions").
// The class itself, from the one file that defines it (the package index re-exports it): the
// package index costs ~1 s of CPU to load, and stdio must classify nothing before the first
// Kubernetes call (issue #13, src/deferred-deps.ts).
import { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';

export type KubeErrorKind =
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'conflict' // 409
  | 'invalid' // 422 (and 400 from admission/schema)
  | 'unreachable' // no answer from the API server
  | 'not_configured' // no kubeconfig / in-cluster config
  | 'timeout' // our own deadline (waits)
  | 'other';

export interface StatusCause {
  field?: string;
  message?: string;
  reason?: string;
}

/** A classified failure of a Kubernetes call. `message` is safe to show a client. */
export class KubeError extends Error {
  constructor(
    readonly kind: KubeErrorKind,
    message: string,
    readonly status?: number,
    readonly causes: StatusCause[] = [],
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function kindForStatus(status: number): KubeErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 422 || status === 400) return 'invalid';
  return 'other';
}

interface StatusBody {
  message?: string;
  reason?: string;
  details?: { causes?: StatusCause[] };
}

function parseStatusBody(body: unknown): StatusBody {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return { message: body.slice(0, 500) };
    }
  }
  if (body && typeof body === 'object') return body as StatusBody;
  return {};
}

/** Finds a network error code in an error or its cause chain (fetch wraps them). */
function networkCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Turns anything a Kubernetes call threw into a KubeError. */
export function classifyKubeError(err: unknown): KubeError {
  if (err instanceof KubeError) return err;
  if (err instanceof ApiException) {
    const status = parseStatusBody(err.body);
    const message = status.message ?? `HTTP ${err.code}`;
    return new KubeError(kindForStatus(err.code), message, err.code, status.details?.causes ?? []);
  }
  const code = networkCode(err);
  if (code) return new KubeError('unreachable', `the Kubernetes API server did not answer (${code})`);
  if (err instanceof Error && err.name === 'AbortError') return new KubeError('timeout', 'the request was cancelled');
  // Unknown failures: keep only the message's first line, never a stack.
  const text = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new KubeError('other', text ?? 'unknown error');
}

/** Runs a Kubernetes call and rethrows any failure classified. */
export async function kube<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifyKubeError(err);
  }
}
