/**
 * Test-side setup: accounts, integrations and their installation. The real service creates these
 * through its UI, so the emulator offers them as functions rather than routes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { EmulatorClock } from './clock.js';
import { unixSeconds } from './clock.js';
import type { Account, EmulatorState, Integration, Pipeline, Platform } from './state.js';
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
  };
  state.accounts.set(account.id, account);
  addDefaultPipeline(state, account.id);
  addTrackingFields(state, account);
  return account;
}

export interface NewIntegration {
  redirectUri: string;
  name?: string;
}

export function createIntegration(state: EmulatorState, input: NewIntegration): Integration {
  const integration: Integration = {
    clientId: randomUUID(),
    clientSecret: randomBytes(32).toString('hex'),
    redirectUri: input.redirectUri,
    name: input.name ?? 'Test integration',
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

/** A contact that leads may link to; contacts themselves are served by a later slice. */
export function createContact(state: EmulatorState, accountId: number): number {
  const id = state.nextId('contact');
  state.contacts.set(id, { id, accountId });
  return id;
}
