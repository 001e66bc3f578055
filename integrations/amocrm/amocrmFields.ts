/**
 * Our source-field keys in amoCRM words: the built-in `tracking_data` lead fields by `field_code`
 * (amocrm.md 2.7.1; an account has only some of them — Kommo accounts have ten) and our own `LF_*`
 * fields, created at install. Values go out typed as amoCRM wants them and come back as strings.
 */
import { ownFields, type SourceFieldKey, type TrackingFieldKey } from '../../server/crm/sourceFields.js';

export const trackingFieldCodes: Record<TrackingFieldKey, string> = {
  utm_source: 'UTM_SOURCE',
  utm_medium: 'UTM_MEDIUM',
  utm_campaign: 'UTM_CAMPAIGN',
  utm_content: 'UTM_CONTENT',
  utm_term: 'UTM_TERM',
  referrer: 'REFERRER',
  gclid: 'GCLID',
  yclid: 'YCLID',
  fbclid: 'FBCLID',
  ga_client_id: 'GCLIENTID',
  ym_uid: '_YM_UID',
  openstat_service: 'OPENSTAT_SERVICE',
  openstat_campaign: 'OPENSTAT_CAMPAIGN',
  openstat_ad: 'OPENSTAT_AD',
  openstat_source: 'OPENSTAT_SOURCE',
  from: 'FROM',
  roistat: 'ROISTAT',
};

/** amoCRM field type of each of our own fields. */
export const ownFieldTypes: Record<string, 'text' | 'numeric' | 'date_time'> = Object.fromEntries(
  ownFields.map((field) => [field.code, field.type === 'date' ? 'date_time' : field.type]),
);

export const codeOfKey: Record<SourceFieldKey, string> = {
  ...trackingFieldCodes,
  ...(Object.fromEntries(ownFields.map((field) => [field.key, field.code])) as Record<(typeof ownFields)[number]['key'], string>),
};

export const keyOfCode: ReadonlyMap<string, SourceFieldKey> = new Map(
  (Object.entries(codeOfKey) as Array<[SourceFieldKey, string]>).map(([key, code]) => [code, key]),
);

/** The value as amoCRM takes it: numbers for numeric fields, Unix seconds for dates. */
export function apiValue(code: string, value: string): string | number {
  const type = ownFieldTypes[code];
  if (type === 'numeric') return Number(value);
  if (type === 'date_time') return Math.floor(Date.parse(value) / 1000);
  return value;
}

/** The value as enrichment compares it: dates back to ISO (seconds), everything else a string. */
export function valueFromApi(code: string, value: unknown): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (ownFieldTypes[code] === 'date_time') {
    const seconds = typeof value === 'number' ? value : Number(value);
    return Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : String(value);
  }
  return String(value);
}
