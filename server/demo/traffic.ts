/**
 * The demo's traffic generator: visitors from a realistic channel mix browse the demo sites (hits
 * posted to `/collect` exactly as t.js posts them), some leave a request (the leads API) or call,
 * managers open deals in the CRMs (also by hand, with the client's phone), move them through the
 * stages to won or lost with amounts, and the paid channels' costs are imported. It is a client of
 * LongFunnel's public HTTP APIs and of the emulated CRMs only.
 */
import type { Logger } from '../observability/logger.js';
import { errorMeta } from '../observability/logger.js';
import { pickChannel, type ChannelSpec } from './channels.js';
import type { DemoCrm } from './demoCrms.js';
import { demoPages, demoPageTitles } from './demoSite.js';
import type { Browser, LongfunnelClient } from './longfunnelClient.js';
import { newBrowser, newPerson, type Person } from './people.js';
import type { Random } from './random.js';

export interface TrafficBrand {
  crm: DemoCrm;
  siteKey: string;
  /** `http://okna.localhost:PORT`: the pages' origin, as browsers send it. */
  origin: string;
  /** Tenant API key (calls, costs). */
  apiKey: string;
  /** The site has call tracking: the tag carries `data-swap`, and first hits ask for the visit's number. */
  swap: boolean;
  /** The number printed on the site (shown when no tracking number is free). */
  phone: string;
  visitorsPerDay: number;
  /** What the site's visitors type into search engines (utm_term, organic referrers). */
  searchPhrases: readonly string[];
  dealTitle: (random: Random) => string;
  price: [number, number];
}

/** Which of LongFunnel's public APIs this build has (branches land at different times). */
export interface AvailableApis {
  leads: boolean;
  calls: boolean;
  costs: boolean;
}

export interface TrafficCounters {
  visits: number;
  hits: number;
  forms: number;
  calls: number;
  deals: number;
  won: number;
  lost: number;
  revenue: number;
  cost: number;
  errors: number;
  /** Won deals and their revenue by tenant, as the CRMs' managers closed them (what reports must add up to). */
  byTenant: Record<string, { deals: number; won: number; revenue: number }>;
}

interface Visitor {
  id: string;
  /** Browsing right now (visits of a day run a few at once): not picked again until done. */
  busy: boolean;
  browser: Browser & { screen: string };
  person?: Person;
  visits: number;
  converted: boolean;
}

interface Scheduled {
  at: number;
  run: () => void | Promise<void>;
}

export interface GeneratorOptions {
  client: LongfunnelClient;
  brands: readonly TrafficBrand[];
  random: Random;
  apis: AvailableApis;
  logger: Logger;
  /**
   * Delays between a deal's steps: short while history is generated, minutes when live. While the
   * compressed history runs, only the visits that go on to call ask for a tracking number
   * (`allVisitsSwap` false): a pool sized for real-time traffic cannot serve days of visits
   * arriving within a minute, and each swap is a lease written in its own transaction.
   */
  pace: { stepMs: [number, number]; allVisitsSwap: boolean };
}

const BASE_CONVERSION = 0.04;

export class TrafficGenerator {
  readonly counters: TrafficCounters = { visits: 0, hits: 0, forms: 0, calls: 0, deals: 0, won: 0, lost: 0, revenue: 0, cost: 0, errors: 0, byTenant: {} };
  /** Deals with a visitor behind them, for the console's deal card link. */
  readonly trackedDeals: Array<{ crm: DemoCrm; dealId: string }> = [];
  private readonly warm = new Map<TrafficBrand, Visitor[]>();
  private readonly costs = new Map<TrafficBrand, Map<string, number>>();
  private readonly queue: Scheduled[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = 0;
  private sleepingUntil = 0;

  constructor(private readonly options: GeneratorOptions) {}

  /** Runs scheduled deal steps as they fall due, until `stop`. */
  start(): void {
    this.timer = setInterval(() => void this.runDue(), 100);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    while (this.running > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }

  setPace(pace: GeneratorOptions['pace']): void {
    this.options.pace = pace;
  }

  /** `quietMs` in which the CRMs' managers do nothing: scheduled deal steps wait until it is over. */
  async night(quietMs: number): Promise<void> {
    this.sleepingUntil = Date.now() + quietMs;
    // The whole plan moves by the night, so a deal's steps stay apart instead of all falling due at dawn.
    for (const item of this.queue) item.at += quietMs;
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }

  /** Deal steps still waiting. */
  pending(): number {
    return this.queue.length;
  }

  private schedule(delayMs: number, run: Scheduled['run']): void {
    this.queue.push({ at: Date.now() + delayMs, run });
  }

  private async runDue(): Promise<void> {
    const now = Date.now();
    if (now < this.sleepingUntil) return;
    const due = this.queue.filter((item) => item.at <= now);
    if (due.length === 0) return;
    for (const item of due) this.queue.splice(this.queue.indexOf(item), 1);
    this.running += 1;
    try {
      for (const item of due) {
        try {
          await item.run();
        } catch (error) {
          this.counters.errors += 1;
          this.options.logger.warn('demo: a CRM step failed', errorMeta(error));
        }
      }
    } finally {
      this.running -= 1;
    }
  }

  private stepDelay(): number {
    const [min, max] = this.options.pace.stepMs;
    return this.options.random.int(min, max);
  }

  /** One simulated day of a brand: its visitors, `concurrency` browsing at once. */
  async day(brand: TrafficBrand, visitors = brand.visitorsPerDay, concurrency = 6): Promise<void> {
    const random = this.options.random;
    const count = Math.max(1, Math.round(visitors * (0.75 + random.next() * 0.5)));
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next += 1;
        try {
          await this.visit(brand);
        } catch (error) {
          this.counters.errors += 1;
          this.options.logger.warn('demo: a simulated visit failed', errorMeta(error));
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  private visitorFor(brand: TrafficBrand): Visitor {
    const random = this.options.random;
    const warm = this.warm.get(brand) ?? [];
    this.warm.set(brand, warm);
    if (warm.length > 0 && random.chance(0.3)) {
      const visitor = warm[random.int(0, warm.length - 1)] as Visitor;
      if (!visitor.converted && !visitor.busy) return visitor;
    }
    const visitor: Visitor = { id: random.id(), busy: false, browser: newBrowser(random), visits: 0, converted: false };
    warm.push(visitor);
    if (warm.length > 400) warm.shift();
    return visitor;
  }

  /** One visit: landing page, a few more pages, maybe a request or a call. */
  async visit(brand: TrafficBrand): Promise<void> {
    const visitor = this.visitorFor(brand);
    visitor.busy = true;
    try {
      await this.browse(brand, visitor);
    } finally {
      visitor.busy = false;
    }
  }

  private async browse(brand: TrafficBrand, visitor: Visitor): Promise<void> {
    const { random, client } = this.options;
    const channel = pickChannel(random);
    const query = channel.query(random, brand.searchPhrases);
    const landing = `${brand.origin}/${query ? `?${query}` : ''}`;
    const referrer = channel.referrer(random, brand.searchPhrases);
    const visitId = random.id();
    visitor.visits += 1;
    this.counters.visits += 1;
    const base = { site: brand.siteKey, visitor: visitor.id, visit: visitId, landing, screen: visitor.browser.screen, ...(referrer ? { referrer } : {}) };
    const pages = random.int(0, 3);
    const probability = BASE_CONVERSION * channel.intent * (visitor.visits > 1 ? 1.8 : 1) * (pages > 0 ? 1.4 : 0.6);
    const converts = !visitor.converted && random.chance(probability);
    if (converts) visitor.converted = true;
    const calls = converts && random.chance(0.35);
    const asksForNumber = brand.swap && (this.options.pace.allVisitsSwap || calls);
    const swap = await client.collect({ ...base, type: 'pageview', url: landing, title: 'Главная', ...(asksForNumber ? { swap: 1 as const } : {}) }, visitor.browser, brand.origin);
    // The number this visit sees: its tracking number when one was free, else the site's own.
    const shownNumber = swap?.phone ? `+7${swap.phone[1]}` : brand.phone;
    this.counters.hits += 1;
    for (let index = 0; index < pages; index += 1) {
      const path = random.pick(demoPages.slice(1));
      await client.collect({ ...base, type: 'pageview', url: `${brand.origin}${path}`, title: demoPageTitles[path] ?? path }, visitor.browser, brand.origin);
      this.counters.hits += 1;
    }
    this.addCost(brand, channel, query);
    if (!converts) return;
    visitor.person = newPerson(random);
    if (calls) await this.call(brand, visitor, shownNumber);
    else await this.form(brand, visitor, base);
  }

  private addCost(brand: TrafficBrand, channel: ChannelSpec, query: string): void {
    if (!channel.cost) return;
    const [min, max] = channel.cost.perClick;
    const price = (1.25 * this.options.random.int(min * 100, max * 100)) / 100;
    const key = [new Date().toISOString().slice(0, 10), channel.cost.source, channel.cost.medium, channel.cost.campaign(query)].join(',');
    const byKey = this.costs.get(brand) ?? new Map<string, number>();
    this.costs.set(brand, byKey);
    byKey.set(key, (byKey.get(key) ?? 0) + price);
    this.counters.cost += price;
  }

  /**
   * Cost totals by CRM and `date,source,medium,campaign` (saved with the demo: a re-import of a day
   * and campaign replaces it, so a resumed demo must keep adding to the same totals).
   */
  costTotals(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.costs].map(([brand, byKey]) => [brand.crm.kind, Object.fromEntries(byKey)]));
  }

  restoreCostTotals(saved: Record<string, Record<string, number>> | undefined): void {
    for (const brand of this.options.brands) {
      const totals = saved?.[brand.crm.kind];
      if (totals) this.costs.set(brand, new Map(Object.entries(totals)));
    }
  }

  /** Imports each brand's costs so far (a re-import of a day and campaign replaces it). */
  async flushCosts(): Promise<void> {
    if (!this.options.apis.costs) return;
    for (const [brand, byKey] of this.costs) {
      if (byKey.size === 0) continue;
      const lines = [...byKey].map(([key, cost]) => `${key},${cost.toFixed(2)},RUB`);
      try {
        await this.options.client.postCsv('/api/v1/costs?mapping=generic', `date,source,medium,campaign,cost,currency\n${lines.join('\n')}\n`, {
          authorization: `Bearer ${brand.apiKey}`,
        });
      } catch (error) {
        this.counters.errors += 1;
        this.options.logger.warn('demo: importing ad costs failed', errorMeta(error));
      }
    }
  }

  private async form(brand: TrafficBrand, visitor: Visitor, base: { site: string; visitor: string; visit: string; landing: string }): Promise<void> {
    const { client, random } = this.options;
    const person = visitor.person as Person;
    await client.collect({ ...base, type: 'goal', goal: 'request_form', url: `${brand.origin}/contacts` }, visitor.browser, brand.origin);
    this.counters.hits += 1;
    this.counters.forms += 1;
    if (this.options.apis.leads) {
      // The tracker's form capture (data-forms="capture"): the form's filled fields, as the page has them.
      const comment = random.pick(['Нужен замер', 'Сколько стоит?', 'Перезвоните после 18:00', '']);
      const fields: Array<[string, string, string]> = [
        ['text', 'name', person.name],
        ['tel', 'phone', person.phone],
        ...(person.email ? [['email', 'email', person.email] as [string, string, string]] : []),
        ...(comment ? [['textarea', 'comment', comment] as [string, string, string]] : []),
      ];
      await client.captureForm({ site: brand.siteKey, visitor: visitor.id, form: 'request', page: `${brand.origin}/contacts`, fields }, visitor.browser, brand.origin);
      // The leads API creates the deal in the CRM (through the queue): pick it up there by the phone.
      this.adoptDealByPhone(brand, person, 0);
    } else {
      // No leads API in this build: the site's form builder creates the deal with the hidden _lfid input.
      const dealId = brand.crm.createDeal({ title: brand.dealTitle(random), price: this.price(brand), contact: person, visitorId: visitor.id });
      this.track(brand, dealId, true);
    }
    // Some clients come back later by phone: a manager opens a repeat deal with the same contact phone.
    if (random.chance(0.15)) this.schedule(this.stepDelay() * 3, () => this.track(brand, brand.crm.createDeal({ title: `Повторно: ${brand.dealTitle(random)}`, price: this.price(brand), contact: person }), false));
  }

  private async call(brand: TrafficBrand, visitor: Visitor, shownNumber: string): Promise<void> {
    const { random, client } = this.options;
    const person = visitor.person as Person;
    this.counters.calls += 1;
    if (this.options.apis.calls) {
      // The telephony reports the call to the number the visitor saw.
      await client.post(
        '/api/v1/calls',
        {
          call_id: `demo-${random.id(16)}`,
          tracking_number: shownNumber,
          caller_number: person.phone,
          started_at: new Date().toISOString(),
          duration_seconds: random.int(35, 420),
        },
        { authorization: `Bearer ${brand.apiKey}` },
        [200],
      );
    }
    // The CRM's own telephony opens a deal for the caller (LongFunnel takes it as the call's deal);
    // without call tracking in this build, it is just a manager's deal with the caller's phone.
    this.schedule(random.int(200, 1_500), () => this.track(brand, brand.crm.createDeal({ title: brand.dealTitle(random), price: this.price(brand), contact: person }), this.options.apis.calls));
  }

  private adoptDealByPhone(brand: TrafficBrand, person: Person, attempt: number): void {
    this.schedule(500 + attempt * 500, () => {
      const found = brand.crm.dealsOfPhone(person.phone);
      if (found.length > 0) {
        for (const dealId of found) this.track(brand, dealId, true);
        return;
      }
      if (attempt < 40) this.adoptDealByPhone(brand, person, attempt + 1);
      else this.options.logger.warn('demo: a lead sent to the leads API did not appear in the CRM', { crm: brand.crm.kind });
    });
  }

  private price(brand: TrafficBrand): number {
    const [min, max] = brand.price;
    return Math.round(this.options.random.int(min, max) / 500) * 500;
  }

  /** A new deal: its steps through the stages, then won (with the final amount), lost, or still open. */
  private track(brand: TrafficBrand, dealId: string, fromVisitor: boolean): void {
    const { random } = this.options;
    const crm = brand.crm;
    this.counters.deals += 1;
    const tenant = (this.counters.byTenant[crm.tenantId] ??= { deals: 0, won: 0, revenue: 0 });
    tenant.deals += 1;
    if (fromVisitor) this.trackedDeals.push({ crm, dealId });
    const outcome = random.weighted(['won', 'lost', 'open'] as const, (kind) => ({ won: 34, lost: 40, open: 26 })[kind]);
    const steps = outcome === 'open' ? random.int(0, crm.stageSteps) : outcome === 'won' ? crm.stageSteps : random.int(0, crm.stageSteps);
    let delay = 0;
    for (let step = 0; step < steps; step += 1) {
      delay += this.stepDelay();
      this.schedule(delay, () => crm.advance(dealId, step));
    }
    delay += this.stepDelay();
    if (outcome === 'won') {
      const amount = this.price(brand);
      this.schedule(delay, () => {
        crm.win(dealId, amount);
        this.counters.won += 1;
        this.counters.revenue += amount;
        tenant.won += 1;
        tenant.revenue += amount;
      });
    } else if (outcome === 'lost') {
      this.schedule(delay, () => {
        crm.lose(dealId);
        this.counters.lost += 1;
      });
    }
  }
}
