/**
 * A row of the `visits` table. Timestamps go in as ISO strings and come out as whatever the driver
 * returns (a Date from pg, a Date or string from PGlite), hence the parameter.
 */
export interface VisitRow<Time = string> {
  tenant_id: string;
  id: string;
  site_id: string;
  visitor_id: string;
  started_at: Time;
  last_activity_at: Time;
  landing_url: string;
  referrer: string | null;
  source: string;
  medium: string;
  campaign: string | null;
  content: string | null;
  term: string | null;
  channel: string;
  click_id_type: string | null;
  click_id: string | null;
  landing_params: Record<string, string>;
  ym_uid: string | null;
  ga_cid: string | null;
  device_type: string;
  browser: string | null;
  os: string | null;
  screen: string | null;
  pageviews: number;
  goals: number;
}
