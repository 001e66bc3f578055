import type { Feature } from '../runtime.js';
import { CALL_DEALS_QUEUE, callDealWorker } from './callDeals.js';
import { callTrackingRoutes } from './callTrackingRoutes.js';
import { zadarmaRoutes } from './zadarmaRoutes.js';

/** Call and e-mail tracking: numbers and addresses per site, the calls and e-mails APIs, and each call's CRM deal. */
export const callTrackingFeature: Feature = {
  name: 'call-tracking',
  queues: [CALL_DEALS_QUEUE],
  routers: (deps) => {
    deps.metrics.watchNumberPools({
      async pools() {
        const { rows } = await deps.db.query<{ site_id: string; pool_size: number; peak_wanted: number }>(
          `SELECT s.site_id, s.peak_wanted,
                  (SELECT count(*) FROM tracking_numbers n WHERE n.site_id = s.site_id AND n.kind = 'pool' AND n.retired_at IS NULL)::int AS pool_size
             FROM site_lead_tracking s`,
        );
        return rows.map((row) => ({ site: row.site_id, poolSize: row.pool_size, peakWanted: row.peak_wanted }));
      },
    });
    return [callTrackingRoutes(deps), zadarmaRoutes(deps)];
  },
  workers: (deps) => [{ queue: CALL_DEALS_QUEUE, handler: callDealWorker(deps) as never }],
};
