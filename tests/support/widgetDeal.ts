/**
 * A deal with a history for the deal-card widget's tests: a person who came from Yandex ads five
 * days ago, from Google search two days ago and typed the address three hours ago, then left a
 * request (the CRM deal carries their visitor id), and after that looked at the price page. The
 * visits go through `/collect` as a browser sends them; the collector stamps hits with the time it
 * receives them, so the earlier visits are then moved back in time in the database (the only
 * arrangement done there). The deal is enriched by LongFunnel through the CRM emulator.
 */
import type { Database } from '../../server/storage/database.js';
import { waitFor } from './processes.js';
import { adminHeaders, newId, pageview, sendHit } from './tracking.js';

export interface ArrangedVisit {
  /** How long before now it starts, in hours (moved in the database after the collector stored it). */
  hoursAgo: number;
  landing: string;
  referrer?: string;
  pages?: string[];
  goals?: string[];
  userAgent?: string;
}

export const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/** The person's visits before the lead, oldest first. */
export const visitsBeforeLead: readonly ArrangedVisit[] = [
  {
    hoursAgo: 5 * 24,
    landing: 'https://shop.example/sofas/?utm_source=yandex&utm_medium=cpc&utm_campaign=sofa_msk&utm_term=%D0%BA%D1%83%D0%BF%D0%B8%D1%82%D1%8C+%D0%B4%D0%B8%D0%B2%D0%B0%D0%BD&yclid=42',
    pages: ['https://shop.example/sofas/oslo', 'https://shop.example/sofas/bergen'],
    userAgent: IPHONE,
  },
  {
    hoursAgo: 2 * 24,
    landing: 'https://shop.example/sofas/oslo',
    referrer: 'https://www.google.com/',
    pages: ['https://shop.example/delivery'],
    goals: ['add_to_cart'],
  },
  { hoursAgo: 3, landing: 'https://shop.example/cart', goals: ['callback_request'] },
];

/** Sends one visit (landing page, more pages, goals) as one browser would; returns its visit id. */
export async function sendVisit(baseUrl: string, siteKey: string, visitor: string, visit: ArrangedVisit): Promise<string> {
  const visitId = newId();
  const options = visit.userAgent ? { userAgent: visit.userAgent } : {};
  const hit = async (fields: Record<string, unknown>) => {
    const response = await sendHit(baseUrl, pageview(siteKey, { visitor, visit: visitId, landing: visit.landing, ...fields }), options);
    if (response.status !== 204) throw new Error(`/collect answered ${response.status}: ${await response.text()}`);
  };
  await hit({ url: visit.landing, ...(visit.referrer ? { referrer: visit.referrer } : {}) });
  for (const page of visit.pages ?? []) await hit({ url: page });
  for (const goal of visit.goals ?? []) await hit({ type: 'goal', goal, url: visit.pages?.at(-1) ?? visit.landing });
  return visitId;
}

/** Waits until the collector stored the visit, then moves it (and its hits) `hoursAgo` back, keeping its length. */
export async function backdateVisit(db: Database, tenantId: string, visitId: string, hoursAgo: number, minutesLong = 6): Promise<void> {
  await waitFor(`visit ${visitId} stored`, async () => {
    const { rows } = await db.query<{ count: string }>('SELECT count(*) AS count FROM visits WHERE tenant_id = $1 AND id = $2', [tenantId, visitId]);
    return Number(rows[0]?.count) === 1;
  });
  const start = new Date(Date.now() - hoursAgo * 3_600_000);
  await db.query(
    `WITH shift AS (SELECT $3::timestamptz - started_at AS by FROM visits WHERE tenant_id = $1 AND id = $2)
     UPDATE hits SET at = hits.at + shift.by FROM shift WHERE hits.tenant_id = $1 AND hits.visit_id = $2`,
    [tenantId, visitId, start.toISOString()],
  );
  await db.query(`UPDATE visits SET started_at = $3, last_activity_at = $3::timestamptz + $4 * interval '1 minute' WHERE tenant_id = $1 AND id = $2`, [
    tenantId,
    visitId,
    start.toISOString(),
    minutesLong,
  ]);
}

/** The visits before the lead, sent and moved back in time. Returns the visitor id (`arrangedVisitIds` gives the visits' ids). */
export async function arrangeVisitsBeforeLead(baseUrl: string, db: Database, tenantId: string, siteKey: string): Promise<string> {
  const visitor = newId();
  const visitIds: string[] = [];
  for (const [index, visit] of visitsBeforeLead.entries()) {
    const visitId = await sendVisit(baseUrl, siteKey, visitor, visit);
    await backdateVisit(db, tenantId, visitId, visit.hoursAgo, 4 + index * 3);
    visitIds.push(visitId);
  }
  lastVisitIds.set(visitor, visitIds);
  return visitor;
}

const lastVisitIds = new Map<string, string[]>();
/** The ids of the visits `arrangeVisitsBeforeLead` made for `visitor`, oldest first. */
export function arrangedVisitIds(visitor: string): string[] {
  return lastVisitIds.get(visitor) ?? [];
}

/** The person sends the site's form again after the lead, through the leads API as a site backend does (a tenant API key). */
export async function sendFormLead(baseUrl: string, tenantId: string, siteKey: string, visitor: string): Promise<string> {
  const keyResponse = await fetch(`${baseUrl}/api/v1/tenants/${tenantId}/api-keys`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ label: 'site backend' }) });
  if (keyResponse.status !== 201) throw new Error(`creating a tenant key answered ${keyResponse.status}: ${await keyResponse.text()}`);
  const { key } = (await keyResponse.json()) as { key: string };
  const response = await fetch(`${baseUrl}/api/v1/leads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'x-site-key': siteKey, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Анна', phone: '+7 916 555-12-34', form: 'Заказ звонка', page: 'https://shop.example/price', visitor }),
  });
  if (response.status !== 202) throw new Error(`the leads API answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

/**
 * A call to the tracking number the person's visit was shown, as call tracking records it (the row
 * POST /api/v1/calls writes once it has found the lease; number leasing has its own tests).
 */
export async function recordTrackedCall(db: Database, tenantId: string, visitId: string, visitor: string, minutesIntoVisit = 2): Promise<void> {
  await db.query(
    `INSERT INTO calls (tenant_id, call_id, tracking_number, caller_number, caller_raw, started_at, duration_seconds, visit_id, visitor_id, number_kind)
     SELECT tenant_id, $3, '+74950000002', '+79165551234', '+7 916 555-12-34', started_at + $4 * interval '1 minute', 95, id, $5, 'pool'
     FROM visits WHERE tenant_id = $1 AND id = $2`,
    [tenantId, visitId, `call-${visitId}`, minutesIntoVisit, visitor],
  );
}

/** After the lead the person came back and read the price page. */
export const visitAfterLead: ArrangedVisit = { hoursAgo: 0, landing: 'https://shop.example/price', pages: ['https://shop.example/price/sofas'] };

/**
 * The visit after the lead, sent once the clock is past the deal's creation second (CRMs keep
 * creation times to the second, and a visit within that second counts as before the lead).
 */
export async function sendVisitAfterLead(baseUrl: string, db: Database, tenantId: string, siteKey: string, visitor: string, dealId: string): Promise<void> {
  const { rows } = await db.query<{ created_at: Date | string }>('SELECT created_at FROM deals WHERE tenant_id = $1 AND id = $2', [tenantId, dealId]);
  const after = new Date(rows[0]?.created_at ?? Date.now()).getTime() + 1000;
  if (Date.now() < after) await new Promise((resolve) => setTimeout(resolve, after - Date.now() + 10));
  await sendVisit(baseUrl, siteKey, visitor, visitAfterLead);
}

export async function waitForMatch(db: Database, tenantId: string, dealId: string): Promise<void> {
  await waitFor(`deal ${dealId} matched`, async () => {
    const { rows } = await db.query<{ match_method: string | null }>('SELECT match_method FROM deals WHERE tenant_id = $1 AND id = $2', [tenantId, dealId]);
    return rows[0]?.match_method ? true : undefined;
  }, 30_000);
}

/** Waits until the deal's move into `stageId` is stored, and the deal's own row shows it. */
export async function waitForStageChange(db: Database, tenantId: string, dealId: string, stageId: string): Promise<void> {
  await waitFor(`deal ${dealId}'s move to ${stageId}`, async () => {
    const { rows } = await db.query<{ count: string }>(
      `SELECT count(*) AS count FROM stage_changes c JOIN deals d ON d.tenant_id = c.tenant_id AND d.id = c.deal_id
       WHERE c.tenant_id = $1 AND c.deal_id = $2 AND c.to_stage_id = $3 AND d.stage_id = $3`,
      [tenantId, dealId, stageId],
    );
    return Number(rows[0]?.count) >= 1;
  }, 30_000);
}

/** The next open stage (neither the entry nor closed) of the deal's pipeline after the one it is in. */
export async function nextOpenStage(db: Database, tenantId: string, dealId: string): Promise<{ pipelineId: string; stageId: string; name: string }> {
  const { rows } = await db.query<{ pipeline_id: string; stage_id: string; name: string }>(
    `SELECT s.pipeline_id, s.stage_id, s.name FROM crm_stages s JOIN deals d ON d.tenant_id = s.tenant_id AND d.pipeline_id = s.pipeline_id
     WHERE s.tenant_id = $1 AND d.id = $2 AND s.kind = 'open' AND s.stage_id <> d.stage_id
       AND s.sort > coalesce((SELECT sort FROM crm_stages c WHERE c.tenant_id = s.tenant_id AND c.pipeline_id = d.pipeline_id AND c.stage_id = d.stage_id), -1)
     ORDER BY s.sort LIMIT 1`,
    [tenantId, dealId],
  );
  if (!rows[0]) throw new Error('no open stage');
  return { pipelineId: rows[0].pipeline_id, stageId: rows[0].stage_id, name: rows[0].name };
}
