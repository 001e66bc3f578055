/**
 * `POST /webhooks/bitrix24` (bitrix24.md 2.2-2.5): the portal's event POSTs, one event each,
 * form-encoded. A POST is believed only when its `auth[application_token]` is the one stored for
 * its `auth[member_id]` at install (403 otherwise, and nothing is stored). CRM events are stored
 * and answered once committed — Bitrix24 never re-sends an event, and a bulk change in the portal
 * sends thousands at once, each with a delivery timeout — so the route is served on node:http
 * before Express (http/fastRoutes.ts), concurrent bodies share one commit (`receiveWebhook`), and
 * the account of a portal is looked up once for all the POSTs arriving within a moment. All CRM
 * calls happen in workers. ONAPPUNINSTALL disables the tenant.
 */
import type { ServerResponse } from 'node:http';
import type { CrmAccount } from '../../server/crm/crmAccounts.js';
import type { CrmServices } from '../../server/crm/crmAdapter.js';
import { AppError } from '../../server/errors.js';
import type { FastRoute } from '../../server/http/fastRoutes.js';
import { readTextBody } from '../../server/http/textBody.js';
import { GroupCommitOverloadedError } from '../../server/storage/groupCommit.js';
import { applicationTokenMatches, EventBodyError, isRecordEvent, readBitrix24Event, type Bitrix24Event } from './events.js';

const BODY_LIMIT_BYTES = 256 * 1024;
const BODY_TYPES = ['application/x-www-form-urlencoded'];
/** How long a looked-up account answers for its portal's POSTs (uninstall here drops it at once). */
const ACCOUNT_CACHE_MS = 2_000;

function answerJson(res: ServerResponse, body: Record<string, unknown>): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/** Account look-ups by member_id shared by the POSTs of a burst: one query, not one per event. */
class AccountCache {
  private readonly entries = new Map<string, { account: Promise<CrmAccount | undefined>; until: number }>();

  constructor(private readonly load: (memberId: string) => Promise<CrmAccount | undefined>) {}

  get(memberId: string): Promise<CrmAccount | undefined> {
    const now = Date.now();
    const cached = this.entries.get(memberId);
    if (cached && cached.until > now) return cached.account;
    if (this.entries.size > 10_000) this.entries.clear();
    const account = this.load(memberId);
    this.entries.set(memberId, { account, until: now + ACCOUNT_CACHE_MS });
    account.catch(() => this.entries.delete(memberId));
    return account;
  }

  forget(memberId: string): void {
    this.entries.delete(memberId);
  }
}

export function bitrix24WebhookRoute(services: CrmServices): FastRoute {
  const { accounts, deps } = services;
  const { logger, metrics } = deps;
  const count = (outcome: string) => metrics.crmWebhooks.inc({ crm: 'bitrix24', outcome });
  const cache = new AccountCache((memberId) => accounts.byAccountId('bitrix24', memberId));

  return {
    path: '/webhooks/bitrix24',
    methods: ['POST'],
    async handle(req, res) {
      const body = await readTextBody(req, { types: BODY_TYPES, limit: BODY_LIMIT_BYTES });
      if (body === undefined) {
        count('malformed');
        throw new AppError(415, 'unsupported_media_type', 'Bitrix24 events are application/x-www-form-urlencoded');
      }
      let event: Bitrix24Event;
      try {
        event = readBitrix24Event(body);
      } catch (error) {
        if (!(error instanceof EventBodyError)) throw error;
        count('malformed');
        logger.warn('Bitrix24 event body refused', { reason: error.message, bytes: body.length });
        throw new AppError(400, 'invalid_webhook', `The event body cannot be read: ${error.message}`);
      }
      const usable = (found: CrmAccount | undefined) =>
        found !== undefined && found.status !== 'disabled' && applicationTokenMatches(event.applicationToken, found.setup['applicationTokenHash']);
      let account = await cache.get(event.memberId);
      if (!usable(account)) {
        // Refused on what was looked up a moment ago: look again (a re-install just now changes both).
        cache.forget(event.memberId);
        account = await cache.get(event.memberId);
      }
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
        cache.forget(event.memberId);
        count('uninstalled');
        logger.warn('Bitrix24 application uninstalled by the portal; tenant disabled', { tenant: account.tenantId, domain: account.domain });
        answerJson(res, { status: 'disabled' });
        return;
      }
      if (!isRecordEvent(event)) {
        count('ignored');
        answerJson(res, { status: 'ignored' });
        return;
      }
      try {
        await services.receiveWebhook(account, body);
      } catch (error) {
        count('failed');
        logger.error('Bitrix24 event could not be stored', { tenant: account.tenantId, event: event.event, error: String(error) });
        throw error instanceof GroupCommitOverloadedError
          ? AppError.unavailable('Too many events are waiting to be stored; this one was not')
          : AppError.unavailable('The event could not be stored; try again later');
      }
      count('accepted');
      answerJson(res, { status: 'accepted' });
    },
  };
}
