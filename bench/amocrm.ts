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
import { createIntegration } from '../integrations/amocrm/emulator/accounts.js';
import { systemClock } from '../integrations/amocrm/emulator/clock.js';
import { startAmocrmEmulator } from '../integrations/amocrm/emulator/server.js';
import { prepareBackend } from '../tests/support/backends.js';
import { spawnLongfunnel } from '../tests/support/processes.js';
import { freePort } from '../tests/support/amocrmWorld.js';
import { ADMIN_TOKEN, createTestSite } from '../tests/support/tracking.js';

const DEALS = Number(process.env.BENCH_DEALS ?? 10_000);
const RATE = 7;
const READ_BATCH = 250;
const WRITE_BATCH = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function poll<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Sends one page view per visitor, `concurrency` at a time. */
async function visitEveryone(url: string, siteKey: string, visitors: string[], concurrency = 32): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < visitors.length) {
      const visitor = visitors[next++] as string;
      const landing = `https://shop.example/?utm_source=yandex&utm_medium=cpc&utm_campaign=bench_${next % 20}`;
      const response = await fetch(`${url}/collect`, {
        method: 'POST',
        headers: {
          'content-type': 'text/plain;charset=UTF-8',
          origin: 'https://shop.example',
          'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
        },
        body: JSON.stringify({ v: 1, site: siteKey, type: 'pageview', visitor, visit: `${visitor}-v`, url: landing, landing, ts: Date.now() - 3_600_000 }),
      });
      if (response.status >= 300) throw new Error(`bench: /collect answered ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
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
    const tenantId = await poll(
      'the install set-up',
      async () => {
        const { rows } = await db.query<{ tenant_id: string }>("SELECT tenant_id FROM crm_accounts WHERE setup ? 'historyImportedAt'");
        return rows[0]?.tenant_id;
      },
      60_000,
    );
    const site = await createTestSite(url, { domain: 'shop.example', tenant_id: tenantId });
    const visitors = Array.from({ length: DEALS }, (_, index) => `bench-${createHash('sha1').update(String(index)).digest('hex').slice(0, 16)}`);
    await visitEveryone(url, site.key, visitors);
    console.log(`amocrm bench: ${DEALS} deals, ${RATE} requests/s enforced by the emulator, PostgreSQL + Redis, loopback`);

    // The deals arrive the way a bulk import does: another integration of the account (its own
    // rate budget) posts them 250 per request, and amoCRM announces each request's deals in one
    // webhook body.
    const importer = createIntegration(emulator.state, { redirectUri: 'https://importer.example/cb', name: 'Importer' });
    const importerToken = emulator.issueTokens('bench', importer.clientId).access_token;
    const before = { ...emulator.state.rateLimit };
    const started = Date.now();
    const leadIds: number[] = [];
    for (let offset = 0; offset < DEALS; offset += READ_BATCH) {
      const chunk = visitors.slice(offset, offset + READ_BATCH).map((visitor, index) => ({
        name: `Deal ${offset + index}`,
        price: 1000 + offset + index,
        custom_fields_values: [{ field_code: 'LF_VISITOR_ID', values: [{ value: visitor }] }],
      }));
      const response = await fetch(`${emulator.url}/_accounts/bench/api/v4/leads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${importerToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(chunk),
      });
      if (response.status !== 200) throw new Error(`bench: creating deals answered ${response.status}: ${await response.text()}`);
      const created = (await response.json()) as { _embedded: { leads: Array<{ id: number }> } };
      leadIds.push(...created._embedded.leads.map((lead) => lead.id));
      await sleep(Math.ceil(1000 / RATE) + 10); // the importer keeps to its own limit
    }
    const importerRequests = Math.ceil(DEALS / READ_BATCH);
    const fieldId = emulator.state.customFieldsOf(account.account.id).find((field) => field.code === 'LF_MATCH')?.id;
    const notedLeads = () => new Set([...emulator.state.notes.values()].map((note) => note.entityId));
    let lastReport = Date.now();
    await poll(
      'every deal enriched',
      () => {
        const noted = notedLeads();
        const done = leadIds.filter((id) => noted.has(id) && emulator.state.leads.get(id)?.customFieldsValues.some((value) => value.fieldId === fieldId)).length;
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
    console.log(`ratio=${(elapsedSeconds / minimumSeconds).toFixed(3)}`);
  } finally {
    await db.end().catch(() => undefined);
    server.child.kill('SIGTERM');
    await server.exited(30_000).catch(() => undefined);
    await emulator.close();
    await backend.cleanup();
  }
}
