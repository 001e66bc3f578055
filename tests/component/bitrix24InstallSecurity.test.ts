/**
 * What the Bitrix24 handlers refuse: an install page whose DOMAIN is not the portal the OAuth
 * server confirms for its tokens, and events for a portal LongFunnel is not installed on. Refused
 * means an error answer and nothing stored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeForm } from '../../integrations/formBrackets.js';
import { testBackends } from '../support/backends.js';
import { installFromPortal, startBitrix24World, type Bitrix24World } from '../support/bitrix24World.js';

const form = { 'content-type': 'application/x-www-form-urlencoded' };

for (const backendName of testBackends()) {
  describe(`Bitrix24 install and event refusals on ${backendName}`, () => {
    let world: Bitrix24World;

    before(async () => {
      world = await startBitrix24World(backendName);
    });

    after(async () => {
      await world?.stop();
    });

    const count = async (table: 'crm_accounts' | 'crm_inbox') => Number((await world.lf.runtime.deps.db.query<{ count: string }>(`SELECT count(*) AS count FROM ${table}`)).rows[0]?.count);

    /** The install page's POST (bitrix24.md 1.3) with genuine tokens of the world's portal, naming `domain`. */
    function installPage(domain: string): Promise<Response> {
      const tokens = world.emulator.issueTokens(world.name, world.app.clientId);
      const body = encodeForm({
        AUTH_ID: tokens.access_token,
        AUTH_EXPIRES: String(tokens.expires_in),
        REFRESH_ID: tokens.refresh_token,
        member_id: tokens.member_id,
        status: 'L',
        PLACEMENT: 'DEFAULT',
        APPLICATION_TOKEN: world.app.applicationToken,
      });
      return fetch(`${world.lf.url}/bitrix24/install?DOMAIN=${encodeURIComponent(domain)}&PROTOCOL=1&LANG=en`, { method: 'POST', headers: form, body });
    }

    test("when an install's DOMAIN is not the portal its tokens belong to, then it is refused and nothing is stored", async () => {
      // Another portal, the portal's default cloud name, the same host on another port.
      for (const domain of ['evil.bitrix24.com', 'acme.bitrix24.com', `${new URL(world.emulator.url).hostname}:1`]) {
        const answer = await installPage(domain);
        assert.equal(answer.status, 403, domain);
        assert.match(await answer.text(), /nothing was installed/);
      }
      assert.equal(await count('crm_accounts'), 0);
      assert.ok(world.lf.logs.some((line) => line.includes('Bitrix24 install refused')));

      // The same tokens naming their own portal install: only the DOMAIN was wrong.
      const genuine = await installPage(world.portal.portal.domain.toUpperCase());
      assert.equal(genuine.status, 200);
      assert.equal(await count('crm_accounts'), 1);
    });

    test('when events come for a portal LongFunnel is not installed on, then 403 and nothing is stored', async () => {
      const { tenantId } = await installFromPortal(world);
      assert.ok(tenantId);
      const inboxBefore = await count('crm_inbox');
      const event = (memberId: string, applicationToken: string) =>
        encodeForm({
          event: 'ONCRMDEALADD',
          event_handler_id: '7',
          data: { FIELDS: { ID: '42' } },
          ts: String(Math.floor(Date.now() / 1000)),
          auth: { domain: 'stranger.bitrix24.com', client_endpoint: 'https://stranger.bitrix24.com/rest/', member_id: memberId, application_token: applicationToken },
        });
      // Another portal altogether; and another portal presenting our portal's genuine application token.
      for (const body of [event('f'.repeat(32), '0'.repeat(32)), event('e'.repeat(32), world.app.applicationToken)]) {
        const answer = await fetch(`${world.lf.url}/webhooks/bitrix24`, { method: 'POST', headers: form, body });
        assert.equal(answer.status, 403);
        assert.equal(((await answer.json()) as { error: { code: string } }).error.code, 'forbidden');
      }
      assert.equal(await count('crm_inbox'), inboxBefore);
      assert.equal(await count('crm_accounts'), 1, 'no account made for the stranger');
    });
  });
}
