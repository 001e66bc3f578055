/**
 * An amoCRM account in the emulator and LongFunnel installed into it through the real install
 * flow: what the integration tests and the benchmark start from.
 */
import net from 'node:net';
import { CrmAccountStore } from '../../server/crm/crmAccounts.js';
import type { CrmTokens } from '../../server/crm/crmAdapter.js';
import { createIntegration } from '../../integrations/amocrm/emulator/accounts.js';
import type { ManualClock } from '../../integrations/amocrm/emulator/clock.js';
import type { EmulatorOptionOverrides } from '../../integrations/amocrm/emulator/options.js';
import { startAmocrmEmulator, type AmocrmEmulator, type EmulatedAccount } from '../../integrations/amocrm/emulator/server.js';
import type { Lead } from '../../integrations/amocrm/emulator/state.js';
import { prepareBackend, type BackendName, type PreparedBackend } from './backends.js';
import { startProcessWorld, waitFor, type RunningProcess } from './processes.js';
import { startTestRuntime, type TestRuntime } from './testRuntime.js';
import { ADMIN_TOKEN } from './tracking.js';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface AmocrmWorld {
  backend: PreparedBackend;
  emulator: AmocrmEmulator;
  /** Real time plus whatever the test advanced it by (token expiry), so rate windows still pass. */
  clock: ManualClock;
  account: EmulatedAccount;
  app: TestRuntime;
  /** The env LongFunnel runs with (for second processes). */
  env: Record<string, string>;
  subdomain: string;
  stop(): Promise<void>;
}

export interface WorldOptions {
  emulator?: EmulatorOptionOverrides;
  /** Added to LongFunnel's env; `undefined` removes a variable the world sets (e.g. AMOCRM_BASE_URL). */
  env?: Record<string, string | undefined>;
}

/** The emulator's clock for integration tests: real time (its rate windows must pass as ours do), shiftable forward. */
export function shiftableClock(): ManualClock {
  let shift = 0;
  return {
    now: () => Date.now() + shift,
    advance(milliseconds: number) {
      if (milliseconds < 0) throw new RangeError('A clock cannot go backwards');
      shift += milliseconds;
    },
  };
}

async function emulatedAccountAndBackend(backendName: BackendName, options: WorldOptions): Promise<Omit<AmocrmWorld, 'app' | 'stop'>> {
  const clock = shiftableClock();
  const emulator = await startAmocrmEmulator({ clock, ...options.emulator });
  const subdomain = 'acme';
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  // The integration is registered as an admin registers it: our callback and our "disabled" hook.
  const account = emulator.setupAccount({
    subdomain,
    redirectUri: `${publicUrl}/oauth/amocrm/callback`,
    disableHookUrl: `${publicUrl}/oauth/amocrm/uninstall`,
  });
  const env: Record<string, string | undefined> = {
    ADMIN_TOKEN,
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    AMOCRM_CLIENT_ID: account.integration.clientId,
    AMOCRM_CLIENT_SECRET: account.integration.clientSecret,
    AMOCRM_REDIRECT_URI: `${publicUrl}/oauth/amocrm/callback`,
    AMOCRM_BASE_URL: `${emulator.url}/_accounts/{subdomain}`,
    ENRICHMENT_DELAY_MS: '100',
    ...options.env,
  };
  const backend = await prepareBackend(
    backendName,
    Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
  );
  return { backend, emulator, clock, account, env: backend.env, subdomain };
}

export async function startAmocrmWorld(backendName: BackendName, options: WorldOptions = {}): Promise<AmocrmWorld> {
  const parts = await emulatedAccountAndBackend(backendName, options);
  const app = await startTestRuntime(parts.env);
  return {
    ...parts,
    app,
    async stop() {
      await app.stop();
      await parts.emulator.close();
      await parts.backend.cleanup();
    },
  };
}

/**
 * The same, with LongFunnel as its own process (`longfunnel start`), as operators run it: its event
 * loop (and the embedded database's work on it) does not delay the emulator's, so the emulator's
 * rate-limit clock sees requests when they arrive, as amoCRM's gateway does. For load tests.
 */
export interface AmocrmProcessWorld extends Omit<AmocrmWorld, 'app'> {
  url: string;
  process: RunningProcess;
}

export async function startAmocrmProcessWorld(backendName: BackendName, options: WorldOptions & { role?: 'start' | 'server' } = {}): Promise<AmocrmProcessWorld> {
  return startProcessWorld(await emulatedAccountAndBackend(backendName, options), options.role);
}

/**
 * The widget-install GET, then waits for the set-up job's "history import finished" line in the
 * output of whichever process runs the jobs (`logs`: the world's own by default).
 */
export async function installProcessWorld(world: AmocrmProcessWorld, logs: () => string = () => world.process.output()): Promise<{ tenantId: string }> {
  const code = world.emulator.issueAuthorizationCode(world.subdomain, world.account.integration.clientId);
  const install = new URL(`${world.url}/oauth/amocrm/callback`);
  for (const [key, value] of Object.entries({ code, referer: `${world.subdomain}.amocrm.ru`, from_widget: '1' })) install.searchParams.set(key, value);
  const response = await fetch(install);
  if (response.status !== 200) throw new Error(`install answered ${response.status}: ${await response.text()}`);
  await waitFor('the install set-up', async () => logs().includes('history import finished'), 60_000);
  return { tenantId: `amocrm-${world.account.account.id}` };
}

export function installUrl(world: AmocrmWorld, query: Record<string, string>): string {
  const url = new URL(`${world.app.url}/oauth/amocrm/callback`);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.toString();
}

/** Installs through the widget-install GET (`from_widget=1`) and waits for the set-up job. */
export async function installFromWidget(world: AmocrmWorld): Promise<{ tenantId: string; hookKey: string }> {
  const code = world.emulator.issueAuthorizationCode(world.subdomain, world.account.integration.clientId);
  const response = await fetch(installUrl(world, { code, referer: `${world.subdomain}.amocrm.ru`, from_widget: '1', platform: '1', client_id: world.account.integration.clientId }));
  if (response.status !== 200) throw new Error(`install answered ${response.status}: ${await response.text()}`);
  const { rows } = await world.app.runtime.deps.db.query<{ tenant_id: string; hook_key: string }>(
    "SELECT tenant_id, hook_key FROM crm_accounts WHERE crm = 'amocrm' AND domain = $1",
    [`${world.subdomain}.amocrm.ru`],
  );
  const installed = rows[0];
  if (!installed) throw new Error('install stored no account');
  await waitForSetUp(world, installed.tenant_id);
  return { tenantId: installed.tenant_id, hookKey: installed.hook_key };
}

/** Waits until the install's set-up job has run (fields, webhook, history import). */
export async function waitForSetUp(world: AmocrmWorld, tenantId: string): Promise<void> {
  await waitFor(
    'the install set-up (fields, webhook, history import)',
    async () => {
      const setup = await world.app.runtime.deps.db.query<{ done: boolean }>("SELECT setup ? 'historyImportedAt' AS done FROM crm_accounts WHERE tenant_id = $1", [tenantId]);
      return setup.rows[0]?.done === true;
    },
    30_000,
  );
}

/**
 * The "site button" flow as a browser goes through it: the consent page of `consentUrl` (amoCRM's
 * `https://www.amocrm.ru/oauth?...`, served by the emulator under `/_www`), a click on the world's
 * account, and the emulator's 302 to our callback followed. Returns our callback's answer.
 */
export async function installThroughConsent(world: AmocrmWorld, consentUrl: string): Promise<Response> {
  const consent = new URL(consentUrl);
  const page = await fetch(`${world.emulator.url}/_www${consent.pathname}${consent.search}`);
  if (page.status !== 200) throw new Error(`the consent page answered ${page.status}: ${await page.text()}`);
  const html = await page.text();
  const links = [...html.matchAll(/href="([^"]+)"/g)].map((match) => (match[1] ?? '').replaceAll('&#38;', '&'));
  const grant = links.find((link) => new URL(link, world.emulator.url).searchParams.get('account') === world.subdomain);
  if (!grant) throw new Error(`the consent page lists no link for ${world.subdomain}: ${html}`);
  const granted = await fetch(new URL(grant, world.emulator.url), { redirect: 'manual' });
  const location = granted.headers.get('location');
  if (granted.status !== 302 || !location) throw new Error(`the grant answered ${granted.status} without a redirect`);
  return fetch(location);
}

/** The tokens LongFunnel holds for a tenant, opened as the product opens them. */
export async function storedTokens(world: AmocrmWorld, tenantId: string): Promise<CrmTokens | undefined> {
  const { db, cipher } = world.app.runtime.deps;
  return (await new CrmAccountStore(db, cipher).tokens(tenantId))?.tokens;
}

/** A sample's value in `/metrics`, 0 when the series is absent. `labels` as written there: `crm="amocrm",outcome="revoked"`. */
export async function metricValue(world: AmocrmWorld, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${world.app.url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{${labels}} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** A lead's custom field values by field code, as the emulator stores them. */
export function leadFieldsByCode(world: AmocrmWorld, lead: Lead): Record<string, unknown> {
  const fields = world.emulator.state.customFieldsOf(world.account.account.id);
  const byId = new Map(fields.map((field) => [field.id, field.code ?? String(field.id)]));
  return Object.fromEntries(lead.customFieldsValues.map((item) => [byId.get(item.fieldId) ?? String(item.fieldId), item.values[0]?.value]));
}

export function leadOf(world: AmocrmWorld, leadId: number): Lead {
  const lead = world.emulator.state.leads.get(leadId);
  if (!lead) throw new Error(`no lead ${leadId}`);
  return lead;
}

export function notesOf(world: AmocrmWorld, leadId: number) {
  return [...world.emulator.state.notes.values()].filter((note) => note.entityId === leadId);
}

const browserHeaders = {
  'content-type': 'text/plain;charset=UTF-8',
  origin: 'https://shop.example',
  'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
};

/** One landing page view an hour ago for each visitor, `concurrency` at a time, as browsers send them. */
export async function visitEveryone(baseUrl: string, siteKey: string, visitors: readonly string[], concurrency = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < visitors.length) {
      const index = next++;
      const visitor = visitors[index] as string;
      const landing = `https://shop.example/?utm_source=yandex&utm_medium=cpc&utm_campaign=load_${index % 20}`;
      const response = await fetch(`${baseUrl}/collect`, {
        method: 'POST',
        headers: browserHeaders,
        body: JSON.stringify({ v: 1, site: siteKey, type: 'pageview', visitor, visit: `${visitor}-v`, url: landing, landing, ts: Date.now() - 3_600_000 }),
      });
      if (response.status >= 300) throw new Error(`/collect answered ${response.status}: ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * Creates one deal per visitor, carrying its visitor id, the way a bulk import does: another
 * integration of the account (with its own rate budget) posts them 250 per request, keeping to its
 * limit, and amoCRM announces each request's deals in one webhook body. Returns the lead ids.
 */
export async function importDeals(emulator: AmocrmEmulator, subdomain: string, visitors: readonly string[]): Promise<number[]> {
  const importer = createIntegration(emulator.state, { redirectUri: 'https://importer.example/cb', name: 'Importer' });
  const token = emulator.issueTokens(subdomain, importer.clientId).access_token;
  const leadIds: number[] = [];
  for (let offset = 0; offset < visitors.length; offset += 250) {
    const chunk = visitors.slice(offset, offset + 250).map((visitor, index) => ({
      name: `Deal ${offset + index}`,
      price: 1000 + offset + index,
      custom_fields_values: [{ field_code: 'LF_VISITOR_ID', values: [{ value: visitor }] }],
    }));
    const response = await fetch(`${emulator.url}/_accounts/${subdomain}/api/v4/leads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(chunk),
    });
    if (response.status !== 200) throw new Error(`creating deals answered ${response.status}: ${await response.text()}`);
    const created = (await response.json()) as { _embedded: { leads: Array<{ id: number }> } };
    leadIds.push(...created._embedded.leads.map((lead) => lead.id));
    await new Promise((resolve) => setTimeout(resolve, 160)); // the importer keeps to its own 7 requests/s
  }
  return leadIds;
}

/** Leads of `leadIds` that have LongFunnel's match field and at least one note. */
export function enrichedLeadCount(emulator: AmocrmEmulator, accountId: number, leadIds: readonly number[]): number {
  const fieldId = emulator.state.customFieldsOf(accountId).find((field) => field.code === 'LF_MATCH')?.id;
  const noted = new Set([...emulator.state.notes.values()].map((note) => note.entityId));
  return leadIds.filter((id) => noted.has(id) && emulator.state.leads.get(id)?.customFieldsValues.some((value) => value.fieldId === fieldId)).length;
}
