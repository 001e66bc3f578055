/**
 * The predefined lead fields of type `tracking_data` (amocrm.md 2.7.1). amoCRM accounts carry 19,
 * Kommo accounts 10 (the Kommo set is [UNCONFIRMED]); codes `_YM_UID`, `_YM_COUNTER` and `FROM`
 * are [UNCONFIRMED] but are what the file lists.
 */
import type { Platform } from './state.js';

export interface TrackingFieldDefinition {
  name: string;
  code: string;
}

export const amocrmTrackingFields: readonly TrackingFieldDefinition[] = [
  { name: 'utm_source', code: 'UTM_SOURCE' },
  { name: 'utm_medium', code: 'UTM_MEDIUM' },
  { name: 'utm_campaign', code: 'UTM_CAMPAIGN' },
  { name: 'utm_term', code: 'UTM_TERM' },
  { name: 'utm_content', code: 'UTM_CONTENT' },
  { name: 'utm_referrer', code: 'UTM_REFERRER' },
  { name: '_ym_uid', code: '_YM_UID' },
  { name: '_ym_counter', code: '_YM_COUNTER' },
  { name: 'roistat', code: 'ROISTAT' },
  { name: 'referrer', code: 'REFERRER' },
  { name: 'openstat_service', code: 'OPENSTAT_SERVICE' },
  { name: 'openstat_campaign', code: 'OPENSTAT_CAMPAIGN' },
  { name: 'openstat_ad', code: 'OPENSTAT_AD' },
  { name: 'openstat_source', code: 'OPENSTAT_SOURCE' },
  { name: 'from', code: 'FROM' },
  { name: 'gclientid', code: 'GCLIENTID' },
  { name: 'gclid', code: 'GCLID' },
  { name: 'yclid', code: 'YCLID' },
  { name: 'fbclid', code: 'FBCLID' },
];

const kommoNames = new Set([
  'utm_content',
  'utm_medium',
  'utm_campaign',
  'utm_source',
  'utm_term',
  'utm_referrer',
  'referrer',
  'gclientid',
  'gclid',
  'fbclid',
]);

export function trackingFieldsFor(platform: Platform): readonly TrackingFieldDefinition[] {
  return platform === 'amocrm' ? amocrmTrackingFields : amocrmTrackingFields.filter((field) => kommoNames.has(field.name));
}
