/**
 * What gets written into a deal (DESIGN.md "What gets written into a deal"), CRM-neutral: the
 * tracking fields the CRMs have built in (UTM tags, click ids, analytics client ids, ...) and our
 * own fields. Each CRM adapter maps these keys to its field codes. Pure functions, no I/O.
 */
import { parseOpenstat } from '../tracking/classification/openstat.js';
import { isNoMatchReason, noMatchReasonText } from './enrichment/matchReasons.js';

/** Built-in tracking fields (amoCRM `tracking_data` by code; Bitrix24 UTM_*). */
export const trackingFieldKeys = [
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_content',
  'utm_term',
  'referrer',
  'gclid',
  'yclid',
  'fbclid',
  'ga_client_id',
  'ym_uid',
  'openstat_service',
  'openstat_campaign',
  'openstat_ad',
  'openstat_source',
  'from',
  'roistat',
] as const;

export interface OwnField {
  key: OwnFieldKey;
  /** The field's code in the CRM (amoCRM `code`; Bitrix24 `UF_CRM_<code>`). */
  code: string;
  name: { ru: string; en: string };
  type: 'text' | 'numeric' | 'date';
}

export const ownFieldKeys = ['lf_visitor_id', 'lf_first_touch', 'lf_last_touch', 'lf_channel', 'lf_visits', 'lf_first_visit', 'lf_match'] as const;
export type OwnFieldKey = (typeof ownFieldKeys)[number];
export type TrackingFieldKey = (typeof trackingFieldKeys)[number];
export type SourceFieldKey = TrackingFieldKey | OwnFieldKey;

/** Our own deal fields, created at install in one group. `LF_VISITOR_ID` is what form builders fill. */
export const ownFields: readonly OwnField[] = [
  { key: 'lf_visitor_id', code: 'LF_VISITOR_ID', name: { ru: 'LongFunnel: ID посетителя', en: 'LongFunnel: visitor id' }, type: 'text' },
  { key: 'lf_first_touch', code: 'LF_FIRST_TOUCH', name: { ru: 'LongFunnel: первый источник', en: 'LongFunnel: first touch' }, type: 'text' },
  { key: 'lf_last_touch', code: 'LF_LAST_TOUCH', name: { ru: 'LongFunnel: последний значимый источник', en: 'LongFunnel: last non-direct touch' }, type: 'text' },
  { key: 'lf_channel', code: 'LF_CHANNEL', name: { ru: 'LongFunnel: канал', en: 'LongFunnel: channel' }, type: 'text' },
  { key: 'lf_visits', code: 'LF_VISITS', name: { ru: 'LongFunnel: визитов до заявки', en: 'LongFunnel: visits before the lead' }, type: 'numeric' },
  { key: 'lf_first_visit', code: 'LF_FIRST_VISIT', name: { ru: 'LongFunnel: первый визит', en: 'LongFunnel: first visit' }, type: 'date' },
  { key: 'lf_match', code: 'LF_MATCH', name: { ru: 'LongFunnel: как связана заявка', en: 'LongFunnel: matched by' }, type: 'text' },
];

export type MatchMethod = 'visitor_id' | 'form' | 'call' | 'phone' | 'email' | 'none';

export interface DealMatch {
  method: MatchMethod;
  visitorId: string | null;
  /** 0..1: how sure the match is. */
  confidence: number;
  /** For `none`, and for a match without visits: why there is no source. */
  reason: string | null;
}

/**
 * How sure each way of matching is (DESIGN.md "Matching a CRM deal to a visitor", strongest first;
 * docs/lead-capture.md "The match report"): a visitor id the deal carries, or a lead our own form
 * path created, names the visitor outright (1); a call matched to the visit that held the tracking
 * number is nearly as sure (0.95: a number can be shown to a visitor and dialled by someone they
 * passed it to); a phone (0.9) or e-mail (0.85) shared by a contact and a visitor can be a shared
 * office phone or mailbox, and e-mails are more often shared than mobile numbers.
 */
export const matchConfidence: Record<MatchMethod, number> = { visitor_id: 1, form: 1, call: 0.95, phone: 0.9, email: 0.85, none: 0 };

/** The visit columns the fields are computed from. */
export interface TouchVisit {
  startedAt: Date;
  source: string;
  medium: string;
  campaign: string | null;
  content: string | null;
  term: string | null;
  channel: string;
  referrer: string | null;
  clickIdType: string | null;
  clickId: string | null;
  landingParams: Record<string, string>;
  ymUid: string | null;
  gaCid: string | null;
}

export function isDirect(visit: Pick<TouchVisit, 'source' | 'medium'>): boolean {
  return visit.source === '(direct)' && (visit.medium === '(none)' || visit.medium === '(not set)');
}

/** The visit credited by "last non-direct" (the default model): the latest non-direct one, else the latest. */
export function lastNonDirect<T extends Pick<TouchVisit, 'source' | 'medium'>>(visits: readonly T[]): T | undefined {
  for (let index = visits.length - 1; index >= 0; index -= 1) {
    const visit = visits[index];
    if (visit && !isDirect(visit)) return visit;
  }
  return visits[visits.length - 1];
}

function touchText(visit: TouchVisit): string {
  return [visit.source, visit.medium, visit.campaign].filter((part): part is string => Boolean(part)).join(' / ');
}

const matchWords: Record<MatchMethod, string> = {
  visitor_id: 'visitor id',
  form: 'form',
  call: 'call',
  phone: 'phone',
  email: 'e-mail',
  none: 'no match',
};

const clickIdFields: Record<string, TrackingFieldKey> = { gclid: 'gclid', yclid: 'yclid', fbclid: 'fbclid' };

/**
 * The values to write for a deal, from its visitor's visits up to the deal's creation (oldest
 * first). Empty values are left out: a field we have nothing for is never cleared.
 */
export function dealSourceValues(visits: readonly TouchVisit[], match: DealMatch): Partial<Record<SourceFieldKey, string>> {
  const values: Partial<Record<SourceFieldKey, string>> = {};
  const set = (key: SourceFieldKey, value: string | null | undefined) => {
    if (value !== null && value !== undefined && value !== '') values[key] = value.slice(0, 255);
  };
  if (match.visitorId) set('lf_visitor_id', match.visitorId);
  set('lf_match', `${matchWords[match.method]} (${Math.round(match.confidence * 100)}%)`);
  const first = visits[0];
  const credited = lastNonDirect(visits);
  if (!first || !credited) return values;

  set('utm_source', credited.source);
  set('utm_medium', credited.medium);
  set('utm_campaign', credited.campaign);
  set('utm_content', credited.content);
  set('utm_term', credited.term);
  set('referrer', credited.referrer);
  const clickField = credited.clickIdType ? clickIdFields[credited.clickIdType] : undefined;
  if (clickField) set(clickField, credited.clickId);
  const openstat = parseOpenstat(credited.landingParams['_openstat']);
  if (openstat) {
    set('openstat_service', openstat.service);
    set('openstat_campaign', openstat.campaign);
    set('openstat_ad', openstat.ad);
    set('openstat_source', openstat.placement);
  }
  set('from', credited.landingParams['from']);
  set('roistat', credited.landingParams['roistat']);
  set('ga_client_id', [...visits].reverse().find((visit) => visit.gaCid)?.gaCid);
  set('ym_uid', [...visits].reverse().find((visit) => visit.ymUid)?.ymUid);

  set('lf_first_touch', touchText(first));
  set('lf_last_touch', touchText(credited));
  set('lf_channel', credited.channel);
  set('lf_visits', String(visits.length));
  // Whole seconds: CRMs keep date-times to the second, and a round trip must compare equal.
  set('lf_first_visit', new Date(Math.floor(first.startedAt.getTime() / 1000) * 1000).toISOString());
  return values;
}

/**
 * Which of `computed` to write into a deal: a field is written when its value differs from the
 * deal's, and the deal's is empty or is what we wrote last time. A value someone else put there
 * (a manager, a form, another tool) is left alone (DESIGN.md: "never overwritten").
 */
export function valuesToWrite(
  computed: Partial<Record<SourceFieldKey, string>>,
  current: Partial<Record<SourceFieldKey, string>>,
  lastWritten: Partial<Record<SourceFieldKey, string>>,
): Partial<Record<SourceFieldKey, string>> {
  const writes: Partial<Record<SourceFieldKey, string>> = {};
  for (const [key, value] of Object.entries(computed) as Array<[SourceFieldKey, string]>) {
    const now = current[key];
    if (now === value) continue;
    if (now === undefined || now === lastWritten[key]) writes[key] = value;
  }
  return writes;
}

/** The one short note a deal gets, summarising where it came from. */
export function dealNoteText(values: Partial<Record<SourceFieldKey, string>>, match: DealMatch): string {
  if (!values.lf_last_touch) {
    const reason = isNoMatchReason(match.reason) ? noMatchReasonText[match.reason] : match.reason;
    return `LongFunnel: no visit data (${reason ?? 'no visitor matched'}).`;
  }
  const visits = values.lf_visits === '1' ? '1 visit' : `${values.lf_visits ?? '0'} visits`;
  const since = values.lf_first_visit ? ` since ${values.lf_first_visit.slice(0, 10)}` : '';
  return `LongFunnel: ${values.lf_last_touch} (${values.lf_channel ?? ''}); ${visits}${since}; first touch ${values.lf_first_touch ?? ''}; matched by ${values.lf_match ?? ''}.`;
}
