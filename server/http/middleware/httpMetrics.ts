import type { Request, RequestHandler } from 'express';
import type { Metrics } from '../../observability/metrics.js';

/** The route pattern, never the raw path: raw paths carry ids and would explode label cardinality. */
function routeLabel(req: Request): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern === 'string') return `${req.baseUrl}${pattern}` || '/';
  return 'unmatched';
}

/** Counts one answered request and its duration since `startedAt` (process.hrtime.bigint()). */
export function recordRequest(metrics: Metrics, method: string, route: string, status: number, startedAt: bigint): void {
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  metrics.httpRequests.inc({ method, route, status: String(status) });
  metrics.httpDuration.observe({ method, route }, seconds);
}

export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const startedAt = process.hrtime.bigint();
    res.on('finish', () => recordRequest(metrics, req.method, routeLabel(req), res.statusCode, startedAt));
    next();
  };
}
