/**
 * The first-run demo: emulated amoCRM and Bitrix24 on loopback, LongFunnel on the embedded
 * defaults with its data in `DATA_DIR/demo`, installed into both CRMs through the real install
 * flows, two demo websites with the real tracker, and the traffic generator: a burst of history,
 * then a slow live trickle. Everything after the set-up goes through the product's public HTTP
 * APIs and the CRMs' own; the demo never talks to anything but 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { loadConfig, type Config } from '../config.js';
import { errorMeta, type Logger } from '../observability/logger.js';
import { startRuntime, type Feature, type Runtime } from '../runtime.js';
import { lockDataDir } from '../storage/pglite.js';
import { installIntoAmocrm, installIntoBitrix24, startDemoCrms, type AmocrmDemo, type DemoCrm, type DemoCrms, type SavedCrms } from './demoCrms.js';
import { writeAtomically } from './emulatorSnapshot.js';
import { DEMO_CARD_PATH, demoFeature, type DemoStatus } from './demoFeature.js';
import type { CardPageOptions } from './amocrmCardPage.js';
import { startDemoSite, type DemoSite } from './demoSite.js';
import { LongfunnelClient } from './longfunnelClient.js';
import { WON_STATUS_ID } from '../../integrations/amocrm/emulator/accounts.js';
import { Random } from './random.js';
import { TrafficGenerator, type AvailableApis, type TrafficBrand } from './traffic.js';
import { consoleFor, type DemoConsole } from './demoConsole.js';

export interface DemoOptions {
  config: Config;
  logger: Logger;
  features: readonly Feature[];
  /** Wipe the demo's data directory first. */
  reset: boolean;
  /** Where the operator reads what to open (stdout). */
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Seed of the traffic generator (a repeatable demo). */
  seed?: number;
}

export interface RunningDemo {
  url: string;
  status: DemoStatus;
  stop(reason: string): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The demo's own data directory: never the operator's database, so demo data never mixes with theirs. */
export function demoDataDir(config: Config): string {
  return path.join(config.dataDir, 'demo');
}

interface SavedRun {
  version: 1;
  /** LongFunnel's port: the emulated CRMs send their webhooks there. */
  port: number;
  historyDone: boolean;
  /** The traffic generator's ad-cost totals (TrafficGenerator.costTotals). */
  costs?: Record<string, Record<string, number>>;
}

const RUN_FILE = 'demo-run.json';
const AMOCRM_FILE = 'amocrm-emulator.v8';
const BITRIX24_FILE = 'bitrix24-emulator.v8';

/** What an earlier run left to resume: its emulated CRMs' records, when it finished its history on this port. */
function savedRun(dir: string, port: number): (SavedCrms & { costs: SavedRun['costs'] }) | undefined {
  try {
    const run = JSON.parse(fs.readFileSync(path.join(dir, RUN_FILE), 'utf8')) as SavedRun;
    if (run.version !== 1 || run.port !== port || !run.historyDone) return undefined;
    const ports = JSON.parse(fs.readFileSync(path.join(dir, 'emulator-ports.json'), 'utf8')) as { amocrm: number; bitrix24: number };
    return {
      amocrmPort: ports.amocrm,
      bitrix24Port: ports.bitrix24,
      amocrm: fs.readFileSync(path.join(dir, AMOCRM_FILE)),
      bitrix24: fs.readFileSync(path.join(dir, BITRIX24_FILE)),
      costs: run.costs,
    };
  } catch {
    return undefined;
  }
}

function saveRun(dir: string, port: number, historyDone: boolean, crms: DemoCrms, costs: SavedRun['costs']): void {
  const saved = crms.save();
  writeAtomically(path.join(dir, AMOCRM_FILE), saved.amocrm);
  writeAtomically(path.join(dir, BITRIX24_FILE), saved.bitrix24);
  writeAtomically(path.join(dir, 'emulator-ports.json'), JSON.stringify({ amocrm: saved.amocrmPort, bitrix24: saved.bitrix24Port }));
  writeAtomically(path.join(dir, RUN_FILE), JSON.stringify({ version: 1, port, historyDone, ...(costs ? { costs } : {}) } satisfies SavedRun));
}

/**
 * Without an ADMIN_TOKEN, the demo's own: generated once per demo (a file only this user can read,
 * in the demo's directory), so a resumed demo keeps the token its dashboard was opened with.
 */
function demoAdminToken(dir: string): string {
  const file = path.join(dir, 'admin-token');
  try {
    const saved = fs.readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{48}$/.test(saved)) return saved;
  } catch {
    // a new demo
  }
  const token = randomBytes(24).toString('hex');
  fs.writeFileSync(file, token, { mode: 0o600 });
  return token;
}

function clearDataDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
}

/**
 * The emulated CRMs: resumed from the previous run when it can be (same LongFunnel port, its
 * history finished, the emulators' ports free), else a fresh start in a cleared directory.
 */
async function openCrms(
  dir: string,
  port: number,
  publicUrl: string,
  reset: boolean,
  say: (line: string) => void,
): Promise<{ crms: DemoCrms; resumed: boolean; costs?: SavedRun['costs'] }> {
  const saved = reset ? undefined : savedRun(dir, port);
  if (saved) {
    try {
      const crms = await startDemoCrms(publicUrl, saved);
      say(`Demo: resuming the demo in ${dir} (longfunnel demo --reset starts over)`);
      return { crms, resumed: true, costs: saved.costs };
    } catch (error) {
      say(`Demo: cannot resume the previous demo (${(error as Error).message}); starting over`);
    }
  } else if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
    say(reset ? `Demo: --reset: clearing ${dir}` : `Demo: the previous demo in ${dir} cannot be resumed (it did not finish, or PORT changed); starting over`);
  }
  clearDataDir(dir);
  return { crms: await startDemoCrms(publicUrl), resumed: false };
}

const brands = {
  amocrm: {
    host: 'okna.localhost',
    name: 'Окна Плюс',
    tagline: 'Пластиковые окна под ключ за 3 дня',
    product: 'Замер бесплатно, монтаж по ГОСТ, гарантия 10 лет.',
    phone: '+7 495 120-45-67',
    titles: ['Окна в квартиру', 'Остекление балкона', 'Окна в дом', 'Замена стеклопакета'],
    searchPhrases: ['пластиковые окна цена', 'окна пвх замер бесплатно', 'остекление балкона', 'окна в квартиру москва'],
    price: [28_000, 240_000] as [number, number],
    visitorsPerDay: 36,
  },
  bitrix24: {
    host: 'kuhni.localhost',
    name: 'Кухни Мастер',
    tagline: 'Кухни на заказ по вашим размерам',
    product: 'Дизайн-проект в подарок, производство 21 день.',
    phone: '+7 812 310-22-33',
    titles: ['Кухня угловая', 'Кухня прямая', 'Кухня с островом', 'Шкаф-купе'],
    searchPhrases: ['кухни на заказ', 'кухонный гарнитур недорого', 'кухня угловая цена', 'кухни спб от производителя'],
    price: [90_000, 480_000] as [number, number],
    visitorsPerDay: 22,
  },
};

/**
 * Each site's numbers: the printed one, a pool the tracker swaps in per visit, and static numbers
 * for the visits the pool cannot serve (the history burst brings far more visits at once than a
 * real day does).
 */
function callTrackingOf(kind: 'amocrm' | 'bitrix24'): { default_number: string; pool: string[]; static_numbers: Array<{ channel: string; number: string }> } {
  const prefix = kind === 'amocrm' ? '+74951205' : '+78123103';
  const number = (index: number) => `${prefix}${String(index).padStart(3, '0')}`;
  return {
    default_number: brands[kind].phone,
    pool: Array.from({ length: 120 }, (_, index) => number(index + 1)),
    static_numbers: [
      { channel: 'Paid Search', number: number(901) },
      { channel: 'Organic Search', number: number(902) },
      { channel: 'Paid Social', number: number(903) },
    ],
  };
}

/**
 * The amoCRM deal to show on the demo card: one of a site visitor that the enrichment has filled in
 * (its channel field written), preferring a won one with the longest path; undefined before any.
 */
function firstEnrichedDeal(crms: DemoCrms): { crm: DemoCrm; dealId: string } | undefined {
  const amo: AmocrmDemo = crms.amocrm;
  const fields = amo.emulator.state.customFieldsOf(amo.account.account.id);
  const fieldId = (code: string) => fields.find((field) => field.code === code)?.id;
  const [channel, visitor, visits] = [fieldId('LF_CHANNEL'), fieldId('LF_VISITOR_ID'), fieldId('LF_VISITS')];
  if (channel === undefined || visitor === undefined) return undefined;
  let best: { id: number; score: number } | undefined;
  for (const lead of amo.emulator.state.leads.values()) {
    if (lead.accountId !== amo.account.account.id) continue;
    const valueOf = (id: number | undefined) => lead.customFieldsValues.find((item) => item.fieldId === id)?.values[0]?.value;
    if (!valueOf(channel) || !valueOf(visitor)) continue;
    const score = (lead.statusId === WON_STATUS_ID ? 100 : 0) + Math.min(Number(valueOf(visits) ?? 1) || 1, 20);
    if (!best || score > best.score) best = { id: lead.id, score };
  }
  return best ? { crm: amo, dealId: String(best.id) } : undefined;
}

export async function runDemo(options: DemoOptions): Promise<RunningDemo> {
  const { config, logger } = options;
  const out = consoleFor(options.out ?? process.stdout);
  const dir = demoDataDir(config);
  const port = config.port === 0 ? await freePort() : config.port;
  // 127.0.0.1, not localhost: Bitrix24 binds event handlers only to addresses with a dot in the host.
  const publicUrl = `http://127.0.0.1:${port}`;
  const status: DemoStatus = { phase: 'starting', historyDays: config.demo.historyDays, daysDone: 0, missing: [] };

  // Another LongFunnel running this demo holds its directory: refuse before resuming or clearing anything.
  lockDataDir(dir)();
  const { crms, resumed, costs: savedCosts } = await openCrms(dir, port, publicUrl, options.reset, (line) => out.line(line));
  const generatedToken = config.adminToken ? undefined : demoAdminToken(dir);
  const adminToken = config.adminToken ?? (generatedToken as string);
  let historyDone = resumed;
  let runtime: Runtime | undefined;
  let site: DemoSite | undefined;
  let generator: TrafficGenerator | undefined;
  let live: NodeJS.Timeout | undefined;
  let saver: NodeJS.Timeout | undefined;
  let stopped = false;
  const save = () => {
    try {
      saveRun(dir, port, historyDone, crms, generator?.costTotals() ?? savedCosts);
    } catch (error) {
      logger.warn('demo: saving the emulated CRMs failed', errorMeta(error));
    }
  };
  const stop = async (reason: string) => {
    if (stopped) return;
    stopped = true;
    if (live) clearInterval(live);
    if (saver) clearInterval(saver);
    await generator?.stop();
    await runtime?.stop(reason);
    if (runtime) save();
    await site?.close();
    await crms.close();
  };
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      // Loopback unless the operator chose an interface: the demo's admin token is printed on the console.
      HOST: process.env.HOST?.trim() ? process.env.HOST : '127.0.0.1',
      PUBLIC_URL: publicUrl,
      DATA_DIR: dir,
      // The embedded defaults, whatever the operator's environment says: demo data stays in its directory.
      DATABASE_URL: '',
      REDIS_URL: '',
      ADMIN_TOKEN: adminToken,
      ...crms.env,
    };
    const demoConfig = loadConfig(env);
    const account = crms.amocrm.account;
    // The card page as amoCRM would show it to the account's admin, the widget set up with our address.
    const card: { options?: CardPageOptions } = {
      options: {
        basePath: DEMO_CARD_PATH,
        serverUrl: publicUrl,
        accountApiBase: account.baseUrl,
        clientId: account.integration.clientId,
        subdomain: crms.amocrm.subdomain,
        accountId: account.account.id,
        userId: account.account.currentUserId,
      },
    };
    runtime = await startRuntime({ config: demoConfig, role: 'all', features: [...options.features, demoFeature(status, card)], logger });
    const client = new LongfunnelClient(publicUrl, adminToken);
    if (!resumed) {
      status.phase = 'installing';
      await Promise.all([installIntoAmocrm(crms.amocrm, publicUrl), installIntoBitrix24(crms.bitrix24)]);
    }
    saver = setInterval(save, 30_000);
    saver.unref();
    const apis: AvailableApis = {
      leads: await client.hasRoute('POST', '/api/v1/leads'),
      calls: await client.hasRoute('POST', '/api/v1/calls'),
      costs: await client.hasRoute('POST', '/api/v1/costs'),
    };
    status.missing = Object.entries(apis).filter(([, present]) => !present).map(([name]) => name);

    const sitePort = config.demo.sitePort ?? (config.port === 0 ? 0 : port + 1);
    const existing = resumed ? (await client.get<{ sites: Array<{ id: string; key: string; tag: string; domain: string }> }>('/api/v1/sites')).sites : [];
    const siteFor = async (kind: 'amocrm' | 'bitrix24') =>
      existing.find((candidate) => candidate.domain === brands[kind].host) ?? (await client.createSite({ domain: brands[kind].host, tenantId: crms[kind].tenantId }));
    const sites = { amocrm: await siteFor('amocrm'), bitrix24: await siteFor('bitrix24') };
    if (apis.calls) {
      for (const kind of ['amocrm', 'bitrix24'] as const) await client.put(`/api/v1/sites/${sites[kind].id}/call-tracking`, callTrackingOf(kind));
    }
    if (apis.leads && !resumed) {
      // The Bitrix24 portal's sales team works with deals: website leads become deals straight away.
      await client.patch(`/api/v1/tenants/${encodeURIComponent(crms.bitrix24.tenantId)}/settings`, { bitrix24LeadEntity: 'deal' });
    }
    const tagAttributes = `${apis.calls ? ' data-swap' : ''}${apis.leads ? ' data-forms="capture"' : ''}`;
    site = await startDemoSite({
      port: sitePort,
      publicUrl,
      brands: (['amocrm', 'bitrix24'] as const).map((kind) => ({ ...brands[kind], siteKey: sites[kind].key, tagAttributes })),
    });
    status.sites = (['amocrm', 'bitrix24'] as const).map((kind) => ({ crm: kind, tenant: crms[kind].tenantId, siteId: sites[kind].id, url: site!.urlOf(brands[kind].host) }));
    const random = new Random(options.seed ?? Date.now());
    const trafficBrands: TrafficBrand[] = [];
    for (const kind of ['amocrm', 'bitrix24'] as const) {
      const brand = brands[kind];
      trafficBrands.push({
        crm: crms[kind],
        siteKey: sites[kind].key,
        origin: site.urlOf(brand.host).replace(/\/$/, ''),
        apiKey: await client.createApiKey(crms[kind].tenantId, 'demo traffic generator'),
        visitorsPerDay: brand.visitorsPerDay,
        searchPhrases: brand.searchPhrases,
        swap: apis.calls,
        phone: brand.phone,
        dealTitle: (r) => r.pick(brand.titles),
        price: brand.price,
      });
    }
    // A deal's steps at least a second apart: the CRMs stamp changes in whole seconds, and the card lists them in order.
    generator = new TrafficGenerator({ client, brands: trafficBrands, random, apis, logger, pace: { stepMs: [1_100, 2_500], allVisitsSwap: false } });
    generator.restoreCostTotals(savedCosts);
    generator.start();
    status.generator = generator.counters;

    out.banner({
      dashboardUrl: `${publicUrl}/dashboard`,
      adminToken: generatedToken,
      tenants: [
        { crm: 'amoCRM', tenantId: crms.amocrm.tenantId, siteUrl: site.urlOf(brands.amocrm.host) },
        { crm: 'Bitrix24', tenantId: crms.bitrix24.tenantId, siteUrl: site.urlOf(brands.bitrix24.host) },
      ],
      emulators: { amocrm: crms.amocrm.emulator.url, bitrix24: crms.bitrix24.emulator.url },
      missing: status.missing,
      dataDir: dir,
    });

    const days = config.demo.historyDays;
    if (!resumed) {
      status.phase = 'history';
      for (let day = 1; day <= days && !stopped; day += 1) {
        await Promise.all(trafficBrands.map((brand) => generator!.day(brand)));
        status.daysDone = day;
        out.progress(day, days, generator.counters);
        // Costs go in as the days pass, so ROMI is on the dashboard before the history ends.
        if (day % 5 === 0) await generator.flushCosts();
        // Every tenth day a night: the managers stop for a few seconds, so LongFunnel's enrichment
        // (which waits for a quiet moment, or a full batch, to read deals in bulk) takes in what they
        // did, and the reports show it while the history goes on.
        if (day % 10 === 0) await generator.night(4_500);
      }
      await generator.flushCosts();
      out.endProgress(generator.counters);
    } else {
      status.daysDone = days;
    }

    // The deal card: the first deal of a site visitor that the enrichment has filled in.
    const deadline = Date.now() + 120_000;
    let enriched: { crm: DemoCrm; dealId: string } | undefined;
    while (!stopped && Date.now() < deadline && !(enriched = firstEnrichedDeal(crms))) await new Promise((resolve) => setTimeout(resolve, 500));
    if (enriched) {
      const cardUrl = (await client.hasRoute('GET', '/api/v1/widget/deals/1')) ? `${publicUrl}${DEMO_CARD_PATH}/deals/${enriched.dealId}` : undefined;
      status.enrichedDeal = { crm: enriched.crm.kind, tenant: enriched.crm.tenantId, dealId: enriched.dealId, ...(cardUrl ? { cardUrl } : {}) };
      out.dealCard(cardUrl, enriched.dealId);
    } else if (!stopped) {
      out.line('Demo: no deal has been enriched yet; see the log for CRM errors.');
    }

    // Once the history's deal steps have run, the run can be resumed.
    while (!stopped && generator.pending() > 0) await new Promise((resolve) => setTimeout(resolve, 500));
    historyDone = true;
    save();
    status.phase = 'live';
    generator.setPace({ stepMs: [20_000, 180_000], allVisitsSwap: true });
    // A visit every 15 s (a number stays leased some 25 minutes per visit: the pool of 120 keeps up).
    let ticks = 0;
    live = setInterval(() => {
      const brand = random.pick(trafficBrands);
      ticks += 1;
      void generator!.visit(brand).catch((error: unknown) => logger.warn('demo: a simulated visit failed', errorMeta(error)));
      if (ticks % 4 === 0) void generator!.flushCosts();
    }, 15_000);
    live.unref();
    return { url: publicUrl, status, stop };
  } catch (error) {
    await stop('demo start-up failed').catch(() => undefined);
    throw error;
  }
}

export type { DemoConsole };
