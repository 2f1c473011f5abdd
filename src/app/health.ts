// Probe endpoints, unauthenticated and revealing nothing but status:
//   /healthz (and /health): the process serves HTTP — liveness; stays 200 while draining.
//   /readyz: Kubernetes API and CNPG CRDs reachable, and not shutting down.
import { Router, type RequestHandler } from 'express';
import { methodNotAllowed } from '../protocol/errors.js';
import { ROUTES } from '../protocol/routes.js';
import type { ReadinessProbe } from './readiness.js';

const PROBE_METHODS = ['GET', 'HEAD'] as const;

export function healthRoutes(probe: ReadinessProbe, isDraining: () => boolean): Router {
  const router = Router();
  const alive: RequestHandler = (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  };
  const ready: RequestHandler = async (_req, res) => {
    res.set('Cache-Control', 'no-store');
    // Draining is checked first and is not cached: the load balancer must see it at once.
    if (isDraining()) return void res.status(503).json({ status: 'not ready', reason: 'shutting down' });
    const state = await probe.status();
    if (state.ready) return void res.json({ status: 'ready' });
    res.status(503).json({ status: 'not ready', reason: state.reason });
  };
  // Express answers HEAD with the GET handler.
  for (const path of ROUTES.live) router.route(path).get(alive).all(methodNotAllowed(PROBE_METHODS));
  router.route(ROUTES.ready).get(ready).all(methodNotAllowed(PROBE_METHODS));
  return router;
}
