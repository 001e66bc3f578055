/**
 * `POST /webhooks/amocrm/:hookKey` (amocrm.md 4): amoCRM's account webhooks, form-encoded. The
 * unguessable key in the path names the account (the webhooks are not signed, 4.4). The body is
 * checked, stored and queued, and answered at once: amoCRM waits about 2 seconds, retries on
 * anything but 2xx and switches a hook off after many failures. All CRM calls happen in workers.
 */
import express, { Router } from 'express';
import type { CrmServices } from '../../server/crm/crmAdapter.js';
import { AppError } from '../../server/errors.js';
import { readAmocrmWebhook, WebhookBodyError } from './webhookChanges.js';

/** amoCRM batches several events per POST; a large batch stays far below this. */
const BODY_LIMIT = '2mb';

export function amocrmWebhookRoutes(services: CrmServices): Router {
  const { accounts, deps } = services;
  const { logger, metrics } = deps;
  const router = Router();
  const count = (outcome: string) => metrics.crmWebhooks.inc({ crm: 'amocrm', outcome });

  router.post(
    '/webhooks/amocrm/:hookKey',
    express.text({ type: 'application/x-www-form-urlencoded', limit: BODY_LIMIT }),
    async (request, response) => {
      const hookKey = String(request.params['hookKey'] ?? '');
      const account = await accounts.byHookKey(hookKey);
      if (!account || account.crm !== 'amocrm' || account.status === 'disabled') {
        count('unknown_key');
        logger.warn('amoCRM webhook for an unknown or disabled key refused', { hookKeyPrefix: hookKey.slice(0, 4) });
        throw new AppError(404, 'unknown_webhook', 'No installed amoCRM account has this webhook address');
      }
      if (typeof request.body !== 'string') {
        count('malformed');
        logger.warn('amoCRM webhook body refused', {
          tenant: account.tenantId,
          reason: 'not application/x-www-form-urlencoded',
          contentType: String(request.headers['content-type'] ?? '(none)').slice(0, 100),
        });
        throw new AppError(415, 'unsupported_media_type', 'amoCRM webhooks are application/x-www-form-urlencoded');
      }
      try {
        const webhook = readAmocrmWebhook(request.body);
        if (webhook.account.id && webhook.account.id !== account.accountId) {
          throw new WebhookBodyError(`the body is for account ${webhook.account.id}, not the account of this address`);
        }
      } catch (error) {
        if (!(error instanceof WebhookBodyError)) throw error;
        count('malformed');
        logger.warn('amoCRM webhook body refused', { tenant: account.tenantId, reason: error.message, bytes: request.body.length });
        throw new AppError(400, 'invalid_webhook', `The webhook body cannot be read: ${error.message}`);
      }
      await services.receiveWebhook(account, request.body);
      count('accepted');
      response.json({ status: 'accepted' });
    },
  );
  return router;
}
