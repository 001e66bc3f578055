/**
 * The two CRMs of the demo: the amoCRM and Bitrix24 emulators on loopback, an account and a portal
 * with our integration registered for LongFunnel's address (as an admin registers it), and the
 * install through the real flows (amoCRM's widget-install GET to our OAuth callback; Bitrix24's
 * install page and `BX24.installFinish()`). Afterwards the demo acts in them as people do: through
 * the emulators' manager helpers (a sales manager in the CRM's UI), so events and webhooks flow.
 */
import { WON_STATUS_ID, LOST_STATUS_ID } from '../../integrations/amocrm/emulator/accounts.js';
import { startAmocrmEmulator, type AmocrmEmulator, type EmulatedAccount } from '../../integrations/amocrm/emulator/server.js';
import { startBitrix24Emulator, type Bitrix24Emulator, type EmulatedPortal } from '../../integrations/bitrix24/emulator/server.js';
import type { Contact } from '../../integrations/amocrm/emulator/state.js';
import type { App } from '../../integrations/bitrix24/emulator/state.js';
import { restoreInto, snapshotOf } from './emulatorSnapshot.js';

export interface DemoContact {
  name: string;
  phone: string;
  email?: string;
}

export interface NewDeal {
  title: string;
  price: number;
  contact: DemoContact;
  /** The hidden `_lfid` input a site's form builder copies into our visitor-id field; absent for a manager's own deal. */
  visitorId?: string;
}

/** One CRM as the demo's people use it. */
export interface DemoCrm {
  kind: 'amocrm' | 'bitrix24';
  tenantId: string;
  /** Stage moves of an open deal in order, before the outcome. */
  stageSteps: number;
  createDeal(deal: NewDeal): string;
  /** Moves a deal to its `step`-th open stage (0-based). */
  advance(dealId: string, step: number): void;
  win(dealId: string, price: number): void;
  lose(dealId: string): void;
  /** Deal ids the CRM holds whose contact has this phone (deals created by our leads or calls API). */
  dealsOfPhone(phone: string): string[];
}

export interface DemoCrms {
  amocrm: AmocrmDemo;
  bitrix24: Bitrix24Demo;
  /** Environment for LongFunnel: the integration and the app as registered in the emulators. */
  env: Record<string, string>;
  /** The emulators' ports and records, for a later run to resume. */
  save(): SavedCrms;
  close(): Promise<void>;
}

export interface AmocrmDemo extends DemoCrm {
  emulator: AmocrmEmulator;
  account: EmulatedAccount;
  subdomain: string;
}

export interface Bitrix24Demo extends DemoCrm {
  emulator: Bitrix24Emulator;
  portal: EmulatedPortal;
  app: App;
}

const AMOCRM_SUBDOMAIN = 'okna-demo';
const BITRIX24_PORTAL = 'kuhni-demo';
const managerNames = ['Анна Смирнова', 'Игорь Петров', 'Мария Козлова'];

function digits(phone: string): string {
  return phone.replace(/\D/g, '');
}

function amocrmDemo(emulator: AmocrmEmulator, account: EmulatedAccount): AmocrmDemo {
  const subdomain = account.account.subdomain;
  // A resumed demo finds its managers again; a fresh one invites them.
  const managers = managerNames.map(
    (name) => [...emulator.state.users.values()].find((user) => user.accountId === account.account.id && user.name === name)?.id ?? emulator.addUser(subdomain, { name }),
  );
  const openStages = () => {
    const pipeline = emulator.state.pipelinesOf(account.account.id).find((candidate) => candidate.isMain);
    return (pipeline?.statuses ?? []).filter((status) => status.type === 0 && status.id !== WON_STATUS_ID && status.id !== LOST_STATUS_ID).sort((a, b) => a.sort - b.sort);
  };
  const visitorField = () => emulator.state.customFieldsOf(account.account.id).find((field) => field.code === 'LF_VISITOR_ID');
  const contactPhones = (contact: Contact): string[] => {
    const phoneField = emulator.state.customFieldsOf(account.account.id, 'contacts').find((field) => field.code === 'PHONE');
    const values = contact.customFieldsValues.find((item) => item.fieldId === phoneField?.id)?.values ?? [];
    return values.map((item) => String(item.value));
  };
  let turn = 0;
  return {
    kind: 'amocrm',
    tenantId: `amocrm-${account.account.id}`,
    emulator,
    account,
    subdomain,
    stageSteps: openStages().length,
    createDeal(deal) {
      const contactId = emulator.createContact(subdomain, { name: deal.contact.name, phones: [deal.contact.phone], ...(deal.contact.email ? { emails: [deal.contact.email] } : {}) });
      const field = deal.visitorId ? visitorField() : undefined;
      const id = emulator.createLead(subdomain, {
        name: deal.title,
        price: deal.price,
        responsible_user_id: managers[turn++ % managers.length],
        _embedded: { contacts: [{ id: contactId }] },
        ...(field && deal.visitorId ? { custom_fields_values: [{ field_id: field.id, values: [{ value: deal.visitorId }] }] } : {}),
      });
      return String(id);
    },
    advance(dealId, step) {
      const stage = openStages()[step];
      if (stage) emulator.moveLead(subdomain, Number(dealId), stage.id);
    },
    win(dealId, price) {
      emulator.updateLead(subdomain, Number(dealId), { price });
      emulator.moveLead(subdomain, Number(dealId), WON_STATUS_ID);
    },
    lose(dealId) {
      emulator.moveLead(subdomain, Number(dealId), LOST_STATUS_ID);
    },
    dealsOfPhone(phone) {
      const wanted = digits(phone).slice(-10);
      const contactIds = new Set(
        [...emulator.state.contacts.values()]
          .filter((contact) => contact.accountId === account.account.id && contactPhones(contact).some((value) => digits(value).endsWith(wanted)))
          .map((contact) => contact.id),
      );
      return [...emulator.state.leads.values()]
        .filter((lead) => lead.accountId === account.account.id && lead.contacts.some((link) => contactIds.has(link.id)))
        .map((lead) => String(lead.id));
    },
  };
}

function bitrix24Demo(emulator: Bitrix24Emulator, portal: EmulatedPortal, app: App): Bitrix24Demo {
  const name = portal.portal.name;
  const openStages = ['NEW', 'PREPARATION', 'PREPAYMENT_INVOICE', 'EXECUTING'];
  return {
    kind: 'bitrix24',
    tenantId: `bitrix24-${portal.portal.memberId}`,
    emulator,
    portal,
    app,
    stageSteps: openStages.length - 1,
    createDeal(deal) {
      const [firstName, ...rest] = deal.contact.name.split(' ');
      const contactId = emulator.createContact(name, {
        NAME: firstName,
        LAST_NAME: rest.join(' '),
        PHONE: [{ VALUE: deal.contact.phone, VALUE_TYPE: 'WORK' }],
        ...(deal.contact.email ? { EMAIL: [{ VALUE: deal.contact.email, VALUE_TYPE: 'WORK' }] } : {}),
      });
      const id = emulator.createDeal(name, {
        TITLE: deal.title,
        OPPORTUNITY: deal.price,
        CURRENCY_ID: 'RUB',
        CONTACT_ID: contactId,
        ...(deal.visitorId ? { UF_CRM_LF_VISITOR_ID: deal.visitorId } : {}),
      });
      return String(id);
    },
    advance(dealId, step) {
      const stage = openStages[step + 1];
      if (stage) emulator.updateDeal(name, Number(dealId), { STAGE_ID: stage });
    },
    win(dealId, price) {
      emulator.updateDeal(name, Number(dealId), { OPPORTUNITY: price, STAGE_ID: 'WON' });
    },
    lose(dealId) {
      emulator.updateDeal(name, Number(dealId), { STAGE_ID: 'LOSE' });
    },
    dealsOfPhone(phone) {
      const wanted = digits(phone).slice(-10);
      const records = [...emulator.state.records.values()].filter((record) => record.portalId === portal.portal.id);
      const contactIds = new Set(
        records.filter((record) => record.kind === 'contact' && record.multi.PHONE?.some((item) => digits(item.value).endsWith(wanted))).map((record) => String(record.id)),
      );
      return records.filter((record) => record.kind === 'deal' && contactIds.has(String(record.values['CONTACT_ID'] ?? ''))).map((record) => String(record.id));
    },
  };
}

/** Saved emulator state of an earlier run: the ports they listened on and their records. */
export interface SavedCrms {
  amocrmPort: number;
  bitrix24Port: number;
  amocrm: Buffer;
  bitrix24: Buffer;
}

/**
 * Both emulators on 127.0.0.1 with the integration and the app registered for `publicUrl`; with
 * `saved`, on the same ports with the records of the earlier run (already installed).
 */
export async function startDemoCrms(publicUrl: string, saved?: SavedCrms): Promise<DemoCrms> {
  const amo = await startAmocrmEmulator({ port: saved?.amocrmPort ?? 0 });
  let b24: Bitrix24Emulator | undefined;
  try {
    b24 = await startBitrix24Emulator({ port: saved?.bitrix24Port ?? 0 });
  } catch (error) {
    await amo.close();
    throw error;
  }
  const bitrix24 = b24;
  const redirectUri = `${publicUrl}/oauth/amocrm/callback`;
  let account: EmulatedAccount;
  let portal: EmulatedPortal;
  let app: App;
  if (saved) {
    restoreInto(amo.state, saved.amocrm);
    restoreInto(bitrix24.state, saved.bitrix24);
    const restoredAccount = amo.state.accountBySubdomain(AMOCRM_SUBDOMAIN);
    const integration = [...amo.state.integrations.values()].find((candidate) => candidate.redirectUri === redirectUri);
    const restoredPortal = bitrix24.state.portalByName(BITRIX24_PORTAL);
    const restoredApp = restoredPortal && [...bitrix24.state.apps.values()].find((candidate) => candidate.portalId === restoredPortal.id);
    if (!restoredAccount || !integration || !restoredPortal || !restoredApp) {
      await Promise.allSettled([amo.close(), bitrix24.close()]);
      throw new Error('the saved demo CRMs do not hold the demo account and app');
    }
    account = { account: restoredAccount, integration, baseUrl: `${amo.url}/_accounts/${AMOCRM_SUBDOMAIN}` };
    const baseUrl = `${bitrix24.url}/_portals/${BITRIX24_PORTAL}`;
    portal = { portal: restoredPortal, baseUrl, restUrl: `${baseUrl}/rest/` };
    app = restoredApp;
  } else {
    account = amo.setupAccount({ subdomain: AMOCRM_SUBDOMAIN, name: 'Окна Плюс (демо)', redirectUri, disableHookUrl: `${publicUrl}/oauth/amocrm/uninstall` });
    // The portal's host is the emulator's, as a real portal's REST address is on its own domain.
    portal = bitrix24.setupPortal({ name: BITRIX24_PORTAL, domain: new URL(bitrix24.url).host });
    app = bitrix24.createApp(BITRIX24_PORTAL, { installUrl: `${publicUrl}/bitrix24/install`, scopes: ['crm', 'placement', 'user_brief'] });
  }
  return {
    amocrm: amocrmDemo(amo, account),
    bitrix24: bitrix24Demo(bitrix24, portal, app),
    env: {
      AMOCRM_CLIENT_ID: account.integration.clientId,
      AMOCRM_CLIENT_SECRET: account.integration.clientSecret,
      AMOCRM_REDIRECT_URI: redirectUri,
      AMOCRM_BASE_URL: `${amo.url}/_accounts/{subdomain}`,
      BITRIX24_CLIENT_ID: app.clientId,
      BITRIX24_CLIENT_SECRET: app.clientSecret,
      BITRIX24_OAUTH_URL: bitrix24.url,
    },
    save: () => ({
      amocrmPort: Number(new URL(amo.url).port),
      bitrix24Port: Number(new URL(bitrix24.url).port),
      amocrm: snapshotOf(amo.state),
      bitrix24: snapshotOf(bitrix24.state),
    }),
    async close() {
      await Promise.allSettled([amo.close(), bitrix24.close()]);
    },
  };
}

async function until(what: string, probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * amoCRM: the widget-install GET the account sends to our Redirect URI (amocrm.md 1.3), then waits
 * until the set-up job has created our fields and subscribed the webhook, as seen in the account.
 */
export async function installIntoAmocrm(crm: AmocrmDemo, longfunnelUrl: string): Promise<void> {
  const { integration, account } = crm.account;
  const code = crm.emulator.issueAuthorizationCode(crm.subdomain, integration.clientId);
  const install = new URL(`${longfunnelUrl}/oauth/amocrm/callback`);
  for (const [key, value] of Object.entries({ code, referer: `${crm.subdomain}.amocrm.ru`, from_widget: '1', platform: '1', client_id: integration.clientId })) {
    install.searchParams.set(key, value);
  }
  const response = await fetch(install, { signal: AbortSignal.timeout(60_000) });
  if (response.status !== 200) throw new Error(`demo: the amoCRM install answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  await until(
    "LongFunnel's fields and webhook in the amoCRM account",
    () =>
      crm.emulator.state.customFieldsOf(account.id).some((field) => field.code === 'LF_VISITOR_ID') &&
      [...crm.emulator.state.webhooks.values()].some((hook) => hook.accountId === account.id && hook.destination.startsWith(longfunnelUrl.replace('localhost', '127.0.0.1'))),
    120_000,
  );
}

/** Bitrix24: the app's install page (frame POST to our install URL), `BX24.installFinish()`, then our fields and event handlers. */
export async function installIntoBitrix24(crm: Bitrix24Demo): Promise<void> {
  const name = crm.portal.portal.name;
  const answer = await crm.emulator.installApp(name, crm.app.clientId);
  if (answer.status !== 200) throw new Error(`demo: the Bitrix24 install answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  crm.emulator.finishInstall(name, crm.app.clientId);
  await until(
    "LongFunnel's fields and event handlers in the Bitrix24 portal",
    () =>
      [...crm.emulator.state.userFields.values()].some((field) => field.portalId === crm.portal.portal.id && field.fieldName === 'UF_CRM_LF_VISITOR_ID') &&
      [...crm.emulator.state.eventHandlers.values()].some((handler) => handler.portalId === crm.portal.portal.id && handler.clientId === crm.app.clientId),
    120_000,
  );
}
