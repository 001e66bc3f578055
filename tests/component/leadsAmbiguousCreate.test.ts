/**
 * The hardest CRM outage for "created once": amoCRM creates the lead but its answer never reaches
 * LongFunnel (the connection is cut after the request was served). A proxy between LongFunnel and
 * the emulator does exactly that to the first `POST /api/v4/leads/complex`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { leadReference } from '../../server/leads/leadDelivery.js';
import { testBackends } from '../support/backends.js';
import { waitFor } from '../support/processes.js';
import { createTestSite, newId, type CreatedSite } from '../support/tracking.js';
import { installFromWidget, metricValue, startAmocrmWorld, type AmocrmWorld } from '../support/amocrmWorld.js';

interface CuttingProxy {
  url: string;
  target: string;
  /** `POST /api/v4/leads/complex` requests served upstream whose answer was cut. */
  cut: number;
  /** How many more of them to cut. */
  cutNext: number;
  close(): Promise<void>;
}

const hopHeaders = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'content-encoding', 'keep-alive']);

async function startCuttingProxy(): Promise<CuttingProxy> {
  const proxy: CuttingProxy = { url: '', target: '', cut: 0, cutNext: 0, close: async () => undefined };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !hopHeaders.has(name)).map(([name, value]) => [name, String(value)]));
        const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
        const upstream = await fetch(`${proxy.target}${request.url ?? '/'}`, { method: request.method ?? 'GET', headers, ...(hasBody ? { body: Buffer.concat(chunks) } : {}), redirect: 'manual' });
        const body = Buffer.from(await upstream.arrayBuffer());
        if (request.method === 'POST' && (request.url ?? '').endsWith('/api/v4/leads/complex') && proxy.cutNext > 0) {
          // Served upstream (the lead exists now), but the answer never comes back.
          proxy.cutNext -= 1;
          proxy.cut += 1;
          request.socket.destroy();
          return;
        }
        const answerHeaders: Record<string, string> = {};
        upstream.headers.forEach((value, name) => {
          if (!hopHeaders.has(name)) answerHeaders[name] = value;
        });
        response.writeHead(upstream.status, answerHeaders).end(body);
      })().catch(() => request.socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}

for (const backendName of testBackends()) {
  describe(`a lead whose create answer is lost, amoCRM, on ${backendName}`, () => {
    let world: AmocrmWorld;
    let proxy: CuttingProxy;
    let site: CreatedSite;

    before(async () => {
      proxy = await startCuttingProxy();
      world = await startAmocrmWorld(backendName, {
        env: { AMOCRM_BASE_URL: `${proxy.url}/_accounts/{subdomain}`, AMOCRM_REQUEST_TIMEOUT_MS: '1000' },
      });
      proxy.target = world.emulator.url;
      const { tenantId } = await installFromWidget(world);
      site = await createTestSite(world.app.url, { domain: 'shop.example', tenant_id: tenantId });
    });

    after(async () => {
      await world?.stop();
      await proxy?.close();
    });

    test('when amoCRM created the lead but the answer was cut, then the retry finds it by its reference and no second lead is made', async () => {
      proxy.cutNext = 1;
      const response = await fetch(`${world.app.url}/api/v1/leads`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://shop.example' },
        body: JSON.stringify({ site: site.key, visitor: newId(), name: 'Lost answer', phone: '+79007000099', form: 'ambiguous' }),
      });
      assert.equal(response.status, 202);
      const { id } = (await response.json()) as { id: string };
      const row = await waitFor('the lead delivered', async () => {
        const { rows } = await world.app.runtime.deps.db.query<{ status: string; attempts: number; crm_deal_id: string }>('SELECT status, attempts, crm_deal_id FROM lead_requests WHERE id = $1', [id]);
        return rows[0]?.status === 'delivered' ? rows[0] : undefined;
      }, 30_000);
      assert.equal(proxy.cut, 1, 'one create answer was cut');
      assert.ok(row.attempts >= 2, 'delivered by a later attempt');
      const leads = world.emulator.state.leadsOf(world.account.account.id).filter((lead) => lead.name.includes(leadReference(id)));
      assert.equal(leads.length, 1, 'exactly one lead');
      assert.equal(String(leads[0]?.id), row.crm_deal_id);
      assert.equal(await metricValue(world, 'longfunnel_leads_delivered_total', 'crm="amocrm",outcome="found"'), 1);
    });
  });
}
