import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { recordIdentity } from '../../server/crm/identities.js';
import { testBackends } from '../support/backends.js';
import { commentsOf, dealOf, installFromPortal, leadOf, settled, startBitrix24World, type Bitrix24World } from '../support/bitrix24World.js';
import { waitFor } from '../support/processes.js';
import { createTestSite, newId, pageview, sendHit, type CreatedSite } from '../support/tracking.js';

const ourFields = ['UF_CRM_LF_VISITOR_ID', 'UF_CRM_LF_FIRST_TOUCH', 'UF_CRM_LF_LAST_TOUCH', 'UF_CRM_LF_CHANNEL', 'UF_CRM_LF_VISITS', 'UF_CRM_LF_FIRST_VISIT', 'UF_CRM_LF_MATCH', 'UF_CRM_LF_NOTE'];
const boundEvents = ['ONCRMDEALADD', 'ONCRMDEALUPDATE', 'ONCRMLEADADD', 'ONCRMLEADUPDATE', 'ONCRMCONTACTADD', 'ONCRMCONTACTUPDATE', 'ONAPPUNINSTALL'];

async function visit(world: Bitrix24World, site: CreatedSite, visitor: string, landing: string): Promise<void> {
  const response = await sendHit(world.lf.url, pageview(site.key, { visitor, visit: newId(), url: landing, landing, ts: Date.now() - 60_000 }));
  assert.equal(response.status, 204);
}

function enriched(world: Bitrix24World, kind: 'deal' | 'lead', id: number, timeoutMs = 20_000) {
  return waitFor(`${kind} ${id} enriched`, async () => {
    const record = kind === 'deal' ? dealOf(world, id) : leadOf(world, id);
    return record.userFields['UF_CRM_LF_MATCH'] && commentsOf(world, kind, id).length > 0 ? record : undefined;
  }, timeoutMs);
}

for (const backendName of testBackends()) {
  describe(`Bitrix24 integration on ${backendName}`, () => {
    let world: Bitrix24World;
    let tenantId: string;
    let site: CreatedSite;
    let installPage: string;
    let historyDeal: number;

    before(async () => {
      world = await startBitrix24World(backendName);
      // A deal that moved before LongFunnel was installed: its moves come from crm.stagehistory.list.
      historyDeal = world.emulator.createDeal(world.name, { TITLE: 'Before install' });
      world.emulator.updateDeal(world.name, historyDeal, { STAGE_ID: 'PREPARATION' });
      ({ tenantId, page: installPage } = await installFromPortal(world));
      site = await createTestSite(world.lf.url, { domain: 'shop.example', tenant_id: tenantId });
    });

    after(async () => {
      await world?.stop();
    });

    const db = () => world.lf.runtime.deps.db;
    const portalId = () => world.portal.portal.id;

    test('when installed, then events and the deal tab are bound to our addresses, user fields exist once, and stages and history are imported', async () => {
      assert.match(installPage, /BX24\.installFinish\(\)/, 'the install page finishes the install');
      const handlers = world.emulator.state.handlersOf(portalId(), world.app.clientId);
      for (const event of boundEvents) {
        assert.equal(handlers.filter((row) => row.event === event && row.handler === `${world.env.PUBLIC_URL}/webhooks/bitrix24`).length, 1, event);
      }
      const tabs = world.emulator.state.placements.filter((row) => row.clientId === world.app.clientId);
      assert.deepEqual(tabs.map((row) => [row.placement, row.handler]), [['CRM_DEAL_DETAIL_TAB', `${world.env.PUBLIC_URL}/bitrix24/placement/deal`]]);
      for (const entity of ['CRM_DEAL', 'CRM_LEAD'] as const) {
        const names = world.emulator.state.userFieldsOf(portalId(), entity).map((field) => field.fieldName).sort();
        assert.deepEqual(names, [...ourFields].sort(), entity);
      }
      const stages = await db().query<{ pipeline_id: string; kind: string }>('SELECT pipeline_id, kind FROM crm_stages WHERE tenant_id = $1', [tenantId]);
      assert.deepEqual(new Set(stages.rows.map((row) => row.kind)), new Set(['entry', 'open', 'won', 'lost']));
      assert.ok(stages.rows.some((row) => row.pipeline_id === 'lead'), 'classic portal: lead statuses too');
      const history = await db().query<{ to_stage_id: string; origin: string }>('SELECT to_stage_id, origin FROM stage_changes WHERE tenant_id = $1 AND deal_id = $2 ORDER BY at, to_stage_id', [
        tenantId,
        String(historyDeal),
      ]);
      assert.deepEqual(new Set(history.rows.map((row) => row.to_stage_id)), new Set(['NEW', 'PREPARATION']));
      const account = await db().query<{ sealed_tokens: string; setup: Record<string, unknown> }>('SELECT sealed_tokens, setup FROM crm_accounts WHERE tenant_id = $1', [tenantId]);
      const stored = JSON.stringify(account.rows[0]);
      assert.ok(!stored.includes(world.app.applicationToken), 'the application token is kept as a hash only');
      for (const token of world.emulator.state.refreshTokens.keys()) assert.ok(!stored.includes(token), 'tokens are sealed at rest');
      assert.equal(world.emulator.limits.queryLimitExceeded, 0);
    });

    test('when installed again, then one tenant, one set of fields, bindings and tab', async () => {
      const again = await installFromPortal(world);
      assert.equal(again.tenantId, tenantId);
      assert.equal(world.emulator.state.userFieldsOf(portalId(), 'CRM_DEAL').length, ourFields.length);
      assert.equal(world.emulator.state.handlersOf(portalId(), world.app.clientId).filter((row) => row.event === 'ONCRMDEALADD').length, 1);
      assert.equal(world.emulator.state.placements.filter((row) => row.clientId === world.app.clientId).length, 1);
    });

    test('when a deal carries UF_CRM_LF_VISITOR_ID, then it gets the UTM fields, our fields and one timeline comment', async () => {
      const visitor = newId();
      await visit(world, site, visitor, 'https://shop.example/?utm_source=yandex&utm_medium=cpc&utm_campaign=sofa_msk&utm_term=buy+sofa');
      const dealId = world.emulator.createDeal(world.name, { TITLE: 'Sofa order', OPPORTUNITY: 45000, UF_CRM_LF_VISITOR_ID: visitor });
      const deal = await enriched(world, 'deal', dealId);
      assert.equal(deal.values['UTM_SOURCE'], 'yandex');
      assert.equal(deal.values['UTM_MEDIUM'], 'cpc');
      assert.equal(deal.values['UTM_CAMPAIGN'], 'sofa_msk');
      assert.equal(deal.values['UTM_TERM'], 'buy sofa');
      assert.equal(deal.userFields['UF_CRM_LF_CHANNEL'], 'Paid Search');
      assert.equal(deal.userFields['UF_CRM_LF_MATCH'], 'visitor id (100%)');
      assert.equal(deal.userFields['UF_CRM_LF_VISITS'], '1');
      const comments = commentsOf(world, 'deal', dealId);
      assert.equal(comments.length, 1);
      assert.match(comments[0]?.comment ?? '', /^LongFunnel: yandex \/ cpc \/ sofa_msk/);
      assert.equal(deal.userFields['UF_CRM_LF_NOTE'], String(comments[0]?.id), 'the note field holds the comment id');
      const row = await db().query<{ match_method: string; amount: string; entity: string }>('SELECT match_method, amount, entity FROM deals WHERE tenant_id = $1 AND id = $2', [tenantId, String(dealId)]);
      assert.deepEqual({ ...row.rows[0], amount: Number(row.rows[0]?.amount) }, { match_method: 'visitor_id', amount: 45000, entity: 'deal' });
    });

    test("when a deal's contact phone matches a visitor's form, then the deal gets the visitor's source", async () => {
      const visitor = newId();
      await visit(world, site, visitor, 'https://shop.example/?utm_source=vk&utm_medium=social&utm_campaign=autumn');
      await recordIdentity(db(), world.lf.runtime.deps.identityKey, { tenantId, visitorId: visitor, kind: 'phone', value: '+7 900 765-43-21', origin: 'form' });
      const contactId = world.emulator.createContact(world.name, { NAME: 'Ivan', PHONE: [{ VALUE: '8 (900) 765-43-21', VALUE_TYPE: 'WORK' }] });
      const dealId = world.emulator.createDeal(world.name, { TITLE: 'Call back', CONTACT_ID: contactId });
      const deal = await enriched(world, 'deal', dealId);
      assert.equal(deal.values['UTM_SOURCE'], 'vk');
      assert.equal(deal.values['UTM_CAMPAIGN'], 'autumn');
      assert.equal(deal.userFields['UF_CRM_LF_VISITOR_ID'], visitor);
      assert.equal(deal.userFields['UF_CRM_LF_MATCH'], 'phone (90%)');
      await settled(world, tenantId);
      assert.equal(dealOf(world, dealId).userFields['UF_CRM_LF_MATCH'], 'phone (90%)', 'our own visitor id, read back, is not taken for a visitor-id match');
    });

    test('when the portal uses leads, then a lead with a visitor id is enriched too', async () => {
      const visitor = newId();
      await visit(world, site, visitor, 'https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=brand');
      const leadId = world.emulator.createLead(world.name, { TITLE: 'Form lead', UF_CRM_LF_VISITOR_ID: visitor });
      const lead = await enriched(world, 'lead', leadId);
      assert.equal(lead.values['UTM_SOURCE'], 'google');
      assert.equal(lead.userFields['UF_CRM_LF_CHANNEL'], 'Paid Search');
      const row = await db().query<{ entity: string; pipeline_id: string }>('SELECT entity, pipeline_id FROM deals WHERE tenant_id = $1 AND id = $2', [tenantId, `L${leadId}`]);
      assert.deepEqual({ ...row.rows[0] }, { entity: 'lead', pipeline_id: 'lead' });
    });

    test('when a deal moves stage, then the move is stage history; duplicated and our own update events write nothing', async () => {
      const visitor = newId();
      await visit(world, site, visitor, 'https://shop.example/?utm_source=telegram&utm_medium=social');
      const dealId = world.emulator.createDeal(world.name, { TITLE: 'Moves', UF_CRM_LF_VISITOR_ID: visitor });
      await enriched(world, 'deal', dealId);
      world.emulator.updateDeal(world.name, dealId, { STAGE_ID: 'WON' });
      await settled(world, tenantId);
      const moves = await db().query<{ from_stage_id: string | null; to_stage_id: string }>(
        'SELECT from_stage_id, to_stage_id FROM stage_changes WHERE tenant_id = $1 AND deal_id = $2 ORDER BY at, to_stage_id',
        [tenantId, String(dealId)],
      );
      assert.deepEqual(moves.rows.map((row) => [row.from_stage_id, row.to_stage_id]), [[null, 'NEW'], ['NEW', 'WON']]);
      const outcome = await db().query<{ outcome: string }>('SELECT outcome FROM deals WHERE tenant_id = $1 AND id = $2', [tenantId, String(dealId)]);
      assert.equal(outcome.rows[0]?.outcome, 'won');

      // Our write (source fields and the note's id in one update) came back as ONCRMDEALUPDATE and was read without writing again.
      const ownUpdates = world.emulator.events.attempts.filter((attempt) => attempt.event === 'ONCRMDEALUPDATE' && attempt.body.includes(`%5BID%5D=${dealId}&`));
      assert.equal(ownUpdates.length, 2, 'our one update (fields and note id together) and the manager\'s move were both delivered');
      const before = { modified: dealOf(world, dealId).values['DATE_MODIFY'], comments: commentsOf(world, 'deal', dealId).length };
      const delivered = await db().query<{ body: string }>('SELECT body FROM crm_inbox WHERE tenant_id = $1 AND body LIKE $2', [tenantId, `%5BID%5D=${dealId}&%`]);
      for (const { body } of delivered.rows) {
        const again = await fetch(`${world.lf.url}/webhooks/bitrix24`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
        assert.equal(again.status, 200);
      }
      await settled(world, tenantId);
      assert.equal(dealOf(world, dealId).values['DATE_MODIFY'], before.modified, 'no write reached the deal');
      assert.equal(commentsOf(world, 'deal', dealId).length, before.comments);
      const again = await db().query('SELECT 1 FROM stage_changes WHERE tenant_id = $1 AND deal_id = $2', [tenantId, String(dealId)]);
      assert.equal(again.rows.length, 2);
    });

    test('when an event carries a forged application_token, then 403 and nothing is stored', async () => {
      const stored = await db().query<{ body: string }>('SELECT body FROM crm_inbox WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1', [tenantId]);
      const genuine = stored.rows[0]?.body ?? '';
      const forged = genuine.replace(/auth%5Bapplication_token%5D=[0-9a-f]+/, `auth%5Bapplication_token%5D=${'0'.repeat(32)}`);
      assert.notEqual(forged, genuine);
      const before = await db().query<{ count: string }>('SELECT count(*) AS count FROM crm_inbox');
      const response = await fetch(`${world.lf.url}/webhooks/bitrix24`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: forged });
      assert.equal(response.status, 403);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'forbidden');
      const noToken = await fetch(`${world.lf.url}/webhooks/bitrix24`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'event=ONCRMDEALADD&data%5BFIELDS%5D%5BID%5D=1' });
      assert.equal(noToken.status, 400);
      const after = await db().query<{ count: string }>('SELECT count(*) AS count FROM crm_inbox');
      assert.equal(after.rows[0]?.count, before.rows[0]?.count);
    });

    test('when the access token expires mid-run, then it is refreshed once and the work goes on', async () => {
      world.clock.advance(3_600_000 + 60_000);
      const visitor = newId();
      await visit(world, site, visitor, 'https://shop.example/?utm_source=mailru&utm_medium=cpc');
      const dealId = world.emulator.createDeal(world.name, { TITLE: 'After an hour', UF_CRM_LF_VISITOR_ID: visitor });
      const deal = await enriched(world, 'deal', dealId);
      assert.equal(deal.values['UTM_SOURCE'], 'mailru');
      assert.ok(world.lf.logs.some((line) => line.includes('CRM tokens refreshed')));
    });

    test('when the application is uninstalled, then the tenant is disabled and its events are refused', async () => {
      world.emulator.uninstallApp(world.name, world.app.clientId);
      await world.emulator.events.settle();
      const account = await waitFor('the tenant disabled', async () => {
        const result = await db().query<{ status: string; sealed_tokens: string | null }>('SELECT status, sealed_tokens FROM crm_accounts WHERE tenant_id = $1', [tenantId]);
        return result.rows[0]?.status === 'disabled' ? result.rows[0] : undefined;
      });
      assert.equal(account.sealed_tokens, null);
      const stored = await db().query<{ body: string }>("SELECT body FROM crm_inbox WHERE tenant_id = $1 AND body LIKE 'event=ONCRMDEALADD%' LIMIT 1", [tenantId]);
      const late = await fetch(`${world.lf.url}/webhooks/bitrix24`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: stored.rows[0]?.body ?? '' });
      assert.equal(late.status, 403);
    });
  });
}

/** Every REST request LongFunnel sent to Bitrix24, by HTTP status. */
async function requestsByStatus(world: Bitrix24World): Promise<Record<string, number>> {
  const metric = await world.lf.runtime.deps.metrics.crmRequests.get();
  const counts: Record<string, number> = {};
  for (const value of metric.values) if (value.labels.crm === 'bitrix24') counts[String(value.labels.status)] = value.value;
  return counts;
}

async function createSourcedDeals(world: Bitrix24World, site: CreatedSite, count: number): Promise<number[]> {
  const visitors = Array.from({ length: 10 }, () => newId());
  for (const [index, visitor] of visitors.entries()) await visit(world, site, visitor, `https://shop.example/?utm_source=source${index}&utm_medium=cpc&utm_campaign=bulk`);
  return Array.from({ length: count }, (_, index) => world.emulator.createDeal(world.name, { TITLE: `Bulk ${index}`, UF_CRM_LF_VISITOR_ID: visitors[index % visitors.length] }));
}

function allEnriched(world: Bitrix24World, dealIds: readonly number[]): boolean {
  return dealIds.every((id) => {
    const deal = dealOf(world, id);
    return typeof deal.values['UTM_SOURCE'] === 'string' && commentsOf(world, 'deal', id).length === 1;
  });
}

for (const backendName of testBackends()) {
  describe(`Bitrix24 integration with faults on ${backendName}`, () => {
    test('when Bitrix24 answers 503, 429 and times out now and then, then every deal is still enriched once', async (t) => {
      const world = await startBitrix24World(backendName, {
        emulator: {
          // 503 and slow answers on some REST requests; notes cost 40 s of operating time, so the 13th within 10 minutes gets 429.
          faults: { seed: 7, serverError: 0.15, serverErrorStatus: 503, slowResponse: 0.05, slowResponseMs: 1_500 },
          operatingLimit: { methodCostSeconds: { 'crm.timeline.comment.add': 40 } },
        },
        env: { BITRIX24_REQUEST_TIMEOUT_MS: '1000' },
      });
      try {
        const { tenantId } = await installFromPortal(world);
        const site = await createTestSite(world.lf.url, { domain: 'shop.example', tenant_id: tenantId });
        const dealIds = await createSourcedDeals(world, site, 60);
        let blocked = 0;
        await waitFor(
          '60 deals enriched despite the faults',
          async () => {
            if (world.emulator.limits.operationTimeLimit > blocked) {
              // The method stays blocked for 10 minutes of the portal's time: let them pass.
              blocked = world.emulator.limits.operationTimeLimit;
              world.clock.advance(10 * 60_000 + 1_000);
            }
            return allEnriched(world, dealIds);
          },
          150_000,
          500,
        );
        await settled(world, tenantId, 60_000);
        t.diagnostic(`with faults: ${world.emulator.limits.operationTimeLimit} answers 429, requests by status ${JSON.stringify(await requestsByStatus(world))}`);
        assert.ok(world.emulator.limits.operationTimeLimit > 0, 'the operating-time limit was reached');
        const statuses = await requestsByStatus(world);
        assert.ok((statuses['503'] ?? 0) > 0, 'some requests were answered 503');
        assert.ok(dealIds.every((id) => commentsOf(world, 'deal', id).length === 1), 'one comment per deal, never two');
        assert.equal(world.emulator.limits.queryLimitExceeded, 0);
      } finally {
        await world.stop();
      }
    });
  });
}
