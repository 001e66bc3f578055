/**
 * Scale-out: one `longfunnel server` and two `longfunnel worker` processes on PostgreSQL + Redis
 * share one Bitrix24 portal's leaky bucket (the schedule lives in Redis) and its refresh token (one
 * refresh for all), while 400 deals are enriched and the access token expires mid-run. Roles other
 * than `start` need PostgreSQL, so this runs on that backend only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { testBackends } from '../support/backends.js';
import { installProcessWorld, startBitrix24ProcessWorld, type Bitrix24ProcessWorld } from '../support/bitrix24World.js';
import { spawnLongfunnel, waitFor, type RunningProcess } from '../support/processes.js';
import { visitEveryone } from '../support/amocrmWorld.js';
import { createTestSite } from '../support/tracking.js';

const DEALS = 400;
/** Deals created at once; the next wave waits until the portal has delivered this one's events. */
const WAVE = 100;
/**
 * A bucket of 10 (and batches of 10 commands) instead of 50: the same 2 requests/s, but the burst
 * is spent within the first deals, so most of the run is paced rather than a burst's free ride.
 */
const BUCKET = 10;

const crmRequestsOf = async (url: string): Promise<number> => {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return [...metrics.matchAll(/^longfunnel_crm_requests_total\{crm="bitrix24",status="\d+"\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
};

if (testBackends().includes('postgres+redis')) {
  describe('Bitrix24 enrichment by two worker processes on postgres+redis', () => {
    let world: Bitrix24ProcessWorld;
    const workers: RunningProcess[] = [];
    const workerUrls: string[] = [];

    before(async () => {
      // The world's own process serves HTTP only; the two workers do all the jobs.
      world = await startBitrix24ProcessWorld('postgres+redis', {
        role: 'server',
        emulator: { leakyBucket: { threshold: BUCKET } },
        env: { ENRICHMENT_DELAY_MS: '300', COLLECT_IP_LIMIT_PER_MINUTE: '100000', BITRIX24_REQUEST_BURST: String(BUCKET), BITRIX24_BATCH_SIZE: String(BUCKET) },
      });
      for (let index = 0; index < 2; index += 1) {
        // One job at a time each: while one worker enriches a wave, the next wave's jobs go to the other.
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

    test('when two workers enrich 400 deals and the token expires mid-run, then they stay under the leaky bucket together and refresh once', async () => {
      const { tenantId } = await installProcessWorld(world, () => workers.map((worker) => worker.output()).join(''));
      const site = await createTestSite(world.url, { domain: 'shop.example', tenant_id: tenantId });
      const visitors = Array.from({ length: DEALS }, () => randomBytes(8).toString('hex'));
      await visitEveryone(world.url, site.key, visitors);
      const ourRefreshTokens = () => [...world.emulator.state.refreshTokens.values()].filter((token) => token.clientId === world.app.clientId).length;
      const refreshTokensBefore = ourRefreshTokens();
      const portalId = world.portal.portal.id;
      const enrichedCount = (ids: readonly number[]) => {
        const commented = new Set(world.emulator.state.comments.filter((comment) => comment.portalId === portalId && comment.entityType === 'deal').map((comment) => comment.entityId));
        return ids.filter((id) => commented.has(id) && world.emulator.state.record('deal', id)?.userFields['UF_CRM_LF_MATCH']).length;
      };

      const dealIds: number[] = [];
      for (let offset = 0; offset < DEALS; offset += WAVE) {
        const wave: number[] = [];
        for (const visitor of visitors.slice(offset, offset + WAVE)) wave.push(world.emulator.createDeal(world.name, { TITLE: `Deal ${dealIds.length + wave.length}`, UF_CRM_LF_VISITOR_ID: visitor }));
        dealIds.push(...wave);
        await world.emulator.events.settle();
        // The wave is being enriched (its worker busy with it) before the next one arrives.
        await waitFor('the wave being enriched', async () => enrichedCount(wave) > 0, 120_000, 100);
        if (offset === 2 * WAVE) {
          await waitFor('a third enriched', async () => enrichedCount(dealIds) >= DEALS / 3, 120_000, 250);
          world.clock.advance(3_600_000 + 60_000);
        }
      }
      const undelivered = world.emulator.events.attempts.filter((attempt) => attempt.event === 'ONCRMDEALADD' && attempt.outcome !== 200).length;
      assert.equal(undelivered, 0, 'every ONCRMDEALADD was answered 200');
      await waitFor('every deal enriched', async () => enrichedCount(dealIds) === DEALS, 240_000, 500);

      assert.equal(world.emulator.limits.queryLimitExceeded, 0, 'no QUERY_LIMIT_EXCEEDED: the two workers kept to one schedule');
      assert.equal(world.emulator.limits.operationTimeLimit, 0);
      assert.equal(ourRefreshTokens() - refreshTokensBefore, 1, 'the expired token was refreshed once for both workers');
      const requests = await Promise.all(workerUrls.map(crmRequestsOf));
      assert.ok(requests.every((count) => count > 0), `both workers called Bitrix24: ${requests.join(', ')}`);
      const total = requests.reduce((sum, count) => sum + count, 0);
      assert.ok(total > 4 * BUCKET, `most requests were paced, beyond the bucket: ${total}`);
      assert.ok(dealIds.every((id) => world.emulator.state.commentsOf(portalId, 'deal', id).length === 1), 'one comment per deal');
    });
  });
}
