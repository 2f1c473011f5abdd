// DNS-rebinding and cross-site defence, before anything else looks at a request:
//  - Host: on a loopback bind only loopback names are accepted (a rebound evil.example name
//    pointing at 127.0.0.1 is refused); --allowed-hosts sets the list for any bind; on a
//    non-loopback bind without it, any Host passes (the Origin check below still applies).
//  - Origin (MCP transport spec: servers MUST validate it): absent passes (non-browser
//    clients send none); present, it must be same-origin or listed in --cors-origins, else 403.
// Host matching uses the SDK's validateHostHeader. Origins are compared exactly (scheme, host
// and port) rather than with the SDK's port-agnostic validateOriginHeader, because the same
// list answers CORS, where only an exact origin may be echoed back.
import { localhostAllowedHostnames, validateHostHeader } from '@modelcontextprotocol/server';
import type { Request, RequestHandler } from 'express';
import { isLoopbackHost } from '../loopback.js';
import { originRejections } from '../metrics.js';
import type { AuditLog } from './audit.js';
import { closeIfBodyPending, sendJsonRpcError } from '../protocol/errors.js';

export interface OriginSettings {
  host: string;
  allowedHosts?: string[];
  corsOrigins: string[];
}

/** The Host names accepted, or undefined for any. */
export function allowedHostnames(settings: OriginSettings): string[] | undefined {
  if (settings.allowedHosts) return settings.allowedHosts.map((h) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h));
  return isLoopbackHost(settings.host) ? localhostAllowedHostnames() : undefined;
}

export function originGuard(settings: OriginSettings, audit: AuditLog, clientIp: (req: Request) => string): RequestHandler {
  const hosts = allowedHostnames(settings);
  const origins = new Set(settings.corsOrigins);
  return (req, res, next) => {
    const refuse = (reason: 'origin' | 'host') => {
      originRejections.inc({ reason });
      audit.refusal(req, clientIp(req), { event: 'origin_rejected', reason, origin: req.headers.origin, host: req.headers.host });
      closeIfBodyPending(req, res);
      sendJsonRpcError(res, 403, -32000, reason === 'host' ? 'Forbidden: Host not allowed' : 'Forbidden: Origin not allowed');
    };
    if (hosts && !validateHostHeader(req.headers.host, hosts).ok) return refuse('host');
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    if (origins.has(origin) || sameOrigin(origin, req)) return next();
    refuse('origin');
  };
}

/** Whether `origin` names the host:port this request was sent to (a page served by this server). */
function sameOrigin(origin: string, req: Request): boolean {
  let from: URL;
  let to: URL;
  try {
    from = new URL(origin);
    // The scheme of the Host side is ours (TLS here or not); behind a TLS-terminating proxy
    // only host and port can be compared.
    to = new URL(`${from.protocol}//${req.headers.host ?? ''}`);
  } catch {
    return false;
  }
  return from.origin === origin && from.host !== '' && from.host === to.host;
}
