/**
 * `CrmConnection` for one amoCRM account: bulk reads (one list call per up to 250 ids), bulk field
 * writes (PATCH of up to 50 leads), notes, pipelines, install set-up and history paging — every
 * request through `CrmAccess` (paced, authenticated, retried).
 */
import type { CrmAccount } from '../../server/crm/crmAccounts.js';
import type { CrmAccess } from '../../server/crm/crmAccess.js';
import type {
  CreatedCrmLead,
  CrmConnection,
  CrmContact,
  CrmDeal,
  CrmStage,
  CrmStageChange,
  DealFieldWrite,
  DealNote,
  NewCrmLead,
} from '../../server/crm/crmAdapter.js';
import type { CountryCode } from 'libphonenumber-js';
import { normalizeEmail, normalizePhone } from '../../server/crm/identities.js';
import { ownFields, type SourceFieldKey } from '../../server/crm/sourceFields.js';
import { CrmError } from '../crmError.js';
import type { AmocrmApi, QueryValue } from './amocrmApi.js';
import { apiValue, codeOfKey, keyOfCode, ownFieldTypes, valueFromApi } from './amocrmFields.js';

export const WON_STATUS_ID = 142;
export const LOST_STATUS_ID = 143;
/** The `service` of our notes: how a read-back recognises them. */
export const NOTE_SERVICE = 'LongFunnel';
/** The deal-card group our own fields are created in. */
export const FIELD_GROUP_NAME = 'LongFunnel';
/** Actions our webhook listens to (amocrm.md 2.11). */
export const WEBHOOK_SETTINGS = ['add_lead', 'update_lead', 'status_lead', 'delete_lead', 'restore_lead', 'add_contact', 'update_contact', 'add_unsorted'];
/** Pages of incoming leads looked through for visitor ids (250 each). */
const UNSORTED_PAGES = 4;

export interface AmocrmConnectionOptions {
  account: CrmAccount;
  access: CrmAccess;
  api: AmocrmApi;
  /** Where our webhook is subscribed: `PUBLIC_URL/webhooks/amocrm/<hookKey>`. */
  webhookUrl: string;
  /** Leads per PATCH (amocrm.md 2.3: 50 is the safe size). */
  writeBatchSize: number;
  /** Ids per list call (amocrm.md 2.1: `limit` ≤ 250). */
  readBatchSize: number;
}

interface CustomFieldValue {
  field_id?: number;
  field_code?: string | null;
  values?: Array<{ value?: unknown }>;
}

interface LeadBody {
  id: number;
  name?: string | null;
  price?: number | null;
  status_id: number;
  pipeline_id: number;
  responsible_user_id?: number | null;
  created_at: number;
  closed_at?: number | null;
  custom_fields_values?: CustomFieldValue[] | null;
  _embedded?: { contacts?: Array<{ id: number; is_main?: boolean }> };
}

interface ContactBody {
  id: number;
  custom_fields_values?: CustomFieldValue[] | null;
}

interface Collection<Name extends string, Item> {
  _embedded?: Record<Name, Item[]>;
  _links?: { next?: { href?: string } };
}

interface CustomFieldBody {
  id: number;
  code?: string | null;
  type: string;
}

interface EventBody {
  entity_id: number;
  created_at: number;
  value_after?: Array<{ lead_status?: { id: number; pipeline_id: number } }>;
  value_before?: Array<{ lead_status?: { id: number; pipeline_id: number } }>;
}

interface UnsortedBody {
  metadata?: { visitor_uid?: unknown };
  _embedded?: { leads?: Array<{ id: number }> };
}

interface PipelineBody {
  id: number;
  name: string;
  _embedded?: { statuses?: Array<{ id: number; name: string; sort: number; type: number }> };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

function fieldsOf(values: CustomFieldValue[] | null | undefined, codeOfId: ReadonlyMap<number, string>): Partial<Record<SourceFieldKey, string>> {
  const fields: Partial<Record<SourceFieldKey, string>> = {};
  for (const item of values ?? []) {
    const code = item.field_code ?? (item.field_id !== undefined ? codeOfId.get(item.field_id) : undefined);
    const key = code ? keyOfCode.get(code) : undefined;
    if (!code || !key) continue;
    const value = valueFromApi(code, item.values?.[0]?.value);
    if (value !== undefined) fields[key] = value;
  }
  return fields;
}

function multitext(values: CustomFieldValue[] | null | undefined, code: string): string[] {
  const field = values?.find((item) => item.field_code === code);
  return (field?.values ?? []).map((item) => item.value).filter((value): value is string => typeof value === 'string' && value !== '');
}

export function dealOf(lead: LeadBody, codeOfId: ReadonlyMap<number, string> = new Map()): CrmDeal {
  const outcome = lead.status_id === WON_STATUS_ID ? 'won' : lead.status_id === LOST_STATUS_ID ? 'lost' : 'open';
  return {
    id: String(lead.id),
    name: lead.name ?? null,
    pipelineId: String(lead.pipeline_id),
    stageId: String(lead.status_id),
    outcome,
    amount: typeof lead.price === 'number' ? lead.price : null,
    responsibleUserId: lead.responsible_user_id ? String(lead.responsible_user_id) : null,
    createdAt: new Date(lead.created_at * 1000),
    closedAt: lead.closed_at ? new Date(lead.closed_at * 1000) : null,
    contactIds: (lead._embedded?.contacts ?? [])
      .slice()
      .sort((a, b) => Number(Boolean(b.is_main)) - Number(Boolean(a.is_main)))
      .map((contact) => String(contact.id)),
    fields: fieldsOf(lead.custom_fields_values, codeOfId),
  };
}

export class AmocrmConnection implements CrmConnection {
  constructor(private readonly options: AmocrmConnectionOptions) {}

  private get account(): CrmAccount {
    return this.options.account;
  }

  /** The field codes this account has (found at set-up), and their ids. */
  private get fieldIds(): Record<string, number> {
    return (this.account.setup['fieldIds'] as Record<string, number> | undefined) ?? {};
  }

  private get codeOfId(): Map<number, string> {
    return new Map(Object.entries(this.fieldIds).map(([code, id]) => [id, code]));
  }

  private call<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, options: { query?: Record<string, QueryValue>; body?: unknown; repeatable: boolean }) {
    const { repeatable, ...request } = options;
    return this.options.access.call(this.account, (token) => this.options.api.request<T>(token, method, path, request), { repeatable });
  }

  async readDeals(ids: readonly string[]): Promise<CrmDeal[]> {
    const deals: CrmDeal[] = [];
    const codeOfId = this.codeOfId;
    for (const part of chunks(ids, this.options.readBatchSize)) {
      const body = await this.call<Collection<'leads', LeadBody>>('GET', '/api/v4/leads', {
        query: { 'filter[id][]': part, with: 'contacts', limit: part.length },
        repeatable: true,
      });
      for (const lead of body?._embedded?.leads ?? []) deals.push(dealOf(lead, codeOfId));
    }
    return deals;
  }

  async readContacts(ids: readonly string[]): Promise<CrmContact[]> {
    const contacts: CrmContact[] = [];
    for (const part of chunks(ids, this.options.readBatchSize)) {
      const body = await this.call<Collection<'contacts', ContactBody>>('GET', '/api/v4/contacts', {
        query: { 'filter[id][]': part, limit: part.length },
        repeatable: true,
      });
      for (const contact of body?._embedded?.contacts ?? []) {
        contacts.push({
          id: String(contact.id),
          phones: multitext(contact.custom_fields_values, 'PHONE'),
          emails: multitext(contact.custom_fields_values, 'EMAIL'),
        });
      }
    }
    return contacts;
  }

  /** Writes by `field_code`, only fields the account has; the same values twice change nothing. */
  async writeDealFields(writes: readonly DealFieldWrite[]): Promise<void> {
    const known = this.fieldIds;
    const items = writes
      .map((write) => ({
        id: Number(write.dealId),
        custom_fields_values: (Object.entries(write.values) as Array<[SourceFieldKey, string]>)
          .filter(([key]) => codeOfKey[key] in known)
          .map(([key, value]) => ({ field_code: codeOfKey[key], values: [{ value: apiValue(codeOfKey[key], value) }] })),
      }))
      .filter((item) => item.custom_fields_values.length > 0);
    for (const part of chunks(items, this.options.writeBatchSize)) {
      await this.call('PATCH', '/api/v4/leads', { body: part, repeatable: true });
    }
  }

  /** Not repeatable: a note sent twice is two notes, so an unknown outcome is read back by the caller. */
  async addDealNotes(notes: readonly DealNote[]): Promise<void> {
    for (const part of chunks(notes, this.options.writeBatchSize)) {
      await this.call('POST', '/api/v4/leads/notes', {
        body: part.map((note) => ({
          entity_id: Number(note.dealId),
          note_type: 'service_message',
          is_need_to_trigger_digital_pipeline: false,
          params: { service: NOTE_SERVICE, text: note.text },
        })),
        repeatable: false,
      });
    }
  }

  /** amocrm.md 2.4: an incoming form lead keeps `metadata.visitor_uid` until it is accepted. */
  async visitorIdsOfIncoming(dealIds: readonly string[]): Promise<Map<string, string>> {
    const wanted = new Set(dealIds);
    const found = new Map<string, string>();
    for (let page = 1; page <= UNSORTED_PAGES && found.size < wanted.size; page += 1) {
      const body = await this.call<Collection<'unsorted', UnsortedBody>>('GET', '/api/v4/leads/unsorted', {
        query: { 'filter[category][]': 'forms', limit: 250, page },
        repeatable: true,
      });
      for (const entry of body?._embedded?.unsorted ?? []) {
        const leadId = entry._embedded?.leads?.[0]?.id;
        const visitorId = entry.metadata?.visitor_uid;
        if (leadId !== undefined && typeof visitorId === 'string' && visitorId !== '' && wanted.has(String(leadId))) found.set(String(leadId), visitorId);
      }
      if (!body?._links?.next?.href) break;
    }
    return found;
  }

  async dealsWithOurNote(dealIds: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const part of chunks(dealIds, this.options.readBatchSize)) {
      for (let page = 1; ; page += 1) {
        const body = await this.call<Collection<'notes', { entity_id: number; params?: { service?: string } }>>('GET', '/api/v4/leads/notes', {
          query: { 'filter[entity_id][]': part, 'filter[note_type][]': 'service_message', limit: 250, page },
          repeatable: true,
        });
        for (const note of body?._embedded?.notes ?? []) if (note.params?.service === NOTE_SERVICE) found.add(String(note.entity_id));
        if (!body?._links?.next?.href) break;
      }
    }
    return found;
  }

  async listStages(): Promise<CrmStage[]> {
    const body = await this.call<Collection<'pipelines', PipelineBody>>('GET', '/api/v4/leads/pipelines', { repeatable: true });
    return (body?._embedded?.pipelines ?? []).flatMap((pipeline) =>
      (pipeline._embedded?.statuses ?? []).map((status) => ({
        pipelineId: String(pipeline.id),
        pipelineName: pipeline.name,
        stageId: String(status.id),
        name: status.name,
        sort: status.sort,
        kind: status.id === WON_STATUS_ID ? 'won' : status.id === LOST_STATUS_ID ? 'lost' : status.type === 1 ? 'entry' : 'open',
      })),
    );
  }

  /**
   * Our lead fields (created when missing, found again by code), the tracking fields the account
   * has, and our webhook subscription (amoCRM replaces the settings of a destination posted again,
   * which also re-enables a subscription it switched off).
   */
  async setUp(): Promise<Record<string, unknown>> {
    const fieldIds: Record<string, number> = {};
    for (let page = 1; ; page += 1) {
      const body = await this.call<Collection<'custom_fields', CustomFieldBody>>('GET', '/api/v4/leads/custom_fields', { query: { limit: 250, page }, repeatable: true });
      for (const field of body?._embedded?.custom_fields ?? []) if (field.code && keyOfCode.has(field.code)) fieldIds[field.code] = field.id;
      if (!body?._links?.next?.href) break;
    }
    const missing = ownFields.filter((field) => !(field.code in fieldIds));
    if (missing.length > 0) {
      const groupId = await this.fieldGroup();
      const created = await this.call<Collection<'custom_fields', CustomFieldBody>>('POST', '/api/v4/leads/custom_fields', {
        body: missing.map((field, index) => ({
          name: field.name.ru,
          type: ownFieldTypes[field.code],
          code: field.code,
          sort: 600 + index,
          group_id: groupId,
          request_id: field.code,
        })),
        // A retried create could make a field twice; set-up runs again instead and finds it by code.
        repeatable: false,
      });
      for (const field of created?._embedded?.custom_fields ?? []) if (field.code) fieldIds[field.code] = field.id;
    }
    await this.call('POST', '/api/v4/webhooks', {
      body: { destination: this.options.webhookUrl, settings: WEBHOOK_SETTINGS, sort: 10 },
      repeatable: true,
    });
    return { fieldIds, webhookUrl: this.options.webhookUrl };
  }

  /** Our fields' group in the deal card ("LongFunnel"), found by name or created. */
  private async fieldGroup(): Promise<string> {
    const listed = await this.call<Collection<'custom_field_groups', { id: string; name: string }>>('GET', '/api/v4/leads/custom_fields/groups', { repeatable: true });
    const existing = listed?._embedded?.custom_field_groups?.find((group) => group.name === FIELD_GROUP_NAME);
    if (existing) return existing.id;
    const created = await this.call<Collection<'custom_field_groups', { id: string }>>('POST', '/api/v4/leads/custom_fields/groups', {
      body: [{ name: FIELD_GROUP_NAME, sort: 600, request_id: 'longfunnel' }],
      // A retried create could make a second group; set-up runs again instead and finds it by name.
      repeatable: false,
    });
    const id = created?._embedded?.custom_field_groups?.[0]?.id;
    if (!id) throw new CrmError({ code: 'UNKNOWN', status: 200, message: 'amoCRM created the field group without saying its id' });
    return id;
  }

  async *dealsUpdatedSince(since: Date): AsyncIterable<CrmDeal[]> {
    const codeOfId = this.codeOfId;
    for (let page = 1; ; page += 1) {
      const body = await this.call<Collection<'leads', LeadBody>>('GET', '/api/v4/leads', {
        query: { 'filter[updated_at][from]': Math.floor(since.getTime() / 1000), 'order[id]': 'asc', with: 'contacts', limit: this.options.readBatchSize, page },
        repeatable: true,
      });
      const leads = body?._embedded?.leads ?? [];
      if (leads.length > 0) yield leads.map((lead) => dealOf(lead, codeOfId));
      if (!body?._links?.next?.href) return;
    }
  }

  async *stageChangesSince(since: Date): AsyncIterable<CrmStageChange[]> {
    for (let page = 1; ; page += 1) {
      const body = await this.call<Collection<'events', EventBody>>('GET', '/api/v4/events', {
        query: { 'filter[type][]': 'lead_status_changed', 'filter[created_at][from]': Math.floor(since.getTime() / 1000), limit: 100, page },
        repeatable: true,
      });
      const changes: CrmStageChange[] = [];
      for (const event of body?._embedded?.events ?? []) {
        const after = event.value_after?.[0]?.lead_status;
        const before = event.value_before?.[0]?.lead_status;
        if (!after) continue;
        changes.push({
          dealId: String(event.entity_id),
          pipelineId: String(after.pipeline_id),
          fromStageId: before ? String(before.id) : null,
          toStageId: String(after.id),
          at: new Date(event.created_at * 1000),
        });
      }
      if (changes.length > 0) yield changes;
      if (!body?._links?.next?.href) return;
    }
  }

  /**
   * A lead with its source (amocrm.md 2.3, 2.4, 6.3-6.5). The person's contact is looked up first
   * (`query=` by the phone's last ten digits and by e-mail, then compared normalised):
   * - found: `POST /api/v4/leads` linked to that contact (an incoming lead cannot be linked to an
   *   existing contact, so this one goes straight into the pipeline's first stage);
   * - not found: `POST /api/v4/leads/complex` with the new contact and the form's `metadata`
   *   (`visitor_uid`, `form_page`, `referer`, `ip`, `form_id`, `form_name`, `form_sent_at`): an
   *   incoming lead for a manager to accept. If the account turned on duplicate control, amoCRM may
   *   glue it to the contact's open lead (`merged`): that lead is the answer.
   * Either way the lead's name carries `reference`, which is how a retry after an unknown outcome
   * finds it (`query=`; amoCRM has no idempotency key, 6.5). The comment is a common note.
   */
  async createLead(input: NewCrmLead): Promise<CreatedCrmLead> {
    if (input.mayExist) {
      const found = await this.leadByReference(input.reference, input.mayExistSince);
      if (found) return { ...found, entity: 'deal', found: true };
    }
    const known = this.fieldIds;
    const customFields = (Object.entries(input.fields) as Array<[SourceFieldKey, string]>)
      .filter(([key]) => codeOfKey[key] in known)
      .map(([key, value]) => ({ field_code: codeOfKey[key], values: [{ value: apiValue(codeOfKey[key], value) }] }));
    const contactId = await this.contactOf(input.phone, input.email, input.phoneRegion);
    let created: CreatedCrmLead;
    if (contactId) {
      const body = await this.call<Collection<'leads', { id: number }>>('POST', '/api/v4/leads', {
        body: [{ name: input.title, request_id: input.reference, custom_fields_values: customFields, _embedded: { contacts: [{ id: Number(contactId), is_main: true }] } }],
        repeatable: false,
      });
      const id = body?._embedded?.leads?.[0]?.id;
      if (id === undefined) throw new CrmError({ code: 'UNKNOWN', status: 200, message: 'amoCRM created the lead without saying its id' });
      created = { dealId: String(id), contactId, entity: 'deal' };
    } else {
      const contactFields = [
        ...(input.phone ? [{ field_code: 'PHONE', values: [{ value: input.phone, enum_code: 'WORK' }] }] : []),
        ...(input.email ? [{ field_code: 'EMAIL', values: [{ value: input.email, enum_code: 'WORK' }] }] : []),
      ];
      const metadata = {
        category: 'forms',
        form_id: input.formName ? `longfunnel:${input.formName}`.slice(0, 255) : 'longfunnel',
        form_name: input.formName ?? 'LongFunnel',
        form_page: input.pageUrl ?? '',
        form_sent_at: Math.floor(input.sentAt.getTime() / 1000),
        ...(input.ip ? { ip: input.ip } : {}),
        ...(input.referrer ? { referer: input.referrer } : {}),
        ...(input.visitorId ? { visitor_uid: input.visitorId } : {}),
      };
      const answer = await this.call<Array<{ id: number; contact_id: number | null; merged?: boolean }>>('POST', '/api/v4/leads/complex', {
        body: [
          {
            name: input.title,
            request_id: input.reference,
            custom_fields_values: customFields,
            _embedded: { contacts: [{ name: input.name ?? input.phone ?? input.email ?? '', custom_fields_values: contactFields }], metadata },
          },
        ],
        repeatable: false,
      });
      const first = Array.isArray(answer) ? answer[0] : undefined;
      if (!first) throw new CrmError({ code: 'UNKNOWN', status: 200, message: 'amoCRM created the complex lead without saying its id' });
      created = { dealId: String(first.id), ...(first.contact_id ? { contactId: String(first.contact_id) } : {}), entity: 'deal' };
    }
    if (input.comment) {
      // The lead exists now: a note that fails is not worth a second lead; the comment stays in our copy.
      await this.call('POST', '/api/v4/leads/notes', {
        body: [{ entity_id: Number(created.dealId), note_type: 'common', params: { text: input.comment } }],
        repeatable: false,
      }).catch(() => undefined);
    }
    return created;
  }

  /**
   * The lead whose name carries `reference` (our submission), with its main contact: by `query=`,
   * and — since how amoCRM's full-text search splits `LF-...` is unconfirmed (amocrm.md 6.13) — among
   * the leads created since the earlier attempt began (one page, newest first).
   */
  private async leadByReference(reference: string, since: Date | undefined): Promise<{ dealId: string; contactId?: string } | undefined> {
    const named = (leads: LeadBody[] | undefined) => (leads ?? []).find((candidate) => (candidate.name ?? '').includes(reference));
    const searched = await this.call<Collection<'leads', LeadBody>>('GET', '/api/v4/leads', { query: { query: reference, with: 'contacts', limit: 50 }, repeatable: true });
    let lead = named(searched?._embedded?.leads);
    if (!lead && since) {
      const recent = await this.call<Collection<'leads', LeadBody>>('GET', '/api/v4/leads', {
        query: { 'filter[created_at][from]': Math.floor(since.getTime() / 1000) - 60, 'order[created_at]': 'desc', with: 'contacts', limit: 250 },
        repeatable: true,
      });
      lead = named(recent?._embedded?.leads);
    }
    if (!lead) return undefined;
    const contactId = dealOf(lead).contactIds[0];
    return { dealId: String(lead.id), ...(contactId ? { contactId } : {}) };
  }

  /** An existing, visible contact with this phone (compared as E.164) or e-mail (lower-cased). */
  private async contactOf(phone: string | undefined, email: string | undefined, region: CountryCode): Promise<string | undefined> {
    const wantedPhone = phone ? normalizePhone(phone, region) : undefined;
    const wantedEmail = email ? normalizeEmail(email) : undefined;
    const searches: Array<{ query: string; matches: (contact: ContactBody) => boolean }> = [];
    if (wantedPhone) {
      searches.push({
        query: wantedPhone.replace(/\D/g, '').slice(-10),
        matches: (contact) => multitext(contact.custom_fields_values, 'PHONE').some((value) => normalizePhone(value, region) === wantedPhone),
      });
    }
    if (wantedEmail) {
      searches.push({ query: wantedEmail, matches: (contact) => multitext(contact.custom_fields_values, 'EMAIL').some((value) => normalizeEmail(value) === wantedEmail) });
    }
    for (const search of searches) {
      const body = await this.call<Collection<'contacts', ContactBody>>('GET', '/api/v4/contacts', { query: { query: search.query, limit: 50 }, repeatable: true });
      const found = (body?._embedded?.contacts ?? []).filter(search.matches).sort((a, b) => a.id - b.id)[0];
      if (found) return String(found.id);
    }
    return undefined;
  }
}
