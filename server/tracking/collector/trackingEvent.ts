/** A validated tracker hit, resolved to its site and enriched on the server. */
export interface TrackingEvent {
  tenantId: string;
  siteId: string;
  siteHosts: string[];
  visitorId: string;
  visitId: string;
  type: 'pageview' | 'goal';
  url: string;
  title: string | null;
  goal: string | null;
  value: number | null;
  landing: string;
  referrer: string | null;
  ymUid: string | null;
  gaCid: string | null;
  screen: string | null;
  device: { type: string; browser: string | null; os: string | null };
  /** Server time of receipt: client clocks are not trusted for storage. */
  at: Date;
}
