/**
 * Call and e-mail tracking against the real product: pools leased by concurrent visits (the
 * database's guarantee, with two server runtimes on PostgreSQL), lease expiry and cooldown on an
 * injected clock, calls matched by lease history, idempotency, e-mails matched by their plus tag.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareBackend, testBackends, type PreparedBackend } from '../support/backends.js';
import { configureNumbers, createTenantKey, poolNumbers, postCall, postEmail, swapHit } from '../support/callTracking.js';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime.js';
import { ADMIN_TOKEN, adminHeaders, createTestSite, newId, pageview, sendHit, type CreatedSite } from '../support/tracking.js';
import { leaseNumber } from '../../server/callTracking/leases.js';
import { settleCallDeal } from '../../server/callTracking/callDeals.js';
import { identityHash } from '../../server/crm/identities.js';

const MINUTE = 60_000;
const DEFAULT_NUMBER = '+7 (495) 123-45-67';
const json = async (response: Response): Promise<any> => response.json();

function metricValue(metrics: string, name: string, site: string): number {
  const line = metrics.split('\n').find((row) => row.startsWith(`${name}{site="${site}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

for (const backendName of testBackends()) {
  describe(`call and e-mail tracking on ${backendName}`, () => {
    let backend: PreparedBackend;
    let app: TestRuntime;
    /** A second server on the same database (PostgreSQL only: PGlite belongs to one process). */
    let second: TestRuntime | undefined;
    let key: string;
    let site: CreatedSite;

    const policy = { graceMs: 15 * MINUTE, cooldownMs: 10 * MINUTE };

    before(async () => {
      backend = await prepareBackend(backendName, { ADMIN_TOKEN, NUMBER_LEASE_GRACE_MS: String(policy.graceMs), NUMBER_COOLDOWN_MS: String(policy.cooldownMs) });
      app = await startTestRuntime(backend.env);
      if (backendName === 'postgres+redis') second = await startTestRuntime(backend.env, { role: 'server' });
      site = await createTestSite(app.url, { domain: 'shop.example' });
      key = await createTenantKey(app.url, site.tenant_id);
    });

    after(async () => {
      await second?.stop();
      await app?.stop();
      await backend?.cleanup();
    });

    const db = () => app.runtime.deps.db;

    async function lastActivity(visitId: string): Promise<Date> {
      const { rows } = await db().query<{ last_activity_at: Date | string }>('SELECT last_activity_at FROM visits WHERE id = $1', [visitId]);
      return new Date(rows[0]!.last_activity_at);
    }

    test('when 100 visitors arrive at once on a pool of 20, then 20 hold 20 different numbers, 80 see the default, and the exhaustion is counted', async () => {
      const pool = poolNumbers(20);
      await configureNumbers(app.url, site.id, { default_number: DEFAULT_NUMBER, pool });
      const servers = [app.url, ...(second ? [second.url] : [])];
      const answers = await Promise.all(Array.from({ length: 100 }, (_, index) => swapHit(servers[index % servers.length]!, site.key)));
      assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200]));
      const leased = answers.filter((answer) => answer.body?.phone);
      assert.equal(leased.length, 20);
      const shown = leased.map((answer) => answer.body!.phone![1]);
      assert.equal(new Set(shown).size, 20, 'no number shown to two visits');
      assert.deepEqual(new Set(shown), new Set(pool.map((number) => number.slice(2))));
      for (const answer of leased) assert.equal(answer.body!.phone![0], '4951234567');
      for (const answer of answers.filter((answer) => !answer.body?.phone)) assert.deepEqual(answer.body, { ttl: 900 });

      const { rows: doubles } = await db().query(
        'SELECT number_id FROM number_leases WHERE site_id = $1 AND released_at IS NULL AND number_id IS NOT NULL GROUP BY number_id HAVING count(*) > 1',
        [site.id],
      );
      assert.deepEqual(doubles, []);
      const { rows: open } = await db().query<{ leased: number; missed: number }>(
        `SELECT count(number_id)::int AS leased, (count(*) - count(number_id))::int AS missed FROM number_leases WHERE site_id = $1 AND released_at IS NULL`,
        [site.id],
      );
      assert.deepEqual(open[0], { leased: 20, missed: 80 });

      const state = await json(await fetch(`${app.url}/api/v1/sites/${site.id}/call-tracking`, { headers: adminHeaders }));
      assert.equal(state.exhausted_total, 80);
      assert.equal(state.peak_wanted, 100);
      assert.equal(state.open_leases, 20);
      assert.ok(state.suggested_pool_size >= 100, `suggested ${state.suggested_pool_size}`);
      assert.match(state.tag, /data-swap><\/script>$/);

      let exhaustedCounted = 0;
      for (const server of [app, ...(second ? [second] : [])]) {
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        exhaustedCounted += metricValue(metrics, 'longfunnel_number_pool_exhausted_total', site.id);
        assert.equal(metricValue(metrics, 'longfunnel_number_pool_peak_wanted', site.id), 100);
        assert.equal(metricValue(metrics, 'longfunnel_number_pool_size', site.id), 20);
      }
      assert.equal(exhaustedCounted, 80);
      assert.ok(app.logs.concat(second?.logs ?? []).some((line) => line.includes('tracking number pool exhausted')));

      // The same visit asking again keeps its number; a visit that found the pool exhausted is not counted twice.
      const again = await swapHit(app.url, site.key, { visitor: leased[0]!.visitor, visit: leased[0]!.visit });
      assert.deepEqual(again.body, leased[0]!.body);
      const missed = answers.find((answer) => !answer.body?.phone)!;
      await swapHit(app.url, site.key, { visitor: missed.visitor, visit: missed.visit });
      assert.equal((await json(await fetch(`${app.url}/api/v1/sites/${site.id}/call-tracking`, { headers: adminHeaders }))).exhausted_total, 80);
    });

    describe('one number, leased, expired, cooled down, leased again; calls by lease history', () => {
      let lonely: CreatedSite;
      const number = '+74951000001';
      const visits: Record<'a' | 'b' | 'c' | 'd', { visitor: string; visit: string }> = {
        a: { visitor: `visitor-${newId()}`, visit: `visit-${newId()}` },
        b: { visitor: `visitor-${newId()}`, visit: `visit-${newId()}` },
        c: { visitor: `visitor-${newId()}`, visit: `visit-${newId()}` },
        d: { visitor: `visitor-${newId()}`, visit: `visit-${newId()}` },
      };
      let t0: Date;
      const at = (ms: number) => new Date(t0.getTime() + ms);

      before(async () => {
        lonely = await createTestSite(app.url, { domain: 'lonely.example', tenant_id: site.tenant_id });
        await configureNumbers(app.url, lonely.id, { default_number: '+7 495 100-00-00', pool: [number], static_numbers: [{ channel: 'avito', number: '+7 495 100-00-09' }] });
        for (const visit of Object.values(visits)) {
          const response = await sendHit(app.url, pageview(lonely.key, { ...visit, url: 'https://lonely.example/', landing: 'https://lonely.example/' }), { origin: 'https://lonely.example' });
          assert.equal(response.status, 204);
        }
        const first = await swapHit(app.url, lonely.key, { ...visits.a, landing: 'https://lonely.example/', origin: 'https://lonely.example' });
        assert.deepEqual(first.body?.phone, ['4951000000', '4951000001']);
        // The lease runs from its start or the visit's last hit, whichever is later.
        const { rows } = await db().query<{ start: Date | string }>('SELECT leased_at AS start FROM number_leases WHERE visit_id = $1', [visits.a.visit]);
        t0 = new Date(Math.max(new Date(rows[0]!.start).getTime(), (await lastActivity(visits.a.visit)).getTime()));
      });

      const lease = (visit: { visitor: string; visit: string }, now: Date) =>
        leaseNumber(db(), { tenantId: site.tenant_id, siteId: lonely.id, visitId: visit.visit, visitorId: visit.visitor, now }, policy);

      test('when the number is held, then another visit finds the pool exhausted, and the holder keeps it within the grace period', async () => {
        assert.deepEqual(await lease(visits.b, at(MINUTE)), { kind: 'exhausted', fresh: true, wanted: 2, poolSize: 1 });
        assert.deepEqual(await lease(visits.a, at(policy.graceMs - MINUTE)), { kind: 'leased', number, fresh: false });
      });

      test('when the holder has been quiet past the grace period, then its lease ends then, and the number cools down before anyone else gets it', async () => {
        // C wants a number, N cools down: a pool of 2 would have been enough.
        assert.deepEqual(await lease(visits.c, at(policy.graceMs + MINUTE)), { kind: 'exhausted', fresh: true, wanted: 2, poolSize: 1 });
        const { rows } = await db().query<{ released_at: Date | string }>('SELECT released_at FROM number_leases WHERE visit_id = $1', [visits.a.visit]);
        assert.equal(new Date(rows[0]!.released_at).getTime(), at(policy.graceMs).getTime());
        assert.deepEqual(await lease(visits.d, at(policy.graceMs + policy.cooldownMs + MINUTE)), { kind: 'leased', number, fresh: true });
      });

      test('when calls come to that number, then each is matched to the visit that held it at the call time, or says why not', async () => {
        const call = async (startedAt: Date, tracking = number) => {
          const response = await postCall(app.url, key, { call_id: `call-${newId()}`, tracking_number: tracking, caller_number: '8 (916) 555-12-34', started_at: startedAt.toISOString(), duration_seconds: 42 });
          assert.equal(response.status, 200);
          return (await json(response)).call;
        };
        const before = await call(at(-MINUTE));
        assert.equal(before.match_reason, 'call_to_non_leased_number');
        assert.equal(before.matched, false);
        const during = await call(at(5 * MINUTE));
        assert.equal(during.visit_id, visits.a.visit);
        assert.equal(during.visitor_id, visits.a.visitor);
        assert.equal(during.caller_number, '+79165551234');
        assert.equal(during.site_id, lonely.id);
        assert.equal((await call(at(policy.graceMs + 2 * MINUTE))).match_reason, 'lease_expired');
        assert.equal((await call(at(policy.graceMs + policy.cooldownMs + 2 * MINUTE))).visit_id, visits.d.visit);
        const toDefault = await call(at(5 * MINUTE), '84951000000');
        assert.deepEqual([toDefault.number_kind, toDefault.match_reason], ['default', 'call_to_non_leased_number']);
        const toStatic = await call(at(5 * MINUTE), '+7 495 100-00-09');
        assert.deepEqual([toStatic.number_kind, toStatic.channel, toStatic.match_reason], ['static', 'avito', 'call_to_non_leased_number']);
        const unknown = await call(at(5 * MINUTE), '+7 495 999-99-99');
        assert.deepEqual([unknown.site_id, unknown.match_reason], [null, 'call_to_non_leased_number']);

        const { rows } = await db().query('SELECT visitor_id, origin FROM visitor_identities WHERE tenant_id = $1 AND kind = $2 AND value_hash = $3', [
          site.tenant_id,
          'phone',
          identityHash(app.runtime.deps.identityKey, 'phone', '+79165551234'),
        ]);
        const visitsOfA = await json(await fetch(`${app.url}/api/v1/visitors/${visits.a.visitor}/visits`, { headers: adminHeaders }));
        assert.deepEqual(
          visitsOfA.visits[0].calls.map((touch: any) => [touch.call_id, touch.duration_seconds, touch.tracking_number]),
          [[during.call_id, 42, number]],
        );
        // The caller called while visit A held the number and again while visit D did: one person, two visitors.
        assert.deepEqual(new Set(rows.map((row: any) => `${row.visitor_id} ${row.origin}`)), new Set([`${visits.a.visitor} call`, `${visits.d.visitor} call`]));
      });

      test('when the pool is exhausted for a visit from Avito, then it sees the Avito static number', async () => {
        const avito = { visitor: `visitor-${newId()}`, visit: `visit-${newId()}` };
        const response = await sendHit(
          app.url,
          { ...pageview(lonely.key, { ...avito, url: 'https://lonely.example/', landing: 'https://lonely.example/', referrer: 'https://www.avito.ru/moskva/mebel' }), v: 2, swap: 1 },
          { origin: 'https://lonely.example' },
        );
        assert.equal(response.status, 200);
        assert.deepEqual((await json(response)).phone, ['4951000000', '4951000009']);
      });
    });

    test('when the same call id is posted again, or twice at once, then the answer is the same and nothing is doubled', async () => {
      const body = { call_id: `call-${newId()}`, tracking_number: '+7 495 000-00-01', caller_number: '+7 916 555-00-01', started_at: new Date().toISOString(), duration_seconds: 10, recording_url: 'https://pbx.example/rec/1.mp3' };
      const first = await postCall(app.url, key, body);
      const firstBody = await json(first);
      const again = await postCall(app.url, key, { ...body, duration_seconds: 99 });
      assert.equal(again.status, 200);
      assert.deepEqual(await json(again), firstBody);
      assert.equal(firstBody.call.recording_url, 'https://pbx.example/rec/1.mp3');

      const twin = { ...body, call_id: `call-${newId()}` };
      const [one, two] = await Promise.all([postCall(app.url, key, twin), postCall(second?.url ?? app.url, key, twin)]);
      assert.deepEqual(await json(one), await json(two));
      const { rows } = await db().query<{ count: number }>('SELECT count(*)::int AS count FROM calls WHERE tenant_id = $1 AND call_id = ANY($2::text[])', [
        site.tenant_id,
        [body.call_id, twin.call_id],
      ]);
      assert.equal(rows[0]!.count, 2);
    });

    test('when a call is sent without a key, with an unknown number format or missing fields, then it is refused and nothing is stored', async () => {
      const good = { call_id: `call-${newId()}`, tracking_number: '+74950000001', caller_number: '+79165550001', started_at: new Date().toISOString(), duration_seconds: 5 };
      assert.equal((await fetch(`${app.url}/api/v1/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(good) })).status, 401);
      const badNumber = await postCall(app.url, key, { ...good, tracking_number: '12' });
      assert.equal(badNumber.status, 422);
      assert.match((await json(badNumber)).error.message, /tracking_number "12" is not a valid phone number/);
      const missing = await postCall(app.url, key, { call_id: good.call_id });
      assert.equal(missing.status, 422);
      assert.match((await json(missing)).error.message, /tracking_number.*required/);
      const { rows } = await db().query('SELECT 1 FROM calls WHERE call_id = $1', [good.call_id]);
      assert.equal(rows.length, 0);
    });

    test('when a site has no call or e-mail tracking, then a hit asking for its swap is answered 204 like any other, and an ordinary hit on a tracked site too', async () => {
      const plain = await createTestSite(app.url, { domain: 'plain.example', tenant_id: site.tenant_id });
      assert.equal((await swapHit(app.url, plain.key, { landing: 'https://plain.example/', origin: 'https://plain.example' })).status, 204);
      assert.equal((await sendHit(app.url, pageview(site.key, { visit: `visit-${newId()}`, visitor: `visitor-${newId()}` }))).status, 204);
    });

    test('when numbers are configured with a bad number or one used twice, then 422 names it and nothing changes', async () => {
      const response = await fetch(`${app.url}/api/v1/sites/${site.id}/call-tracking`, {
        method: 'PUT',
        headers: adminHeaders,
        body: JSON.stringify({ default_number: DEFAULT_NUMBER, pool: ['+7 495 000-00-01', 'not a number', DEFAULT_NUMBER] }),
      });
      assert.equal(response.status, 422);
      const { message } = (await json(response)).error;
      assert.match(message, /pool number "not a number" is not a valid phone number/);
      assert.match(message, /\+74951234567 is both the default number and a pool number/);
      assert.equal((await json(await fetch(`${app.url}/api/v1/sites/${site.id}/call-tracking`, { headers: adminHeaders }))).pool_size, 20);
      const unauthorised = await fetch(`${app.url}/api/v1/sites/${site.id}/call-tracking`, { method: 'PUT', body: '{}', headers: { 'content-type': 'application/json' } });
      assert.equal(unauthorised.status, 401);
    });

    describe('e-mail tracking', () => {
      let mailSite: CreatedSite;
      let visit: { visitor: string; visit: string; address: string };

      before(async () => {
        mailSite = await createTestSite(app.url, { domain: 'mail.example', tenant_id: site.tenant_id });
        const configured = await fetch(`${app.url}/api/v1/sites/${mailSite.id}/email-tracking`, { method: 'PUT', headers: adminHeaders, body: JSON.stringify({ address: 'Sales@Mail.example' }) });
        assert.equal(configured.status, 200);
        const answer = await swapHit(app.url, mailSite.key, { landing: 'https://mail.example/', origin: 'https://mail.example' });
        assert.equal(answer.body?.phone, undefined);
        assert.equal(answer.body?.email?.[0], 'sales@mail.example');
        assert.match(answer.body!.email![1], /^sales\+[a-z0-9]{6}@mail\.example$/);
        visit = { visitor: answer.visitor, visit: answer.visit, address: answer.body!.email![1] };
        const repeat = await swapHit(app.url, mailSite.key, { ...visit, landing: 'https://mail.example/', origin: 'https://mail.example' });
        assert.equal(repeat.body?.email?.[1], visit.address, 'one address per visit');
      });

      test('when an e-mail comes to the visit\'s plus-address, then it is matched to the visit and the sender becomes its identity', async () => {
        const response = await postEmail(app.url, key, {
          from: 'Ivan Petrov <Ivan.Petrov@Client.example>',
          to: `"Sales" <${visit.address.toUpperCase()}>`,
          subject: 'Sofa order',
          received_at: new Date().toISOString(),
          message_id: '<m1@client.example>',
        });
        assert.equal(response.status, 200);
        const { email } = await json(response);
        assert.equal(email.matched, true);
        assert.equal(email.visit_id, visit.visit);
        assert.equal(email.from, 'ivan.petrov@client.example');
        assert.equal(email.site_id, mailSite.id);
        const { rows } = await db().query('SELECT visitor_id, origin FROM visitor_identities WHERE tenant_id = $1 AND kind = $2 AND value_hash = $3', [
          site.tenant_id,
          'email',
          identityHash(app.runtime.deps.identityKey, 'email', 'ivan.petrov@client.example'),
        ]);
        assert.deepEqual(rows, [{ visitor_id: visit.visitor, origin: 'email' }]);
        const visits = await json(await fetch(`${app.url}/api/v1/visitors/${visit.visitor}/visits`, { headers: adminHeaders }));
        assert.deepEqual(visits.visits[0].emails, [{ received_at: email.received_at, subject: 'Sofa order', to: visit.address }]);
        const again = await postEmail(app.url, key, { from: 'other@client.example', to: visit.address, received_at: new Date().toISOString(), message_id: '<m1@client.example>' });
        assert.deepEqual((await json(again)).email, email);
        const { rows: stored } = await db().query('SELECT 1 FROM emails WHERE message_id = $1', ['<m1@client.example>']);
        assert.equal(stored.length, 1);
      });

      test('when an e-mail comes to the plain address or an unknown tag, then it is stored unmatched with the reason', async () => {
        const plain = await json(await postEmail(app.url, key, { from: 'a@client.example', to: ['sales@mail.example'], received_at: new Date().toISOString() }));
        assert.deepEqual([plain.email.matched, plain.email.match_reason], [false, 'no_plus_tag']);
        const unknown = await json(await postEmail(app.url, key, { from: 'a@client.example', to: 'sales+zzzzzz@mail.example', received_at: new Date().toISOString() }));
        assert.deepEqual([unknown.email.matched, unknown.email.match_reason], [false, 'unknown_tag']);
        const refused = await postEmail(app.url, key, { from: 'nobody', to: 'sales@mail.example', received_at: new Date().toISOString() });
        assert.equal(refused.status, 422);
      });
    });

    test('when a call has no CRM deal within the window, then a lead is created once (with the visitor, or with the reason); with one, the call is attached to it', async () => {
      const deps = app.runtime.deps;
      const tenantId = site.tenant_id;
      const tenant = await db().query<{ id: string }>("SELECT id FROM tenants WHERE kind = 'standalone' AND id = $1", [tenantId]);
      assert.equal(tenant.rows.length, 1);
      const visitor = `visitor-${newId()}`;
      const visitId = `visit-${newId()}`;
      const hit = await swapHit(app.url, site.key, { visitor, visit: visitId });
      // The 100 visits of the first test still hold the pool: free one number for this visit.
      await db().query("UPDATE number_leases SET released_at = now() - interval '1 day' WHERE site_id = $1 AND visit_id <> $2", [site.id, visitId]);
      const leased = hit.body?.phone ? hit : await swapHit(app.url, site.key, { visitor, visit: `visit-${newId()}` });
      const number = `+7${leased.body!.phone![1]}`;
      const callOf = async (caller = '+79165557777') => {
        const response = await postCall(app.url, key, { call_id: `call-${newId()}`, tracking_number: number, caller_number: caller, started_at: new Date().toISOString(), duration_seconds: 30 });
        return (await json(response)).call;
      };
      const first = await callOf();
      assert.equal(first.visitor_id, leased.visitor);
      assert.equal(await settleCallDeal(deps, tenantId, first.call_id), 'no_crm');

      await db().query(
        `INSERT INTO crm_accounts (tenant_id, crm, account_id, domain, hook_key, status) VALUES ($1, 'amocrm', $2, 'shop.amocrm.ru', $3, 'active')`,
        [tenantId, `acc-${newId()}`, `hook-${newId()}`],
      );
      assert.equal(await settleCallDeal(deps, tenantId, first.call_id), 'lead_created');
      assert.equal(await settleCallDeal(deps, tenantId, first.call_id), 'settled_before');
      const { rows: leads } = await db().query<{ origin: string; visitor_id: string; phone_e164: string }>(
        'SELECT origin, visitor_id, phone_e164 FROM lead_requests WHERE tenant_id = $1 AND external_id = $2',
        [tenantId, first.call_id],
      );
      assert.deepEqual(leads, [{ origin: 'call', visitor_id: leased.visitor, phone_e164: '+79165557777' }]);
      const toDefault = await json(
        await postCall(app.url, key, { call_id: `call-${newId()}`, tracking_number: DEFAULT_NUMBER, caller_number: '+79165558888', started_at: new Date().toISOString(), duration_seconds: 12 }),
      );
      assert.equal(await settleCallDeal(deps, tenantId, toDefault.call.call_id), 'lead_created');
      const { rows: reasoned } = await db().query('SELECT visitor_id, no_match_reason FROM lead_requests WHERE tenant_id = $1 AND external_id = $2', [tenantId, toDefault.call.call_id]);
      assert.deepEqual(reasoned, [{ visitor_id: null, no_match_reason: 'call_to_non_leased_number' }]);
      const hidden = await callOf('');
      assert.deepEqual([hidden.visitor_id, hidden.caller_number, hidden.caller_raw], [leased.visitor, null, '']);
      assert.equal(await settleCallDeal(deps, tenantId, hidden.call_id), 'hidden_caller');

      const second = await callOf();
      await db().query(`INSERT INTO deals (tenant_id, id, pipeline_id, stage_id, created_at, visitor_id) VALUES ($1, 'deal-77', 'p', 's', $2, $3)`, [
        tenantId,
        new Date(Date.now() + 30_000).toISOString(),
        leased.visitor,
      ]);
      assert.equal(await settleCallDeal(deps, tenantId, second.call_id), 'attached');
      const { rows } = await db().query('SELECT deal_id FROM calls WHERE tenant_id = $1 AND call_id = $2', [tenantId, second.call_id]);
      assert.deepEqual(rows, [{ deal_id: 'deal-77' }]);
    });
  });
}
