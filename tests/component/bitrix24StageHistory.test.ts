/**
 * A Bitrix24 stage move is seen twice: by reading the deal after its update event (at its
 * MOVED_TIME) and by the periodic reconciliation's `crm.stagehistory.list` (at the history row's
 * CREATED_TIME). The two times need not be equal (bitrix24.md does not say they are; the emulator's
 * `stageHistoryLagMs` sets them apart): the move must still be recorded once, as the history has it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testBackends } from '../support/backends.js';
import { commentsOf, dealOf, installFromPortal, settled, startBitrix24World, type Bitrix24World } from '../support/bitrix24World.js';
import { waitFor } from '../support/processes.js';
import { createTestSite, newId, pageview, sendHit } from '../support/tracking.js';

for (const backendName of testBackends()) {
  describe(`Bitrix24 stage moves seen by events and by the history on ${backendName}`, () => {
    let world: Bitrix24World;

    before(async () => {
      world = await startBitrix24World(backendName, { emulator: { stageHistoryLagMs: 4_000 }, env: { CRM_RECONCILE_EVERY_MS: '1500' } });
    });

    after(async () => {
      await world?.stop();
    });

    test('when a deal is created and moved, and the reconciliation lists its history, then each move is recorded once, as the history has it', async () => {
      const { tenantId } = await installFromPortal(world);
      const db = world.lf.runtime.deps.db;
      const site = await createTestSite(world.lf.url, { domain: 'shop.example', tenant_id: tenantId });
      const visitor = newId();
      const landing = 'https://shop.example/?utm_source=vk&utm_medium=social';
      assert.equal((await sendHit(world.lf.url, pageview(site.key, { visitor, visit: newId(), url: landing, landing, ts: Date.now() - 60_000 }))).status, 204);
      const dealId = world.emulator.createDeal(world.name, { TITLE: 'Moves once', UF_CRM_LF_VISITOR_ID: visitor });
      await waitFor('the deal enriched', async () => (dealOf(world, dealId).userFields['UF_CRM_LF_MATCH'] && commentsOf(world, 'deal', dealId).length === 1) || undefined, 30_000, 100);
      world.emulator.updateDeal(world.name, dealId, { STAGE_ID: 'PREPARATION' });
      await settled(world, tenantId);

      const history = world.emulator.state.stageHistory.filter((row) => row.ownerId === dealId && row.entityTypeId === 2);
      assert.deepEqual(history.map((row) => row.stageId), ['NEW', 'PREPARATION']);
      assert.equal(history[1]!.createdMs - Number(dealOf(world, dealId).values['MOVED_TIME']), 4_000, 'the history row is stamped 4 s after MOVED_TIME');

      // Two reconciliations after the move: both lists of the history have been saved.
      const reconciled = () => world.lf.logs.filter((line) => line.includes('CRM reconciled')).length;
      const before = reconciled();
      await waitFor('two reconciliations', async () => reconciled() >= before + 2, 30_000, 100);
      await settled(world, tenantId);

      const moves = await db.query<{ from_stage_id: string | null; to_stage_id: string; at: Date | string; origin: string }>(
        'SELECT from_stage_id, to_stage_id, at, origin FROM stage_changes WHERE tenant_id = $1 AND deal_id = $2 ORDER BY at, to_stage_id',
        [tenantId, String(dealId)],
      );
      assert.deepEqual(
        moves.rows.map((row) => [row.from_stage_id, row.to_stage_id, row.origin, new Date(row.at).getTime()]),
        [
          [null, 'NEW', 'history', Math.floor(history[0]!.createdMs / 1000) * 1000],
          ['NEW', 'PREPARATION', 'history', Math.floor(history[1]!.createdMs / 1000) * 1000],
        ],
      );
      assert.equal(world.emulator.limits.queryLimitExceeded, 0);
    });
  });
}
