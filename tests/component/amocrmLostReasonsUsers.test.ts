/**
 * amoCRM end to end: a lead closed as lost with a loss reason shows that reason in the funnel, and
 * the managers report names the responsible user (users read at set-up, refreshed by the
 * reconciliation); both through the emulator and the real install, webhook and sync flows.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testBackends } from '../support/backends.js';
import { waitFor } from '../support/processes.js';
import { installFromWidget, startAmocrmWorld, type AmocrmWorld } from '../support/amocrmWorld.js';
import { ADMIN_TOKEN } from '../support/tracking.js';

for (const backendName of testBackends()) {
  describe(`amoCRM lost reasons and manager names on ${backendName}`, () => {
    let world: AmocrmWorld;
    let tenantId: string;
    let anna: number;
    let expensive: number;

    before(async () => {
      world = await startAmocrmWorld(backendName, { env: { CRM_RECONCILE_EVERY_MS: '1500' } });
      anna = world.emulator.addUser(world.subdomain, { name: 'Анна Петрова' });
      expensive = world.emulator.addLossReason(world.subdomain, { name: 'Дорого' });
      world.emulator.addLossReason(world.subdomain, { name: 'Выбрал конкурента' });
      ({ tenantId } = await installFromWidget(world));
    });

    after(async () => {
      await world?.stop();
    });

    const db = () => world.app.runtime.deps.db;
    const report = async (name: string, from: string, to: string) => {
      const response = await fetch(`${world.app.url}/api/v1/reports/${name}?from=${from}&to=${to}&tenant_id=${tenantId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(response.status, 200);
      return (await response.json()) as any;
    };

    test('when a lead is lost with a reason in amoCRM, then the funnel counts it under that reason and the managers report names its manager', async () => {
      await waitFor('users read at set-up', async () => {
        const users = await db().query<{ name: string }>('SELECT name FROM crm_users WHERE tenant_id = $1 AND user_id = $2', [tenantId, String(anna)]);
        return users.rows[0]?.name === 'Анна Петрова' ? true : undefined;
      }, 20_000);
      const pipeline = world.emulator.state.pipelinesOf(world.account.account.id).find((candidate) => candidate.isMain)!;
      const lost = world.emulator.createLead(world.subdomain, { name: 'Too pricey', price: 90_000, responsible_user_id: anna });
      const open = world.emulator.createLead(world.subdomain, { name: 'Still talking', responsible_user_id: anna });
      world.emulator.updateLead(world.subdomain, lost, { pipeline_id: pipeline.id, status_id: 143, loss_reason_id: expensive });
      const stored = await waitFor('the lost reason stored', async () => {
        const rows = await db().query<{ lost_reason: string | null; created_at: Date }>('SELECT lost_reason, created_at FROM deals WHERE tenant_id = $1 AND id = $2', [tenantId, String(lost)]);
        return rows.rows[0]?.lost_reason ? rows.rows[0] : undefined;
      }, 20_000);
      assert.equal(stored.lost_reason, 'Дорого');
      await waitFor('the open lead stored', async () => {
        const rows = await db().query('SELECT 1 FROM deals WHERE tenant_id = $1 AND id = $2', [tenantId, String(open)]);
        return rows.rows.length === 1 ? true : undefined;
      }, 20_000);

      const day = new Date(stored.created_at).toISOString().slice(0, 10);
      const funnel = await report('funnel', day, day);
      assert.equal(funnel.pipeline_id, String(pipeline.id));
      const losses = funnel.stages.flatMap((stage: any) => stage.lost);
      assert.deepEqual(losses, [{ reason: 'Дорого', count: 1 }]);
      assert.equal(funnel.leads, 2);

      const managers = await report('managers', day, day);
      assert.deepEqual(
        managers.rows.map((row: any) => [row.user_id, row.user_name, row.deals]),
        [[String(anna), 'Анна Петрова', 2]],
      );
    });

    test('when a user is added or renamed in amoCRM, then the next reconciliation refreshes the names', async () => {
      const boris = world.emulator.addUser(world.subdomain, { name: 'Борис Иванов' });
      world.emulator.state.users.get(anna)!.name = 'Анна Петрова-Смирнова';
      await waitFor('names refreshed by the reconciliation', async () => {
        const users = await db().query<{ user_id: string; name: string }>('SELECT user_id, name FROM crm_users WHERE tenant_id = $1 AND user_id = ANY($2::text[]) ORDER BY user_id', [tenantId, [String(anna), String(boris)]]);
        const names = Object.fromEntries(users.rows.map((row) => [row.user_id, row.name]));
        return names[String(anna)] === 'Анна Петрова-Смирнова' && names[String(boris)] === 'Борис Иванов' ? true : undefined;
      }, 30_000);
    });
  });
}
