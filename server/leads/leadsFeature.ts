/**
 * Lead capture: `POST /api/v1/leads` (leadRoutes.ts), the intake every lead goes through
 * (leadIntake.ts `acceptLead`, also used by call and e-mail tracking), and the delivery of stored
 * leads to the tenant's CRM (leadDelivery.ts) on the `lead-deliver` queue, with its sweep.
 */
import type { Job } from '../queue/jobQueue.js';
import type { Feature, WorkerRegistration } from '../runtime.js';
import { deliverLead, scheduleLeadSweep, sweepLeads, type DeliverJob } from './leadDelivery.js';
import { LEAD_QUEUE } from './leadIntake.js';
import { leadRoutes } from './leadRoutes.js';

export const leadsFeature: Feature = {
  name: 'leads',
  queues: [LEAD_QUEUE],
  routers: (deps) => [leadRoutes(deps)],
  workers: (deps): WorkerRegistration[] => {
    void scheduleLeadSweep(deps).catch((error: unknown) => deps.logger.warn('could not schedule the lead sweep', { error: String(error) }));
    return [
      {
        queue: LEAD_QUEUE,
        handler: ((job: Job<DeliverJob>) => (job.name === 'sweep' ? sweepLeads(deps) : deliverLead(deps, job))) as never,
      },
    ];
  },
};
