/**
 * A call's CRM deal, settled once `CALL_DEAL_WINDOW_MS` after the call started: when the CRM's own
 * telephony integration made a deal for the caller, enrichment has by then attached the call to it
 * (callEvidence.ts), or, for a matched call, at least tied it to the call's visitor (the caller's
 * number is that visitor's identity) and it is attached here. Otherwise LongFunnel creates the lead
 * itself (`acceptLead`, origin `call`, the call id as its external id, so running this twice creates
 * one lead): with the call's visitor, or without one and with the reason (`call_to_non_leased_number`,
 * `lease_expired`) its deal then records.
 */
import { createHash } from 'node:crypto';
import { acceptLead } from '../leads/leadIntake.js';
import { mergedVisitorIds } from '../crm/identities.js';
import type { Job } from '../queue/jobQueue.js';
import type { FeatureDeps } from '../runtime.js';
import { storedCall, type StoredCall } from './calls.js';

export const CALL_DEALS_QUEUE = 'call-deals';

interface SettleCallJob {
  tenantId: string;
  callId: string;
}

export async function scheduleCallDeal(deps: FeatureDeps, tenantId: string, call: StoredCall, now = Date.now()): Promise<void> {
  if (isHidden(call)) return;
  const jobId = `call-${createHash('sha256').update(`${tenantId}\u0000${call.callId}`).digest('hex').slice(0, 40)}`;
  const delayMs = Math.max(0, call.startedAt.getTime() + deps.config.callDealWindowMs - now);
  await deps.queue.add<SettleCallJob>(CALL_DEALS_QUEUE, 'settle', { tenantId, callId: call.callId }, { jobId, delayMs });
}

export type CallDealOutcome = 'attached' | 'lead_created' | 'no_crm' | 'unknown_call' | 'settled_before' | 'hidden_caller';

/** A hidden caller leaves nothing to create a contact from; the CRM's telephony has the call. */
function isHidden(call: StoredCall): boolean {
  return !call.callerNumber && !/\d{5,}/.test(call.callerRaw);
}

export async function settleCallDeal(deps: FeatureDeps, tenantId: string, callId: string): Promise<CallDealOutcome> {
  const call = await storedCall(deps.db, tenantId, callId);
  if (!call) return 'unknown_call';
  const { rows: settled } = await deps.db.query<{ deal_id: string | null; lead_requested_at: Date | null }>(
    'SELECT deal_id, lead_requested_at FROM calls WHERE tenant_id = $1 AND call_id = $2',
    [tenantId, callId],
  );
  if (settled[0]?.deal_id || settled[0]?.lead_requested_at) return 'settled_before';
  const { rows: accounts } = await deps.db.query("SELECT 1 FROM crm_accounts WHERE tenant_id = $1 AND status <> 'disabled'", [tenantId]);
  if (accounts.length === 0) return 'no_crm';
  if (isHidden(call)) return 'hidden_caller';
  const window = deps.config.callDealWindowMs;
  // A matched call's visitor may already have its deal (matched by the caller's phone, or made from a form just before).
  const visitors = call.visitorId ? await mergedVisitorIds(deps.db, tenantId, call.visitorId) : [];
  const { rows: deals } = await deps.db.query<{ id: string }>(
    `SELECT id FROM deals
      WHERE tenant_id = $1 AND visitor_id = ANY($2::text[]) AND NOT deleted AND created_at BETWEEN $3 AND $4
      ORDER BY abs(extract(epoch FROM created_at - $5::timestamptz)) LIMIT 1`,
    [
      tenantId,
      visitors,
      new Date(call.startedAt.getTime() - window).toISOString(),
      new Date(call.startedAt.getTime() + window).toISOString(),
      call.startedAt.toISOString(),
    ],
  );
  if (deals[0]) {
    await deps.db.query('UPDATE calls SET deal_id = $3 WHERE tenant_id = $1 AND call_id = $2', [tenantId, callId, deals[0].id]);
    return 'attached';
  }
  await acceptLead(deps, {
    tenantId,
    siteId: call.siteId ?? undefined,
    origin: 'call',
    visitorId: call.visitorId ?? undefined,
    noMatchReason: call.matchReason ?? undefined,
    phone: call.callerNumber ?? call.callerRaw,
    comment: `Call to ${call.trackingNumber}, ${call.durationSeconds} s${call.recordingUrl ? `, recording ${call.recordingUrl}` : ''}`,
    externalId: callId,
    receivedAt: call.startedAt,
  });
  await deps.db.query('UPDATE calls SET lead_requested_at = now() WHERE tenant_id = $1 AND call_id = $2', [tenantId, callId]);
  return 'lead_created';
}

export function callDealWorker(deps: FeatureDeps) {
  return async (job: Job<SettleCallJob>) => {
    const outcome = await settleCallDeal(deps, job.data.tenantId, job.data.callId);
    deps.logger.info('call deal settled', { tenant: job.data.tenantId, outcome });
  };
}
