/**
 * Loss reasons (amocrm.md 2.3 `with=loss_reason`): `GET /api/v4/leads/loss_reasons` lists the
 * account's reasons as `_embedded.loss_reasons[]` of `{id, name, sort, created_at, updated_at}`
 * (the SDK's LossReasons service and LossReasonModel), one by id at `/leads/loss_reasons/{id}`.
 */
import { sendPage } from '../paging.js';
import { sendHal, sendProblem } from '../responses.js';
import type { LossReason } from '../state.js';
import type { ApiContext, ApiRoute } from './apiContext.js';

export function lossReasonBody(context: ApiContext, reason: LossReason): Record<string, unknown> {
  return {
    id: reason.id,
    name: reason.name,
    sort: reason.sort,
    created_at: reason.createdAt,
    updated_at: reason.updatedAt,
    _links: { self: { href: `${context.baseUrl}/api/v4/leads/loss_reasons/${reason.id}` } },
  };
}

function reasonsOf(context: ApiContext): LossReason[] {
  return [...context.state.lossReasons.values()]
    .filter((reason) => reason.accountId === context.account.id)
    .sort((left, right) => left.sort - right.sort || left.id - right.id);
}

function listLossReasons(context: ApiContext): void {
  sendPage(context, reasonsOf(context), { path: '/api/v4/leads/loss_reasons', key: 'loss_reasons', totalItems: true, render: (reason) => lossReasonBody(context, reason) });
}

function getLossReason(context: ApiContext, [id]: string[]): void {
  const reason = context.state.lossReasons.get(Number(id));
  if (!reason || reason.accountId !== context.account.id) return sendProblem(context.response, 404, 'Loss reason not found');
  sendHal(context.response, 200, lossReasonBody(context, reason));
}

export const lossReasonRoutes: ApiRoute[] = [
  { method: 'GET', path: /^\/api\/v4\/leads\/loss_reasons$/, handler: listLossReasons },
  { method: 'GET', path: /^\/api\/v4\/leads\/loss_reasons\/(\d+)$/, handler: getLossReason },
];
