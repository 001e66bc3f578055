/**
 * Bitrix24 events are best-effort and never re-sent (bitrix24.md 2.2): the CRM sweep's periodic
 * reconciliation lists the deals changed since the last sync, so a deal whose every event was lost
 * is still enriched, once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testBackends } from '../support/backends.js';
import { commentsOf, dealOf, installFromPortal, startBitrix24World, type Bitrix24World } from '../support/bitrix24World.js';
import { waitFor } from '../support/processes.js';
import { createTestSite, newId, pageview, sendHit } from '../support/tracking.js';

for (const backendName of testBackends()) {
  describe(`Bitrix24 reconciliation on ${backendName}`, () => {
    let world: Bitrix24World;

    before(async () => {
      // Every event the portal would send is lost on the way.
      world = await startBitrix24World(backendName, { emulator: { faults: { webhookDrop: 1 } }, env: { CRM_RECONCILE_EVERY_MS: '2000' } });
    });

    after(async () => {
      await world?.stop();
    });

    test('when no event of a new deal arrives, then the reconciliation finds it and it is enriched once', async () => {
      const { tenantId } = await installFromPortal(world);
      const site = await createTestSite(world.lf.url, { domain: 'shop.example', tenant_id: tenantId });
      const visitor = newId();
      const hit = await sendHit(world.lf.url, pageview(site.key, { visitor, visit: newId(), url: 'https://shop.example/?utm_source=yandex&utm_medium=cpc', landing: 'https://shop.example/?utm_source=yandex&utm_medium=cpc', ts: Date.now() - 60_000 }));
      assert.equal(hit.status, 204);
      const dealId = world.emulator.createDeal(world.name, { TITLE: 'Lost event', UF_CRM_LF_VISITOR_ID: visitor });
      await world.emulator.events.settle();
      const attempts = world.emulator.events.attempts.filter((attempt) => attempt.event === 'ONCRMDEALADD');
      assert.ok(attempts.length > 0 && attempts.every((attempt) => attempt.outcome === 'dropped'), 'the deal\'s event never reached LongFunnel');

      const deal = await waitFor('the deal enriched by reconciliation', async () => {
        const record = dealOf(world, dealId);
        return record.userFields['UF_CRM_LF_MATCH'] && commentsOf(world, 'deal', dealId).length > 0 ? record : undefined;
      }, 60_000, 250);
      assert.equal(deal.values['UTM_SOURCE'], 'yandex');
      assert.ok(world.lf.logs.some((line) => line.includes('CRM reconciled')));
      // Later reconciliations list the deal again (our own write changed it) and write nothing more.
      const modified = dealOf(world, dealId).values['DATE_MODIFY'];
      const reconciled = world.lf.logs.filter((line) => line.includes('CRM reconciled')).length;
      await waitFor('two more reconciliations', async () => world.lf.logs.filter((line) => line.includes('CRM reconciled')).length >= reconciled + 2, 30_000, 250);
      assert.equal(commentsOf(world, 'deal', dealId).length, 1);
      assert.equal(dealOf(world, dealId).values['DATE_MODIFY'], modified);
      assert.equal(world.emulator.limits.queryLimitExceeded, 0);
    });
  });
}
