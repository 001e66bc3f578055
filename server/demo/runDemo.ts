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
import { installIntoAmocrm, installIntoBitrix24, startDemoCrms, type AmocrmDemo, type DemoCrm, type DemoCrms } from './demoCrms.js';
import { demoFeature, type DemoStatus } from './demoFeature.js';
import { startDemoSite, type DemoSite } from './demoSite.js';
import { LongfunnelClient } from './longfunnelClient.js';
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

/**
 * The demo keeps nothing across runs that it could resume: the emulated CRMs hold their records in
 * memory. A leftover directory from an earlier run is cleared (said so in the console), as is any
 * directory with `--reset`.
 */
function prepareDataDir(dir: string, reset: boolean, say: (line: string) => void): void {
  if (fs.existsSync(dir)) {
    say(reset ? `Demo: --reset: clearing ${dir}` : `Demo: starting over in ${dir} (the emulated CRMs of the previous run kept their records in memory only)`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(dir, { recursive: true });
}

const brands = {
  amocrm: {
    host: 'okna.localhost',
    name: 'Окна Плюс',
    tagline: 'Пластиковые окна под ключ за 3 дня',
    product: 'Замер бесплатно, монтаж по ГОСТ, гарантия 10 лет.',
    phone: '+7 495 120-45-67',
    titles: ['Окна в квартиру', 'Остекление балкона', 'Окна в дом', 'Замена стеклопакета'],
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
    price: [90_000, 480_000] as [number, number],
    visitorsPerDay: 22,
  },
};

async function firstEnrichedDeal(crms: DemoCrms, generator: TrafficGenerator): Promise<{ crm: DemoCrm; dealId: string } | undefined> {
  const amo: AmocrmDemo = crms.amocrm;
  const channelField = amo.emulator.state.customFieldsOf(amo.account.account.id).find((field) => field.code === 'LF_CHANNEL');
  for (const deal of generator.trackedDeals) {
    if (deal.crm.kind !== 'amocrm' || !channelField) continue;
    const lead = amo.emulator.state.leads.get(Number(deal.dealId));
    const value = lead?.customFieldsValues.find((item) => item.fieldId === channelField.id)?.values[0]?.value;
    if (value !== undefined && value !== '') return deal;
  }
  return undefined;
}

export async function runDemo(options: DemoOptions): Promise<RunningDemo> {
  const { config, logger } = options;
  const out = consoleFor(options.out ?? process.stdout);
  const dir = demoDataDir(config);
  prepareDataDir(dir, options.reset, (line) => out.line(line));
  const port = config.port === 0 ? await freePort() : config.port;
  // 127.0.0.1, not localhost: Bitrix24 binds event handlers only to addresses with a dot in the host.
  const publicUrl = `http://127.0.0.1:${port}`;
  const generatedToken = config.adminToken ? undefined : randomBytes(24).toString('hex');
  const adminToken = config.adminToken ?? (generatedToken as string);
  const status: DemoStatus = { phase: 'starting', historyDays: config.demo.historyDays, daysDone: 0, missing: [] };

  const crms = await startDemoCrms(publicUrl);
  let runtime: Runtime | undefined;
  let site: DemoSite | undefined;
  let generator: TrafficGenerator | undefined;
  let live: NodeJS.Timeout | undefined;
  let stopped = false;
  const stop = async (reason: string) => {
    if (stopped) return;
    stopped = true;
    if (live) clearInterval(live);
    await generator?.stop();
    await runtime?.stop(reason);
    await site?.close();
    await crms.close();
  };
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      DATA_DIR: dir,
      // The embedded defaults, whatever the operator's environment says: demo data stays in its directory.
      DATABASE_URL: '',
      REDIS_URL: '',
      ADMIN_TOKEN: adminToken,
      ...crms.env,
    };
    const demoConfig = loadConfig(env);
    runtime = await startRuntime({ config: demoConfig, role: 'all', features: [...options.features, demoFeature(status)], logger });
    status.phase = 'installing';
    await Promise.all([installIntoAmocrm(crms.amocrm, publicUrl), installIntoBitrix24(crms.bitrix24)]);
    const client = new LongfunnelClient(publicUrl, adminToken);
    const apis: AvailableApis = {
      leads: await client.hasRoute('POST', '/api/v1/leads'),
      calls: await client.hasRoute('POST', '/api/v1/calls'),
      costs: await client.hasRoute('POST', '/api/v1/costs'),
    };
    status.missing = Object.entries(apis).filter(([, present]) => !present).map(([name]) => name);

    const sitePort = config.demo.sitePort ?? (config.port === 0 ? 0 : port + 1);
    const sites = {
      amocrm: await client.createSite({ domain: brands.amocrm.host, tenantId: crms.amocrm.tenantId }),
      bitrix24: await client.createSite({ domain: brands.bitrix24.host, tenantId: crms.bitrix24.tenantId }),
    };
    site = await startDemoSite({
      port: sitePort,
      publicUrl,
      brands: (['amocrm', 'bitrix24'] as const).map((kind) => ({ ...brands[kind], siteKey: sites[kind].key })),
    });
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
        dealTitle: (r) => r.pick(brand.titles),
        price: brand.price,
      });
    }
    generator = new TrafficGenerator({ client, brands: trafficBrands, random, apis, logger, pace: { stepMs: [300, 2_500] } });
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

    status.phase = 'history';
    const days = config.demo.historyDays;
    for (let day = 1; day <= days && !stopped; day += 1) {
      await Promise.all(trafficBrands.map((brand) => generator!.day(brand)));
      status.daysDone = day;
      out.progress(day, days, generator.counters);
    }
    await generator.flushCosts();
    out.endProgress(generator.counters);

    // The deal card: the first deal of a site visitor that the enrichment has filled in.
    const deadline = Date.now() + 120_000;
    let enriched: { crm: DemoCrm; dealId: string } | undefined;
    while (!stopped && Date.now() < deadline && !(enriched = await firstEnrichedDeal(crms, generator))) await new Promise((resolve) => setTimeout(resolve, 500));
    if (enriched) {
      status.enrichedDeal = { crm: enriched.crm.kind, tenant: enriched.crm.tenantId, dealId: enriched.dealId };
      out.dealCard(await dealCardUrl(client, publicUrl, crms, enriched.dealId), enriched.dealId);
    } else if (!stopped) {
      out.line('Demo: no deal has been enriched yet; see the log for CRM errors.');
    }

    status.phase = 'live';
    generator.setPace({ stepMs: [20_000, 180_000] });
    let ticks = 0;
    live = setInterval(() => {
      const brand = random.pick(trafficBrands);
      ticks += 1;
      void generator!.visit(brand).catch((error: unknown) => logger.warn('demo: a simulated visit failed', errorMeta(error)));
      if (ticks % 12 === 0) void generator!.flushCosts();
    }, 5_000);
    live.unref();
    return { url: publicUrl, status, stop };
  } catch (error) {
    await stop('demo start-up failed').catch(() => undefined);
    throw error;
  }
}

/** The amoCRM host page with the deal-card widget for this deal, when the widget is in this build. */
async function dealCardUrl(client: LongfunnelClient, publicUrl: string, crms: DemoCrms, dealId: string): Promise<string | undefined> {
  const page = `${publicUrl}/demo/amocrm/deal/${dealId}`;
  return (await client.hasRoute('GET', `/demo/amocrm/deal/${dealId}`)) ? page : undefined;
}

export type { DemoConsole };
