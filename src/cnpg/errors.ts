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
    /** For `unreachable`: what failed on the way (connection refused, TLS failure, …), no address. */
    readonly networkReason?: string,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

/**
 * What a network error code means, in the words an operator checks (issue #12, item 14: not
 * "fetch failed"). Codes from Node (net, dns, tls) and undici, found anywhere in the cause chain.
 */
const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed unexpectedly',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'DNS lookup failed: no such host',
  EAI_AGAIN: 'DNS lookup failed: no answer from the resolver',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS failure: the server certificate is self-signed and not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS failure: a self-signed certificate in the chain is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS failure: the server certificate cannot be verified',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "TLS failure: the server certificate's issuer is not trusted",
  CERT_HAS_EXPIRED: 'TLS failure: the server certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS failure: the server certificate is not valid for this host name',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS failure: the server does not speak TLS on that port',
  EPROTO: 'TLS failure: protocol error',
};

/** What to check for each kind of network failure. */
export function networkAdvice(reason: string): string {
  if (reason.startsWith('TLS')) return 'check the certificate-authority data of the kubeconfig cluster, and that the address is the API server';
  if (reason.startsWith('DNS')) return 'check the host name of the kubeconfig cluster';
  return 'check that the API server is running and reachable from here, and that the kubeconfig (KUBECONFIG, --kubeconfig, --context) points at it';
}

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

/** Finds a network error code in an error, its cause chain (fetch wraps them) or an AggregateError's errors. */
function networkCode(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 5) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code in NETWORK_REASONS) return code;
  for (const inner of (err as { errors?: unknown[] }).errors ?? []) {
    const found = networkCode(inner, depth + 1);
    if (found) return found;
  }
  return networkCode((err as { cause?: unknown }).cause, depth + 1);
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
  if (code) return new KubeError('unreachable', `${NETWORK_REASONS[code]} (${code})`, undefined, [], NETWORK_REASONS[code]);
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
