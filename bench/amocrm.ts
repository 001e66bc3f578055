/**
 * Batched enrichment against amoCRM's rate limit. `longfunnel start` on PostgreSQL + Redis is
 * installed into an emulated account (7 requests/s enforced) through the real install flow; each
 * deal's visitor has a visit; then BENCH_DEALS deals (default 10,000) are created at once, each
 * carrying its visitor id, and the emulator's webhooks announce them. Measured: the time until every
 * deal has its fields and its note, the requests made, and the rate-limit violations.
 *
 * The baseline is the least any client could do under the limit: one list read per 250 deals, one
 * PATCH per 50, one notes POST per 50, at exactly 7 requests/s. `ratio` is our time over that.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { systemClock } from '../integrations/amocrm/emulator/clock.js';
import { startAmocrmEmulator } from '../integrations/amocrm/emulator/server.js';
import { prepareBackend } from '../tests/support/backends.js';
import { spawnLongfunnel, waitFor } from '../tests/support/processes.js';
import { enrichedLeadCount, freePort, importDeals, visitEveryone } from '../tests/support/amocrmWorld.js';
import { ADMIN_TOKEN, createTestSite } from '../tests/support/tracking.js';
import { pacedLoad } from './pacedLoad.js';

const DEALS = Number(process.env.BENCH_DEALS ?? 10_000);
const RATE = 7;
const READ_BATCH = 250;
const WRITE_BATCH = 50;


/**
 * How fast our webhook endpoint answers amoCRM (amoCRM waits about 2 s; the target is p99 under
 * 100 ms): update bodies of the benchmark's deals at a steady BENCH_WEBHOOK_RATE per second (default
 * 100, far above what one account sends) for 10 s, open loop, timed from when each was due.
 */
async function measureWebhookAnswers(url: string, hookKey: string, leadIds: readonly number[]): Promise<void> {
  const rate = Number(process.env.BENCH_WEBHOOK_RATE ?? 100);
  let next = 0;
  const result = await pacedLoad(`${url}/webhooks/amocrm/${hookKey}`, rate, 10, () => {
    const leadId = leadIds[next++ % leadIds.length] as number;
    const body = new URLSearchParams({
      'leads[update][0][id]': String(leadId),
      'leads[update][0][name]': `Deal ${leadId}`,
      'leads[update][0][status_id]': '58000002',
      'leads[update][0][price]': '1500',
      'leads[update][0][responsible_user_id]': '9000001',
      'leads[update][0][pipeline_id]': '7000001',
      'leads[update][0][updated_at]': String(Math.floor(Date.now() / 1000)),
      'account[subdomain]': 'bench',
    }).toString();
    return { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  });
  console.log(
    `webhook answers at ${rate}/s for 10 s: ${result.ok} answered 200, ${result.failed} failed, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms (target p99 < 100 ms)`,
  );
}

export async function benchAmocrm(): Promise<void> {
  const emulator = await startAmocrmEmulator({ clock: systemClock });
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const account = emulator.setupAccount({ subdomain: 'bench', redirectUri: `${publicUrl}/oauth/amocrm/callback` });
  const backend = await prepareBackend('postgres+redis', {
    ADMIN_TOKEN,
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    NODE_ENV: 'production',
    AMOCRM_CLIENT_ID: account.integration.clientId,
    AMOCRM_CLIENT_SECRET: account.integration.clientSecret,
    AMOCRM_REDIRECT_URI: `${publicUrl}/oauth/amocrm/callback`,
    AMOCRM_BASE_URL: `${emulator.url}/_accounts/{subdomain}`,
    COLLECT_IP_LIMIT_PER_MINUTE: '100000000',
    COLLECT_SITE_LIMIT_PER_SECOND: '100000000',
  });
  const server = spawnLongfunnel(['start'], backend.env);
  const db = new pg.Client({ connectionString: backend.env.DATABASE_URL });
  try {
    const url = await server.started(60_000);
    await db.connect();
    const code = emulator.issueAuthorizationCode('bench', account.integration.clientId);
    const install = await fetch(`${url}/oauth/amocrm/callback?code=${encodeURIComponent(code)}&referer=bench.amocrm.ru&from_widget=1`);
    if (install.status !== 200) throw new Error(`bench: install answered ${install.status}: ${await install.text()}`);
    const { tenantId, hookKey } = await waitFor(
      'the install set-up',
      async () => {
        const { rows } = await db.query<{ tenant_id: string; hook_key: string }>("SELECT tenant_id, hook_key FROM crm_accounts WHERE setup ? 'historyImportedAt'");
        return rows[0] ? { tenantId: rows[0].tenant_id, hookKey: rows[0].hook_key } : undefined;
      },
      60_000,
    );
    const site = await createTestSite(url, { domain: 'shop.example', tenant_id: tenantId });
    const visitors = Array.from({ length: DEALS }, (_, index) => `bench-${createHash('sha1').update(String(index)).digest('hex').slice(0, 16)}`);
    await visitEveryone(url, site.key, visitors, 32);
    console.log(`amocrm bench: ${DEALS} deals, ${RATE} requests/s enforced by the emulator, PostgreSQL + Redis, loopback`);

    // The deals arrive the way a bulk import does (see importDeals): 250 per request.
    const before = { ...emulator.state.rateLimit };
    const started = Date.now();
    const leadIds = await importDeals(emulator, 'bench', visitors);
    const importerRequests = Math.ceil(DEALS / READ_BATCH);
    let lastReport = Date.now();
    await waitFor(
      'every deal enriched',
      () => {
        const done = enrichedLeadCount(emulator, account.account.id, leadIds);
        if (Date.now() - lastReport > 10_000) {
          console.log(`  ... ${done}/${DEALS} enriched after ${((Date.now() - started) / 1000).toFixed(0)} s`);
          lastReport = Date.now();
        }
        return done === DEALS ? true : undefined;
      },
      30 * 60_000,
      200,
    );
    const elapsedSeconds = (Date.now() - started) / 1000;
    const requests = emulator.state.rateLimit.accepted - before.accepted - importerRequests;
    const violations = emulator.state.rateLimit.violations - before.violations;
    const notes = [...emulator.state.notes.values()].filter((note) => leadIds.includes(note.entityId)).length;
    const minimumRequests = Math.ceil(DEALS / READ_BATCH) + 2 * Math.ceil(DEALS / WRITE_BATCH);
    const minimumSeconds = minimumRequests / RATE;
    const perDealRequests = 3 * DEALS;
    console.log(`all ${DEALS} deals enriched in ${elapsedSeconds.toFixed(1)} s; requests made: ${requests}; rate-limit violations: ${violations}; notes: ${notes}`);
    console.log(
      `minimum at ${RATE} req/s: ${minimumRequests} requests (${Math.ceil(DEALS / READ_BATCH)} reads of 250, ${Math.ceil(DEALS / WRITE_BATCH)} PATCHes of 50, ` +
        `${Math.ceil(DEALS / WRITE_BATCH)} note POSTs of 50) = ${minimumSeconds.toFixed(1)} s`,
    );
    console.log(`one request per deal and step instead (GET, PATCH, note): ${perDealRequests} requests = ${(perDealRequests / RATE / 60).toFixed(1)} min`);
    await measureWebhookAnswers(url, hookKey, leadIds);
    console.log(`ratio=${(elapsedSeconds / minimumSeconds).toFixed(3)}`);
  } finally {
    await db.end().catch(() => undefined);
    server.child.kill('SIGTERM');
    await server.exited(30_000).catch(() => undefined);
    await emulator.close();
    await backend.cleanup();
  }
}
