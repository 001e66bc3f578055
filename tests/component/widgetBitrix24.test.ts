import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DealView } from '../../widget/shared/dealView.js';
import { testBackends } from '../support/backends.js';
import { installFromPortal, startBitrix24World, type Bitrix24World } from '../support/bitrix24World.js';
import { createTestSite } from '../support/tracking.js';
import { arrangeVisitsBeforeLead, nextOpenStage, sendVisitAfterLead, waitForMatch, waitForStageChange } from '../support/widgetDeal.js';

const metaOf = (html: string, name: string) => new RegExp(`<meta name="${name}" content="([^"]*)"`).exec(html)?.[1];

for (const backendName of testBackends()) {
  describe(`Bitrix24 deal tab on ${backendName}`, () => {
    let world: Bitrix24World;
    let tenantId: string;
    let dealId: number;
    let stageName: string;

    const db = () => world.lf.runtime.deps.db;
    /** The widget POST the card makes, with `change` applied to its query and body. */
    const post = (change: { query?: Record<string, string>; body?: Record<string, string | null>; path?: string } = {}) => {
      const call = world.emulator.placementCall(world.name, world.app.clientId, 'CRM_DEAL_DETAIL_TAB', dealId);
      const url = new URL(call.url);
      if (change.path) url.pathname = change.path;
      for (const [key, value] of Object.entries(change.query ?? {})) url.searchParams.set(key, value);
      const body = new URLSearchParams(call.body);
      for (const [key, value] of Object.entries(change.body ?? {})) {
        if (value === null) body.delete(key);
        else body.set(key, value);
      }
      return fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
    };

    before(async () => {
      world = await startBitrix24World(backendName);
      ({ tenantId } = await installFromPortal(world));
      const site = await createTestSite(world.lf.url, { domain: 'shop.example', tenant_id: tenantId });
      const visitor = await arrangeVisitsBeforeLead(world.lf.url, db(), tenantId, site.key);
      dealId = world.emulator.createDeal(world.name, { TITLE: 'Sofa Oslo', OPPORTUNITY: 45000, UF_CRM_LF_VISITOR_ID: visitor });
      await waitForMatch(db(), tenantId, String(dealId));
      await sendVisitAfterLead(world.lf.url, db(), tenantId, site.key, visitor, String(dealId));
      const stage = await nextOpenStage(db(), tenantId, String(dealId));
      stageName = stage.name;
      world.emulator.updateDeal(world.name, dealId, { STAGE_ID: stage.stageId });
      await world.emulator.events.settle();
      await waitForStageChange(db(), tenantId, String(dealId), stage.stageId);
    });

    after(async () => {
      await world?.stop();
    });

    test('when Bitrix24 opens the deal tab, then the page carries a session for that tenant and is framable by the portal only', async () => {
      const opened = await world.emulator.openPlacement(world.name, world.app.clientId, 'CRM_DEAL_DETAIL_TAB', dealId);
      assert.equal(opened.status, 200, opened.text);
      assert.equal(metaOf(opened.text, 'longfunnel-deal'), String(dealId));

      const response = await post();
      assert.equal(response.status, 200);
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, new RegExp(`frame-ancestors https://${world.portal.portal.domain.replace(/[.]/g, '\\.')}$`));
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /connect-src 'self'/);
      assert.equal(response.headers.get('x-frame-options'), null);
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const html = await response.text();
      const session = metaOf(html, 'longfunnel-session');
      assert.ok(session, 'a session in the page');
      assert.match(html, /src="\/widget\/assets\/panel\.js"/);
      assert.match(html, /src="\/widget\/assets\/b24frame\.js"/);
      assert.ok(!html.includes(new URLSearchParams((world.emulator.placementCall(world.name, world.app.clientId, 'CRM_DEAL_DETAIL_TAB', dealId)).body).get('AUTH_ID') as string));

      const view = await fetch(`${world.lf.url}/api/v1/widget/deals/${dealId}`, { headers: { authorization: `Bearer ${session}` } });
      assert.equal(view.status, 200);
      const body = (await view.json()) as DealView;
      assert.equal(body.integration.crm, 'bitrix24');
      assert.equal(body.timeline.length, 4);
      assert.equal(body.timeline[0]?.afterLead, true);
      assert.equal(body.summary.credited?.source, 'google');
      assert.equal(body.funnel.current.name, stageName);
      assert.equal(body.locale, world.portal.portal.languageId === 'ru' ? 'ru' : 'en', "the portal's language (LANG)");
    });

    test('when the user token is forged, then Bitrix24 does not confirm it and no session is issued (401)', async () => {
      const response = await post({ body: { AUTH_ID: 'f'.repeat(64) } });
      assert.equal(response.status, 401);
      const html = await response.text();
      assert.equal(metaOf(html, 'longfunnel-session'), undefined);
      assert.match(html, /did not confirm your sign-in/);
    });

    test('when member_id, DOMAIN, APPLICATION_TOKEN or PLACEMENT is not what was installed, then the page refuses and names why', async () => {
      const cases: Array<[string, Parameters<typeof post>[0], number, RegExp]> = [
        ['unknown portal', { body: { member_id: '0'.repeat(32) } }, 403, /not installed LongFunnel/],
        ['another DOMAIN', { query: { DOMAIN: 'evil.bitrix24.com' } }, 403, /names portal evil\.bitrix24\.com/],
        ['another application token', { body: { APPLICATION_TOKEN: '0'.repeat(32) } }, 403, /APPLICATION_TOKEN/],
        ['another placement', { body: { PLACEMENT: 'CRM_LEAD_DETAIL_TAB' } }, 400, /deal tab/],
        ['no deal', { body: { PLACEMENT_OPTIONS: '{"URI":"x"}' } }, 400, /names no deal/],
        ['no AUTH_ID', { body: { AUTH_ID: null } }, 400, /AUTH_ID/],
      ];
      for (const [what, change, status, message] of cases) {
        const response = await post(change);
        assert.equal(response.status, status, what);
        const html = await response.text();
        assert.match(html, message, what);
        assert.equal(metaOf(html, 'longfunnel-session'), undefined, what);
      }
    });

    test("when Bitrix24 opens the app's main page, then the user is checked the same way and the reports dashboard opens with a session", async () => {
      const app = await post({ path: '/bitrix24/app', body: { PLACEMENT: 'DEFAULT', PLACEMENT_OPTIONS: null } });
      const html = await app.text();
      assert.equal(app.status, 200, html);
      const session = metaOf(html, 'longfunnel-session');
      assert.ok(session, 'the dashboard page carries the session');
      assert.match(html, /\/dashboard\/assets\//);
      const csp = app.headers.get('content-security-policy') ?? '';
      assert.match(csp, new RegExp(`frame-ancestors https://${world.portal.portal.domain.replace(/[.]/g, '\\.')}(;|$)`));
      assert.equal(app.headers.get('x-frame-options'), null);
      const context = await fetch(`${world.lf.url}/api/v1/dashboard/context`, { headers: { authorization: `Bearer ${session}` } });
      assert.equal(context.status, 200, 'the session reads the reports of the portal');
      const forged = await post({ path: '/bitrix24/app', body: { PLACEMENT: 'DEFAULT', AUTH_ID: 'x'.repeat(40) } });
      assert.equal(forged.status, 401);
    });

    test('when the panel assets are asked for, then they are served as scripts and styles', async () => {
      for (const [file, type] of [['panel.js', /javascript/], ['panel.css', /text\/css/], ['b24frame.js', /javascript/]] as const) {
        const response = await fetch(`${world.lf.url}/widget/assets/${file}`);
        assert.equal(response.status, 200, file);
        assert.match(response.headers.get('content-type') ?? '', type);
      }
      assert.equal((await fetch(`${world.lf.url}/widget/assets/secret.txt`)).status, 404);
    });
  });
}
