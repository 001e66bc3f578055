/** What the lead-capture tests of both CRMs read back: a stored lead request, and a visit before it. */
import assert from 'node:assert/strict';
import type { Queryable } from '../../server/storage/database.js';
import { waitFor } from './processes.js';
import { newId, pageview, sendHit } from './tracking.js';

/** A row of `lead_requests`, as far as the tests look at it. */
export interface LeadRow {
  id: string;
  status: string;
  attempts: number;
  phone: string | null;
  phone_e164: string | null;
  phone_invalid: boolean;
  email_normalized: string | null;
  repeats: number;
  crm_deal_id: string | null;
  crm_contact_id: string | null;
  crm_entity: string | null;
  last_error: string | null;
}

export async function leadRow(db: Queryable, id: string): Promise<LeadRow> {
  return (await db.query<LeadRow>('SELECT * FROM lead_requests WHERE id = $1', [id])).rows[0] as LeadRow;
}

/** Resolves with the lead once its delivery to the CRM is done. */
export function leadDelivered(db: Queryable, id: string): Promise<LeadRow> {
  return waitFor(`lead ${id} delivered`, async () => {
    const row = await leadRow(db, id);
    return row.status === 'delivered' ? row : undefined;
  }, 30_000);
}

/** A visit of `visitor` that landed on `landing` `ageMs` ago (as the tracker sends it). */
export async function visitBefore(baseUrl: string, siteKey: string, visitor: string, landing: string, ageMs: number): Promise<void> {
  const response = await sendHit(baseUrl, pageview(siteKey, { visitor, visit: newId(), url: landing, landing, ts: Date.now() - ageMs }));
  assert.equal(response.status, 204);
}
