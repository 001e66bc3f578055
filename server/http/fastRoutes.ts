/**
 * Routes served on node:http before Express, on the same server and port: for a hot public endpoint
 * (the collector's `POST /collect`) whose work per request is small enough that Express's router,
 * middleware chain and response helpers would cost more than the work itself. A fast route gets
 * what every Express route gets: a request id (`X-Request-Id`) and its log context, the HTTP
 * metrics under its path, and the one error answer (`sendError`) for whatever it throws. Any other
 * path or method goes to Express unchanged.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type express from 'express';
import proxyaddr from 'proxy-addr';
import { runWithContext } from '../observability/context.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { sendError } from './middleware/errorHandler.js';
import { recordRequest } from './middleware/httpMetrics.js';
import { requestIdFor } from './middleware/requestContext.js';

export interface FastRequest {
  /** The client address under the app's "trust proxy" setting: what `req.ip` is in Express. */
  clientIp(): string | undefined;
}

export interface FastRoute {
  /** The exact path (a query string is allowed after it); also the route label in metrics. */
  path: string;
  /** Methods served here; other methods on the path go to Express (and get its 404). */
  methods: readonly string[];
  /** Answers the request, or throws (rejects) for the error path to answer. */
  handle(req: IncomingMessage, res: ServerResponse, request: FastRequest): Promise<void>;
}

export interface FastRoutesDeps {
  logger: Logger;
  metrics: Metrics;
}

/** The server's request listener: `routes` first, then `app`. */
export function withFastRoutes(app: express.Express, routes: readonly FastRoute[], deps: FastRoutesDeps): RequestListener {
  if (routes.length === 0) return app;
  const byPath = new Map(routes.map((route) => [route.path, route]));
  const trust = app.get('trust proxy fn') as (address: string, hop: number) => boolean;

  const serve = (route: FastRoute, req: IncomingMessage, res: ServerResponse) => {
    const startedAt = process.hrtime.bigint();
    const method = req.method ?? 'GET';
    const requestId = requestIdFor(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => recordRequest(deps.metrics, method, route.path, res.statusCode, startedAt));
    const request: FastRequest = { clientIp: () => (req.socket.remoteAddress === undefined ? undefined : proxyaddr(req, trust)) };
    runWithContext({ requestId }, () =>
      route.handle(req, res, request).catch((error: unknown) => {
        if (res.headersSent) {
          deps.logger.error('request failed after its answer started', { method, path: route.path });
          res.destroy();
          return;
        }
        sendError(res, error, deps.logger, { method, path: route.path });
      }),
    );
  };

  return (req, res) => {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const route = byPath.get(queryAt === -1 ? url : url.slice(0, queryAt));
    if (route && route.methods.includes(req.method ?? '')) serve(route, req, res);
    else app(req, res);
  };
}
