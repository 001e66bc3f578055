/**
 * Our source-field keys in Bitrix24 words (bitrix24.md 3.3, 3.4): the built-in `UTM_*` fields of
 * deals and leads, and our own fields as `UF_CRM_LF_*` user fields, created at install and found
 * again by `XML_ID`. Values go out as strings and come back as strings; dates and numbers are
 * normalised on the way back so a round trip compares equal.
 */
import { ownFields, type OwnFieldKey, type SourceFieldKey, type TrackingFieldKey } from '../../server/crm/sourceFields.js';

/** The built-in tracking fields Bitrix24 has (3.3); other tracking keys have no place in it. */
export const builtInFields: Partial<Record<TrackingFieldKey, string>> = {
  utm_source: 'UTM_SOURCE',
  utm_medium: 'UTM_MEDIUM',
  utm_campaign: 'UTM_CAMPAIGN',
  utm_content: 'UTM_CONTENT',
  utm_term: 'UTM_TERM',
};

export interface UserFieldDefinition {
  /** Our key: a source field, or `note` (the id of our timeline comment: how a read-back finds it). */
  key: OwnFieldKey | 'note';
  /** How we find the field again (3.4: "use it to find our fields idempotently"). */
  xmlId: string;
  /** `FIELD_NAME` we create it with; Bitrix24 keeps the `UF_CRM_` prefix as given. */
  fieldName: string;
  userTypeId: 'string' | 'double' | 'datetime';
  label: { ru: string; en: string };
}

export const userFieldDefinitions: readonly UserFieldDefinition[] = [
  ...ownFields.map((field) => ({
    key: field.key,
    xmlId: `LONGFUNNEL_${field.code}`,
    fieldName: `UF_CRM_${field.code}`,
    userTypeId: field.type === 'text' ? ('string' as const) : field.type === 'numeric' ? ('double' as const) : ('datetime' as const),
    label: field.name,
  })),
  {
    key: 'note',
    xmlId: 'LONGFUNNEL_LF_NOTE',
    fieldName: 'UF_CRM_LF_NOTE',
    userTypeId: 'string',
    label: { ru: 'LongFunnel: запись в ленте (служебное)', en: 'LongFunnel: timeline note (service field)' },
  },
];

export type UserFieldNames = Partial<Record<UserFieldDefinition['key'], string>>;

/** The fields of one deal or lead we read and write: built-in ones plus the user fields it has. */
export function apiFieldNames(userFields: UserFieldNames): Map<SourceFieldKey, string> {
  const names = new Map<SourceFieldKey, string>(Object.entries(builtInFields) as Array<[SourceFieldKey, string]>);
  for (const [key, name] of Object.entries(userFields)) if (key !== 'note' && name) names.set(key as SourceFieldKey, name);
  return names;
}

const typeOfKey = new Map(userFieldDefinitions.map((field) => [field.key, field.userTypeId]));

/** The value as enrichment compares it: dates as ISO to the second, numbers without trailing zeros. */
export function valueFromApi(key: SourceFieldKey, value: unknown): string | undefined {
  if (value === null || value === undefined || value === '' || typeof value === 'object') return undefined;
  const text = String(value);
  const type = typeOfKey.get(key as OwnFieldKey);
  if (type === 'datetime') {
    const time = Date.parse(text);
    return Number.isFinite(time) ? new Date(Math.floor(time / 1000) * 1000).toISOString() : text;
  }
  if (type === 'double') return Number.isFinite(Number(text)) ? String(Number(text)) : text;
  return text;
}
