/** For operators: what is in each queue, which jobs failed and why, and putting a failed job back. */
import { Router } from 'express';
import { AppError } from '../errors.js';
import { requireAdmin } from '../http/auth/requireAdmin.js';
import type { Feature, FeatureDeps } from '../runtime.js';

function queueRoutes(deps: FeatureDeps): Router {
  const router = Router();
  const admin = requireAdmin(deps.config.adminToken);
  const knownQueue = (name: string): string => {
    if (!deps.queueNames.includes(name)) {
      throw AppError.notFound(`No queue named ${JSON.stringify(name)}; queues: ${deps.queueNames.join(', ') || 'none'}`);
    }
    return name;
  };

  router.get('/api/v1/admin/queues', admin, async (_req, res) => {
    const queues = await Promise.all(deps.queueNames.map(async (name) => ({ name, counts: await deps.queue.counts(name) })));
    res.json({ backend: deps.queue.kind, queues });
  });

  router.get('/api/v1/admin/queues/:queue/failed', admin, async (req, res) => {
    const queue = knownQueue(req.params.queue as string);
    const limitParam = req.query.limit === undefined ? 50 : Number(req.query.limit);
    if (!Number.isInteger(limitParam) || limitParam < 1 || limitParam > 500) {
      throw AppError.validation('limit must be a whole number from 1 to 500');
    }
    res.json({ queue, jobs: await deps.queue.failed(queue, limitParam) });
  });

  router.post('/api/v1/admin/queues/:queue/failed/:jobId/retry', admin, async (req, res) => {
    const queue = knownQueue(req.params.queue as string);
    const jobId = req.params.jobId as string;
    if (!(await deps.queue.retryFailed(queue, jobId))) {
      throw AppError.notFound(`No failed job ${JSON.stringify(jobId)} in queue ${queue}`);
    }
    deps.logger.info('admin: failed job put back in its queue', { queue, job: jobId });
    res.json({ queue, id: jobId, state: 'waiting' });
  });

  return router;
}

export const adminQueuesFeature: Feature = {
  name: 'admin-queues',
  routers: (deps) => [queueRoutes(deps)],
};
