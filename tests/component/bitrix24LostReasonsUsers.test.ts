/**
 * Bitrix24 end to end: a deal lost in one of the portal's failure stages is counted in the funnel
 * under that stage's name (Bitrix24 has no loss-reason field), and the managers report names the
 * responsible user (read with `user.get` at set-up).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testBackends } from '../support/backends.js';
import { installFromPortal, startBitrix24World, type Bitrix24World } from '../support/bitrix24World.js';
import { waitFor } from '../support/processes.js';
import { ADMIN_TOKEN } from '../support/tracking.js';

for (const backendName of testBackends()) {
  describe(`Bitrix24 lost reasons and manager names on ${backendName}`, () => {
    let world: Bitrix24World;
    let tenantId: string;
    let anna: number;

    before(async () => {
      world = await startBitrix24World(backendName);
      anna = world.emulator.addUser(world.name, { name: 'Анна', lastName: 'Петрова' });
      ({ tenantId } = await installFromPortal(world));
    });

    after(async () => {
      await world?.stop();
    });

    const db = () => world.lf.runtime.deps.db;
    const report = async (name: string, from: string, to: string) => {
      const response = await fetch(`${world.lf.url}/api/v1/reports/${name}?from=${from}&to=${to}&tenant_id=${tenantId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(response.status, 200);
      return (await response.json()) as any;
    };

    test('when deals are lost in the failure stages, then the funnel counts them under each stage name, and managers are named', async () => {
      await waitFor('users read at set-up', async () => {
        const users = await db().query<{ name: string }>('SELECT name FROM crm_users WHERE tenant_id = $1 AND user_id = $2', [tenantId, String(anna)]);
        return users.rows[0]?.name === 'Анна Петрова' ? true : undefined;
      }, 20_000);
      const stages = await db().query<{ stage_id: string; lost_reason: string | null }>("SELECT stage_id, lost_reason FROM crm_stages WHERE tenant_id = $1 AND pipeline_id = '0' ORDER BY stage_id", [tenantId]);
      assert.deepEqual(
        stages.rows.filter((row) => row.lost_reason !== null).map((row) => [row.stage_id, row.lost_reason]),
        [['APOLOGY', 'Analyze failure'], ['LOSE', 'Deal failed']],
      );
      const failed = world.emulator.createDeal(world.name, { TITLE: 'Failed', ASSIGNED_BY_ID: anna });
      const analysed = world.emulator.createDeal(world.name, { TITLE: 'Analysed', ASSIGNED_BY_ID: anna });
      world.emulator.updateDeal(world.name, failed, { STAGE_ID: 'LOSE' });
      world.emulator.updateDeal(world.name, analysed, { STAGE_ID: 'APOLOGY' });
      const created = await waitFor('both lost deals stored', async () => {
        const rows = await db().query<{ created_at: Date }>("SELECT created_at FROM deals WHERE tenant_id = $1 AND id = ANY($2::text[]) AND outcome = 'lost'", [tenantId, [String(failed), String(analysed)]]);
        return rows.rows.length === 2 ? rows.rows[0]!.created_at : undefined;
      }, 20_000);
      const day = new Date(created).toISOString().slice(0, 10);
      const funnel = await report('funnel', day, day);
      assert.equal(funnel.pipeline_id, '0');
      assert.deepEqual(funnel.stages.flatMap((stage: any) => stage.lost), [
        { reason: 'Analyze failure', count: 1 },
        { reason: 'Deal failed', count: 1 },
      ]);
      const managers = await report('managers', day, day);
      assert.deepEqual(managers.rows.map((row: any) => [row.user_id, row.user_name, row.deals]), [[String(anna), 'Анна Петрова', 2]]);
    });
  });
}
