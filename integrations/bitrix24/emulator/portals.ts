/**
 * Test-side setup standing in for Bitrix24's UI: portals with their default dictionaries, deal
 * funnels, local apps and inbound webhooks (bitrix24.md 1.1, 1.8, 3.3, 3.5).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { EmulatorClock } from '../../amocrm/emulator/clock.js';
import type { App, Bitrix24State, DealCategory, InboundWebhook, Portal, StatusRow } from './state.js';

export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

export interface NewPortal {
  /** Path prefix and host label: `/_portals/{name}`, `{name}.bitrix24.com`. */
  name: string;
  /** Defaults to `{name}.bitrix24.com`. */
  domain?: string;
  timezoneOffset?: string;
  currency?: string;
  languageId?: string;
  license?: string;
  /** `crm.settings.mode.get` (file 3.6): 1 Classic CRM (leads and deals, the default), 2 Simple CRM (deals only). */
  crmMode?: 1 | 2;
}

interface StageTemplate {
  statusId: string;
  name: string;
  sort: number;
  color: string;
  semantics: StatusRow['semantics'];
}

/** Default deal stages of a funnel (file 3.5). */
const dealStages: StageTemplate[] = [
  { statusId: 'NEW', name: 'New', sort: 10, color: '#39A8EF', semantics: 'process' },
  { statusId: 'PREPARATION', name: 'Preparing documents', sort: 20, color: '#2FC6F6', semantics: 'process' },
  { statusId: 'PREPAYMENT_INVOICE', name: 'Prepayment invoice', sort: 30, color: '#55D0E0', semantics: 'process' },
  { statusId: 'EXECUTING', name: 'In progress', sort: 40, color: '#47E4C2', semantics: 'process' },
  { statusId: 'FINAL_INVOICE', name: 'Final invoice', sort: 50, color: '#FFA900', semantics: 'process' },
  { statusId: 'WON', name: 'Deal successful', sort: 60, color: '#7BD500', semantics: 'success' },
  { statusId: 'LOSE', name: 'Deal failed', sort: 70, color: '#FF5752', semantics: 'failure' },
  { statusId: 'APOLOGY', name: 'Analyze failure', sort: 80, color: '#FF5752', semantics: 'apology' },
];

/** Default lead statuses (file 3.5). */
const leadStatuses: StageTemplate[] = [
  { statusId: 'NEW', name: 'Unassigned', sort: 10, color: '#2FC6F6', semantics: 'process' },
  { statusId: 'IN_PROCESS', name: 'In progress', sort: 20, color: '#55D0E0', semantics: 'process' },
  { statusId: 'PROCESSED', name: 'Processed', sort: 30, color: '#FFA900', semantics: 'process' },
  { statusId: 'JUNK', name: 'Junk lead', sort: 40, color: '#FF5752', semantics: 'failure' },
  { statusId: 'CONVERTED', name: 'Good lead', sort: 50, color: '#7BD500', semantics: 'success' },
];

/** Default `SOURCE` dictionary (file 3.3) and the deal/contact type dictionaries. */
const sources = ['CALL', 'EMAIL', 'WEB', 'ADVERTISING', 'PARTNER', 'RECOMMENDATION', 'TRADE_SHOW', 'WEBFORM', 'CALLBACK', 'RC_GENERATOR', 'STORE', 'OTHER'];
const dealTypes = ['SALE', 'COMPLEX', 'GOODS', 'SERVICES', 'SERVICE'];
const contactTypes = ['CLIENT', 'SUPPLIER', 'PARTNER', 'OTHER'];

function title(id: string): string {
  return id.charAt(0) + id.slice(1).toLowerCase().replace(/_/g, ' ');
}

function addStatuses(state: Bitrix24State, portalId: number, entityId: string, categoryId: number | null, prefix: string, templates: StageTemplate[]): void {
  for (const template of templates) {
    state.statuses.push({
      id: state.nextId('status'),
      portalId,
      entityId,
      statusId: `${prefix}${template.statusId}`,
      name: template.name,
      sort: template.sort,
      system: true,
      categoryId,
      color: template.color,
      semantics: template.semantics,
    });
  }
}

function addPlainDictionary(state: Bitrix24State, portalId: number, entityId: string, ids: string[]): void {
  addStatuses(
    state,
    portalId,
    entityId,
    null,
    '',
    ids.map((statusId, index) => ({ statusId, name: title(statusId), sort: (index + 1) * 10, color: '', semantics: 'process' })),
  );
}

/** The stage dictionary of funnel `n`: `DEAL_STAGE` for 0, `DEAL_STAGE_{n}` otherwise (file 3.5). */
export function dealStageEntityId(categoryId: number): string {
  return categoryId === 0 ? 'DEAL_STAGE' : `DEAL_STAGE_${categoryId}`;
}

/** A deal funnel with the default stages, ids prefixed `C{n}:` (file 3.5). */
export function addDealCategory(state: Bitrix24State, clock: EmulatorClock, portal: Portal, name: string, sort = 200, id?: number): DealCategory {
  const category: DealCategory = { id: id ?? state.nextId('category'), portalId: portal.id, name, sort, createdMs: clock.now() };
  state.categories.push(category);
  const prefix = category.id === 0 ? '' : `C${category.id}:`;
  addStatuses(state, portal.id, dealStageEntityId(category.id), category.id === 0 ? null : category.id, prefix, dealStages);
  return category;
}

export function createPortal(state: Bitrix24State, clock: EmulatorClock, input: NewPortal): Portal {
  if (!/^[a-z0-9-]{1,63}$/.test(input.name)) throw new Error(`Portal name must be a host label: ${input.name}`);
  if (state.portalByName(input.name)) throw new Error(`Portal ${input.name} already exists`);
  const portal: Portal = {
    id: state.nextId('portal'),
    name: input.name,
    domain: input.domain ?? `${input.name}.bitrix24.com`,
    memberId: hex(16),
    timezoneOffset: input.timezoneOffset ?? '+03:00',
    currency: input.currency ?? 'RUB',
    languageId: input.languageId ?? 'ru',
    license: input.license ?? 'ru_ent250',
    crmMode: input.crmMode ?? 1,
    users: [{ id: 1, name: 'Admin', lastName: 'Portal', email: `admin@${input.name}.example.com`, isAdmin: true }],
  };
  state.portals.set(portal.id, portal);
  addDealCategory(state, clock, portal, 'General', 300, 0);
  addStatuses(state, portal.id, 'STATUS', null, '', leadStatuses);
  addPlainDictionary(state, portal.id, 'SOURCE', sources);
  addPlainDictionary(state, portal.id, 'DEAL_TYPE', dealTypes);
  addPlainDictionary(state, portal.id, 'CONTACT_TYPE', contactTypes);
  return portal;
}

export interface NewApp {
  /** "Initial installation path": gets the install page POST or ONAPPINSTALL (file 1.2). */
  installUrl: string;
  /** OAuth redirect for `/oauth/authorize/` (file 1.6). */
  redirectUri?: string;
  /** Granted scopes (default `crm`, `placement`, `user`). */
  scopes?: string[];
  /** With UI (default): the install page is opened and the app waits for installFinish. */
  withUi?: boolean;
  code?: string;
  version?: number;
}

/** `client_id` like `local.6667fc928a50a9.70414732` (file 1.1). */
function localClientId(): string {
  return `local.${hex(7)}.${String(randomBytes(4).readUInt32BE(0) % 100_000_000).padStart(8, '0')}`;
}

export function createApp(state: Bitrix24State, portal: Portal, input: NewApp): App {
  const clientId = localClientId();
  const clientSecret = randomBytes(30).toString('base64url').slice(0, 50);
  const app: App = {
    clientId,
    clientSecret,
    portalId: portal.id,
    id: state.nextId('app'),
    code: input.code ?? clientId,
    version: input.version ?? 1,
    scopes: input.scopes ?? ['crm', 'placement', 'user'],
    installUrl: input.installUrl,
    redirectUri: input.redirectUri ?? input.installUrl,
    withUi: input.withUi ?? true,
    status: 'L',
    // file 2.5: md5(member_id|app_id|client_secret|shared_key) when no token is stored.
    applicationToken: createHash('md5').update(`${portal.memberId}|${clientId}|${clientSecret}|${hex(8)}`).digest('hex'),
    installed: false,
    removed: false,
  };
  state.apps.set(clientId, app);
  return app;
}

export interface NewPortalUser {
  name: string;
  lastName?: string;
  email?: string;
  isAdmin?: boolean;
  /** A dismissed user (default active). */
  active?: boolean;
}

/** Another employee of the portal, as an admin invites one. Returns its id. */
export function addPortalUser(portal: Portal, input: NewPortalUser): number {
  const id = Math.max(0, ...portal.users.map((user) => user.id)) + 1;
  portal.users.push({ id, name: input.name, lastName: input.lastName ?? '', email: input.email ?? `user${id}@${portal.name}.example.com`, isAdmin: input.isAdmin ?? false, active: input.active ?? true });
  return id;
}

export function createInboundWebhook(state: Bitrix24State, portal: Portal, userId = 1, scopes = ['crm', 'user']): InboundWebhook {
  if (!portal.users.some((user) => user.id === userId)) throw new Error(`No user ${userId} in ${portal.name}`);
  const webhook: InboundWebhook = { portalId: portal.id, userId, secret: randomBytes(8).toString('hex'), scopes };
  state.webhooks.push(webhook);
  return webhook;
}
