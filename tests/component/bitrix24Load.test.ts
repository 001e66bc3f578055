/**
 * Issue 5's burst: 1,000 deals created at once in a portal with the leaky bucket enforced (burst 50,
 * 2 requests/s). The portal POSTs one ONCRMDEALADD per deal, all at once, gives up on each after
 * its delivery timeout and never re-sends (bitrix24.md 2.2): every POST must be taken (200), every
 * deal enriched once, with zero QUERY_LIMIT_EXCEEDED, in batches. LongFunnel runs as its own
 * process, as in production (its event loop is not the emulator's).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { testBackends } from '../support/backends.js';
import { visitEveryone } from '../support/amocrmWorld.js';
import { installProcessWorld, startBitrix24ProcessWorld, type Bitrix24ProcessWorld } from '../support/bitrix24World.js';
import { waitFor } from '../support/processes.js';
import { createTestSite } from '../support/tracking.js';

const DEALS = 1_000;
/** Commands per batch (bitrix24.md 3.11). */
const BATCH = 50;

/** REST requests LongFunnel sent to Bitrix24, from its /metrics. */
async function crmRequestsOf(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return [...metrics.matchAll(/^longfunnel_crm_requests_total\{crm="bitrix24",status="[^"]+"\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

for (const backendName of testBackends()) {
  describe(`Bitrix24 enrichment of 1,000 deals created at once on ${backendName}`, () => {
    let world: Bitrix24ProcessWorld;

    before(async () => {
      // The default ENRICHMENT_DELAY_MS (2 s), as in production: deals arriving together are read together.
      world = await startBitrix24ProcessWorld(backendName, { env: { ENRICHMENT_DELAY_MS: '2000', COLLECT_IP_LIMIT_PER_MINUTE: '100000' } });
    });

    after(async () => {
      await world?.stop();
    });

    test('when 1,000 deals are created at once, then every event is taken, every deal enriched once, in batches, with zero QUERY_LIMIT_EXCEEDED', async (t) => {
      const { tenantId } = await installProcessWorld(world);
      const site = await createTestSite(world.url, { domain: 'shop.example', tenant_id: tenantId });
      const visitors = Array.from({ length: DEALS }, () => randomBytes(8).toString('hex'));
      await visitEveryone(world.url, site.key, visitors);
      const requestsBefore = await crmRequestsOf(world.url);
      const portalId = world.portal.portal.id;

      const dealIds = visitors.map((visitor, index) => world.emulator.createDeal(world.name, { TITLE: `Bulk ${index}`, UF_CRM_LF_VISITOR_ID: visitor }));
      await world.emulator.events.settle();
      const outcomes: Record<string, number> = {};
      for (const attempt of world.emulator.events.attempts) if (attempt.event === 'ONCRMDEALADD') outcomes[String(attempt.outcome)] = (outcomes[String(attempt.outcome)] ?? 0) + 1;
      assert.deepEqual(outcomes, { 200: DEALS }, 'every ONCRMDEALADD answered 200 within the portal\'s delivery timeout');

      const enriched = () => {
        const comments = new Map<number, number>();
        for (const comment of world.emulator.state.comments) {
          if (comment.portalId === portalId && comment.entityType === 'deal') comments.set(comment.entityId, (comments.get(comment.entityId) ?? 0) + 1);
        }
        return dealIds.filter((id) => comments.get(id) === 1 && world.emulator.state.record('deal', id)?.userFields['UF_CRM_LF_MATCH'] && world.emulator.state.record('deal', id)?.values['UTM_SOURCE'] === 'yandex').length;
      };
      await waitFor('every deal enriched', async () => enriched() === DEALS, 180_000, 250);
      // Our writes come back as ONCRMDEALUPDATE and are read once more: wait until no request has gone out for 3 s.
      let last = -1;
      let quietSince = Date.now();
      await waitFor(
        'LongFunnel quiet',
        async () => {
          await world.emulator.events.settle();
          const now = await crmRequestsOf(world.url);
          if (now !== last) [last, quietSince] = [now, Date.now()];
          return Date.now() - quietSince >= 3_000;
        },
        120_000,
        250,
      );
      const requests = last - requestsBefore;
      t.diagnostic(`${DEALS} deals: ${requests} REST requests (batches), QUERY_LIMIT_EXCEEDED ${world.emulator.limits.queryLimitExceeded}`);

      assert.equal(world.emulator.limits.queryLimitExceeded, 0);
      assert.equal(world.emulator.limits.operationTimeLimit, 0);
      assert.equal(enriched(), DEALS, 'one comment per deal, also after our own updates came back');
      // Per deal a comment, its path as a Sales Intelligence trace, and one update (fields and the
      // comment's id together): 3 commands, 50 a batch. Reads take 2,500 deals a request; the update
      // events our writes cause are read once more.
      const traced = new Set([...world.emulator.state.traces.values()].flatMap((trace) => trace.entities.filter((entity) => entity.TYPE === 'DEAL').map((entity) => entity.ID)));
      assert.equal(traced.size, DEALS, 'one trace per deal');
      assert.equal(world.emulator.state.traces.size, DEALS, 'no deal traced twice');
      const writes = Math.ceil((3 * DEALS) / BATCH);
      assert.ok(requests >= writes, `at least the ${writes} write batches: ${requests}`);
      assert.ok(requests <= writes + 6, `${requests} requests for ${DEALS} deals: ${writes} write batches and a few reads`);
    });
  });
}
