/**
 * Zadarma call notifications against the real product: the cabinet's URL check (`zd_echo`), a signed
 * NOTIFY_END recorded as a tracked call and matched to the visit that held the called number, a
 * repeat that changes nothing, refused signatures and keys, and notifications we do not use.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { prepareBackend, testBackends, type PreparedBackend } from '../support/backends.js';
import { configureNumbers, swapHit } from '../support/callTracking.js';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime.js';
import { ADMIN_TOKEN, adminHeaders, createTestSite, type CreatedSite } from '../support/tracking.js';
import { identityHash } from '../../server/crm/identities.js';

const API_SECRET = 'zadarma-secret-5f1c9e07b2';
const POOL_NUMBER = '+74951000001';
const json = async (response: Response): Promise<any> => response.json();

/** As Zadarma signs a call notification: base64 of the hex HMAC-SHA1 of caller_id . called_did . call_start. */
function sign(fields: Record<string, string>, secret = API_SECRET): string {
  const hex = createHmac('sha1', secret).update(`${fields.caller_id ?? ''}${fields.called_did ?? ''}${fields.call_start ?? ''}`).digest('hex');
  return Buffer.from(hex).toString('base64');
}

/** `instant` on the wall clock of a zone `offsetHours` ahead of UTC, as Zadarma writes `call_start`. */
function wallClock(instant: Date, offsetHours: number): string {
  return new Date(instant.getTime() + offsetHours * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

function notify(url: string, fields: Record<string, string>, signature: string | null = sign(fields)): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (signature !== null) headers.Signature = signature;
  return fetch(url, { method: 'POST', headers, body: new URLSearchParams(fields).toString() });
}

for (const backendName of testBackends()) {
  describe(`Zadarma call notifications on ${backendName}`, () => {
    let backend: PreparedBackend;
    let app: TestRuntime;
    let site: CreatedSite;
    let webhookUrl: string;

    before(async () => {
      backend = await prepareBackend(backendName, { ADMIN_TOKEN });
      app = await startTestRuntime(backend.env);
      site = await createTestSite(app.url, { domain: 'shop.example' });
      await configureNumbers(app.url, site.id, { default_number: '+7 495 100-00-00', pool: [POOL_NUMBER] });
    });

    after(async () => {
      await app?.stop();
      await backend?.cleanup();
    });

    const db = () => app.runtime.deps.db;
    const config = (body: Record<string, unknown>, tenantId = site.tenant_id) =>
      fetch(`${app.url}/api/v1/tenants/${tenantId}/telephony/zadarma`, { method: 'PUT', headers: adminHeaders, body: JSON.stringify(body) });
    const callCount = async () => (await db().query<{ count: number }>('SELECT count(*)::int AS count FROM calls WHERE tenant_id = $1', [site.tenant_id])).rows[0]!.count;

    test('when an admin stores the Zadarma API secret, then the webhook URL is answered once, the secret is sealed, and the time zone defaults to Moscow', async () => {
      const withoutSecret = await config({ time_zone: 'Europe/Moscow' });
      assert.equal(withoutSecret.status, 422);
      assert.match((await json(withoutSecret)).error.message, /api_secret is required/);
      assert.equal((await config({ api_secret: API_SECRET, time_zone: 'Mars/Olympus' })).status, 422);
      assert.equal((await config({ api_secret: API_SECRET }, 'no-such-tenant')).status, 404);
      assert.equal((await fetch(`${app.url}/api/v1/tenants/${site.tenant_id}/telephony/zadarma`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 401);

      const created = await config({ api_secret: API_SECRET });
      assert.equal(created.status, 200);
      const body = await json(created);
      assert.equal(body.time_zone, 'Europe/Moscow');
      assert.equal(body.configured, true);
      assert.match(body.webhook_url, /\/api\/v1\/telephony\/zadarma\/zdw_[\w-]{32}$/);
      webhookUrl = body.webhook_url.replace(/^https?:\/\/[^/]+/, app.url);
      assert.ok(!JSON.stringify(body).includes(API_SECRET));

      const again = await json(await config({ api_secret: API_SECRET }));
      assert.equal(again.webhook_url, null, 'the key is shown only when it is made');
      const read = await json(await fetch(`${app.url}/api/v1/tenants/${site.tenant_id}/telephony/zadarma`, { headers: adminHeaders }));
      assert.deepEqual([read.configured, read.time_zone, 'api_secret' in read], [true, 'Europe/Moscow', false]);
      const { rows } = await db().query<{ api_secret_sealed: string }>('SELECT api_secret_sealed FROM zadarma_accounts WHERE tenant_id = $1', [site.tenant_id]);
      assert.ok(!rows[0]!.api_secret_sealed.includes(API_SECRET));
    });

    test('when Zadarma checks the URL with zd_echo, then the value is the whole answer; an unknown key is 404', async () => {
      const echo = await fetch(`${webhookUrl}?zd_echo=f8a7c2e1`);
      assert.equal(echo.status, 200);
      assert.equal(await echo.text(), 'f8a7c2e1');
      assert.match(echo.headers.get('content-type') ?? '', /^text\/plain/);
      assert.equal((await fetch(`${app.url}/api/v1/telephony/zadarma/zdw_unknownunknownunknownunknownxx?zd_echo=1`)).status, 404);
      assert.equal((await fetch(webhookUrl)).status, 422);
    });

    test('when a signed NOTIFY_END comes for the pool number a visit holds, then the call is matched to that visit; a repeat changes nothing', async () => {
      const visit = await swapHit(app.url, site.key);
      assert.deepEqual(visit.body?.phone, ['4951000000', '4951000001']);
      // Zadarma writes whole seconds: a call a couple of seconds after the number was shown.
      const startedAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 2000);
      const fields = {
        event: 'NOTIFY_END',
        call_start: wallClock(startedAt, 3),
        pbx_call_id: 'in_6f1d8e0a4b2c',
        caller_id: '79165551234',
        called_did: '74951000001',
        internal: '100',
        duration: '37',
        disposition: 'answered',
        status_code: '16',
        is_recorded: '1',
        call_id_with_rec: '1473251223.2286671',
      };
      const response = await notify(webhookUrl, fields);
      assert.equal(response.status, 200);
      const { call } = await json(response);
      assert.equal(call.call_id, 'zadarma:in_6f1d8e0a4b2c');
      assert.equal(call.tracking_number, POOL_NUMBER);
      assert.equal(call.caller_number, '+79165551234');
      assert.equal(call.started_at, startedAt.toISOString());
      assert.equal(call.duration_seconds, 37);
      assert.deepEqual([call.matched, call.visit_id, call.visitor_id, call.site_id], [true, visit.visit, visit.visitor, site.id]);
      const { rows: identities } = await db().query('SELECT visitor_id FROM visitor_identities WHERE tenant_id = $1 AND kind = $2 AND value_hash = $3', [
        site.tenant_id,
        'phone',
        identityHash(app.runtime.deps.identityKey, 'phone', '+79165551234'),
      ]);
      assert.deepEqual(identities, [{ visitor_id: visit.visitor }]);

      const repeat = await notify(webhookUrl, { ...fields, duration: '99' });
      assert.equal(repeat.status, 200);
      assert.deepEqual((await json(repeat)).call, call);
      assert.equal(await callCount(), 1);
    });

    test('when the signature is wrong or missing, or the key unknown, then nothing is stored', async () => {
      const before = await callCount();
      const fields = { event: 'NOTIFY_END', call_start: wallClock(new Date(), 3), pbx_call_id: 'in_forged', caller_id: '79165550000', called_did: '74951000001', duration: '5', disposition: 'answered' };
      const forged = await notify(webhookUrl, fields, sign(fields, 'another-secret'));
      assert.equal(forged.status, 401);
      assert.match((await json(forged)).error.message, /Signature/);
      assert.equal((await notify(webhookUrl, fields, null)).status, 401);
      assert.equal((await notify(webhookUrl, { ...fields, called_did: '74951000009' }, sign(fields))).status, 401, 'a signed field was changed');
      assert.equal((await notify(`${app.url}/api/v1/telephony/zadarma/zdw_unknownunknownunknownunknownxx`, fields)).status, 404);
      assert.equal(await callCount(), before);
    });

    test('when Zadarma sends notifications we do not use, then they are acknowledged and nothing is stored', async () => {
      const before = await callCount();
      const start = { event: 'NOTIFY_START', call_start: wallClock(new Date(), 3), pbx_call_id: 'in_start', caller_id: '79165550001', called_did: '74951000001' };
      for (const fields of <Array<Record<string, string>>>[
        start,
        { ...start, event: 'NOTIFY_INTERNAL', internal: '100' },
        { event: 'NOTIFY_OUT_START', call_start: start.call_start, pbx_call_id: 'out_1', internal: '100', destination: '79165550002' },
        { event: 'NOTIFY_OUT_END', call_start: start.call_start, pbx_call_id: 'out_1', internal: '100', destination: '79165550002', duration: '12', disposition: 'answered' },
      ]) {
        const response = await notify(webhookUrl, fields);
        assert.equal(response.status, 200, fields.event);
        assert.deepEqual(await json(response), { ignored: true, event: fields.event });
      }
      assert.equal(await callCount(), before);
    });

    test('when the tenant sets its account time zone or rotates the key, then call_start is read in that zone and the old URL stops working', async () => {
      const rotated = await json(await config({ time_zone: 'Asia/Yekaterinburg', rotate_webhook_key: true }));
      assert.equal(rotated.time_zone, 'Asia/Yekaterinburg');
      const newUrl = rotated.webhook_url.replace(/^https?:\/\/[^/]+/, app.url);
      assert.notEqual(newUrl, webhookUrl);
      const startedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
      const fields = { event: 'NOTIFY_END', call_start: wallClock(startedAt, 5), pbx_call_id: 'in_yekb', caller_id: '79165550003', called_did: '74951000000', duration: '0', disposition: 'no answer' };
      assert.equal((await notify(webhookUrl, fields)).status, 404);
      const response = await notify(newUrl, fields);
      assert.equal(response.status, 200);
      const { call } = await json(response);
      assert.equal(call.started_at, startedAt.toISOString());
      assert.deepEqual([call.number_kind, call.match_reason], ['default', 'call_to_non_leased_number']);
      webhookUrl = newUrl;
    });

    test('the webhook key and the API secret never reach the logs', () => {
      const logs = app.logs.join('');
      assert.ok(!logs.includes(API_SECRET));
      assert.ok(!/zdw_[\w-]{10}/.test(logs), 'no webhook key in the logs');
    });
  });
}
