/** The widget's token check and the install agree on the redirect URI when AMOCRM_REDIRECT_URI is not set. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { createAmocrmWidgetTokens } from '../../../integrations/amocrm/widgetToken.js';
import { amocrmRedirectUri } from '../../../integrations/amocrm/redirectUri.js';
import { loadConfig } from '../../../server/config.js';
import type { FeatureDeps } from '../../../server/runtime.js';

const secret = 'client-secret-0123456789abcdef0123456789abcdef';
const clientId = '0b0c0d0e-1111-2222-3333-444455556666';

function tokenFor(audience: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ account_id: 31337, user_id: 7, client_uuid: clientId, subdomain: 'acme', is_admin: true })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://acme.amocrm.ru')
    .setAudience(audience)
    .setJti('c5f3e2a1')
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 1800)
    .sign(new TextEncoder().encode(secret));
}

test('when AMOCRM_REDIRECT_URI is not set, then the widget accepts tokens for the PUBLIC_URL callback the install registered', async () => {
  const config = loadConfig({ PUBLIC_URL: 'https://lf.example.com', AMOCRM_CLIENT_ID: clientId, AMOCRM_CLIENT_SECRET: secret });
  assert.equal(amocrmRedirectUri(config), 'https://lf.example.com/oauth/amocrm/callback');
  const verifier = createAmocrmWidgetTokens({ config } as FeatureDeps);
  assert.ok(verifier, 'the widget must be served whenever the integration is configured');
  const identity = await verifier.verify(await tokenFor('https://lf.example.com'));
  assert.equal(identity.accountId, '31337');
  await assert.rejects(verifier.verify(await tokenFor('https://other.example.com')), /not issued for this LongFunnel/);
});
