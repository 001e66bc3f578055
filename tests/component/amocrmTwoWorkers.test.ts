/**
 * Scale-out: one `longfunnel server` and two `longfunnel worker` processes on PostgreSQL + Redis
 * share one amoCRM account's rate limit (the schedule lives in Redis) and its refresh token (one
 * refresh for all, under a row lock), while 1,000 deals are enriched and the token expires mid-run.
 * Roles other than `start` need PostgreSQL, so this runs on that backend only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { testBackends } from '../support/backends.js';
import { spawnLongfunnel, waitFor, type RunningProcess } from '../support/processes.js';
import { createTestSite } from '../support/tracking.js';
import { enrichedLeadCount, importDeals, installProcessWorld, startAmocrmProcessWorld, visitEveryone, type AmocrmProcessWorld } from '../support/amocrmWorld.js';

const DEALS = 1_000;

const crmRequestsOf = async (url: string): Promise<number> => {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return [...metrics.matchAll(/^longfunnel_crm_requests_total\{crm="amocrm",status="\d+"\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
};

if (testBackends().includes('postgres+redis')) {
  describe('amoCRM enrichment by two worker processes on postgres+redis', () => {
    let world: AmocrmProcessWorld;
    const workers: RunningProcess[] = [];
    const workerUrls: string[] = [];

    before(async () => {
      // The world's own process serves HTTP only; the two workers do all the jobs.
      world = await startAmocrmProcessWorld('postgres+redis', { role: 'server', env: { ENRICHMENT_DELAY_MS: '100', COLLECT_IP_LIMIT_PER_MINUTE: '100000' } });
      for (let index = 0; index < 2; index += 1) {
        // One job per queue at a time in each worker: while one flushes, the next flush job (a later
        // window of the import) goes to the other, so both call amoCRM at once.
        const worker = spawnLongfunnel(['worker'], { ...world.env, PORT: '0', WORKER_CONCURRENCY: '1' });
        workers.push(worker);
        workerUrls.push(await worker.started(60_000));
      }
    });

    after(async () => {
      for (const worker of workers) worker.child.kill('SIGTERM');
      await Promise.all(workers.map((worker) => worker.exited(30_000).catch(() => undefined)));
      await world?.stop();
    });

    test('when two workers enrich 1,000 deals and the token expires mid-run, then they stay under the limit together and refresh once', async () => {
      const { tenantId } = await installProcessWorld(world, () => workers.map((worker) => worker.output()).join(''));
      const site = await createTestSite(world.url, { domain: 'shop.example', tenant_id: tenantId });
      const visitors = Array.from({ length: DEALS }, () => randomBytes(8).toString('hex'));
      await visitEveryone(world.url, site.key, visitors);
      const ourRefreshTokens = () => [...world.emulator.state.refreshTokens.values()].filter((token) => token.clientId === world.account.integration.clientId).length;
      const refreshTokensBefore = ourRefreshTokens();

      const leadIds = await importDeals(world.emulator, world.subdomain, visitors);
      await waitFor('a third enriched', async () => enrichedLeadCount(world.emulator, world.account.account.id, leadIds) >= DEALS / 3, 120_000, 250);
      world.clock.advance(86_400_000 + 60_000);
      await waitFor('every deal enriched', async () => enrichedLeadCount(world.emulator, world.account.account.id, leadIds) === DEALS, 180_000, 250);

      assert.equal(world.emulator.state.rateLimit.violations, 0, 'no 429 from the emulator: the two workers kept to one schedule');
      assert.equal(world.emulator.state.rateLimit.blockedRequests, 0);
      assert.equal(ourRefreshTokens() - refreshTokensBefore, 1, 'the expired token was refreshed once for both workers');
      const requests = await Promise.all(workerUrls.map(crmRequestsOf));
      assert.ok(requests.every((count) => count > 0), `both workers called amoCRM: ${requests.join(', ')}`);
      const outputs = workers.map((worker) => worker.output()).join('');
      assert.doesNotMatch(outputs, /Token has been revoked|needs re-authorisation|grant revoked/);
    });
  });
}
