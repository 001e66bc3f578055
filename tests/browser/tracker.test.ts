/**
 * t.js in headless Chromium on pages served by a loopback test site that also stands in for the
 * collector (`POST /collect` answers 204 and records the body). Each test asserts what reached
 * the collector, what must not be there, and how many requests were sent.
 *
 * Exact counts: an init script counts every `sendBeacon`/`fetch` to `/collect` the page makes
 * (`window.__lfSends`); a tab waits until the site has received that many and checks that it
 * received no more. t.js sends synchronously during the action, so the count is final once the
 * action returns.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, startTestSite, type CollectedRequest, type TestSite } from '../support/browser.js';

const SITE_KEY = 'site_key_1';
const PROTOCOL_FIELDS = new Set(['v', 'site', 'type', 'visitor', 'visit', 'url', 'title', 'landing', 'referrer', 'goal', 'value', 'ym_uid', 'ga_cid', 'screen', 'swap', 'ts']);
const TWO_YEARS_S = 2 * 365 * 24 * 60 * 60;
const DAY_S = 24 * 60 * 60;
const CHROMIUM_COOKIE_CAP_S = 400 * DAY_S;

type Body = Record<string, unknown>;

interface PageOptions {
  readonly title?: string;
  /** Scripts before the tag: the queue snippet, cookie or storage overrides. */
  readonly head?: string;
  /** Attributes added to the tag, e.g. ` data-consent="required"`. */
  readonly tagAttributes?: string;
  /** Replaces the whole tag. */
  readonly tag?: string;
  readonly body?: string;
}

function html(options: PageOptions = {}): string {
  const tag = options.tag ?? `<script async src="/t.js" data-site="${SITE_KEY}"${options.tagAttributes ?? ''}></script>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>${options.title ?? 'Test page'}</title>${options.head ?? ''}${tag}</head>
<body><a id="internal" href="/second">next page</a>${options.body ?? ''}<script>window.pageScriptRan = true;</script></body></html>`;
}

const QUEUE_SNIPPET = `<script>window.longfunnel = window.longfunnel || function(){(window.longfunnel.q = window.longfunnel.q || []).push(arguments)};</script>`;

/** Counts the page's sends to /collect; wraps the prototypes so a page can still remove or replace them. */
const SEND_COUNTER = `(() => {
  window.__lfSends = [];
  const beacon = Navigator.prototype.sendBeacon;
  Navigator.prototype.sendBeacon = function (url, body) {
    const accepted = beacon.call(this, url, body);
    window.__lfSends.push({ via: 'beacon', url: String(url), accepted });
    return accepted;
  };
  const originalFetch = window.fetch;
  window.fetch = function (input, init) {
    if (String(input).endsWith('/collect')) {
      window.__lfSends.push({ via: 'fetch', url: String(input), keepalive: init && init.keepalive, credentials: init && init.credentials, contentType: init && init.headers && init.headers['Content-Type'] });
    }
    return originalFetch.apply(this, arguments);
  };
})();`;

interface Send {
  readonly via: 'beacon' | 'fetch';
  readonly url: string;
  readonly accepted?: boolean;
  readonly keepalive?: boolean;
  readonly credentials?: string;
  readonly contentType?: string;
}

interface PageWindow {
  __lfSends: Send[];
  __lfCookieWrites?: string[];
  pageScriptRan?: boolean;
  longfunnel?: ((...args: unknown[]) => void) & { loaded?: boolean };
}

// Functions given to page.evaluate run in the page. The root tsconfig has no DOM lib, on purpose
// (the tracker's pure modules must not use it), so the page globals these tests touch are
// declared here, for this file only.
declare const window: PageWindow;
declare const document: { title: string };
declare const location: { hash: string };
declare const localStorage: { readonly length: number; getItem(key: string): string | null };
declare const history: {
  pushState(state: unknown, unused: string, url?: string): void;
  replaceState(state: unknown, unused: string, url?: string): void;
  back(): void;
};
declare function addEventListener(type: string, listener: () => void, options?: { once?: boolean }): void;

/** One browser tab on the test site, keeping count of what each page load sent. */
class Tab {
  readonly errors: Error[] = [];
  private baseline = 0;

  constructor(
    readonly page: Page,
    private readonly site: TestSite,
  ) {
    page.on('pageerror', (error) => this.errors.push(error));
  }

  async goto(url: string): Promise<void> {
    this.baseline = this.site.collected.length;
    await this.page.goto(url);
    await this.trackerLoaded();
  }

  /** Clicks a link that loads another page. */
  async follow(selector: string, urlPattern: RegExp): Promise<void> {
    this.baseline = this.site.collected.length;
    await Promise.all([this.page.waitForURL(urlPattern), this.page.click(selector)]);
    await this.trackerLoaded();
  }

  async trackerLoaded(): Promise<void> {
    await this.page.waitForFunction(() => Boolean(window.longfunnel && window.longfunnel.loaded));
  }

  async sends(): Promise<Send[]> {
    return this.page.evaluate(() => window.__lfSends);
  }

  /** Everything the current page load sent, once it has all reached the collector; exactly `expectedCount`. */
  async requests(expectedCount: number): Promise<CollectedRequest[]> {
    const attempts = (await this.sends()).length;
    const all = await this.site.waitForCollected(this.baseline + attempts);
    assert.equal(all.length, this.baseline + attempts, 'the collector got a request the page did not send');
    const requests = all.slice(this.baseline);
    assert.equal(requests.length, expectedCount, `expected ${expectedCount} requests from this page, got ${JSON.stringify(requests.map((request) => request.body))}`);
    return requests;
  }

  async bodies(expectedCount: number): Promise<Body[]> {
    return (await this.requests(expectedCount)).map((request) => request.body);
  }

  async cookie(name: string): Promise<string | undefined> {
    const cookies = await this.page.context().cookies();
    return cookies.find((cookie) => cookie.name === name)?.value;
  }

  async localStorageItem(key: string): Promise<string | null> {
    return this.page.evaluate((name) => localStorage.getItem(name), key);
  }

  async setVisitActivity(msAgo: number): Promise<void> {
    const state = await this.cookie('_lfs');
    assert.ok(state, 'the _lfs cookie exists');
    const [visit, , ...key] = state.split('.');
    await this.page.context().addCookies([{ name: '_lfs', value: [visit, Date.now() - msAgo, ...key].join('.'), url: this.site.origin }]);
  }
}

let browser: Browser;
let site: TestSite;
let context: BrowserContext;

before(async () => {
  [browser, site] = await Promise.all([launchBrowser(), startTestSite(html())]);
});

after(async () => {
  await Promise.all([browser?.close(), site?.close()]);
});

beforeEach(async () => {
  site.reset();
  await context?.close();
  context = await browser.newContext();
  await context.addInitScript({ content: SEND_COUNTER });
});

async function newTab(): Promise<Tab> {
  return new Tab(await context.newPage(), site);
}

function assertProtocolFields(body: Body): void {
  const unknown = Object.keys(body).filter((key) => !PROTOCOL_FIELDS.has(key));
  assert.deepEqual(unknown, [], 'only protocol fields are sent');
  assert.equal(body.v, 2);
  assert.equal(body.site, SITE_KEY);
  assert.match(String(body.visitor), /^[\w-]{8,64}$/);
  assert.match(String(body.visit), /^[\w-]{8,64}$/);
  assert.equal(typeof body.ts, 'number');
}

function only(bodies: Body[], predicate: (body: Body) => boolean, what: string): Body {
  const found = bodies.filter(predicate);
  assert.equal(found.length, 1, `exactly one ${what} in ${JSON.stringify(bodies)}`);
  return found[0]!;
}

const UTM = 'utm_source=yandex&utm_medium=cpc&utm_campaign=spring&utm_content=ad1&utm_term=sofa';

/** Records what the page writes to document.cookie, to see the attributes the browser does not report back. */
const COOKIE_WRITE_RECORDER = `<script>(() => {
  const cookie = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  window.__lfCookieWrites = [];
  Object.defineProperty(Document.prototype, 'cookie', {
    get() { return cookie.get.call(this); },
    set(value) { window.__lfCookieWrites.push(value); cookie.set.call(this, value); },
  });
})();</script>`;

test('when a visitor lands with utm tags, then one pageview carries them in landing and _lfid is set for 2 years, SameSite=Lax', async () => {
  site.setPage('/landing', html({ head: COOKIE_WRITE_RECORDER }));
  const tab = await newTab();
  const landingUrl = `${site.origin}/landing?${UTM}&roistat=seo_1&_openstat=abc`;
  await tab.goto(landingUrl);

  const [request] = await tab.requests(1);
  const body = request!.body;
  assertProtocolFields(body);
  assert.equal(body.type, 'pageview');
  assert.equal(body.url, landingUrl);
  assert.equal(body.landing, landingUrl);
  assert.equal(body.title, 'Test page');
  assert.match(String(body.screen), /^\d+x\d+$/);
  for (const absent of ['referrer', 'goal', 'value', 'ym_uid', 'ga_cid']) assert.equal(body[absent], undefined, `${absent} is absent`);
  assert.match(request!.contentType ?? '', /^text\/plain/);
  assert.deepEqual((await tab.sends()).map((send) => send.via), ['beacon']);

  const writes = await tab.page.evaluate(() => window.__lfCookieWrites ?? []);
  const visitorWrite = writes.find((write) => write.startsWith('_lfid='));
  assert.equal(visitorWrite, `_lfid=${String(body.visitor)};path=/;max-age=${TWO_YEARS_S};samesite=lax`, 'no Secure on http, no domain without data-cookie-domain');
  const cookies = await context.cookies();
  const visitorCookie = cookies.find((cookie) => cookie.name === '_lfid');
  assert.ok(visitorCookie, '_lfid is set');
  assert.equal(visitorCookie.value, body.visitor);
  assert.equal(visitorCookie.sameSite, 'Lax');
  assert.equal(visitorCookie.path, '/');
  assert.equal(visitorCookie.httpOnly, false);
  // Chromium caps every cookie at 400 days, whatever max-age asks for.
  const lifetime = visitorCookie.expires - Date.now() / 1000;
  assert.ok(lifetime > CHROMIUM_COOKIE_CAP_S - DAY_S, `_lfid lives as long as the browser allows (${lifetime} s)`);
  const visitCookie = cookies.find((cookie) => cookie.name === '_lfs');
  assert.match(visitCookie?.value ?? '', new RegExp(`^${String(body.visit)}\\.\\d+\\.utm%3Ayandex%7Ccpc%7Cspring$`));
  assert.deepEqual(JSON.parse((await tab.localStorageItem('_lf_land')) ?? 'null'), { visit: body.visit, landing: landingUrl, referrer: '' });
  assert.deepEqual(tab.errors, []);
});

test('when the single-page app navigates with pushState, then a second pageview keeps the visit and the landing', async () => {
  const tab = await newTab();
  const landingUrl = `${site.origin}/app?${UTM}`;
  await tab.goto(landingUrl);
  await tab.page.evaluate(() => {
    document.title = 'Catalog';
    history.pushState({}, '', '/app/catalog?page=2');
  });

  const bodies = await tab.bodies(2);
  const first = only(bodies, (body) => body.url === landingUrl, 'landing pageview');
  const second = only(bodies, (body) => body.url === `${site.origin}/app/catalog?page=2`, 'pushState pageview');
  assertProtocolFields(second);
  assert.equal(second.type, 'pageview');
  assert.equal(second.visitor, first.visitor);
  assert.equal(second.visit, first.visit);
  assert.equal(second.landing, landingUrl);
  assert.equal(second.title, 'Catalog');
  assert.equal(second.referrer, undefined);
  assert.deepEqual(tab.errors, []);
});

test('when only the hash or the history state changes, then no pageview is sent; when the visitor goes back, then one is', async () => {
  const tab = await newTab();
  await tab.goto(`${site.origin}/app`);
  await tab.page.evaluate(() => {
    history.replaceState({ step: 1 }, '');
    history.pushState({}, '', '#reviews');
    location.hash = 'specs';
    history.replaceState({}, '', '/app#top');
  });
  await tab.bodies(1);

  await tab.page.evaluate(() => history.pushState({}, '', '/app/cart'));
  await tab.bodies(2);
  await tab.page.evaluate(() => new Promise<void>((resolve) => {
    addEventListener('popstate', resolve, { once: true });
    history.back();
  }));

  const bodies = await tab.bodies(3);
  assert.deepEqual(bodies.map((body) => new URL(String(body.url)).pathname), ['/app', '/app/cart', '/app']);
  assert.equal(new Set(bodies.map((body) => body.visit)).size, 1);
});

test('when an in-site page without parameters loads, then it is the same visit and landing still carries the utm tags', async () => {
  const tab = await newTab();
  const landingUrl = `${site.origin}/landing?${UTM}&gclid=Cj0K`;
  await tab.goto(landingUrl);
  const [first] = await tab.bodies(1);

  await tab.follow('#internal', /\/second$/);
  const [second] = await tab.bodies(1);
  assertProtocolFields(second!);
  assert.equal(second!.url, `${site.origin}/second`);
  assert.equal(second!.visitor, first!.visitor);
  assert.equal(second!.visit, first!.visit);
  assert.equal(second!.landing, landingUrl);
  assert.equal(second!.referrer, undefined, 'an internal referrer is not sent');
});

test('when goals are called before t.js loads and after, then both are sent with their values in the same visit', async () => {
  site.setPage('/order', html({
    head: `${QUEUE_SNIPPET}<script>longfunnel('goal', 'early_goal', { value: 100 }); longfunnel('goal', ''); longfunnel('unknown', 1);</script>`,
  }));
  const tab = await newTab();
  await tab.goto(`${site.origin}/order`);
  const returned = await tab.page.evaluate(() => {
    window.longfunnel!('goal', 'callback_form', { value: 1500 });
    window.longfunnel!('goal', 'no_value');
    window.longfunnel!('goal', 'bad_value', { value: 'lots' });
    return 'page code continues';
  });
  assert.equal(returned, 'page code continues');

  const bodies = await tab.bodies(5);
  const pageview = only(bodies, (body) => body.type === 'pageview', 'pageview');
  const early = only(bodies, (body) => body.goal === 'early_goal', 'queued goal');
  const late = only(bodies, (body) => body.goal === 'callback_form', 'goal after load');
  for (const goal of [early, late]) {
    assertProtocolFields(goal);
    assert.equal(goal.type, 'goal');
    assert.equal(goal.visit, pageview.visit);
    assert.equal(goal.landing, `${site.origin}/order`);
  }
  assert.equal(early.value, 100);
  assert.equal(late.value, 1500);
  assert.equal(only(bodies, (body) => body.goal === 'no_value', 'goal without value').value, undefined);
  assert.equal(only(bodies, (body) => body.goal === 'bad_value', 'goal with a bad value').value, undefined);
  assert.equal(bodies.filter((body) => body.goal === '').length, 0);
  assert.deepEqual(tab.errors, []);
});

test('when the landing has only a click id, then it starts a visit whose landing carries it and an in-site page keeps it', async () => {
  const tab = await newTab();
  const landingUrl = `${site.origin}/?yclid=1234567890`;
  await tab.goto(landingUrl);
  const [first] = await tab.bodies(1);
  assert.equal(first!.landing, landingUrl);
  assert.equal(first!.referrer, undefined);
  assert.match((await tab.cookie('_lfs')) ?? '', /\.param%3Ayclid%3D$/);

  await tab.goto(`${site.origin}/second`);
  const [second] = await tab.bodies(1);
  assert.equal(second!.visit, first!.visit);
  assert.equal(second!.landing, landingUrl);
});

test('when the visitor arrives from another site, then a new visit starts with that referrer and the same visitor', async () => {
  const tab = await newTab();
  await tab.goto(`${site.origin}/`);
  const [direct] = await tab.bodies(1);
  assert.equal(direct!.referrer, undefined);

  await tab.page.route('http://yandex.ru/**', (route) =>
    route.fulfill({ contentType: 'text/html', body: `<a id="result" href="${site.origin}/sofas">Sofas</a>` }),
  );
  await tab.page.goto('http://yandex.ru/search/?text=sofa');
  await tab.follow('#result', /\/sofas$/);
  const [fromSearch] = await tab.bodies(1);
  assert.equal(fromSearch!.visitor, direct!.visitor);
  assert.notEqual(fromSearch!.visit, direct!.visit);
  assert.equal(fromSearch!.referrer, 'http://yandex.ru/');
  assert.equal(fromSearch!.landing, `${site.origin}/sofas`);
  assert.match((await tab.cookie('_lfs')) ?? '', /\.ref%3Ayandex\.ru$/);

  await tab.follow('#internal', /\/second$/);
  const [next] = await tab.bodies(1);
  assert.equal(next!.visit, fromSearch!.visit);
  assert.equal(next!.referrer, 'http://yandex.ru/', 'the visit\'s referrer travels with each hit');
});

test('when 30 minutes pass without activity, then the next page starts a new visit landing there', async () => {
  const tab = await newTab();
  await tab.goto(`${site.origin}/landing?${UTM}`);
  const [first] = await tab.bodies(1);

  await tab.setVisitActivity(29 * 60 * 1000);
  await tab.goto(`${site.origin}/second`);
  const [within] = await tab.bodies(1);
  assert.equal(within!.visit, first!.visit, 'after 29 minutes the visit goes on');

  await tab.setVisitActivity(30 * 60 * 1000 + 1000);
  await tab.goto(`${site.origin}/third`);
  const [afterTimeout] = await tab.bodies(1);
  assert.equal(afterTimeout!.visitor, first!.visitor);
  assert.notEqual(afterTimeout!.visit, first!.visit);
  assert.equal(afterTimeout!.landing, `${site.origin}/third`);
  assert.equal(afterTimeout!.referrer, undefined);
});

test('when the visitor arrives with a different campaign, then a new visit starts; a direct arrival after it stays in that visit', async () => {
  const tab = await newTab();
  await tab.goto(`${site.origin}/?utm_source=vk&utm_medium=cpc&utm_campaign=spring`);
  const [spring] = await tab.bodies(1);

  await tab.goto(`${site.origin}/?utm_source=vk&utm_medium=cpc&utm_campaign=spring`);
  const [sameAgain] = await tab.bodies(1);
  assert.equal(sameAgain!.visit, spring!.visit, 'the same campaign continues the visit');

  const autumnUrl = `${site.origin}/?utm_source=vk&utm_medium=cpc&utm_campaign=autumn`;
  await tab.goto(autumnUrl);
  const [autumn] = await tab.bodies(1);
  assert.notEqual(autumn!.visit, spring!.visit);
  assert.equal(autumn!.visitor, spring!.visitor);
  assert.equal(autumn!.landing, autumnUrl);

  await tab.goto(`${site.origin}/contacts`);
  const [direct] = await tab.bodies(1);
  assert.equal(direct!.visit, autumn!.visit);
  assert.equal(direct!.landing, autumnUrl);
});

test('when consent is required, then nothing is sent or stored until longfunnel("consent", true), then the held hits go out', async () => {
  site.setPage('/consent', html({ tagAttributes: ' data-consent="required"' }));
  const tab = await newTab();
  const landingUrl = `${site.origin}/consent?${UTM}`;
  await tab.goto(landingUrl);
  await tab.page.evaluate(() => {
    window.longfunnel!('goal', 'before_consent', { value: 5 });
    history.pushState({}, '', '/consent/step2');
  });
  assert.deepEqual(await tab.sends(), []);
  assert.deepEqual(await context.cookies(), []);
  assert.equal(await tab.page.evaluate(() => localStorage.length), 0);

  await tab.page.evaluate(() => window.longfunnel!('consent', true));
  const bodies = await tab.bodies(3);
  const landing = only(bodies, (body) => body.type === 'pageview' && body.url === landingUrl, 'held landing pageview');
  const goal = only(bodies, (body) => body.goal === 'before_consent', 'held goal');
  const step2 = only(bodies, (body) => body.url === `${site.origin}/consent/step2`, 'held navigation pageview');
  for (const body of [goal, step2]) {
    assert.equal(body.visit, landing.visit);
    assert.equal(body.visitor, landing.visitor);
    assert.equal(body.landing, landingUrl);
  }
  assert.equal(goal.value, 5);
  assert.equal(await tab.cookie('_lfid'), landing.visitor);

  await tab.page.evaluate(() => window.longfunnel!('goal', 'after_consent'));
  assert.equal((await tab.bodies(4)).filter((body) => body.goal === 'after_consent').length, 1);
});

test('when consent is refused, then nothing is sent or stored, goals included', async () => {
  site.setPage('/consent', html({ tagAttributes: ' data-consent="required"' }));
  const tab = await newTab();
  await tab.goto(`${site.origin}/consent`);
  await tab.page.evaluate(() => {
    window.longfunnel!('consent', false);
    window.longfunnel!('goal', 'refused');
    history.pushState({}, '', '/consent/next');
  });
  assert.deepEqual(await tab.sends(), []);
  await tab.bodies(0);
  assert.deepEqual(await context.cookies(), []);
  assert.equal(await tab.page.evaluate(() => localStorage.length), 0);
});

test('when reading cookies and localStorage throws, then the page\'s own script runs and pageviews still go out with one visitor and visit', async () => {
  const blockStorage = `<script>
    Object.defineProperty(Document.prototype, 'cookie', { get() { throw new DOMException('blocked', 'SecurityError'); }, set() { throw new DOMException('blocked', 'SecurityError'); } });
    Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('blocked', 'SecurityError'); } });
  </script>`;
  site.setPage('/blocked', html({ head: blockStorage, tag: `<script src="/t.js" data-site="${SITE_KEY}"></script>` }));
  const tab = await newTab();
  const landingUrl = `${site.origin}/blocked?${UTM}`;
  await tab.goto(landingUrl);
  assert.equal(await tab.page.evaluate(() => window.pageScriptRan), true);
  await tab.page.evaluate(() => {
    history.pushState({}, '', '/blocked/next');
    window.longfunnel!('goal', 'works');
  });

  const bodies = await tab.bodies(3);
  for (const body of bodies) assertProtocolFields(body);
  assert.equal(new Set(bodies.map((body) => body.visitor)).size, 1, 'one in-memory visitor');
  assert.equal(new Set(bodies.map((body) => body.visit)).size, 1, 'one in-memory visit');
  assert.deepEqual(new Set(bodies.map((body) => body.landing)), new Set([landingUrl]));
  assert.deepEqual(tab.errors, []);
});

test('when the browser silently ignores cookies, then hits of one page load share one visitor and visit and nothing is stored', async () => {
  const tab = await newTab();
  const cdp = await context.newCDPSession(tab.page);
  await cdp.send('Emulation.setDocumentCookieDisabled', { disabled: true });
  await tab.goto(`${site.origin}/nocookies?${UTM}`);
  await tab.page.evaluate(() => history.pushState({}, '', '/nocookies/next'));

  const bodies = await tab.bodies(2);
  assert.equal(bodies[0]!.visitor, bodies[1]!.visitor);
  assert.equal(bodies[0]!.visit, bodies[1]!.visit);
  assert.deepEqual(await context.cookies(), []);
  assert.deepEqual(tab.errors, []);
});

test('when sendBeacon is missing, then fetch with keepalive sends text/plain without credentials', async () => {
  site.setPage('/old', html({ head: '<script>delete Navigator.prototype.sendBeacon;</script>' }));
  const tab = await newTab();
  await tab.goto(`${site.origin}/old`);

  const [request] = await tab.requests(1);
  assert.deepEqual(await tab.sends(), [{ via: 'fetch', url: `${site.origin}/collect`, keepalive: true, credentials: 'omit', contentType: 'text/plain' }]);
  assert.equal(request!.body.type, 'pageview');
  assert.match(request!.contentType ?? '', /^text\/plain/);
  assert.equal(request!.cookie, undefined, 'credentials: omit sends no cookie');
  assert.deepEqual(tab.errors, []);
});

test('when sendBeacon refuses the payload, then fetch sends it instead', async () => {
  site.setPage('/full', html({ head: '<script>Navigator.prototype.sendBeacon = function () { return false; };</script>' }));
  const tab = await newTab();
  await tab.goto(`${site.origin}/full`);
  await tab.bodies(1);
  assert.deepEqual((await tab.sends()).map((send) => send.via), ['fetch']);
});

test('when a tag manager runs t.js without document.currentScript, then it finds its tag by src and tracks', async () => {
  site.setPage('/gtm', html({
    tag: `<script type="text/x-inert" src="/t.js" data-site="${SITE_KEY}"></script>
      <script>fetch('/t.js').then((response) => response.text()).then((code) => (0, eval)(code));</script>`,
  }));
  const tab = await newTab();
  await tab.goto(`${site.origin}/gtm`);
  const [body] = await tab.bodies(1);
  assertProtocolFields(body!);
  assert.equal(body!.url, `${site.origin}/gtm`);
});

test('when the tag is on the page twice, then one pageview is sent', async () => {
  site.setPage('/twice', html({ body: `<script async src="/t.js" data-site="${SITE_KEY}"></script>` }));
  const tab = await newTab();
  await tab.goto(`${site.origin}/twice`);
  await tab.bodies(1);
});

test('when Yandex.Metrica and Google Analytics cookies exist, then ym_uid and ga_cid are sent', async () => {
  site.setPage('/analytics', html({ head: `<script>document.cookie = '_ym_uid=1699999999123456789; path=/'; document.cookie = '_ga=GA1.1.123456789.1699999999; path=/';</script>` }));
  const tab = await newTab();
  await tab.goto(`${site.origin}/analytics`);
  const [body] = await tab.bodies(1);
  assert.equal(body!.ym_uid, '1699999999123456789');
  assert.equal(body!.ga_cid, '123456789.1699999999');
});

test('when the URL is longer than 2,048 characters, then url and landing are cut to 2,048', async () => {
  const tab = await newTab();
  await tab.goto(`${site.origin}/long?${UTM}&q=${'x'.repeat(3000)}`);
  const [body] = await tab.bodies(1);
  assert.equal(String(body!.url).length, 2048);
  assert.equal(String(body!.landing).length, 2048);
});

test('when subdomains share data-cookie-domain, then the visitor and visit carry over and the sibling is not a referral', async () => {
  const tag = `<script async src="/t.js" data-site="${SITE_KEY}" data-cookie-domain="shop.localhost"></script>`;
  site.setPage('/', html({ tag, body: `<a id="sibling" href="http://blog.shop.localhost:${site.port}/post">blog</a>` }));
  site.setPage('/post', html({ tag }));
  const tab = await newTab();
  const landingUrl = `http://www.shop.localhost:${site.port}/?${UTM}`;
  await tab.goto(landingUrl);
  const [first] = await tab.bodies(1);

  await tab.follow('#sibling', /\/post$/);
  const [second] = await tab.bodies(1);
  assert.equal(second!.visitor, first!.visitor);
  assert.equal(second!.visit, first!.visit, 'a sibling subdomain is internal: same visit');
  assert.equal(second!.referrer, undefined);
  // localStorage is per origin: the sibling cannot read the landing, so its own URL stands in.
  assert.equal(second!.landing, `http://blog.shop.localhost:${site.port}/post`);
  const domains = new Set((await context.cookies()).filter((cookie) => cookie.name.startsWith('_lf')).map((cookie) => cookie.domain));
  assert.deepEqual(domains, new Set(['.shop.localhost']));
});

test('when data-cookie-domain does not cover the page\'s host, then the cookies are still set for the host', async () => {
  site.setPage('/elsewhere', html({ tagAttributes: ' data-cookie-domain="example.com"' }));
  const tab = await newTab();
  await tab.goto(`${site.origin}/elsewhere`);
  const [body] = await tab.bodies(1);
  assert.equal(await tab.cookie('_lfid'), body!.visitor);
});
