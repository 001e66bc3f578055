/**
 * Enrichment at volume against the emulator's enforced limit (7 requests/s, 429 beyond, block
 * after repeated violations): 1,000 deals at once, then the same with the emulator misbehaving.
 * LongFunnel runs as its own process, as in production.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { testBackends } from '../support/backends.js';
import { waitFor } from '../support/processes.js';
import { createTestSite } from '../support/tracking.js';
import {
  enrichedLeadCount,
  importDeals,
  installProcessWorld,
  startAmocrmProcessWorld,
  visitEveryone,
  type AmocrmProcessWorld,
} from '../support/amocrmWorld.js';

const DEALS = 1_000;

async function prepare(world: AmocrmProcessWorld): Promise<string[]> {
  const { tenantId } = await installProcessWorld(world);
  const site = await createTestSite(world.url, { domain: 'shop.example', tenant_id: tenantId });
  const visitors = Array.from({ length: DEALS }, () => randomBytes(8).toString('hex'));
  await visitEveryone(world.url, site.key, visitors);
  return visitors;
}

function assertOneNoteEach(world: AmocrmProcessWorld, leadIds: readonly number[]): void {
  const counts = new Map<number, number>(leadIds.map((id) => [id, 0]));
  for (const note of world.emulator.state.notes.values()) {
    const count = counts.get(note.entityId);
    if (count !== undefined) counts.set(note.entityId, count + 1);
  }
  const wrong = [...counts].filter(([, count]) => count !== 1);
  assert.deepEqual(wrong, [], 'every deal has exactly one note');
}

for (const backendName of testBackends()) {
  describe(`amoCRM enrichment of 1,000 deals on ${backendName}`, () => {
    let world: AmocrmProcessWorld;
    let visitors: string[];

    before(async () => {
      world = await startAmocrmProcessWorld(backendName, { env: { ENRICHMENT_DELAY_MS: '300', COLLECT_IP_LIMIT_PER_MINUTE: '100000' } });
      visitors = await prepare(world);
    });

    after(async () => {
      await world?.stop();
    });

    test('when 1,000 deals are created at once, then all are enriched in bulk with zero rate-limit violations', async () => {
      const before = { ...world.emulator.state.rateLimit };
      const leadIds = await importDeals(world.emulator, world.subdomain, visitors);
      await waitFor('every deal enriched', async () => enrichedLeadCount(world.emulator, world.account.account.id, leadIds) === DEALS, 180_000, 250);
      assert.equal(world.emulator.state.rateLimit.violations - before.violations, 0);
      assert.equal(world.emulator.state.rateLimit.blockedRequests - before.blockedRequests, 0);
      assertOneNoteEach(world, leadIds);
      // 4 imports + at least 4 reads of 250, 20 PATCHes of 50 and 20 note POSTs of 50; one per deal would be 3,000.
      const requests = world.emulator.state.rateLimit.accepted - before.accepted - Math.ceil(DEALS / 250);
      assert.ok(requests >= 44 && requests <= 60, `bulk requests only: ${requests}`);
      const deal = world.emulator.state.leads.get(leadIds[0] as number);
      assert.ok(deal?.customFieldsValues.length && deal.customFieldsValues.length >= 8, 'UTM and LongFunnel fields written');
    });
  });

  describe(`amoCRM enrichment of 1,000 deals under injected faults on ${backendName}`, () => {
    let world: AmocrmProcessWorld;
    let visitors: string[];

    before(async () => {
      world = await startAmocrmProcessWorld(backendName, {
        env: { ENRICHMENT_DELAY_MS: '300', AMOCRM_REQUEST_TIMEOUT_MS: '1000', COLLECT_IP_LIMIT_PER_MINUTE: '100000' },
        emulator: { faults: { seed: 11, slowResponseMs: 1_500 } },
      });
      visitors = await prepare(world);
    });

    after(async () => {
      await world?.stop();
    });

    test('when the CRM answers 429s, 5xx and too late, duplicates webhooks, and the token expires mid-run, then every deal is still enriched once', async () => {
      const leadIds = await importDeals(world.emulator, world.subdomain, visitors);
      // The import went through cleanly; from here on the account misbehaves. Scripted plans count
      // API requests (and webhook deliveries) since the emulator started: the install, set-up and
      // import made about 15 requests and 4 deliveries, enrichment makes about 45 more and ~20.
      const at = (...positions: number[]) => Array.from({ length: Math.max(...positions) + 1 }, (_unused, index) => positions.includes(index));
      Object.assign(world.emulator.options.faults, {
        tooManyRequests: at(22, 34, 46),
        slowResponse: at(26, 41),
        serverError: at(30, 44),
        webhookDuplicate: at(6, 7, 9, 12, 16),
      });
      await waitFor('a third enriched', async () => enrichedLeadCount(world.emulator, world.account.account.id, leadIds) >= DEALS / 3, 180_000, 250);
      world.clock.advance(86_400_000 + 60_000); // every access token issued so far is now expired
      await waitFor('every deal enriched', async () => enrichedLeadCount(world.emulator, world.account.account.id, leadIds) === DEALS, 240_000, 250);
      assert.equal(world.emulator.state.rateLimit.violations, 0, 'no request beyond the limit, even while retrying');
      assertOneNoteEach(world, leadIds);
      const logs = world.process.output();
      assert.match(logs, /CRM tokens refreshed/);
      assert.match(logs, /too many requests/);
      const metrics = await (await fetch(`${world.url}/metrics`)).text();
      assert.match(metrics, /longfunnel_crm_requests_total\{crm="amocrm",status="5\d\d"\} [1-9]/);
      assert.match(metrics, /longfunnel_crm_requests_total\{crm="amocrm",status="error"\} [1-9]/);
    });
  });
}
