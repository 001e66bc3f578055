/**
 * Standard fields of the legacy `crm.deal.*`, `crm.lead.*` and `crm.contact.*` methods
 * (bitrix24.md 3.2, 3.3, 3.6, 3.7): names, types and flags as `crm.*.fields` describes them.
 * Read-only fields are dropped from writes, immutable ones from updates (file 3.1).
 */
import type { CrmKind, MultiFieldKind } from '../state.js';

export type FieldType =
  | 'integer'
  | 'string'
  | 'char'
  | 'double'
  | 'date'
  | 'datetime'
  | 'crm_status'
  | 'crm_currency'
  | 'user'
  | 'crm_contact'
  | 'crm_company'
  | 'crm_lead'
  | 'crm_quote'
  | 'crm_category'
  | 'location'
  | 'crm_multifield';

export interface FieldDefinition {
  name: string;
  type: FieldType;
  title: string;
  readOnly?: boolean;
  immutable?: boolean;
  multiple?: boolean;
  /** Accepted on write, never returned (`CONTACT_IDS`, `TRACE`). */
  writeOnly?: boolean;
  statusType?: string;
  deprecated?: boolean;
}

const integerTypes = new Set<FieldType>(['integer', 'user', 'crm_contact', 'crm_company', 'crm_lead', 'crm_quote', 'crm_category']);

export function isNumericType(type: FieldType): boolean {
  return integerTypes.has(type) || type === 'double';
}

export function isIntegerType(type: FieldType): boolean {
  return integerTypes.has(type);
}

const utmFields: FieldDefinition[] = [
  { name: 'SOURCE_ID', type: 'crm_status', title: 'Source', statusType: 'SOURCE' },
  { name: 'SOURCE_DESCRIPTION', type: 'string', title: 'Source information' },
  { name: 'UTM_SOURCE', type: 'string', title: 'Advertising System' },
  { name: 'UTM_MEDIUM', type: 'string', title: 'Traffic Type' },
  { name: 'UTM_CAMPAIGN', type: 'string', title: 'Ad Campaign Label' },
  { name: 'UTM_CONTENT', type: 'string', title: 'Campaign Content' },
  { name: 'UTM_TERM', type: 'string', title: 'Campaign Search Term' },
];

const audit: FieldDefinition[] = [
  { name: 'ASSIGNED_BY_ID', type: 'user', title: 'Responsible person' },
  { name: 'CREATED_BY_ID', type: 'user', title: 'Created by', readOnly: true },
  { name: 'MODIFY_BY_ID', type: 'user', title: 'Modified by', readOnly: true },
  { name: 'DATE_CREATE', type: 'datetime', title: 'Created', readOnly: true },
  { name: 'DATE_MODIFY', type: 'datetime', title: 'Modified', readOnly: true },
];

const person: FieldDefinition[] = [
  { name: 'HONORIFIC', type: 'crm_status', title: 'Salutation', statusType: 'HONORIFIC' },
  { name: 'NAME', type: 'string', title: 'First name' },
  { name: 'SECOND_NAME', type: 'string', title: 'Second name' },
  { name: 'LAST_NAME', type: 'string', title: 'Last name' },
  { name: 'BIRTHDATE', type: 'date', title: 'Date of birth' },
  { name: 'POST', type: 'string', title: 'Position' },
  { name: 'ADDRESS', type: 'string', title: 'Address' },
];

const multifields: FieldDefinition[] = [
  { name: 'HAS_PHONE', type: 'char', title: 'Has phone', readOnly: true },
  { name: 'HAS_EMAIL', type: 'char', title: 'Has email', readOnly: true },
  { name: 'HAS_IMOL', type: 'char', title: 'Has Open Channel', readOnly: true },
  { name: 'PHONE', type: 'crm_multifield', title: 'Phone', multiple: true },
  { name: 'EMAIL', type: 'crm_multifield', title: 'E-mail', multiple: true },
  { name: 'WEB', type: 'crm_multifield', title: 'Website', multiple: true },
  { name: 'IM', type: 'crm_multifield', title: 'Messenger', multiple: true },
];

const dealFields: FieldDefinition[] = [
  { name: 'ID', type: 'integer', title: 'ID', readOnly: true },
  { name: 'TITLE', type: 'string', title: 'Name' },
  { name: 'TYPE_ID', type: 'crm_status', title: 'Type', statusType: 'DEAL_TYPE' },
  { name: 'CATEGORY_ID', type: 'crm_category', title: 'Pipeline', immutable: true },
  { name: 'STAGE_ID', type: 'crm_status', title: 'Deal Stage', statusType: 'DEAL_STAGE' },
  { name: 'STAGE_SEMANTIC_ID', type: 'string', title: 'Stage group', readOnly: true },
  { name: 'IS_NEW', type: 'char', title: 'New deal', readOnly: true },
  { name: 'IS_RECURRING', type: 'char', title: 'Recurring deal' },
  { name: 'IS_RETURN_CUSTOMER', type: 'char', title: 'Repeat deal' },
  { name: 'IS_REPEATED_APPROACH', type: 'char', title: 'Repeat inquiry' },
  { name: 'PROBABILITY', type: 'integer', title: 'Probability' },
  { name: 'CURRENCY_ID', type: 'crm_currency', title: 'Currency' },
  { name: 'OPPORTUNITY', type: 'double', title: 'Income' },
  { name: 'IS_MANUAL_OPPORTUNITY', type: 'char', title: 'IS_MANUAL_OPPORTUNITY' },
  { name: 'TAX_VALUE', type: 'double', title: 'Tax rate' },
  { name: 'LEAD_ID', type: 'crm_lead', title: 'Lead', readOnly: true },
  { name: 'COMPANY_ID', type: 'crm_company', title: 'Company' },
  { name: 'CONTACT_ID', type: 'crm_contact', title: 'Contact', deprecated: true },
  { name: 'CONTACT_IDS', type: 'crm_contact', title: 'Contacts', multiple: true, writeOnly: true },
  { name: 'QUOTE_ID', type: 'crm_quote', title: 'Quote', readOnly: true },
  { name: 'BEGINDATE', type: 'date', title: 'Start date' },
  { name: 'CLOSEDATE', type: 'date', title: 'End date' },
  ...audit,
  { name: 'OPENED', type: 'char', title: 'Available to everyone' },
  { name: 'CLOSED', type: 'char', title: 'Closed' },
  { name: 'COMMENTS', type: 'string', title: 'Comment' },
  { name: 'ADDITIONAL_INFO', type: 'string', title: 'Additional information' },
  { name: 'LOCATION_ID', type: 'location', title: 'Location' },
  ...utmFields.slice(0, 2),
  { name: 'ORIGINATOR_ID', type: 'string', title: 'External source' },
  { name: 'ORIGIN_ID', type: 'string', title: 'Item ID in data source' },
  { name: 'MOVED_BY_ID', type: 'user', title: 'Moved by', readOnly: true },
  { name: 'MOVED_TIME', type: 'datetime', title: 'Moved on', readOnly: true },
  { name: 'LAST_ACTIVITY_TIME', type: 'datetime', title: 'Last activity', readOnly: true },
  { name: 'LAST_ACTIVITY_BY', type: 'user', title: 'Last activity by', readOnly: true },
  ...utmFields.slice(2),
  { name: 'TRACE', type: 'string', title: 'Trace', writeOnly: true },
];

const leadFields: FieldDefinition[] = [
  { name: 'ID', type: 'integer', title: 'ID', readOnly: true },
  { name: 'TITLE', type: 'string', title: 'Lead name' },
  ...person,
  { name: 'COMPANY_TITLE', type: 'string', title: 'Company name' },
  { name: 'COMPANY_ID', type: 'crm_company', title: 'Company' },
  { name: 'CONTACT_ID', type: 'crm_contact', title: 'Contact' },
  { name: 'IS_RETURN_CUSTOMER', type: 'char', title: 'Repeat lead', readOnly: true },
  { name: 'STATUS_ID', type: 'crm_status', title: 'Stage', statusType: 'STATUS' },
  { name: 'STATUS_SEMANTIC_ID', type: 'string', title: 'Status details', readOnly: true },
  { name: 'STATUS_DESCRIPTION', type: 'string', title: 'More on status' },
  { name: 'CURRENCY_ID', type: 'crm_currency', title: 'Currency' },
  { name: 'OPPORTUNITY', type: 'double', title: 'Total' },
  { name: 'IS_MANUAL_OPPORTUNITY', type: 'char', title: 'IS_MANUAL_OPPORTUNITY' },
  { name: 'OPENED', type: 'char', title: 'Available to everyone' },
  { name: 'COMMENTS', type: 'string', title: 'Comment' },
  ...audit,
  { name: 'DATE_CLOSED', type: 'datetime', title: 'Completed on', readOnly: true },
  { name: 'MOVED_BY_ID', type: 'user', title: 'Moved by', readOnly: true },
  { name: 'MOVED_TIME', type: 'datetime', title: 'Moved on', readOnly: true },
  ...utmFields,
  ...multifields,
  { name: 'TRACE', type: 'string', title: 'Trace', writeOnly: true },
];

const contactFields: FieldDefinition[] = [
  { name: 'ID', type: 'integer', title: 'ID', readOnly: true },
  ...person,
  { name: 'TYPE_ID', type: 'crm_status', title: 'Contact type', statusType: 'CONTACT_TYPE' },
  { name: 'COMMENTS', type: 'string', title: 'Comment' },
  { name: 'OPENED', type: 'char', title: 'Available to everyone' },
  { name: 'EXPORT', type: 'char', title: 'Included in export' },
  ...audit,
  { name: 'COMPANY_ID', type: 'crm_company', title: 'Company' },
  { name: 'LEAD_ID', type: 'crm_lead', title: 'Lead', readOnly: true },
  ...utmFields,
  ...multifields,
  { name: 'TRACE', type: 'string', title: 'Trace', writeOnly: true },
];

export const fieldsOf: Record<CrmKind, FieldDefinition[]> = { deal: dealFields, lead: leadFields, contact: contactFields };

export const multiFieldKinds: MultiFieldKind[] = ['PHONE', 'EMAIL', 'WEB', 'IM'];

/** VALUE_TYPE sets of file 3.7; the first is the default. */
export const multiValueTypes: Record<MultiFieldKind, string[]> = {
  PHONE: ['WORK', 'MOBILE', 'FAX', 'HOME', 'PAGER', 'MAILING', 'OTHER'],
  EMAIL: ['WORK', 'HOME', 'MAILING', 'OTHER'],
  WEB: ['WORK', 'HOME', 'VK', 'LIVEJOURNAL', 'TWITTER', 'OTHER'],
  IM: ['TELEGRAM', 'VK', 'SKYPE', 'VIBER', 'BITRIX24', 'OPENLINE', 'IMOL', 'ICQ', 'MSN', 'JABBER', 'OTHER'],
};

export function fieldOf(kind: CrmKind, name: string): FieldDefinition | undefined {
  return fieldsOf[kind].find((field) => field.name === name);
}

export const userFieldEntityIds = { deal: 'CRM_DEAL', lead: 'CRM_LEAD', contact: 'CRM_CONTACT' } as const;

/** Entity type ids of file 3.9 and the event name stem of file 2.4. */
export const entityTypeIds: Record<CrmKind, 1 | 2 | 3> = { lead: 1, deal: 2, contact: 3 };
