/**
 * `POST /webhooks/bitrix24` (bitrix24.md 2.2-2.5): the portal's event POSTs, one event each,
 * form-encoded. A POST is believed only when its `auth[application_token]` is the one stored for
 * its `auth[member_id]` at install (403 otherwise, and nothing is stored). CRM events are stored
 * and queued and answered at once — Bitrix24 never re-sends, and slows down slow handlers; all CRM
 * calls happen in workers. ONAPPUNINSTALL disables the tenant.
 */
import express, { Router } from 'express';
import type { CrmServices } from '../../server/crm/crmAdapter.js';
import { AppError } from '../../server/errors.js';
import { applicationTokenMatches, EventBodyError, isRecordEvent, readBitrix24Event, type Bitrix24Event } from './events.js';

const BODY_LIMIT = '256kb';

export function bitrix24WebhookRoutes(services: CrmServices): Router {
  const { accounts, deps } = services;
  const { logger, metrics } = deps;
  const router = Router();
  const count = (outcome: string) => metrics.crmWebhooks.inc({ crm: 'bitrix24', outcome });

  router.post('/webhooks/bitrix24', express.text({ type: 'application/x-www-form-urlencoded', limit: BODY_LIMIT }), async (request, response) => {
    if (typeof request.body !== 'string') {
      count('malformed');
      throw new AppError(415, 'unsupported_media_type', 'Bitrix24 events are application/x-www-form-urlencoded');
    }
    let event: Bitrix24Event;
    try {
      event = readBitrix24Event(request.body);
    } catch (error) {
      if (!(error instanceof EventBodyError)) throw error;
      count('malformed');
      logger.warn('Bitrix24 event body refused', { reason: error.message, bytes: request.body.length });
      throw new AppError(400, 'invalid_webhook', `The event body cannot be read: ${error.message}`);
    }
    const account = await accounts.byAccountId('bitrix24', event.memberId);
    if (!account || !applicationTokenMatches(event.applicationToken, account.setup['applicationTokenHash'])) {
      count('forged');
      logger.warn('Bitrix24 event refused: unknown portal or wrong application_token', { event: event.event, memberId: event.memberId, domain: event.domain });
      throw new AppError(403, 'forbidden', 'auth[application_token] does not match the application installed for this portal');
    }
    if (account.status === 'disabled') {
      count('inactive');
      throw new AppError(403, 'forbidden', 'LongFunnel is not installed on this portal any more');
    }
    if (event.event === 'ONAPPUNINSTALL') {
      await accounts.disable(account.tenantId, 'the application was uninstalled in Bitrix24');
      count('uninstalled');
      logger.warn('Bitrix24 application uninstalled by the portal; tenant disabled', { tenant: account.tenantId, domain: account.domain });
      response.json({ status: 'disabled' });
      return;
    }
    if (!isRecordEvent(event)) {
      count('ignored');
      response.json({ status: 'ignored' });
      return;
    }
    await services.receiveWebhook(account, request.body);
    count('accepted');
    response.json({ status: 'accepted' });
  });
  return router;
}
