/**
 * BITRIX24_ATTACH_TRACE=true: with its timeline comment, a record gets its path as a Sales
 * Intelligence trace (`crm.tracking.trace.add`, bitrix24.md 3.10) in the same batch — once, like
 * the comment. Off by default (one more command per record): then no trace is made.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testBackends } from '../support/backends.js';
import { commentsOf, dealOf, installFromPortal, settled, startBitrix24World, type Bitrix24World } from '../support/bitrix24World.js';
import { waitFor } from '../support/processes.js';
import { createTestSite, newId, pageview, sendHit, type CreatedSite } from '../support/tracking.js';

async function visit(world: Bitrix24World, site: CreatedSite, visitor: string, landing: string, minutesAgo: number): Promise<void> {
  const response = await sendHit(world.lf.url, pageview(site.key, { visitor, visit: newId(), url: landing, landing, ts: Date.now() - minutesAgo * 60_000 }));
  assert.equal(response.status, 204);
}

async function enrichedDeal(world: Bitrix24World, site: CreatedSite, tenantId: string): Promise<number> {
  const visitor = newId();
  await visit(world, site, visitor, 'https://shop.example/?utm_source=vk&utm_medium=social', 120);
  await visit(world, site, visitor, 'https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=spring', 30);
  const dealId = world.emulator.createDeal(world.name, { TITLE: 'Traced', UF_CRM_LF_VISITOR_ID: visitor });
  await waitFor('the deal enriched', async () => (dealOf(world, dealId).userFields['UF_CRM_LF_MATCH'] && commentsOf(world, 'deal', dealId).length === 1) || undefined, 30_000, 100);
  await settled(world, tenantId);
  return dealId;
}

for (const backendName of testBackends()) {
  for (const attach of [true, false]) {
    describe(`Bitrix24 traces with BITRIX24_ATTACH_TRACE=${String(attach)} on ${backendName}`, () => {
      let world: Bitrix24World;

      before(async () => {
        world = await startBitrix24World(backendName, { env: { BITRIX24_ATTACH_TRACE: String(attach) } });
      });

      after(async () => {
        await world?.stop();
      });

      test(attach ? 'when a deal is enriched, then its path is attached once as a trace, with its comment' : 'when a deal is enriched, then no trace is made', async () => {
        const { tenantId } = await installFromPortal(world);
        const site = await createTestSite(world.lf.url, { domain: 'shop.example', tenant_id: tenantId });
        const startedAt = Date.now();
        const dealId = await enrichedDeal(world, site, tenantId);
        const traces = () => [...world.emulator.state.traces.values()].filter((trace) => trace.entities.some((entity) => entity.TYPE === 'DEAL' && entity.ID === dealId));
        if (!attach) {
          assert.equal(traces().length, 0);
          return;
        }
        assert.equal(traces().length, 1);
        const trace = traces()[0]!.trace as { tags: { ts: number; list: Record<string, string> }; previous?: { list: Array<{ tags: { list: Record<string, string> } }> } };
        assert.deepEqual(trace.tags.list, { utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'spring' });
        // The credited visit started when LongFunnel took its hit: during this test.
        assert.ok(trace.tags.ts * 1000 >= startedAt - 1_000 && trace.tags.ts * 1000 <= Date.now(), `the credited visit's time: ${trace.tags.ts}`);
        assert.deepEqual(trace.previous?.list.map((earlier) => earlier.tags.list), [{ utm_source: 'vk', utm_medium: 'social' }]);

        // Changed again by a person: read again, nothing written twice.
        world.emulator.updateDeal(world.name, dealId, { TITLE: 'Traced, renamed' });
        await settled(world, tenantId);
        assert.equal(traces().length, 1);
        assert.equal(commentsOf(world, 'deal', dealId).length, 1);
        assert.equal(world.emulator.limits.queryLimitExceeded, 0);
      });
    });
  }
}

for (const backendName of testBackends()) {
  describe(`Bitrix24 traces on a portal without Sales Intelligence on ${backendName}`, () => {
    let world: Bitrix24World;

    before(async () => {
      world = await startBitrix24World(backendName, { emulator: { missingMethods: ['crm.tracking.trace.add'] } });
    });

    after(async () => {
      await world?.stop();
    });

    test('when the portal has no crm.tracking.trace.add, then deals are still enriched and commented, without traces', async () => {
      const { tenantId } = await installFromPortal(world);
      const site = await createTestSite(world.lf.url, { domain: 'shop.example', tenant_id: tenantId });
      const first = await enrichedDeal(world, site, tenantId);
      const second = await enrichedDeal(world, site, tenantId);
      for (const dealId of [first, second]) {
        assert.equal(commentsOf(world, 'deal', dealId).length, 1);
        assert.equal(dealOf(world, dealId).values['UTM_SOURCE'], 'google');
      }
      assert.equal(world.emulator.state.traces.size, 0);
      assert.equal(world.emulator.limits.queryLimitExceeded, 0);
    });
  });
}
