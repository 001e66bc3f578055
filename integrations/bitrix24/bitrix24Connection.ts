/**
 * `CrmConnection` for one Bitrix24 portal (bitrix24.md 3, 4.4): every read and write goes through
 * `batch` (up to 50 commands, one request for the leaky bucket), every request through `CrmAccess`
 * (paced, authenticated, retried). Deals and — on classic-mode portals — leads are both enriched;
 * lead ids carry an `L` (`L17`) so they never meet deal ids.
 */
import type { CrmAccount } from '../../server/crm/crmAccounts.js';
import type { CrmAccess } from '../../server/crm/crmAccess.js';
import type { CountryCode } from 'libphonenumber-js';
import type { CreatedCrmLead, CrmConnection, CrmContact, CrmDeal, CrmEntity, CrmStage, CrmStageChange, CrmUser, DealFieldWrite, DealNote, NewCrmLead } from '../../server/crm/crmAdapter.js';
import { normalizeEmail, normalizePhone } from '../../server/crm/identities.js';
import { lastNonDirect, type SourceFieldKey, type TouchVisit } from '../../server/crm/sourceFields.js';
import { CrmError } from '../crmError.js';
import type { FormInput } from '../formBrackets.js';
import { apiFieldNames, userFieldDefinitions, valueFromApi, type UserFieldNames } from './bitrix24Fields.js';
import { commandFailure, type BatchAnswer, type BatchCommand, type Bitrix24Rest } from './restClient.js';

/** Events bound to our webhook address (issue 5; deletions keep our copy honest). */
export const BOUND_EVENTS = [
  'ONCRMDEALADD',
  'ONCRMDEALUPDATE',
  'ONCRMDEALDELETE',
  'ONCRMLEADADD',
  'ONCRMLEADUPDATE',
  'ONCRMLEADDELETE',
  'ONCRMCONTACTADD',
  'ONCRMCONTACTUPDATE',
  'ONAPPUNINSTALL',
] as const;
export const DEAL_TAB_PLACEMENT = 'CRM_DEAL_DETAIL_TAB';
/** `crm.settings.mode.get` (3.6): 1 classic (leads and deals), 2 simple (deals only). */
export const CLASSIC_MODE = 1;
/** Legacy list pages hold 50 rows (3.2). */
const PAGE = 50;
/** The pipeline our lead records are in (their statuses are one funnel, dictionary `STATUS`). */
export const LEAD_PIPELINE = 'lead';

export interface Bitrix24ConnectionOptions {
  account: CrmAccount;
  access: CrmAccess;
  rest: Bitrix24Rest;
  /** `PUBLIC_URL/webhooks/bitrix24`. */
  webhookUrl: string;
  /** `PUBLIC_URL/bitrix24/placement/deal`. */
  placementUrl: string;
  /** Commands per batch (3.11: at most 50). */
  batchSize: number;
  /** Attach each newly noted record's path as a Sales Intelligence trace (3.10). */
  attachTrace?: boolean;
}

type Row = Record<string, unknown>;

interface SetupRecord {
  userFields?: { deal?: UserFieldNames; lead?: UserFieldNames };
  crmMode?: number;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null;
}

function date(value: unknown): Date | null {
  const time = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(time) ? new Date(time) : null;
}

/** `L17` -> lead 17, `5` -> deal 5. */
export function recordRef(id: string): { entity: CrmEntity; id: number } | undefined {
  const match = /^(L?)(\d+)$/.exec(id);
  if (!match) return undefined;
  return { entity: match[1] === 'L' ? 'lead' : 'deal', id: Number(match[2]) };
}

export function recordId(entity: CrmEntity, id: unknown): string {
  return entity === 'lead' ? `L${String(id)}` : String(id);
}

function outcomeOf(semantic: unknown): CrmDeal['outcome'] {
  return semantic === 'S' ? 'won' : semantic === 'F' ? 'lost' : 'open';
}

function multiValues(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((item) => (item && typeof item === 'object' ? (item as Row)['VALUE'] : undefined)).filter((item): item is string => typeof item === 'string' && item !== '');
}

function rowsOf(value: unknown): Row[] {
  if (Array.isArray(value)) return value.filter((row): row is Row => Boolean(row) && typeof row === 'object');
  if (value && typeof value === 'object' && Array.isArray((value as Row)['items'])) return rowsOf((value as Row)['items']);
  return [];
}

/**
 * A record's path as a Sales Intelligence `TRACE` (3.10: the keys the server reads): the credited
 * (last non-direct) visit's UTM tags, time and referrer, and up to 5 earlier visits as `previous`.
 * Page addresses are not part of a path here, so `pages` is left out. None for an empty path.
 */
export function traceOf(path: readonly TouchVisit[]): string | undefined {
  const credited = lastNonDirect(path);
  if (!credited) return undefined;
  const visitTrace = (visit: TouchVisit) => {
    const list: Record<string, string> = {};
    for (const [tag, value] of [
      ['utm_source', visit.source],
      ['utm_medium', visit.medium],
      ['utm_campaign', visit.campaign],
      ['utm_content', visit.content],
      ['utm_term', visit.term],
    ] as const) {
      if (value && !value.startsWith('(')) list[tag] = value;
    }
    return { ...(visit.referrer ? { ref: visit.referrer } : {}), tags: { ts: Math.floor(visit.startedAt.getTime() / 1000), list } };
  };
  const earlier = path.filter((visit) => visit !== credited).slice(-5);
  return JSON.stringify({ ...visitTrace(credited), ...(earlier.length > 0 ? { previous: { list: earlier.map(visitTrace) } } : {}) });
}

export class Bitrix24Connection implements CrmConnection {
  /** Set when the portal answers `crm.tracking.trace.add` with ERROR_METHOD_NOT_FOUND (no Sales Intelligence). */
  private tracesUnavailable = false;

  constructor(private readonly options: Bitrix24ConnectionOptions) {}

  private get account(): CrmAccount {
    return this.options.account;
  }

  private get setupRecord(): SetupRecord {
    return this.account.setup as SetupRecord;
  }

  private userFields(entity: CrmEntity): UserFieldNames {
    return this.setupRecord.userFields?.[entity] ?? {};
  }

  private get classic(): boolean {
    return this.setupRecord.crmMode === CLASSIC_MODE;
  }

  private call<T>(method: string, params: Record<string, unknown>, repeatable: boolean) {
    return this.options.access.call(this.account, (token) => this.options.rest.call<T>(token, method, params), { repeatable });
  }

  /**
   * One batch through CrmAccess. Repeatable batches (reads, writes of the same values) throw on the
   * first failed command so the whole batch is retried or failed; commands failing with NOT_FOUND
   * (a record deleted meanwhile) are left out of the answer instead.
   */
  private async batch(commands: ReadonlyMap<string, BatchCommand>, options: { repeatable: boolean; halt?: boolean }): Promise<BatchAnswer> {
    if (commands.size === 0) return { results: new Map(), totals: new Map(), errors: new Map() };
    return this.options.access.call(
      this.account,
      async (token) => {
        const answer = await this.options.rest.batch(token, commands, options.halt ?? false);
        if (!options.repeatable) return answer;
        for (const [key, error] of answer.errors) {
          const failure = commandFailure(error);
          if (failure.code !== 'NOT_FOUND') throw new CrmError({ ...failure, message: `${commands.get(key)?.method ?? key}: ${failure.message}` });
        }
        return answer;
      },
      { repeatable: options.repeatable },
    );
  }

  /** Lists (filter by id) of deals and leads in batches of up to 50 commands, 50 ids each. */
  private async listByIds(ids: readonly string[], select: (entity: CrmEntity) => string[]): Promise<Array<{ entity: CrmEntity; row: Row }>> {
    const byEntity: Record<CrmEntity, number[]> = { deal: [], lead: [] };
    for (const id of ids) {
      const ref = recordRef(id);
      if (ref) byEntity[ref.entity].push(ref.id);
    }
    const commands: Array<[string, BatchCommand]> = [];
    for (const entity of ['deal', 'lead'] as const) {
      chunks(byEntity[entity], PAGE).forEach((part, index) => {
        commands.push([`${entity}${index}`, { method: `crm.${entity}.list`, params: { filter: { '@ID': part }, select: select(entity), start: -1 } }]);
      });
    }
    const rows: Array<{ entity: CrmEntity; row: Row }> = [];
    for (const part of chunks(commands, this.options.batchSize)) {
      const answer = await this.batch(new Map(part), { repeatable: true });
      for (const [key, result] of answer.results) for (const row of rowsOf(result)) rows.push({ entity: key.startsWith('lead') ? 'lead' : 'deal', row });
    }
    return rows;
  }

  private dealOf(entity: CrmEntity, row: Row): CrmDeal {
    const names = apiFieldNames(this.userFields(entity));
    const fields: Partial<Record<SourceFieldKey, string>> = {};
    for (const [key, name] of names) {
      const value = valueFromApi(key, row[name]);
      if (value !== undefined) fields[key] = value;
    }
    const isLead = entity === 'lead';
    const semantic = row[isLead ? 'STATUS_SEMANTIC_ID' : 'STAGE_SEMANTIC_ID'];
    const outcome = outcomeOf(semantic);
    const contactId = text(row['CONTACT_ID']);
    const id = recordId(entity, row['ID']);
    const stageChangedAt = date(row['MOVED_TIME']) ?? date(row['DATE_CREATE']);
    return {
      id,
      entity,
      name: text(row['TITLE']),
      pipelineId: isLead ? LEAD_PIPELINE : (text(row['CATEGORY_ID']) ?? '0'),
      stageId: text(row[isLead ? 'STATUS_ID' : 'STAGE_ID']) ?? '',
      outcome,
      amount: Number.isFinite(Number(row['OPPORTUNITY'])) && row['OPPORTUNITY'] !== null ? Number(row['OPPORTUNITY']) : null,
      responsibleUserId: text(row['ASSIGNED_BY_ID']),
      createdAt: date(row['DATE_CREATE']) ?? new Date(0),
      closedAt: outcome === 'open' ? null : (date(row[isLead ? 'DATE_CLOSED' : 'MOVED_TIME']) ?? date(row['MOVED_TIME'])),
      // A lead holds its person's phones and e-mails itself; a deal names its (first) contact.
      contactIds: [...(isLead ? [id] : []), ...(contactId && contactId !== '0' ? [contactId] : [])],
      fields,
      ...(stageChangedAt ? { stageChangedAt } : {}),
    };
  }

  async readDeals(ids: readonly string[]): Promise<CrmDeal[]> {
    const rows = await this.listByIds(ids, () => ['*', 'UF_*']);
    return rows.map(({ entity, row }) => this.dealOf(entity, row));
  }

  /** Contacts by id, and leads (`L17`) as the people they hold. */
  async readContacts(ids: readonly string[]): Promise<CrmContact[]> {
    const leadIds = ids.filter((id) => id.startsWith('L'));
    const contactIds = ids.filter((id) => /^\d+$/.test(id)).map(Number);
    const commands: Array<[string, BatchCommand]> = chunks(contactIds, PAGE).map((part, index) => [
      `contact${index}`,
      { method: 'crm.contact.list', params: { filter: { '@ID': part }, select: ['ID', 'PHONE', 'EMAIL'], start: -1 } },
    ]);
    chunks(leadIds.map((id) => Number(id.slice(1))), PAGE).forEach((part, index) => {
      commands.push([`lead${index}`, { method: 'crm.lead.list', params: { filter: { '@ID': part }, select: ['ID', 'PHONE', 'EMAIL'], start: -1 } }]);
    });
    const contacts: CrmContact[] = [];
    for (const part of chunks(commands, this.options.batchSize)) {
      const answer = await this.batch(new Map(part), { repeatable: true });
      for (const [key, result] of answer.results) {
        for (const row of rowsOf(result)) {
          contacts.push({ id: key.startsWith('lead') ? recordId('lead', row['ID']) : String(row['ID']), phones: multiValues(row['PHONE']), emails: multiValues(row['EMAIL']) });
        }
      }
    }
    return contacts;
  }

  /** A write's values under this portal's field names (fields it lacks left out). */
  private apiFields(entity: CrmEntity, values: DealFieldWrite['values']): Record<string, string> {
    const names = apiFieldNames(this.userFields(entity));
    const fields: Record<string, string> = {};
    for (const [key, value] of Object.entries(values) as Array<[SourceFieldKey, string]>) {
      const name = names.get(key);
      if (name) fields[name] = value;
    }
    return fields;
  }

  /** `crm.deal.update` / `crm.lead.update` of only the fields this portal has, 50 a batch; the same values twice change nothing. */
  async writeDealFields(writes: readonly DealFieldWrite[]): Promise<void> {
    const commands: Array<[string, BatchCommand]> = [];
    for (const write of writes) {
      const ref = recordRef(write.dealId);
      if (!ref) continue;
      const fields = this.apiFields(ref.entity, write.values);
      if (Object.keys(fields).length === 0) continue;
      commands.push([`w${write.dealId}`, { method: `crm.${ref.entity}.update`, params: { id: ref.id, fields, params: { REGISTER_SONET_EVENT: 'N' } } }]);
    }
    for (const part of chunks(commands, this.options.batchSize)) await this.batch(new Map(part), { repeatable: true });
  }

  /**
   * Field writes and notes folded together: per record at most one `crm.timeline.comment.add` and
   * one `crm.{entity}.update` carrying the source fields and — through `$result[c…]` (3.11) — the
   * new comment's id in our note field, a record's commands always in the same batch, batches of up
   * to 50 commands. A batch with a comment runs with `halt` (a comment posted is a comment recorded:
   * an update whose comment failed never runs and writes a reference instead of an id), is not
   * repeated blindly, and a comment whose update did not run gets its update again (the same
   * values, repeatable). A record deleted meanwhile (NOT_FOUND) is left out and the commands the
   * halt skipped run in the next batch; any other failure is thrown (the read-back of the note
   * field keeps a retried run from commenting twice).
   */
  async writeEnrichment(writes: readonly DealFieldWrite[], notes: readonly DealNote[]): Promise<void> {
    const noteOf = new Map(notes.map((note) => [note.dealId, note.text]));
    const fieldsOf = new Map(writes.map((write) => [write.dealId, write.values]));
    type Record_ = { dealId: string; entity: CrmEntity; id: number; fields: Record<string, string>; note: string | undefined; noteField: string | undefined; trace: string | undefined };
    const records: Record_[] = [];
    const pathOf = new Map(notes.map((note) => [note.dealId, note.path ?? []]));
    for (const dealId of new Set([...fieldsOf.keys(), ...noteOf.keys()])) {
      const ref = recordRef(dealId);
      if (!ref) continue;
      const fields = this.apiFields(ref.entity, fieldsOf.get(dealId) ?? {});
      const note = noteOf.get(dealId);
      if (Object.keys(fields).length === 0 && note === undefined) continue;
      const trace = note !== undefined && this.options.attachTrace ? traceOf(pathOf.get(dealId) ?? []) : undefined;
      records.push({ dealId, entity: ref.entity, id: ref.id, fields, note, noteField: this.userFields(ref.entity).note, trace });
    }
    const commandsOf = (record: Record_): Array<[string, BatchCommand]> => {
      const commands: Array<[string, BatchCommand]> = [];
      const fields: { [key: string]: FormInput } = { ...record.fields };
      if (record.note !== undefined) {
        commands.push([`c${record.dealId}`, { method: 'crm.timeline.comment.add', params: { fields: { ENTITY_ID: record.id, ENTITY_TYPE: record.entity, COMMENT: record.note } } }]);
        if (record.noteField) fields[record.noteField] = `$result[c${record.dealId}]`;
      }
      if (Object.keys(fields).length > 0) {
        commands.push([`w${record.dealId}`, { method: `crm.${record.entity}.update`, params: { id: record.id, fields, params: { REGISTER_SONET_EVENT: 'N' } } }]);
      }
      return commands;
    };
    // Traces of the records whose comment was just posted: sent after all comments and updates, in
    // batches of their own, so those batches are full (a comment and its update must share a batch;
    // a trace need not) and a portal without the method stops nothing else.
    const traces: Array<[string, BatchCommand]> = [];
    let waiting = records;
    while (waiting.length > 0) {
      // As many whole records as fit in one batch.
      const part: Record_[] = [];
      let size = 0;
      for (const record of waiting) {
        const needs = commandsOf(record).length;
        if (part.length > 0 && size + needs > this.options.batchSize) break;
        part.push(record);
        size += needs;
      }
      waiting = waiting.slice(part.length);
      const commands = new Map(part.flatMap(commandsOf));
      if (!part.some((record) => record.note !== undefined)) {
        await this.batch(commands, { repeatable: true });
        continue;
      }
      const answer = await this.batch(commands, { repeatable: false, halt: true });
      for (const record of part) {
        if (record.trace === undefined || !answer.results.has(`c${record.dealId}`)) continue;
        traces.push([`t${record.dealId}`, { method: 'crm.tracking.trace.add', params: { TRACE: record.trace, ENTITIES: [{ TYPE: record.entity.toUpperCase(), ID: record.id }] } }]);
      }
      const repairs = new Map<string, BatchCommand>();
      for (const record of part) {
        const commentId = answer.results.get(`c${record.dealId}`);
        const update = commands.get(`w${record.dealId}`);
        if (commentId === undefined || !update || answer.results.has(`w${record.dealId}`) || answer.errors.has(`w${record.dealId}`)) continue;
        // The comment is there and the halt stopped before its update: the same update, with the id itself.
        const fields = { ...(update.params['fields'] as { [key: string]: FormInput }) };
        if (record.noteField) fields[record.noteField] = String(commentId);
        repairs.set(`w${record.dealId}`, { ...update, params: { ...update.params, fields } });
      }
      await this.batch(repairs, { repeatable: true });
      const failed = [...answer.errors][0];
      if (!failed) continue;
      const failure = commandFailure(failed[1]);
      const method = commands.get(failed[0])?.method ?? failed[0];
      if (failure.code !== 'NOT_FOUND') throw new CrmError({ ...failure, message: `${method}: ${failure.message}` });
      // That record is gone; what the halt skipped goes again.
      const gone = failed[0].slice(1);
      const skipped = part.filter((record) => record.dealId !== gone && !commandsOf(record).some(([key]) => answer.results.has(key) || answer.errors.has(key) || repairs.has(key)));
      waiting = [...skipped, ...waiting];
    }
    await this.attachTraces(traces);
  }

  /**
   * A trace is an extra: sent once, never repeated (a repeat would attach it twice); one refused
   * leaves its record without it, and a portal without the method (ERROR_METHOD_NOT_FOUND) gets no
   * more traces from this connection. Failing to attach never fails the enrichment.
   */
  private async attachTraces(traces: ReadonlyArray<[string, BatchCommand]>): Promise<void> {
    for (const part of chunks([...traces], this.options.batchSize)) {
      if (this.tracesUnavailable) return;
      try {
        const answer = await this.batch(new Map(part), { repeatable: false });
        if ([...answer.errors.values()].some((error) => error.error === 'ERROR_METHOD_NOT_FOUND')) this.tracesUnavailable = true;
      } catch {
        return;
      }
    }
  }

  /**
   * One timeline comment per record, each followed in the same batch by writing the comment's id
   * into our note field (`$result[...]`), with `halt`: a comment posted is a comment recorded, so a
   * run that died mid-post finds it with `dealsWithOurNote` and never posts twice. Not repeatable.
   */
  async addDealNotes(notes: readonly DealNote[]): Promise<void> {
    const pairsPerBatch = Math.max(1, Math.floor(this.options.batchSize / 2));
    for (const part of chunks(notes, pairsPerBatch)) {
      const commands = new Map<string, BatchCommand>();
      const markers = new Map<string, { entity: CrmEntity; id: number; field: string }>();
      for (const note of part) {
        const ref = recordRef(note.dealId);
        if (!ref) continue;
        commands.set(`c${note.dealId}`, { method: 'crm.timeline.comment.add', params: { fields: { ENTITY_ID: ref.id, ENTITY_TYPE: ref.entity, COMMENT: note.text } } });
        const field = this.userFields(ref.entity).note;
        if (field) {
          markers.set(note.dealId, { entity: ref.entity, id: ref.id, field });
          commands.set(`m${note.dealId}`, { method: `crm.${ref.entity}.update`, params: { id: ref.id, fields: { [field]: `$result[c${note.dealId}]` }, params: { REGISTER_SONET_EVENT: 'N' } } });
        }
      }
      const answer = await this.batch(commands, { repeatable: false, halt: true });
      // A comment posted whose marker write failed: write the marker again (the same value, repeatable).
      const repairs = new Map<string, BatchCommand>();
      for (const [dealId, marker] of markers) {
        const commentId = answer.results.get(`c${dealId}`);
        if (commentId !== undefined && !answer.results.has(`m${dealId}`)) {
          repairs.set(`m${dealId}`, { method: `crm.${marker.entity}.update`, params: { id: marker.id, fields: { [marker.field]: String(commentId) } as { [key: string]: FormInput }, params: { REGISTER_SONET_EVENT: 'N' } } });
        }
      }
      await this.batch(repairs, { repeatable: true });
      const failed = [...answer.errors].find(([key]) => key.startsWith('c'));
      if (failed) throw new CrmError({ ...commandFailure(failed[1]), message: `crm.timeline.comment.add: ${commandFailure(failed[1]).message}` });
    }
  }

  async dealsWithOurNote(dealIds: readonly string[]): Promise<Set<string>> {
    const rows = await this.listByIds(dealIds, (entity) => ['ID', ...(this.userFields(entity).note ? [this.userFields(entity).note as string] : [])]);
    const found = new Set<string>();
    for (const { entity, row } of rows) {
      const field = this.userFields(entity).note;
      if (field && text(row[field])) found.add(recordId(entity, row['ID']));
    }
    return found;
  }

  async listStages(): Promise<CrmStage[]> {
    const answer = await this.batch(
      new Map<string, BatchCommand>([
        ['categories', { method: 'crm.category.list', params: { entityTypeId: 2 } }],
        ['statuses', { method: 'crm.status.list', params: { order: { SORT: 'ASC' } } }],
      ]),
      { repeatable: true },
    );
    const categories = rowsOf((answer.results.get('categories') as Row | undefined)?.['categories']);
    const names = new Map(categories.map((category) => [String(category['id']), String(category['name'] ?? '')]));
    const pipelines = new Map<string, { name: string; rows: Row[] }>();
    for (const row of rowsOf(answer.results.get('statuses'))) {
      const entityId = String(row['ENTITY_ID'] ?? '');
      const deal = /^DEAL_STAGE(?:_(\d+))?$/.exec(entityId);
      const pipelineId = deal ? (deal[1] ?? '0') : entityId === 'STATUS' && this.classic ? LEAD_PIPELINE : undefined;
      if (pipelineId === undefined) continue;
      const pipeline = pipelines.get(pipelineId) ?? { name: pipelineId === LEAD_PIPELINE ? 'Leads' : (names.get(pipelineId) ?? `Funnel ${pipelineId}`), rows: [] };
      pipeline.rows.push(row);
      pipelines.set(pipelineId, pipeline);
    }
    return [...pipelines].flatMap(([pipelineId, pipeline]) =>
      pipeline.rows
        .sort((a, b) => Number(a['SORT']) - Number(b['SORT']))
        .map((row, index) => ({
          pipelineId,
          pipelineName: pipeline.name,
          stageId: String(row['STATUS_ID']),
          name: String(row['NAME'] ?? row['STATUS_ID']),
          sort: Number(row['SORT']) || 0,
          kind: row['SEMANTICS'] === 'S' ? 'won' : row['SEMANTICS'] === 'F' ? 'lost' : index === 0 ? 'entry' : 'open',
          // No loss-reason field: portals keep several failure stages, one per reason; the stage's name is the reason.
          ...(row['SEMANTICS'] === 'F' ? { lostReason: String(row['NAME'] ?? row['STATUS_ID']) } : {}),
        })),
    );
  }

  /**
   * `user.get` (the app's `user_brief` scope is enough for names), 50 a page; dismissed users are
   * listed too, so old deals keep their manager's name.
   */
  async listUsers(): Promise<CrmUser[]> {
    const users: CrmUser[] = [];
    for await (const rows of this.pages('user.get', { sort: 'ID', order: 'ASC' })) {
      for (const row of rows) {
        const name = [row['NAME'], row['LAST_NAME']].map((part) => (typeof part === 'string' ? part.trim() : '')).filter((part) => part !== '').join(' ');
        if (row['ID'] !== undefined && name !== '') users.push({ id: String(row['ID']), name });
      }
    }
    return users;
  }

  /**
   * Install set-up, idempotent: our events bound to our webhook address, the deal-card tab bound,
   * our user fields on deals (and leads on classic portals) created unless found by `XML_ID`.
   * What exists is read first in one batch; what is missing is made in another.
   */
  async setUp(): Promise<Record<string, unknown>> {
    const { webhookUrl, placementUrl } = this.options;
    const known = await this.batch(
      new Map<string, BatchCommand>([
        ['events', { method: 'event.get', params: {} }],
        ['placements', { method: 'placement.get', params: {} }],
        ['mode', { method: 'crm.settings.mode.get', params: {} }],
        ['dealFields', { method: 'crm.deal.userfield.list', params: {} }],
        ['leadFields', { method: 'crm.lead.userfield.list', params: {} }],
      ]),
      { repeatable: true },
    );
    const crmMode = Number(known.results.get('mode')) || CLASSIC_MODE;
    const entities: CrmEntity[] = crmMode === CLASSIC_MODE ? ['deal', 'lead'] : ['deal'];
    const bound = new Set(rowsOf(known.results.get('events')).filter((row) => row['handler'] === webhookUrl).map((row) => String(row['event'])));
    const placed = rowsOf(known.results.get('placements')).some((row) => row['placement'] === DEAL_TAB_PLACEMENT && row['handler'] === placementUrl);

    const create = new Map<string, BatchCommand>();
    for (const event of BOUND_EVENTS) if (!bound.has(event)) create.set(`bind${event}`, { method: 'event.bind', params: { event, handler: webhookUrl } });
    if (!placed) {
      create.set('placement', {
        method: 'placement.bind',
        params: { PLACEMENT: DEAL_TAB_PLACEMENT, HANDLER: placementUrl, LANG_ALL: { ru: { TITLE: 'Источник (LongFunnel)' }, en: { TITLE: 'Source (LongFunnel)' } } },
      });
    }
    const userFields: Record<CrmEntity, UserFieldNames> = { deal: {}, lead: {} };
    for (const entity of entities) {
      const existing = new Map(rowsOf(known.results.get(`${entity}Fields`)).map((row) => [String(row['XML_ID'] ?? ''), String(row['FIELD_NAME'])]));
      userFieldDefinitions.forEach((field, index) => {
        const found = existing.get(field.xmlId);
        if (found) {
          userFields[entity][field.key] = found;
          return;
        }
        create.set(`${entity}${field.key}`, {
          method: `crm.${entity}.userfield.add`,
          params: {
            fields: {
              FIELD_NAME: field.fieldName,
              USER_TYPE_ID: field.userTypeId,
              XML_ID: field.xmlId,
              SORT: 600 + index,
              MULTIPLE: 'N',
              MANDATORY: 'N',
              SHOW_FILTER: 'Y',
              SHOW_IN_LIST: 'Y',
              EDIT_IN_LIST: field.key === 'lf_visitor_id' ? 'Y' : 'N',
              EDIT_FORM_LABEL: field.label,
              LIST_COLUMN_LABEL: field.label,
              LIST_FILTER_LABEL: field.label,
            },
          },
        });
        userFields[entity][field.key] = field.fieldName;
      });
    }
    for (const part of chunks([...create], this.options.batchSize)) {
      // Not repeated blindly: a set-up run again finds what an interrupted one made (by handler, by XML_ID).
      const answer = await this.batch(new Map(part), { repeatable: false });
      const failed = [...answer.errors][0];
      if (failed) throw new CrmError({ ...commandFailure(failed[1]), message: `set-up ${part.find(([key]) => key === failed[0])?.[1].method ?? failed[0]}: ${commandFailure(failed[1]).message}` });
    }
    return { crmMode, userFields, webhookUrl, placementUrl, boundEvents: [...BOUND_EVENTS] };
  }

  /**
   * Pages of a legacy list: the first page alone (it tells the total), then the other pages 50 to
   * a batch (2,500 rows a request). Ordered by ID with a fixed filter, so pages do not shift.
   */
  private async *pages(method: string, params: Record<string, unknown>): AsyncIterable<Row[]> {
    const first = await this.call<unknown>(method, { ...params, start: 0 }, true);
    yield rowsOf(first.result);
    const total = first.total ?? 0;
    const starts: number[] = [];
    for (let start = PAGE; start < total; start += PAGE) starts.push(start);
    for (const part of chunks(starts, this.options.batchSize)) {
      const answer = await this.batch(new Map(part.map((start) => [`p${start}`, { method, params: { ...(params as { [key: string]: FormInput }), start } }])), { repeatable: true });
      for (const start of part) yield rowsOf(answer.results.get(`p${start}`));
    }
  }

  async *dealsUpdatedSince(since: Date): AsyncIterable<CrmDeal[]> {
    const entities: CrmEntity[] = this.classic ? ['deal', 'lead'] : ['deal'];
    for (const entity of entities) {
      const params = { filter: { '>=DATE_MODIFY': since.toISOString() }, order: { ID: 'ASC' }, select: ['*', 'UF_*'] };
      for await (const rows of this.pages(`crm.${entity}.list`, params)) if (rows.length > 0) yield rows.map((row) => this.dealOf(entity, row));
    }
  }

  /** `crm.stagehistory.list` (3.8): one row per creation and per move, oldest first per record. */
  async *stageChangesSince(since: Date): AsyncIterable<CrmStageChange[]> {
    const entities: Array<[CrmEntity, number]> = this.classic ? [['deal', 2], ['lead', 1]] : [['deal', 2]];
    for (const [entity, entityTypeId] of entities) {
      const last = new Map<string, string>();
      const params = { entityTypeId, filter: { '>=CREATED_TIME': since.toISOString() }, order: { ID: 'ASC' } };
      for await (const rows of this.pages('crm.stagehistory.list', params)) {
        const changes: CrmStageChange[] = [];
        for (const row of rows) {
          const dealId = recordId(entity, row['OWNER_ID']);
          const stageId = text(row[entity === 'lead' ? 'STATUS_ID' : 'STAGE_ID']);
          const at = date(row['CREATED_TIME']);
          if (!stageId || !at) continue;
          changes.push({
            dealId,
            pipelineId: entity === 'lead' ? LEAD_PIPELINE : String(row['CATEGORY_ID'] ?? '0'),
            fromStageId: Number(row['TYPE_ID']) === 1 ? null : (last.get(dealId) ?? null),
            toStageId: stageId,
            at,
          });
          last.set(dealId, stageId);
        }
        if (changes.length > 0) yield changes;
      }
    }
  }

  /**
   * A lead (`crm.lead.add`) or a deal (`crm.deal.add`) with its source (bitrix24.md 3.2, 3.3, 3.6,
   * 3.7): `SOURCE_ID` `WEB`, `SOURCE_DESCRIPTION` (form and page), `UTM_*`, our `UF_CRM_LF_*`
   * fields, `COMMENTS`. The person's contact is looked up first with `crm.duplicate.findbycomm`
   * (phone, then e-mail) and checked on `crm.contact.list`: found, the new record gets it as
   * `CONTACT_ID` (a lead then counts as a repeat lead); not found, a deal gets a new contact
   * (`crm.contact.add`), a lead carries the person's name, phone and e-mail itself, as Bitrix24
   * leads do. Portals in simple mode have no leads: a deal is made. The title carries `reference`,
   * which is how a retry after an unknown outcome finds the record (`%TITLE` filter).
   */
  async createLead(input: NewCrmLead): Promise<CreatedCrmLead> {
    const entity: CrmEntity = input.entity === 'lead' && this.classic ? 'lead' : 'deal';
    if (input.mayExist) {
      const answer = await this.call<unknown>(`crm.${entity}.list`, { filter: { '%TITLE': input.reference }, select: ['ID', 'TITLE', 'CONTACT_ID'], start: -1 }, true);
      const row = rowsOf(answer.result).find((candidate) => String(candidate['TITLE'] ?? '').includes(input.reference));
      if (row) {
        const contactId = text(row['CONTACT_ID']);
        return { dealId: recordId(entity, row['ID']), ...(contactId && contactId !== '0' ? { contactId } : {}), entity, found: true };
      }
    }
    let contactId = await this.contactOf(input.phone, input.email, input.phoneRegion);
    const multi = {
      ...(input.phone ? { PHONE: [{ VALUE: input.phone, VALUE_TYPE: 'WORK' }] } : {}),
      ...(input.email ? { EMAIL: [{ VALUE: input.email, VALUE_TYPE: 'WORK' }] } : {}),
    };
    const utm: Record<string, string> = {};
    const names = apiFieldNames(this.userFields(entity));
    for (const [key, value] of Object.entries(input.fields) as Array<[SourceFieldKey, string]>) {
      const name = names.get(key);
      if (name) utm[name] = value;
    }
    const description = [input.formName, input.pageUrl].filter(Boolean).join(' — ').slice(0, 255);
    const source = { SOURCE_ID: 'WEB', ...(description ? { SOURCE_DESCRIPTION: description } : {}) };
    if (!contactId && entity === 'deal') {
      const added = await this.call<number>('crm.contact.add', { fields: { NAME: input.name ?? input.phone ?? input.email ?? '', ...multi, ...source, ...utm }, params: { REGISTER_SONET_EVENT: 'N' } }, false);
      contactId = String(added.result);
    }
    const fields: Record<string, unknown> = {
      TITLE: input.title,
      ...source,
      ...utm,
      ...(input.comment ? { COMMENTS: input.comment } : {}),
      ...(contactId ? { CONTACT_ID: Number(contactId) } : {}),
      ...(entity === 'lead' ? { ...(input.name ? { NAME: input.name } : {}), ...multi } : {}),
    };
    const added = await this.call<number>(`crm.${entity}.add`, { fields, params: { REGISTER_SONET_EVENT: 'Y' } }, false);
    return { dealId: recordId(entity, added.result), ...(contactId ? { contactId } : {}), entity };
  }

  /**
   * An existing contact with this phone or e-mail: `crm.duplicate.findbycomm` (3.7) for both in one
   * batch, then the candidates read back and compared normalised (the lookup's own phone matching
   * is unconfirmed); the oldest match wins.
   */
  private async contactOf(phone: string | undefined, email: string | undefined, region: CountryCode): Promise<string | undefined> {
    const wantedPhone = phone ? normalizePhone(phone, region) : undefined;
    const wantedEmail = email ? normalizeEmail(email) : undefined;
    const lookups = new Map<string, BatchCommand>();
    if (wantedPhone) lookups.set('phone', { method: 'crm.duplicate.findbycomm', params: { entity_type: 'CONTACT', type: 'PHONE', values: [wantedPhone] } });
    if (wantedEmail) lookups.set('email', { method: 'crm.duplicate.findbycomm', params: { entity_type: 'CONTACT', type: 'EMAIL', values: [wantedEmail] } });
    if (lookups.size === 0) return undefined;
    const found = await this.batch(lookups, { repeatable: true });
    const ids = new Set<number>();
    for (const result of found.results.values()) {
      const contacts = result && typeof result === 'object' && !Array.isArray(result) ? (result as Row)['CONTACT'] : undefined;
      if (Array.isArray(contacts)) for (const id of contacts) if (Number(id) > 0) ids.add(Number(id));
    }
    if (ids.size === 0) return undefined;
    const candidates = await this.call<unknown>('crm.contact.list', { filter: { '@ID': [...ids].slice(0, PAGE) }, select: ['ID', 'PHONE', 'EMAIL'], order: { ID: 'ASC' }, start: -1 }, true);
    const match = rowsOf(candidates.result).find(
      (row) =>
        (wantedPhone !== undefined && multiValues(row['PHONE']).some((value) => normalizePhone(value, region) === wantedPhone)) ||
        (wantedEmail !== undefined && multiValues(row['EMAIL']).some((value) => normalizeEmail(value) === wantedEmail)),
    );
    return match ? String(match['ID']) : undefined;
  }
}
