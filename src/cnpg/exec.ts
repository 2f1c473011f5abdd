// Runs a command in a pod's container through the exec subresource (a WebSocket to the API
// server), as `kubectl exec` does: used by query_postgres (psql over the instance's unix socket).
// Its own small WebSocket client, not client-node's: a refused upgrade must be classified by its
// HTTP status code and Status body (403 without pods/exec, 404 for a pod gone), and client-node's
// handler only passes on a message text. Output is capped: past maxBytes the stream is cut.
import type { KubeConfig } from '@kubernetes/client-node';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
import { classifyKubeError, KubeError } from './errors.js';

export interface ExecOptions {
  /** Most stdout bytes kept; the connection is closed once more arrive. */
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  /** The command's exit code; undefined when the output was cut or the wait ended first. */
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** stdout reached maxBytes and the rest was not read. */
  truncated: boolean;
  timedOut: boolean;
}

// v4: the status channel carries a Status object with the exit code.
const PROTOCOL = 'v4.channel.k8s.io';
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const MAX_STDERR = 16_000;

interface ExecStatus {
  status?: string;
  reason?: string;
  message?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/** A refused upgrade: the API server's status code and Status body, classified like any API call's. */
async function refusal(res: IncomingMessage): Promise<KubeError> {
  let body = '';
  for await (const chunk of res) {
    if (body.length < 10_000) body += String(chunk);
  }
  return classifyKubeError(new ApiException(res.statusCode ?? 0, `HTTP ${res.statusCode}`, body, {}));
}

export async function execInPod(kc: KubeConfig, namespace: string, pod: string, container: string, command: string[], o: ExecOptions): Promise<ExecResult> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeError('not_configured', 'no Kubernetes cluster is configured');
  const query = new URLSearchParams({ container, stdout: 'true', stderr: 'true' });
  for (const arg of command) query.append('command', arg);
  const url = `${cluster.server.replace(/^http/, 'ws')}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/exec?${query}`;
  const options: WebSocket.ClientOptions = {};
  await kc.applyToHTTPSOptions(options);

  return new Promise<ExecResult>((resolve, reject) => {
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let truncated = false;
    let timedOut = false;
    let status: ExecStatus | undefined;
    let opened = false;
    const ws = new WebSocket(url, [PROTOCOL], options);
    const stop = () => ws.terminate();
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, o.timeoutMs);
    o.signal?.addEventListener('abort', stop, { once: true });
    const done = () => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', stop);
    };
    let refused = false;
    // With this listener ws leaves the refused handshake to us: read the Status, then drop it.
    ws.on('unexpected-response', (_req, res) => {
      refused = true;
      done();
      refusal(res)
        .then(reject, reject)
        .finally(() => ws.terminate());
    });
    ws.on('open', () => (opened = true));
    ws.on('error', (err) => {
      done();
      if (!opened && !refused) reject(classifyKubeError(err));
    });
    ws.on('message', (data: Buffer) => {
      const channel = data[0];
      const payload = data.subarray(1);
      if (channel === STDOUT && !truncated) {
        const room = o.maxBytes - outBytes;
        out.push(payload.subarray(0, Math.max(0, room)));
        outBytes += Math.min(payload.length, Math.max(0, room));
        if (payload.length > room) {
          truncated = true;
          stop();
        }
      } else if (channel === STDERR && stderr.length < MAX_STDERR) stderr += payload.toString('utf8');
      else if (channel === STATUS && payload.length) {
        try {
          status = JSON.parse(payload.toString('utf8')) as ExecStatus;
        } catch {
          status = { status: 'Failure', message: 'unreadable exec status' };
        }
      }
    });
    ws.on('close', () => {
      done();
      if (!opened) return; // 'unexpected-response' or 'error' answered
      if (status?.status === 'Failure' && status.reason !== 'NonZeroExitCode' && !truncated && !timedOut) {
        // The command could not run at all (no such container or binary).
        reject(new KubeError('other', `exec in ${namespace}/${pod} failed: ${status.message ?? 'unknown reason'}`));
        return;
      }
      const exit = status?.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
      const exitCode = status?.status === 'Success' ? 0 : exit !== undefined ? Number(exit) : undefined;
      resolve({ exitCode, stdout: Buffer.concat(out).toString('utf8'), stderr: stderr.slice(0, MAX_STDERR), truncated, timedOut });
    });
  });
}
