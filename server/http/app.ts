/**
 * The Express app: context and metrics first, then the feature routers, then the one 404 and error
 * path. Routers are passed in, so each feature mounts its own and the app stays a list. Routers
 * declare their own body parsers (http/bodies.ts) and full paths (metrics label by route pattern).
 */
import express, { type Router } from 'express';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { errorHandler, routeNotFound } from './middleware/errorHandler.js';
import { httpMetrics } from './middleware/httpMetrics.js';
import { requestContext } from './middleware/requestContext.js';

export interface AppDeps {
  /** Express "trust proxy": whose X-Forwarded-For names the client (TRUST_PROXY). */
  trustProxy: string | number | boolean;
  logger: Logger;
  metrics: Metrics;
  routers: Router[];
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy);
  app.use(requestContext());
  app.use(httpMetrics(deps.metrics));
  for (const router of deps.routers) app.use(router);
  app.use(routeNotFound());
  app.use(errorHandler(deps.logger));
  return app;
}
