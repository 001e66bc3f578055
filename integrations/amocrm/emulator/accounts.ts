/**
 * Test-side setup: accounts, integrations and their installation. The real service creates these
 * through its UI, so the emulator offers them as functions rather than routes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { EmulatorClock } from './clock.js';
import { unixSeconds } from './clock.js';
import type { Account, Contact, EmulatorState, Integration, Pipeline, Platform } from './state.js';
import { trackingFieldsFor } from './trackingFields.js';

export const WON_STATUS_ID = 142;
export const LOST_STATUS_ID = 143;

export interface NewAccount {
  subdomain: string;
  /** `amocrm` serves `{subdomain}.amocrm.ru` with 19 tracking fields; `kommo` serves `.kommo.com` with 10. */
  platform?: Platform;
  name?: string;
}

export function createAccount(state: EmulatorState, clock: EmulatorClock, input: NewAccount): Account {
  if (state.accountBySubdomain(input.subdomain)) throw new Error(`Account ${input.subdomain} already exists`);
  const account: Account = {
    id: state.nextId('account'),
    subdomain: input.subdomain,
    platform: input.platform ?? 'amocrm',
    name: input.name ?? input.subdomain,
    createdAt: unixSeconds(clock),
    currentUserId: state.nextId('user'),
    amojoId: randomUUID(),
    uuid: randomUUID(),
    timezone: 'Europe/Moscow',
    timezoneOffset: '+03:00',
    currency: 'RUB',
    country: 'RU',
    paymentRequired: false,
  };
  state.accounts.set(account.id, account);
  state.users.set(account.currentUserId, { id: account.currentUserId, accountId: account.id, name: 'Администратор', isAdmin: true, isActive: true, email: `admin@${account.subdomain}.example` });
  addDefaultPipeline(state, account.id);
  addTrackingFields(state, account);
  addContactFields(state, account);
  return account;
}

export interface NewUser {
  name?: string;
  isAdmin?: boolean;
  /** An inactive (dismissed) user cannot be made responsible for anything. */
  isActive?: boolean;
  email?: string;
}

/** Another user of the account, as an admin would invite one in the UI. */
export function addUser(state: EmulatorState, account: Account, input: NewUser = {}): number {
  const id = state.nextId('user');
  state.users.set(id, { id, accountId: account.id, name: input.name ?? `Менеджер ${id}`, isAdmin: input.isAdmin ?? false, isActive: input.isActive ?? true, email: input.email ?? `user${id}@${account.subdomain}.example` });
  return id;
}

export interface NewLossReason {
  name: string;
  sort?: number;
}

/** A loss reason of the account, as an admin adds one in the pipeline settings. Returns its id. */
export function addLossReason(state: EmulatorState, clock: EmulatorClock, account: Account, input: NewLossReason): number {
  const id = state.nextId('lossReason');
  const now = unixSeconds(clock);
  const sort = input.sort ?? (Math.max(0, ...[...state.lossReasons.values()].filter((reason) => reason.accountId === account.id).map((reason) => reason.sort)) + 1);
  state.lossReasons.set(id, { id, accountId: account.id, name: input.name, sort, createdAt: now, updatedAt: now });
  return id;
}

export interface NewIntegration {
  redirectUri: string;
  name?: string;
  /** URL amoCRM calls when the integration is disabled in an account (amocrm.md 1.8). */
  disableHookUrl?: string;
}

export function createIntegration(state: EmulatorState, input: NewIntegration): Integration {
  const integration: Integration = {
    clientId: randomUUID(),
    clientSecret: randomBytes(32).toString('hex'),
    redirectUri: input.redirectUri,
    name: input.name ?? 'Test integration',
    disableHookUrl: input.disableHookUrl ?? null,
  };
  state.integrations.set(integration.clientId, integration);
  return integration;
}

/** Every pipeline has the unsorted stage (type 1), regular stages, and 142/143 (amocrm.md 2.6). */
export function addDefaultPipeline(state: EmulatorState, accountId: number, name = 'Воронка'): Pipeline {
  const hasMain = state.pipelinesOf(accountId).some((pipeline) => pipeline.isMain);
  const pipeline: Pipeline = {
    id: state.nextId('pipeline'),
    accountId,
    name,
    sort: state.pipelinesOf(accountId).length + 1,
    isMain: !hasMain,
    isUnsortedOn: true,
    isArchive: false,
    statuses: [
      { id: state.nextId('status'), name: 'Неразобранное', sort: 10, isEditable: false, color: '#c1c1c1', type: 1 },
      { id: state.nextId('status'), name: 'Первичный контакт', sort: 20, isEditable: true, color: '#99ccff', type: 0 },
      { id: state.nextId('status'), name: 'Переговоры', sort: 30, isEditable: true, color: '#ffff99', type: 0 },
      { id: WON_STATUS_ID, name: 'Успешно реализовано', sort: 10_000, isEditable: false, color: '#CCFF66', type: 0 },
      { id: LOST_STATUS_ID, name: 'Закрыто и не реализовано', sort: 11_000, isEditable: false, color: '#D5D8DB', type: 0 },
    ],
  };
  state.pipelines.set(pipeline.id, pipeline);
  return pipeline;
}

function addTrackingFields(state: EmulatorState, account: Account): void {
  trackingFieldsFor(account.platform).forEach((definition, index) => {
    const id = state.nextId('customField');
    state.customFields.set(id, {
      id,
      accountId: account.id,
      entityType: 'leads',
      name: definition.name,
      type: 'tracking_data',
      code: definition.code,
      sort: 1000 + index,
      isApiOnly: false,
      isPredefined: true,
      isDeletable: false,
      enums: null,
      trackingCallback: null,
    });
  });
}

/** Phone and e-mail types (amocrm.md 2.5; exact set [UNCONFIRMED]). */
export const phoneTypes = ['WORK', 'WORKDD', 'MOB', 'FAX', 'HOME', 'OTHER'] as const;
export const emailTypes = ['WORK', 'PRIV', 'OTHER'] as const;

/** The predefined contact fields `PHONE` and `EMAIL`, type `multitext` (amocrm.md 2.5). */
function addContactFields(state: EmulatorState, account: Account): void {
  const definitions = [
    { name: 'Телефон', code: 'PHONE', types: phoneTypes },
    { name: 'Email', code: 'EMAIL', types: emailTypes },
  ];
  definitions.forEach((definition, index) => {
    const id = state.nextId('customField');
    state.customFields.set(id, {
      id,
      accountId: account.id,
      entityType: 'contacts',
      name: definition.name,
      type: 'multitext',
      code: definition.code,
      sort: 4 + index,
      isApiOnly: false,
      isPredefined: true,
      isDeletable: false,
      enums: definition.types.map((type, sort) => ({ id: state.nextId('enum'), value: type, sort: sort + 1, code: type })),
      trackingCallback: null,
    });
  });
}

export interface NewContact {
  name?: string;
  firstName?: string;
  lastName?: string;
  /** Stored as `PHONE` values with type `WORK`. */
  phones?: string[];
  /** Stored as `EMAIL` values with type `WORK`. */
  emails?: string[];
}

/** A contact as a manager would create it in the UI (no webhook, no event). */
export function createContact(state: EmulatorState, accountId: number, createdAt: number, input: NewContact = {}): Contact {
  const account = state.accounts.get(accountId);
  if (!account) throw new Error(`No account ${accountId}`);
  const fields = state.customFieldsOf(accountId, 'contacts');
  const values = (code: string, list: string[] | undefined) => {
    const field = fields.find((candidate) => candidate.code === code);
    const work = field?.enums?.[0];
    if (!field || !work || !list || list.length === 0) return [];
    return [{ fieldId: field.id, values: list.map((value) => ({ value, enumId: work.id, enumCode: work.code })) }];
  };
  const name = input.name ?? [input.firstName, input.lastName].filter(Boolean).join(' ');
  const contact: Contact = {
    id: state.nextId('contact'),
    accountId,
    name,
    firstName: input.firstName ?? '',
    lastName: input.lastName ?? '',
    responsibleUserId: account.currentUserId,
    groupId: 0,
    createdBy: account.currentUserId,
    updatedBy: account.currentUserId,
    createdAt,
    updatedAt: createdAt,
    closestTaskAt: null,
    isDeleted: false,
    customFieldsValues: [...values('PHONE', input.phones), ...values('EMAIL', input.emails)],
    tagIds: [],
    isUnsorted: false,
  };
  state.contacts.set(contact.id, contact);
  return contact;
}
