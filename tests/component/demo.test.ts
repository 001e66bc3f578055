/**
 * The first-run demo as a newcomer meets it: `longfunnel start` with no CRM configured runs the
 * demo on the embedded defaults (emulated amoCRM and Bitrix24, demo sites, generated traffic); a
 * deal gets enriched and the channels report adds up to the revenue the CRMs' managers closed.
 * Then `longfunnel demo` resumes that run and `longfunnel demo --reset` starts over.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort } from '../support/amocrmWorld.js';
import { spawnLongfunnel, waitFor, type RunningProcess } from '../support/processes.js';

interface DemoReadiness {
  phase: string;
  daysDone: number;
  historyDays: number;
  missing: string[];
  enrichedDeal?: { crm: string; tenant: string; dealId: string };
  sites?: Array<{ crm: string; tenant: string; siteId: string; url: string }>;
  generator?: { deals: number; won: number; errors: number; byTenant: Record<string, { deals: number; won: number; revenue: number }> };
}

interface ChannelRow {
  key: { channel: string };
  visits: number;
  leads: number;
  won: number;
  revenue: number;
  cost: number;
  romi: number | null;
}

async function demoStatus(baseUrl: string): Promise<DemoReadiness | undefined> {
  const response = await fetch(`${baseUrl}/readyz`);
  if (response.status !== 200) return undefined;
  return ((await response.json()) as { demo?: DemoReadiness }).demo;
}

async function stop(process: RunningProcess): Promise<void> {
  process.child.kill('SIGTERM');
  const exit = await process.exited(60_000);
  assert.equal(exit.code, 0, process.output());
}

/** GET / on 127.0.0.1 with a Host header of our choosing (fetch does not let a caller set Host). */
function getWithHost(port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', headers: { host } }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

function adminTokenOf(output: string): string {
  const token = /admin token ([0-9a-f]{48}) \(generated for this demo\)/.exec(output)?.[1];
  assert.ok(token, `the banner prints the generated admin token:\n${output}`);
  return token;
}

test('when longfunnel start runs with no CRM configured, then the demo fills the reports through the real flows, resumes and resets', { timeout: 600_000 }, async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'longfunnel-demo-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = { DEMO: 'auto', DATA_DIR: dataDir, PORT: String(port), DEMO_HISTORY_DAYS: '4', DEMO_SITE_PORT: '0', LOG_LEVEL: 'info' };
  try {
    const first = spawnLongfunnel(['start'], env);
    let adminToken = '';
    let status: DemoReadiness | undefined;
    try {
      await first.started(120_000);
      await waitFor('the demo banner', () => first.output().includes('Dashboard:'), 120_000);

      await t.test('the console says where to look: the dashboard with a generated admin token, the tenants and the demo sites', () => {
        const output = first.output();
        assert.ok(output.includes(`Dashboard:  ${baseUrl}/dashboard`), output);
        adminToken = adminTokenOf(output);
        assert.match(output, /amoCRM\s+tenant_id amocrm-\d+/);
        assert.match(output, /Bitrix24\s+tenant_id bitrix24-[0-9a-f]+/);
        assert.match(output, /Demo site \(amoCRM\): http:\/\/okna\.localhost:\d+\//);
        assert.match(output, /Demo data: .*demo/);
      });

      await t.test('a deal of a site visitor is enriched in amoCRM, and the history finishes with every public API present', async () => {
        status = await waitFor('the demo to finish its history and deal steps', async () => {
          const current = await demoStatus(baseUrl);
          return current?.phase === 'live' && current.enrichedDeal ? current : undefined;
        }, 300_000, 500);
        assert.equal(status.enrichedDeal?.crm, 'amocrm');
        assert.deepEqual(status.missing, []);
        assert.equal(status.daysDone, 4);
        assert.equal(status.generator?.errors, 0, first.output());
        assert.ok(first.output().includes(`amoCRM deal ${status.enrichedDeal?.dealId}`), 'the console names the enriched deal');
        assert.match(first.output(), /Demo: generating history, day 4\/4: \d+ visits/);
      });

      await t.test("the demo sites are the tenants' sites and serve the real tracker tag", async () => {
        const sites = ((await (await fetch(`${baseUrl}/api/v1/sites`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { sites: Array<{ id: string; key: string; domain: string; tenant_id?: string }> }).sites;
        for (const site of status?.sites ?? []) {
          const stored = sites.find((candidate) => candidate.id === site.siteId);
          assert.ok(stored, `site ${site.siteId} is stored`);
          const page = new URL(site.url);
          // The site's host name under .localhost; the request goes to 127.0.0.1 with that Host, as a browser sends it.
          const html = await getWithHost(Number(page.port), page.host);
          assert.ok(html.includes(`src="${baseUrl}/t.js" data-site="${stored.key}" data-swap data-forms="capture"`), html.slice(0, 2_000));
          assert.match(html, /<form id="request"/);
        }
        assert.equal(status?.sites?.length, 2);
      });

      await t.test('per tenant, the channels report is non-empty and its revenue by channel sums to the revenue of the won deals', async () => {
        for (const [tenant, closed] of Object.entries(status?.generator?.byTenant ?? {})) {
          const report = await waitFor(`the channels report of ${tenant} to count every won deal`, async () => {
            const response = await fetch(`${baseUrl}/api/v1/reports/channels?tenant_id=${encodeURIComponent(tenant)}&level=won`, { headers: { authorization: `Bearer ${adminToken}` } });
            if (response.status !== 200) throw new Error(`${response.status}: ${await response.text()}`);
            const body = (await response.json()) as { rows: ChannelRow[]; totals: ChannelRow };
            const current = (await demoStatus(baseUrl))?.generator?.byTenant[tenant];
            return current && Math.abs(body.totals.revenue - current.revenue) < 1 ? { body, closed: current } : undefined;
          }, 120_000, 1_000);
          const { rows, totals } = report.body;
          assert.ok(rows.length >= 2, `${tenant}: channels ${JSON.stringify(rows.map((row) => row.key))}`);
          const byChannel = rows.reduce((sum, row) => sum + row.revenue, 0);
          assert.ok(Math.abs(byChannel - totals.revenue) < 1, `${tenant}: rows sum to ${byChannel}, totals ${totals.revenue}`);
          assert.ok(Math.abs(rows.reduce((sum, row) => sum + row.won, 0) - report.closed.won) < 0.01, `${tenant}: won deals credited ${JSON.stringify(rows)}`);
          assert.ok(report.closed.won === 0 || totals.revenue > 0);
          assert.ok(rows.some((row) => row.cost > 0 && row.romi !== null), `${tenant}: a paid channel has its cost and ROMI: ${JSON.stringify(rows)}`);
          assert.ok(closed.deals > 0);
        }
        assert.equal(Object.keys(status?.generator?.byTenant ?? {}).length, 2);
      });

      await t.test('a second demo on the same data directory refuses while the first runs, and leaves its data alone', async () => {
        const second = spawnLongfunnel(['demo'], { ...env, PORT: String(await freePort()) });
        const exit = await second.exited(60_000);
        assert.equal(exit.code, 1, second.output());
        assert.match(second.output(), new RegExp(`The embedded database in ${path.join(dataDir, 'demo')} is already open in process ${first.child.pid}`));
        assert.equal((await demoStatus(baseUrl))?.phase, 'live', 'the first demo runs on');
      });
    } finally {
      if (first.child.exitCode === null) await stop(first);
    }

    await t.test('longfunnel demo after a stop resumes the same CRMs and data without generating the history again', async () => {
      const again = spawnLongfunnel(['demo'], env);
      try {
        await again.started(120_000);
        const resumed = await waitFor('the resumed demo to go live', async () => {
          const current = await demoStatus(baseUrl);
          return current?.phase === 'live' ? current : undefined;
        }, 120_000, 500);
        assert.ok(again.output().includes('Demo: resuming the demo in'), again.output());
        assert.equal(adminTokenOf(again.output()), adminToken, 'the dashboard stays signed in with the same token');
        assert.ok(!again.output().includes('generating history'), 'no second history');
        assert.deepEqual(resumed.sites?.map((site) => site.siteId), status?.sites?.map((site) => site.siteId));
        assert.equal(resumed.enrichedDeal?.tenant, status?.enrichedDeal?.tenant);
      } finally {
        await stop(again);
      }
    });

    await t.test('longfunnel demo --reset clears the demo directory and starts over', async () => {
      const reset = spawnLongfunnel(['demo', '--reset'], env);
      try {
        await reset.started(120_000);
        await waitFor('the new banner', () => reset.output().includes('Dashboard:'), 120_000);
        assert.ok(reset.output().includes(`Demo: --reset: clearing ${path.join(dataDir, 'demo')}`), reset.output());
        const newToken = adminTokenOf(reset.output());
        assert.notEqual(newToken, adminToken, 'a new demo, a new token');
        const sites = ((await (await fetch(`${baseUrl}/api/v1/sites`, { headers: { authorization: `Bearer ${newToken}` } })).json()) as { sites: Array<{ id: string }> }).sites;
        assert.equal(sites.length, 2);
        assert.ok(sites.every((site) => !status?.sites?.some((old) => old.siteId === site.id)), 'new sites, the old ones are gone');
      } finally {
        await stop(reset);
      }
    });
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('when a CRM is configured, then longfunnel demo refuses and says why, touching no data', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'longfunnel-demo-refused-'));
  try {
    const refused = spawnLongfunnel(['demo'], { DATA_DIR: dataDir, AMOCRM_CLIENT_ID: 'client', AMOCRM_CLIENT_SECRET: 'secret', PORT: '0' });
    const exit = await refused.exited(30_000);
    assert.equal(exit.code, 1, refused.output());
    assert.match(refused.output(), /longfunnel demo: a CRM is configured \(AMOCRM_CLIENT_ID\), and the demo never runs next to a real CRM/);
    assert.deepEqual(fs.readdirSync(dataDir), []);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
