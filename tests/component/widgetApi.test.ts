import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { issueTenantSession } from '../../server/security/tenantSession.js';
import type { DealView, VisitTouch } from '../../widget/shared/dealView.js';
import { installFromWidget, installUrl, startAmocrmWorld, waitForSetUp, type AmocrmWorld } from '../support/amocrmWorld.js';
import { testBackends } from '../support/backends.js';
import { waitFor as poll } from '../support/processes.js';
import { adminHeaders, createTestSite, type CreatedSite } from '../support/tracking.js';
import { arrangedVisitIds, arrangeVisitsBeforeLead, nextOpenStage, recordTrackedCall, sendFormLead, sendVisitAfterLead, waitForMatch, waitForStageChange } from '../support/widgetDeal.js';
import type { ContactTouch } from '../../widget/shared/dealView.js';

for (const backendName of testBackends()) {
  describe(`deal-card widget API with amoCRM on ${backendName}`, () => {
    let world: AmocrmWorld;
    let tenantId: string;
    let site: CreatedSite;
    let leadId: number;
    let stageName: string;
    let otherTenant: string;
    let otherLead: number;

    const db = () => world.app.runtime.deps.db;
    const token = (subdomain = world.subdomain) => world.emulator.issueDisposableToken(subdomain, world.account.integration.clientId);
    const dealUrl = (id: number | string, query = '') => `${world.app.url}/api/v1/widget/deals/${id}${query}`;
    const getDeal = (id: number | string, headers: Record<string, string>) => fetch(dealUrl(id), { headers });

    before(async () => {
      world = await startAmocrmWorld(backendName);
      ({ tenantId } = await installFromWidget(world));
      site = await createTestSite(world.app.url, { domain: 'shop.example', tenant_id: tenantId });
      const visitor = await arrangeVisitsBeforeLead(world.app.url, db(), tenantId, site.key);
      leadId = world.emulator.createLead(world.subdomain, { name: 'Sofa Oslo', price: 45_000, custom_fields_values: [{ field_code: 'LF_VISITOR_ID', values: [{ value: visitor }] }] });
      await waitForMatch(db(), tenantId, String(leadId));
      await sendVisitAfterLead(world.app.url, db(), tenantId, site.key, visitor, String(leadId));
      const stage = await nextOpenStage(db(), tenantId, String(leadId));
      stageName = stage.name;
      world.emulator.moveLead(world.subdomain, leadId, Number(stage.stageId));
      await world.emulator.webhooks.settle();
      await waitForStageChange(db(), tenantId, String(leadId), stage.stageId);
      await waitForCount(`SELECT count(*) AS count FROM visits WHERE tenant_id = $1`, [tenantId], 4);
      // After the lead the person also sent the site's form; before it, they had called from the Google visit.
      await sendFormLead(world.app.url, tenantId, site.key, visitor);
      await recordTrackedCall(db(), tenantId, arrangedVisitIds(visitor)[1] as string, visitor);

      // A second amoCRM account with LongFunnel installed: another tenant.
      const beta = world.emulator.setupAccount({ subdomain: 'beta' });
      const code = world.emulator.issueAuthorizationCode('beta', world.account.integration.clientId);
      const installed = await fetch(installUrl(world, { code, referer: 'beta.amocrm.ru', from_widget: '1', client_id: world.account.integration.clientId }));
      assert.equal(installed.status, 200, await installed.text());
      otherTenant = `amocrm-${beta.account.id}`;
      await waitForSetUp(world, otherTenant);
      otherLead = world.emulator.createLead('beta', { name: 'Beta deal' });
      await waitForMatch(db(), otherTenant, String(otherLead));
    });

    after(async () => {
      await world?.stop();
    });

    async function waitForCount(sql: string, params: unknown[], count: number) {
      await poll(sql, async () => Number((await db().query<{ count: string }>(sql, params)).rows[0]?.count) >= count, 20_000);
    }

    test('when the widget calls with amoCRM disposable token, then one answer holds the summary, the timeline newest first, the funnel and the credit', async () => {
      const response = await getDeal(leadId, { 'x-auth-token': await token() });
      assert.equal(response.status, 200, await response.clone().text());
      const view = (await response.json()) as DealView;
      assert.equal(view.deal.id, String(leadId));
      assert.equal(view.deal.name, 'Sofa Oslo');
      assert.equal(view.integration.status, 'active');
      assert.deepEqual(view.match, { ...view.match, method: 'visitor_id', confidence: 1, reason: null });

      assert.deepEqual(view.timeline.map((touch) => touch.kind), ['form', 'visit', 'visit', 'call', 'visit', 'visit'], 'newest first');
      const [form, call] = view.timeline.filter((touch) => touch.kind !== 'visit') as ContactTouch[];
      assert.deepEqual([form?.label, form?.afterLead, form?.credit, form?.source], ['Заказ звонка', true, null, '(direct)'], 'the form shows the visit it came from');
      assert.deepEqual([call?.label, call?.durationSeconds, call?.afterLead, call?.channel, call?.source], ['+74950000002', 95, false, 'Organic Search', 'google']);
      const visits = view.timeline.filter((touch): touch is VisitTouch => touch.kind === 'visit');
      assert.equal(visits.length, 4);
      assert.deepEqual(
        visits.map((visit) => [visit.source, visit.medium, visit.afterLead]),
        [
          ['(direct)', '(none)', true],
          ['(direct)', '(none)', false],
          ['google', 'organic', false],
          ['yandex', 'cpc', false],
        ],
        'newest first; the visit after the lead is marked',
      );
      const times = visits.map((visit) => Date.parse(visit.at));
      assert.deepEqual([...times].sort((a, b) => b - a), times);
      const ads = visits[3] as VisitTouch;
      assert.equal(ads.campaign, 'sofa_msk');
      assert.equal(ads.term, 'купить диван');
      assert.equal(ads.channel, 'Paid Search');
      assert.equal(ads.device, 'mobile');
      assert.equal(ads.pageviews, 3);
      assert.deepEqual(ads.pages.map((page) => new URL(page).pathname), ['/sofas/', '/sofas/oslo', '/sofas/bergen']);
      assert.deepEqual(visits[2]?.goals, ['add_to_cart']);
      assert.equal(visits[2]?.landingUrl, 'https://shop.example/sofas/oslo');
      assert.equal(visits[2]?.durationSeconds, 7 * 60);

      // last non-direct (the default model): the Google visit gets the whole credit; the after-lead visit none.
      assert.deepEqual(view.attribution, { model: 'last_non_direct', applied: 'last_non_direct', fallback: null, lookbackDays: 90 });
      assert.deepEqual(visits.map((visit) => visit.credit), [null, 0, 1, 0]);
      assert.deepEqual(view.summary.firstTouch, { channel: 'Paid Search', source: 'yandex', medium: 'cpc', campaign: 'sofa_msk', term: 'купить диван' });
      assert.equal(view.summary.lastNonDirect?.source, 'google');
      assert.deepEqual(view.summary.credited, { channel: 'Organic Search', source: 'google', medium: 'organic', campaign: null, term: null, credit: 1 });
      assert.equal(view.summary.touchesBeforeLead, 3);
      assert.equal(view.summary.touchesAfterLead, 1);

      assert.equal(view.funnel.current.name, stageName);
      assert.ok(view.funnel.passed.some((stage) => stage.name === stageName));
      assert.ok(Date.parse(view.funnel.current.since) >= Date.parse(view.deal.createdAt));
    });

    test("when the tenant's model is linear or Markov, then the credit follows it (Markov: last non-direct, said so)", async () => {
      const put = (settings: Record<string, unknown>) =>
        fetch(`${world.app.url}/api/v1/tenants/${tenantId}/settings`, { method: 'PATCH', headers: adminHeaders, body: JSON.stringify(settings) });
      try {
        const linear = await put({ attributionModel: 'linear' });
        assert.equal(linear.status, 200, await linear.text());
        let view = (await (await getDeal(leadId, { 'x-auth-token': await token() })).json()) as DealView;
        assert.equal(view.attribution.applied, 'linear');
        const credits = view.timeline.filter((touch) => touch.kind === 'visit').map((touch) => touch.credit);
        assert.equal(credits[0], null);
        for (const credit of credits.slice(1)) assert.ok(Math.abs((credit ?? 0) - 1 / 3) < 1e-9);
        assert.equal((await put({ attributionModel: 'markov' })).status, 200);
        view = (await (await getDeal(leadId, { 'x-auth-token': await token() })).json()) as DealView;
        assert.deepEqual(view.attribution, { model: 'markov', applied: 'last_non_direct', fallback: 'markov_in_reports', lookbackDays: 90 });
      } finally {
        assert.equal((await put({ attributionModel: 'last_non_direct' })).status, 200);
      }
    });

    test('when the token is missing, forged, expired, for another integration or another audience, then 401 with the reason', async () => {
      const { clientId, clientSecret } = world.account.integration;
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: `https://${world.subdomain}.amocrm.ru`,
        aud: new URL(world.env.PUBLIC_URL as string).origin,
        jti: 'c1a5e0b8-7d4e-4b43-9f0d-000000000001',
        account_id: world.account.account.id,
        user_id: world.account.account.currentUserId,
        client_uuid: clientId,
        subdomain: world.subdomain,
        is_admin: true,
      };
      const sign = (body: Record<string, unknown>, secret: string, iat = now, exp = now + 1800) =>
        new SignJWT(body).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(iat).setNotBefore(iat).setExpirationTime(exp).sign(new TextEncoder().encode(secret));

      const cases: Array<[string, Record<string, string>, RegExp]> = [
        ['missing', {}, /X-Auth-Token/],
        ['forged', { 'x-auth-token': await sign(claims, 'not-the-client-secret') }, /not valid/],
        ['expired', { 'x-auth-token': await sign(claims, clientSecret, now - 3600, now - 1800) }, /expired/],
        ['another integration', { 'x-auth-token': await sign({ ...claims, client_uuid: '00000000-0000-4000-8000-000000000000' }, clientSecret) }, /another integration/],
        ['another audience', { 'x-auth-token': await sign({ ...claims, aud: 'https://elsewhere.example' }, clientSecret) }, /not issued for this LongFunnel/],
        ['garbage', { 'x-auth-token': 'not.a.jwt' }, /not valid/],
        ['forged session', { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJ0ZW5hbnQiOiJ4In0.c2lnbmF0dXJl' }, /not valid/],
      ];
      for (const [what, headers, message] of cases) {
        const response = await getDeal(leadId, headers);
        assert.equal(response.status, 401, what);
        const body = (await response.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'unauthorized', what);
        assert.match(body.error.message, message, what);
      }
      // The same claims signed with the right secret pass: the cases above fail for the reason named.
      assert.equal((await getDeal(leadId, { 'x-auth-token': await sign(claims, clientSecret) })).status, 200);
    });

    test("when an account's token or session asks for another tenant's deal, then 404, as for a deal that does not exist", async () => {
      const betaToken = await token('beta');
      const cross = await getDeal(leadId, { 'x-auth-token': betaToken });
      assert.equal(cross.status, 404);
      assert.equal(((await cross.json()) as { error: { code: string } }).error.code, 'not_found');
      assert.equal((await getDeal(otherLead, { 'x-auth-token': betaToken })).status, 200, "beta's token reads beta's deal");
      assert.equal((await getDeal(otherLead, { 'x-auth-token': await token() })).status, 404, "acme's token does not");
      assert.equal((await getDeal(999_999_999, { 'x-auth-token': await token() })).status, 404);

      const betaSession = await issueTenantSession(world.app.runtime.deps.cipher, { tenantId: otherTenant, origin: 'bitrix24' });
      assert.equal((await getDeal(leadId, { authorization: `Bearer ${betaSession}` })).status, 404);
      const session = await issueTenantSession(world.app.runtime.deps.cipher, { tenantId, origin: 'bitrix24', locale: 'en' });
      const own = await getDeal(leadId, { authorization: `Bearer ${session}` });
      assert.equal(own.status, 200);
      assert.equal(((await own.json()) as DealView).locale, 'en');
    });

    test("when a browser page calls, then CORS allows the account's own page only, and a token's answer only to its own account's page", async () => {
      const acmeOrigin = `http://${world.subdomain}.amocrm.ru`; // the emulator serves accounts over http (AMOCRM_BASE_URL)
      const preflight = (origin: string) =>
        fetch(dealUrl(leadId), { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-auth-token' } });
      const allowed = await preflight(acmeOrigin);
      assert.equal(allowed.status, 204);
      assert.equal(allowed.headers.get('access-control-allow-origin'), acmeOrigin);
      assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /X-Auth-Token/i);
      for (const origin of ['https://evil.example', 'http://acme.amocrm.ru.evil.example', `https://${world.subdomain}.amocrm.ru`, 'http://gamma.amocrm.ru']) {
        const refused = await preflight(origin);
        assert.equal(refused.headers.get('access-control-allow-origin'), null, origin);
      }
      const read = await fetch(dealUrl(leadId), { headers: { origin: acmeOrigin, 'x-auth-token': await token() } });
      assert.equal(read.status, 200);
      assert.equal(read.headers.get('access-control-allow-origin'), acmeOrigin);
      const fromBetaPage = await fetch(dealUrl(otherLead), { headers: { origin: acmeOrigin, 'x-auth-token': await token('beta') } });
      assert.equal(fromBetaPage.status, 200);
      assert.equal(fromBetaPage.headers.get('access-control-allow-origin'), null, "beta's answer is not readable by acme's page");
    });

    test('when the widget exchanges its token for a session, then the session reads the same deal and names the dashboard', async () => {
      const response = await fetch(`${world.app.url}/api/v1/widget/session?locale=ru`, { method: 'POST', headers: { 'x-auth-token': await token() } });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { session: string; expires_in: number; dashboard_url: string };
      assert.equal(body.dashboard_url, `${world.env.PUBLIC_URL}/dashboard?tenant_id=${tenantId}&lang=ru`);
      const dashboard = await fetch(body.dashboard_url);
      assert.equal(dashboard.status, 200);
      assert.match(dashboard.headers.get('content-security-policy') ?? '', /frame-ancestors [^;]*https:\/\/acme\.amocrm\.ru/, "the account's page may frame it");
      assert.match(await dashboard.text(), /<meta name="longfunnel-embedders" content="[^"]*https:\/\/acme\.amocrm\.ru/);
      assert.equal(body.expires_in, 1800);
      const view = await getDeal(leadId, { authorization: `Bearer ${body.session}` });
      assert.equal(view.status, 200);
      assert.equal(((await view.json()) as DealView).locale, 'ru');
      assert.equal((await fetch(`${world.app.url}/api/v1/widget/session`, { method: 'POST' })).status, 401);
    });

    test('when the CRM connection needs re-authorisation, then the view says so', async () => {
      await db().query("UPDATE crm_accounts SET status = 'needs_reauth', status_reason = 'refresh token revoked' WHERE tenant_id = $1", [tenantId]);
      try {
        const view = (await (await getDeal(leadId, { 'x-auth-token': await token() })).json()) as DealView;
        assert.deepEqual(view.integration, { crm: 'amocrm', status: 'needs_reauth', reason: 'refresh token revoked' });
      } finally {
        await db().query("UPDATE crm_accounts SET status = 'active', status_reason = NULL WHERE tenant_id = $1", [tenantId]);
      }
    });

    test('when a deal has no visitor, then the view has no touches and the reason', async () => {
      const view = (await (await getDeal(otherLead, { 'x-auth-token': await token('beta') })).json()) as DealView;
      assert.equal(view.timeline.length, 0);
      assert.equal(view.match.method, 'none');
      assert.equal(view.match.reason, 'no_identity');
      assert.equal(view.summary.credited, null);
    });
  });
}
