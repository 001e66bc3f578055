/**
 * Calls and e-mails as touchpoints of the visits they were matched to, for whatever shows a visit
 * (the visits API, the deal card): one query each for a whole list of visits.
 */
import type { Queryable } from '../storage/database.js';

export interface CallTouchpoint {
  call_id: string;
  started_at: string;
  duration_seconds: number;
  tracking_number: string;
  recording_url: string | null;
}

export interface EmailTouchpoint {
  received_at: string;
  subject: string | null;
  to: string;
}

export interface VisitTouchpoints {
  calls: CallTouchpoint[];
  emails: EmailTouchpoint[];
}

/** Keyed by `tenant_id \u0000 visit_id`; visits without any are left out. */
export async function touchpointsOfVisits(db: Queryable, visits: ReadonlyArray<{ tenant_id: string; id: string }>): Promise<Map<string, VisitTouchpoints>> {
  const found = new Map<string, VisitTouchpoints>();
  if (visits.length === 0) return found;
  const keys = JSON.stringify(visits.map((visit) => ({ tenant_id: visit.tenant_id, id: visit.id })));
  const entry = (tenantId: string, visitId: string) => {
    const key = `${tenantId}\u0000${visitId}`;
    let touchpoints = found.get(key);
    if (!touchpoints) found.set(key, (touchpoints = { calls: [], emails: [] }));
    return touchpoints;
  };
  const { rows: calls } = await db.query<{ tenant_id: string; visit_id: string; call_id: string; started_at: Date | string; duration_seconds: number; tracking_number: string; recording_url: string | null }>(
    `SELECT c.tenant_id, c.visit_id, c.call_id, c.started_at, c.duration_seconds, c.tracking_number, c.recording_url
       FROM calls c JOIN jsonb_to_recordset($1::jsonb) AS v(tenant_id text, id text) ON c.tenant_id = v.tenant_id AND c.visit_id = v.id
      ORDER BY c.started_at`,
    [keys],
  );
  for (const call of calls) {
    entry(call.tenant_id, call.visit_id).calls.push({
      call_id: call.call_id,
      started_at: new Date(call.started_at).toISOString(),
      duration_seconds: call.duration_seconds,
      tracking_number: call.tracking_number,
      recording_url: call.recording_url,
    });
  }
  const { rows: emails } = await db.query<{ tenant_id: string; visit_id: string; received_at: Date | string; subject: string | null; to_address: string }>(
    `SELECT e.tenant_id, e.visit_id, e.received_at, e.subject, e.to_address
       FROM emails e JOIN jsonb_to_recordset($1::jsonb) AS v(tenant_id text, id text) ON e.tenant_id = v.tenant_id AND e.visit_id = v.id
      ORDER BY e.received_at`,
    [keys],
  );
  for (const email of emails) {
    entry(email.tenant_id, email.visit_id).emails.push({ received_at: new Date(email.received_at).toISOString(), subject: email.subject, to: email.to_address });
  }
  return found;
}
