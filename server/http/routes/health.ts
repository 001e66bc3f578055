/** Liveness, readiness and metrics: what a load balancer, an orchestrator and Prometheus ask. */
import { Router } from 'express';
import type { Database } from '../../storage/database.js';
import type { JobQueue } from '../../queue/jobQueue.js';
import type { Metrics } from '../../observability/metrics.js';

export interface HealthDeps {
  db: Database;
  queue: JobQueue;
  metrics: Metrics;
  /** Extra facts for /readyz (e.g. that this is a demo run). */
  readinessDetails?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** True once shutdown began: a load balancer should stop sending traffic here. */
  isShuttingDown?: () => boolean;
}

interface CheckResult {
  ok: boolean;
  backend: string;
  error?: string;
}

const READINESS_TIMEOUT_MS = 1_500;

async function check(backend: string, probe: () => Promise<void>): Promise<CheckResult> {
  try {
    await probe();
    return { ok: true, backend };
  } catch (error) {
    return { ok: false, backend, error: error instanceof Error ? error.message : String(error) };
  }
}

export function healthRoutes(deps: HealthDeps): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const [database, queue] = await Promise.all([
      check(deps.db.kind, () => deps.db.ping(READINESS_TIMEOUT_MS)),
      check(deps.queue.kind === 'bullmq' ? 'redis' : 'database', () => deps.queue.ping(READINESS_TIMEOUT_MS)),
    ]);
    const shuttingDown = deps.isShuttingDown?.() ?? false;
    const checks = { database, queue };
    // Details inform (a CRM account waiting for re-authorisation); they never make the process unready.
    const details = await Promise.resolve(deps.readinessDetails?.() ?? {}).catch((error: unknown) => ({
      detailsError: error instanceof Error ? error.message : String(error),
    }));
    const failed = Object.entries(checks).filter(([, result]) => !result.ok);
    if (failed.length === 0 && !shuttingDown) {
      res.json({ status: 'ready', checks, ...details });
      return;
    }
    const reasons = failed.map(([name, result]) => `${name} (${result.backend}): ${result.error ?? 'failed'}`);
    if (shuttingDown) reasons.push('the process is shutting down');
    res.status(503).json({
      status: 'not_ready',
      checks,
      ...details,
      error: { code: 'not_ready', message: `Not ready: ${reasons.join('; ')}` },
    });
  });

  router.get('/metrics', async (_req, res, next) => {
    try {
      const body = await deps.metrics.registry.metrics();
      res.setHeader('Content-Type', deps.metrics.registry.contentType);
      res.send(body);
    } catch (error) {
      next(error);
    }
  });

  return router;
}
