import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createManualClock } from '../../integrations/amocrm/emulator/clock.js';
import { startBitrix24Emulator, type Bitrix24Emulator, type EmulatedPortal } from '../../integrations/bitrix24/emulator/server.js';
import type { App } from '../../integrations/bitrix24/emulator/state.js';
import { restCall, startReceiver, type Receiver } from '../support/bitrix24.js';

const eventAuthKeys = ['access_token', 'expires', 'expires_in', 'scope', 'domain', 'server_endpoint', 'status', 'client_endpoint', 'member_id', 'user_id', 'application_token'];

describe('Bitrix24 emulator install flow and events (bitrix24.md 1.2-1.5, 2.1-2.4, 5.1-5.3)', () => {
  const clock = createManualClock(Date.UTC(2026, 4, 14, 8, 0, 0));
  let emulator: Bitrix24Emulator;
  let acme: EmulatedPortal;
  let receiver: Receiver;
  let app: App;
  let auth: string;

  before(async () => {
    receiver = await startReceiver();
    emulator = await startBitrix24Emulator({ clock, leakyBucket: { enabled: false } });
    acme = emulator.setupPortal({ name: 'acme' });
    app = emulator.createApp('acme', { installUrl: `${receiver.url}/bitrix24/install` });
  });

  beforeEach(() => {
    receiver.received.length = 0;
  });

  after(async () => {
    await emulator?.close();
    await receiver?.close();
  });

  const call = (method: string, params: Record<string, unknown> = {}) => restCall(acme.restUrl, method, { ...params, auth });

  test('when a UI app is installed, then its install page gets the frame POST and the app is not installed yet', async () => {
    // §1.3: query DOMAIN, PROTOCOL, LANG, APP_SID; form body with the listed fields; §1.2 INSTALLED false.
    const answer = await emulator.installApp('acme', app.clientId);
    assert.equal(answer.status, 200);
    const [post] = receiver.received;
    assert.equal(post?.path, '/bitrix24/install');
    assert.equal(post?.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.deepEqual([...(post?.query.keys() ?? [])], ['DOMAIN', 'PROTOCOL', 'LANG', 'APP_SID']);
    assert.equal(post?.query.get('DOMAIN'), 'acme.bitrix24.com');
    assert.equal(post?.query.get('PROTOCOL'), '1');
    assert.match(post?.query.get('APP_SID') ?? '', /^[0-9a-f]{32}$/);
    assert.deepEqual(post?.pairs.map(([key]) => key), ['AUTH_ID', 'AUTH_EXPIRES', 'REFRESH_ID', 'SERVER_ENDPOINT', 'APPLICATION_TOKEN', 'APPLICATION_SCOPE', 'member_id', 'status', 'PLACEMENT']);
    assert.equal(post?.fields['AUTH_EXPIRES'], '3600');
    assert.equal(post?.fields['APPLICATION_TOKEN'], app.applicationToken);
    assert.match(app.applicationToken, /^[0-9a-f]{32}$/);
    assert.equal(post?.fields['member_id'], acme.portal.memberId);
    assert.equal(post?.fields['PLACEMENT'], 'DEFAULT');
    auth = String(post?.fields['AUTH_ID']);
    const info = await call('app.info');
    assert.deepEqual(Object.keys(info.body['result'] as object), ['ID', 'CODE', 'VERSION', 'STATUS', 'INSTALLED', 'PAYMENT_EXPIRED', 'DAYS', 'LANGUAGE_ID', 'LICENSE', 'LICENSE_TYPE', 'LICENSE_FAMILY']);
    assert.equal((info.body['result'] as { INSTALLED: boolean }).INSTALLED, false);
  });

  test('when handlers are bound before installFinish, then no event arrives until the install is finished', async () => {
    // §2.1 event.bind; §1.2 events not delivered until installed.
    for (const event of ['onCrmDealAdd', 'ONCRMDEALUPDATE', 'ONCRMLEADADD', 'ONCRMCONTACTADD', 'ONCRMCONTACTUPDATE', 'ONAPPINSTALL', 'ONAPPUNINSTALL']) {
      assert.deepEqual((await call('event.bind', { event, handler: `${receiver.url}/webhooks/bitrix24` })).body['result'], true);
    }
    emulator.createDeal('acme', { TITLE: 'Before install' });
    await emulator.events.settle();
    assert.equal(receiver.received.length, 0);
    emulator.finishInstall('acme', app.clientId);
    await emulator.events.settle();
    const install = receiver.received.find((post) => post.fields['event'] === 'ONAPPINSTALL');
    assert.deepEqual(install?.fields['data'], { VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'ru' });
    const installAuth = install?.fields['auth'] as Record<string, string>;
    assert.ok(installAuth['refresh_token'], 'ONAPPINSTALL carries refresh_token (§1.4)');
    assert.equal(installAuth['application_token'], app.applicationToken);
    assert.equal(((await call('app.info')).body['result'] as { INSTALLED: boolean }).INSTALLED, true);
  });

  test('when a manager creates a deal, then ONCRMDEALADD arrives form-encoded exactly like the stored capture', async () => {
    // §2.3 raw body: event, event_handler_id, data[FIELDS][ID], ts, auth[...] in the sample's order.
    const id = emulator.createDeal('acme', { TITLE: 'From the UI' });
    await emulator.events.settle();
    const [post] = receiver.received;
    assert.equal(post?.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.deepEqual(post?.pairs.map(([key]) => key), ['event', 'event_handler_id', 'data[FIELDS][ID]', 'ts', ...eventAuthKeys.map((key) => `auth[${key}]`)]);
    assert.match(post?.raw ?? '', /^event=ONCRMDEALADD&event_handler_id=\d+&data%5BFIELDS%5D%5BID%5D=\d+&ts=\d+&auth%5Baccess_token%5D=/);
    assert.equal(post?.fields['event'], 'ONCRMDEALADD');
    assert.deepEqual(post?.fields['data'], { FIELDS: { ID: String(id) } });
    assert.equal(post?.fields['ts'], String(Math.floor(clock.now() / 1000)));
    const eventAuth = post?.fields['auth'] as Record<string, string>;
    assert.equal(eventAuth['refresh_token'], undefined, 'CRM events carry no refresh_token (§1.4, §8.5)');
    assert.equal(eventAuth['expires'], String(Math.floor(clock.now() / 1000) + 3600));
    assert.equal(eventAuth['domain'], 'acme.bitrix24.com');
    assert.equal(eventAuth['client_endpoint'], acme.restUrl);
    assert.equal(eventAuth['user_id'], '1');
    assert.equal(eventAuth['application_token'], app.applicationToken);
    const withEventToken = await restCall(acme.restUrl, 'crm.deal.get', { id, auth: eventAuth['access_token'] });
    assert.equal(withEventToken.status, 200);
  });

  test('when our own app updates a deal, then ONCRMDEALUPDATE comes back to us (file 2.2)', async () => {
    const id = (await call('crm.deal.add', { fields: { TITLE: 'Ours' } })).body['result'] as number;
    await call('crm.deal.update', { id, fields: { UTM_SOURCE: 'google' } });
    await emulator.events.settle();
    assert.deepEqual(
      receiver.received.map((post) => [post.fields['event'], (post.fields['data'] as { FIELDS: { ID: string } }).FIELDS.ID]),
      [
        ['ONCRMDEALADD', String(id)],
        ['ONCRMDEALUPDATE', String(id)],
      ],
    );
  });

  test('when an automation rule changes a contact, then the event auth has no tokens', async () => {
    // §2.3: no user context -> only domain, client_endpoint, server_endpoint, member_id, application_token.
    const id = emulator.createContact('acme', { NAME: 'Auto' });
    emulator.updateContact('acme', id, { PHONE: [{ VALUE: '+79000000000' }] }, { automation: true });
    await emulator.events.settle();
    const update = receiver.received.find((post) => post.fields['event'] === 'ONCRMCONTACTUPDATE');
    assert.deepEqual(Object.keys(update?.fields['auth'] as object).sort(), ['application_token', 'client_endpoint', 'domain', 'member_id', 'server_endpoint']);
  });

  test('when event.bind gets bad input, then the documented codes', async () => {
    // §2.1
    const missing = await call('event.bind', { handler: 'https://app.example.com/h' });
    assert.deepEqual(missing.body, { error: 'ERROR_ARGUMENT', error_description: "Argument 'EVENT' is null or empty", argument: 'EVENT' });
    assert.equal((await call('event.bind', { event: 'ONCRMDEALADD', handler: 'http://localhost:3000/h' })).body['error'], 'ERROR_WRONG_HANDLER_URL');
    assert.equal((await call('event.bind', { event: 'ONCRMDEALADD', handler: 'ftp://app.example.com/h' })).body['error'], 'ERROR_UNSUPPORTED_PROTOCOL');
    assert.equal((await call('event.bind', { event: 'ONNOTHING', handler: 'https://app.example.com/h' })).body['error'], 'ERROR_EVENT_NOT_FOUND');
    const duplicate = await call('event.bind', { event: 'ONCRMDEALADD', handler: `${receiver.url}/webhooks/bitrix24` });
    assert.deepEqual(duplicate.body, { error: 'ERROR_CORE', error_description: 'Unable to set event handler: Handler already binded' });
  });

  test('when handlers are listed and unbound, then event.get shows rows and event.unbind counts', async () => {
    // §2.1
    const rows = (await call('event.get')).body['result'] as Array<Record<string, unknown>>;
    assert.deepEqual(rows.find((row) => row['event'] === 'ONCRMLEADADD'), { event: 'ONCRMLEADADD', handler: `${receiver.url}/webhooks/bitrix24`, auth_type: '0', offline: 0 });
    assert.deepEqual((await call('event.unbind', { event: 'ONCRMLEADADD', handler: `${receiver.url}/webhooks/bitrix24` })).body['result'], { count: 1 });
    emulator.createLead('acme', {});
    await emulator.events.settle();
    assert.equal(receiver.received.some((post) => post.fields['event'] === 'ONCRMLEADADD'), false);
  });

  test('when event.test is called, then ONAPPTEST carries the params', async () => {
    await call('event.bind', { event: 'ONAPPTEST', handler: `${receiver.url}/webhooks/bitrix24` });
    await call('event.test', { any: 'value' });
    await emulator.events.settle();
    const testEvent = receiver.received.find((post) => post.fields['event'] === 'ONAPPTEST');
    assert.deepEqual(testEvent?.fields['data'], { any: 'value' });
  });

  test('when a deal-card widget is bound and opened, then its handler gets the frame POST with PLACEMENT_OPTIONS as a JSON string', async () => {
    // §5.1, §5.3
    const bound = await call('placement.bind', { PLACEMENT: 'crm_deal_detail_tab', HANDLER: `${receiver.url}/bitrix24/placement/deal`, TITLE: 'LongFunnel' });
    assert.deepEqual(bound.body['result'], true);
    assert.equal((await call('placement.bind', { PLACEMENT: 'DEFAULT', HANDLER: `${receiver.url}/x` })).body['error'], 'ERROR_PLACEMENT_NOT_FOUND');
    assert.equal((await call('placement.bind', { PLACEMENT: 'CRM_DEAL_DETAIL_TAB', HANDLER: `${receiver.url}/bitrix24/placement/deal` })).body['error_description'], 'Unable to set placement handler: Handler already binded');
    const placements = (await call('placement.get')).body['result'] as Array<Record<string, unknown>>;
    assert.deepEqual(placements[0], {
      placement: 'CRM_DEAL_DETAIL_TAB',
      userId: 0,
      handler: `${receiver.url}/bitrix24/placement/deal`,
      options: [],
      title: 'LongFunnel',
      description: '',
      langAll: { ru: { TITLE: 'LongFunnel', DESCRIPTION: '', GROUP_NAME: '' } },
    });
    await emulator.openPlacement('acme', app.clientId, 'CRM_DEAL_DETAIL_TAB', 8061);
    const [post] = receiver.received;
    assert.equal(post?.path, '/bitrix24/placement/deal');
    assert.equal(post?.fields['PLACEMENT'], 'CRM_DEAL_DETAIL_TAB');
    assert.equal(post?.fields['PLACEMENT_OPTIONS'], '{"ID":"8061","URI":"\\/crm\\/deal\\/details\\/8061\\/"}');
  });

  test('when an event is dropped or duplicated by a fault, then attempts record it and there is no retry', async () => {
    // §2.2: no retries; checklist 39 fault injection. A dropped event draws no duplicate decision.
    const faulty = await startBitrix24Emulator({ clock, faults: { webhookDrop: [true], webhookDuplicate: [true] } });
    try {
      faulty.setupPortal({ name: 'acme' });
      const faultyApp = faulty.createApp('acme', { installUrl: `${receiver.url}/i`, withUi: false });
      await faulty.installApp('acme', faultyApp.clientId);
      const faultyAuth = faulty.issueTokens('acme', faultyApp.clientId).access_token;
      await restCall(`${faulty.url}/_portals/acme/rest/`, 'event.bind', { auth: faultyAuth, event: 'ONCRMDEALADD', handler: `${receiver.url}/h` });
      receiver.received.length = 0;
      faulty.createDeal('acme', {});
      faulty.createDeal('acme', {});
      await faulty.events.settle();
      assert.deepEqual(faulty.events.attempts.filter((attempt) => attempt.event === 'ONCRMDEALADD').map((attempt) => attempt.outcome), ['dropped', 200, 200]);
      assert.equal(receiver.received.length, 2);
    } finally {
      await faulty.close();
    }
  });

  test('when the handler is slow, then each POST has eventTimeoutMs from its connection, at most eventConcurrency are in flight, and a timed-out event is not sent again', async () => {
    // §2.2: no retries; handler timeout and concurrency [UNCONFIRMED], options. A handler answering
    // the first 4 POSTs after 400 ms and later ones at once, with a 250 ms budget and 2 at a time.
    let inFlight = 0;
    let mostInFlight = 0;
    let seen = 0;
    const slow = http.createServer((request, response) => {
      seen += 1;
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      const delayMs = seen <= 4 ? 400 : 0;
      let done = false;
      const leave = () => {
        if (!done) inFlight -= 1;
        done = true;
      };
      request.resume();
      request.on('end', () =>
        setTimeout(() => {
          if (!response.destroyed) response.end('{}');
          leave();
        }, delayMs),
      );
      // A POST the emulator gave up on leaves when its connection closes.
      response.on('close', leave);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    const paced = await startBitrix24Emulator({ clock, eventTimeoutMs: 250, eventConcurrency: 2 });
    try {
      paced.setupPortal({ name: 'acme' });
      const pacedApp = paced.createApp('acme', { installUrl: `${receiver.url}/i`, withUi: false });
      await paced.installApp('acme', pacedApp.clientId);
      const pacedAuth = paced.issueTokens('acme', pacedApp.clientId).access_token;
      await restCall(`${paced.url}/_portals/acme/rest/`, 'event.bind', { auth: pacedAuth, event: 'ONCRMDEALADD', handler: `${slowUrl}/h` });
      for (let index = 0; index < 10; index += 1) paced.createDeal('acme', {});
      await paced.events.settle();
      const outcomes = paced.events.attempts.filter((attempt) => attempt.event === 'ONCRMDEALADD').map((attempt) => attempt.outcome);
      assert.equal(outcomes.length, 10, 'one attempt per event, none repeated');
      assert.equal(outcomes.filter((outcome) => outcome === 'timeout').length, 4, 'the 4 slow answers timed out');
      assert.equal(outcomes.filter((outcome) => outcome === 200).length, 6, 'the later POSTs had their own 250 ms, not what was left after waiting their turn');
      assert.equal(mostInFlight, 2);
      assert.equal(seen, 10);
    } finally {
      await paced.close();
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  test('when an API-only app is installed, then ONAPPINSTALL goes to the install URL and the app is installed at once', async () => {
    // §1.4: form-encoded ONAPPINSTALL with refresh_token, expires, user_id, application_token.
    const apiOnly = emulator.createApp('acme', { installUrl: `${receiver.url}/bitrix24/install`, withUi: false, scopes: ['crm'] });
    await emulator.installApp('acme', apiOnly.clientId);
    const [post] = receiver.received;
    assert.equal(post?.fields['event'], 'ONAPPINSTALL');
    assert.equal(post?.fields['event_handler_id'], undefined);
    assert.deepEqual(post?.pairs.map(([key]) => key), [
      'event',
      'data[VERSION]',
      'data[ACTIVE]',
      'data[INSTALLED]',
      'data[LANGUAGE_ID]',
      'ts',
      ...['access_token', 'expires', 'expires_in', 'scope', 'domain', 'server_endpoint', 'status', 'client_endpoint', 'member_id', 'user_id', 'refresh_token', 'application_token'].map((key) => `auth[${key}]`),
    ]);
    const installAuth = post?.fields['auth'] as Record<string, string>;
    assert.equal(installAuth['scope'], 'crm');
    assert.equal(apiOnly.installed, true);
    const refreshed = await fetch(`${emulator.url}/oauth/token/?grant_type=refresh_token&client_id=${apiOnly.clientId}&client_secret=${apiOnly.clientSecret}&refresh_token=${installAuth['refresh_token']}`);
    assert.equal(refreshed.status, 200);
  });

  test('when the app is uninstalled, then ONAPPUNINSTALL has no tokens and every token stops working', async () => {
    // §1.5
    emulator.uninstallApp('acme', app.clientId, true);
    await emulator.events.settle();
    const post = receiver.received.find((candidate) => candidate.fields['event'] === 'ONAPPUNINSTALL');
    assert.deepEqual(post?.fields['data'], { LANGUAGE_ID: 'ru', CLEAN: '1' });
    assert.deepEqual(Object.keys(post?.fields['auth'] as object), ['domain', 'server_endpoint', 'client_endpoint', 'member_id', 'application_token']);
    assert.equal((await call('user.current')).body['error'], 'invalid_token');
    assert.equal(emulator.state.handlersOf(acme.portal.id, app.clientId).length, 0);
  });
});
