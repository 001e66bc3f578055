/**
 * Bitrix24 behind the product's CRM adapter interface: its routes (install handler, events),
 * reading its events, refreshing its tokens at the OAuth server, and connections to installed
 * portals — paced as a leaky bucket (bitrix24.md 4.4: 50 requests, draining 2 a second).
 */
import type { CrmAdapter, CrmAdapterFactory } from '../../server/crm/crmAdapter.js';
import { paceOf } from '../../server/crm/requestPacer.js';
import { Bitrix24Connection } from './bitrix24Connection.js';
import { eventChanges, readBitrix24Event } from './events.js';
import { bitrix24InstallRoutes, type Bitrix24InstallDeps } from './installRoutes.js';
import { Bitrix24OAuthClient } from './oauthClient.js';
import { bitrix24PlacementRoutes } from './placementRoutes.js';
import { Bitrix24Rest } from './restClient.js';
import { bitrix24WebhookRoute } from './webhookRoutes.js';

export const createBitrix24Adapter: CrmAdapterFactory = (deps) => {
  const { config, metrics } = deps;
  const { clientId, clientSecret, oauthUrl, requestsPerSecond, requestBurst, batchSize, requestTimeoutMs, attachTrace } = config.bitrix24;
  const onResponse = (status: number | undefined) => metrics.crmRequests.inc({ crm: 'bitrix24', status: status === undefined ? 'error' : String(status) });
  const oauth = clientId && clientSecret ? new Bitrix24OAuthClient({ oauthUrl, clientId, clientSecret, timeoutMs: requestTimeoutMs, onResponse }) : undefined;
  const install: Bitrix24InstallDeps | undefined = oauth
    ? { oauth, oauthRest: new Bitrix24Rest({ endpoint: `${oauthUrl}/rest/`, timeoutMs: requestTimeoutMs, onResponse }) }
    : undefined;
  const requireOAuth = () => {
    if (!oauth) throw new Error('The Bitrix24 integration is not configured: set BITRIX24_CLIENT_ID and BITRIX24_CLIENT_SECRET');
    return oauth;
  };

  const adapter: CrmAdapter = {
    crm: 'bitrix24',
    pace: paceOf(requestsPerSecond, requestBurst),
    // One batch of list commands of 50 ids each: 2,500 deals a request at the default batch size.
    claimBatch: batchSize * 50,
    requestTimeoutMs,
    routes: (services) => [bitrix24InstallRoutes(services, install), bitrix24PlacementRoutes(services, { timeoutMs: requestTimeoutMs, onResponse })],
    fastRoutes: (services) => [bitrix24WebhookRoute(services)],
    readWebhook: (body) => eventChanges(readBitrix24Event(body)),
    refreshTokens: async (_account, refreshToken) => {
      const { accessToken, refreshToken: next, expiresAt } = await requireOAuth().refresh(refreshToken);
      return { accessToken, refreshToken: next, expiresAt };
    },
    connect(account, services) {
      const endpoint = account.setup['clientEndpoint'];
      if (typeof endpoint !== 'string') throw new Error(`Bitrix24 portal ${account.domain} has no REST address stored: install the application again`);
      return new Bitrix24Connection({
        account,
        access: services.access,
        rest: new Bitrix24Rest({ endpoint, timeoutMs: requestTimeoutMs, onResponse }),
        webhookUrl: `${config.publicUrl}/webhooks/bitrix24`,
        placementUrl: `${config.publicUrl}/bitrix24/placement/deal`,
        batchSize,
        attachTrace,
      });
    },
  };
  return adapter;
};
