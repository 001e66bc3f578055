/**
 * What `GET /api/v1/widget/deals/:dealId` answers: everything the deal-card panel shows, in one
 * response. Pure types shared by the server (which builds it) and the panel (which renders it).
 * Times are ISO 8601 strings in UTC; the panel shows them in the browser's time zone.
 */

export type PanelLocale = 'ru' | 'en';
export type MatchMethod = 'visitor_id' | 'form' | 'call' | 'phone' | 'email' | 'none';
export type ViewAttributionModel = 'first' | 'last' | 'last_non_direct' | 'linear' | 'time_decay' | 'position_based' | 'markov';

/** Where a touch came from: a visit's traffic source, or a form / call / e-mail's. */
export interface TouchSource {
  channel: string;
  source: string;
  medium: string;
  campaign: string | null;
  term: string | null;
}

export interface VisitTouch extends TouchSource {
  kind: 'visit';
  id: string;
  at: string;
  /** Last activity in the visit. */
  endedAt: string;
  durationSeconds: number;
  landingUrl: string;
  /** Page views in the visit (the count, and the first pages' addresses). */
  pageviews: number;
  pages: string[];
  goals: string[];
  device: string;
  browser: string | null;
  os: string | null;
  /** After the deal was created (the lead): highlighted. */
  afterLead: boolean;
  /** Credit under the model, 0..1, for touches on the deal's path; null for touches outside it. */
  credit: number | null;
}

/** A form, call or e-mail as a touchpoint (the lead-capture and call-tracking tables). */
export interface ContactTouch extends TouchSource {
  kind: 'form' | 'call' | 'email';
  id: string;
  at: string;
  /** What it was: the form's name, the tracking number called, the address written to. */
  label: string | null;
  /** A call's length. */
  durationSeconds: number | null;
  afterLead: boolean;
  /** Attribution credits visits (the path of DESIGN.md "Attribution models"); forms, calls and e-mails show their visit's source. */
  credit: null;
}

export type Touchpoint = VisitTouch | ContactTouch;

export interface StagePassed {
  stageId: string;
  /** null when the CRM recorded the deal's entry into its first stage (no stage before it). */
  fromStageId: string | null;
  name: string;
  at: string;
}

export interface DealView {
  deal: {
    id: string;
    name: string | null;
    amount: number | null;
    currency: string;
    createdAt: string;
    outcome: 'open' | 'won' | 'lost';
  };
  locale: PanelLocale;
  /** The CRM connection: `needs_reauth` means the data stopped updating until an admin reconnects. */
  integration: { crm: 'amocrm' | 'bitrix24'; status: 'active' | 'needs_reauth' | 'disabled'; reason: string | null };
  match: { method: MatchMethod; confidence: number; reason: string | null; matchedAt: string | null };
  attribution: {
    /** The tenant's model. */
    model: ViewAttributionModel;
    /** The model the credits were computed with (differs from `model` only for Markov, see `fallback`). */
    applied: ViewAttributionModel;
    /** Why `applied` differs from `model`. */
    fallback: 'markov_in_reports' | null;
    lookbackDays: number;
  };
  summary: {
    firstTouch: TouchSource | null;
    lastNonDirect: TouchSource | null;
    /** The touch with the most credit under the applied model (the latest of equals). */
    credited: (TouchSource & { credit: number }) | null;
    /** Visits on the path (before the lead, within the lookback window), and visits after it. */
    touchesBeforeLead: number;
    touchesAfterLead: number;
  };
  /** Newest first. */
  timeline: Touchpoint[];
  /** Visits older than the newest ones shown that were left out. */
  timelineOmitted: number;
  /** Which kinds of touchpoints this server records (forms, calls, e-mails arrive with their features). */
  touchpointKinds: Array<Touchpoint['kind']>;
  funnel: {
    pipelineName: string | null;
    current: { stageId: string | null; name: string | null; kind: 'entry' | 'open' | 'won' | 'lost' | null; since: string };
    passed: StagePassed[];
  };
}
