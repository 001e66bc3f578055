/** `GET /api/v4/account` (amocrm.md 2.2): top-level facts, extras only when named in `with`. */
import { withValues } from '../query.js';
import { sendHal } from '../responses.js';
import type { ApiContext, ApiRoute } from './apiContext.js';

function getAccount({ account, baseUrl, query, response }: ApiContext): void {
  const requested = withValues(query);
  const body: Record<string, unknown> = {
    id: account.id,
    name: account.name,
    subdomain: account.subdomain,
    created_at: account.createdAt,
    created_by: 0,
    updated_at: account.createdAt,
    updated_by: 0,
    current_user_id: account.currentUserId,
    country: account.country,
    currency: account.currency,
    currency_symbol: '₽',
    customers_mode: 'disabled',
    is_unsorted_on: true,
    mobile_feature_version: 0,
    is_loss_reason_enabled: true,
    is_helpbot_enabled: false,
    is_technical_account: false,
    contact_name_display_order: 1,
  };
  if (requested.has('amojo_id')) body['amojo_id'] = account.amojoId;
  if (requested.has('uuid')) body['uuid'] = account.uuid;
  if (requested.has('version')) body['version'] = 15;
  body['_links'] = { self: { href: `${baseUrl}/api/v4/account` } };
  const embedded: Record<string, unknown> = {};
  if (requested.has('amojo_rights')) embedded['amojo_rights'] = { can_direct: true, can_create_groups: true };
  if (requested.has('users_groups')) embedded['users_groups'] = [{ id: 0, name: 'Отдел продаж' }];
  if (requested.has('task_types')) {
    embedded['task_types'] = [
      { id: 1, name: 'Связаться', color: null, icon_id: null, code: 'FOLLOW_UP' },
      { id: 2, name: 'Встреча', color: null, icon_id: null, code: 'MEETING' },
    ];
  }
  if (requested.has('datetime_settings')) {
    embedded['datetime_settings'] = {
      date_pattern: 'd.m.Y H:i',
      short_date_pattern: 'd.m.Y',
      short_time_pattern: 'H:i',
      date_format: 'd.m.Y',
      time_format: 'H:i:s',
      timezone: account.timezone,
      timezone_offset: account.timezoneOffset,
    };
  }
  if (Object.keys(embedded).length > 0) body['_embedded'] = embedded;
  sendHal(response, 200, body);
}

export const accountRoutes: ApiRoute[] = [{ method: 'GET', path: /^\/api\/v4\/account$/, handler: getAccount }];
