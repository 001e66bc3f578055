/**
 * amoCRM behind the product's CRM adapter interface: its routes (install, uninstall, webhooks),
 * reading its webhooks, refreshing its tokens, and connections to installed accounts.
 */
import type { CrmAdapter, CrmAdapterFactory } from '../../server/crm/crmAdapter.js';
import { amocrmRedirectUri } from './redirectUri.js';
import { paceOf } from '../../server/crm/requestPacer.js';
import { accountBaseUrl } from './accountHost.js';
import { AmocrmApi } from './amocrmApi.js';
import { AmocrmConnection } from './amocrmConnection.js';
import { amocrmInstallRoutes, installAccount, type AmocrmSettings } from './installRoutes.js';
import { AmocrmOAuthClient } from './oauthClient.js';
import { readAmocrmWebhook, webhookChanges } from './webhookChanges.js';
import { amocrmWebhookRoutes } from './webhookRoutes.js';

/** amoCRM lists up to 250 entities per page (amocrm.md 2.1). */
const READ_BATCH = 250;

export const createAmocrmAdapter: CrmAdapterFactory = (deps) => {
  const { config, metrics } = deps;
  const { clientId, clientSecret, baseUrl } = config.amocrm;
  const settings: AmocrmSettings | undefined =
    clientId && clientSecret ? { clientId, clientSecret, redirectUri: amocrmRedirectUri(config), baseUrl } : undefined;
  const onResponse = (status: number | undefined) => metrics.crmRequests.inc({ crm: 'amocrm', status: status === undefined ? 'error' : String(status) });
  const baseUrlOf = (domain: string) => {
    const account = installAccount(domain, baseUrl);
    if (!account) throw new Error(`${domain} is not an amoCRM account host`);
    return accountBaseUrl(account, baseUrl);
  };
  const requireSettings = () => {
    if (!settings) throw new Error('The amoCRM integration is not configured: set AMOCRM_CLIENT_ID and AMOCRM_CLIENT_SECRET');
    return settings;
  };

  const adapter: CrmAdapter = {
    crm: 'amocrm',
    // amoCRM checks its rate on a sliding window: evenly spaced, no burst.
    pace: paceOf(config.amocrm.requestsPerSecond),
    requestTimeoutMs: config.amocrm.requestTimeoutMs,
    routes: (services) => [amocrmInstallRoutes(services, settings), amocrmWebhookRoutes(services)],
    readWebhook: (body) => webhookChanges(readAmocrmWebhook(body)),
    refreshTokens: (account, refreshToken) =>
      new AmocrmOAuthClient({ ...requireSettings(), baseUrl: baseUrlOf(account.domain), timeoutMs: config.amocrm.requestTimeoutMs, onResponse }).refresh(refreshToken),
    connect: (account, services) =>
      new AmocrmConnection({
        account,
        access: services.access,
        api: new AmocrmApi({ baseUrl: baseUrlOf(account.domain), timeoutMs: config.amocrm.requestTimeoutMs, onResponse }),
        webhookUrl: `${config.publicUrl}/webhooks/amocrm/${account.hookKey}`,
        writeBatchSize: config.amocrm.batchSize,
        readBatchSize: READ_BATCH,
      }),
  };
  return adapter;
};
