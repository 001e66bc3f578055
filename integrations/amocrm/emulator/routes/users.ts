/**
 * Users (amocrm.md 6.11: `GET /api/v4/users` lists users [SDK Users service]): a paged
 * `_embedded.users[]` of `{id, name, email, lang, rights}` (the SDK's UserModel reads `id`, `name`,
 * `email` and `rights`), one by id at `/users/{id}`. Dismissed users stay listed with
 * `rights.is_active: false`, so old deals keep their manager's name.
 */
import { sendPage } from '../paging.js';
import { sendHal, sendProblem } from '../responses.js';
import type { User } from '../state.js';
import type { ApiContext, ApiRoute } from './apiContext.js';

function userBody(context: ApiContext, user: User): Record<string, unknown> {
  const full = { view: 'A', edit: 'A', add: 'A', delete: 'A', export: 'A' };
  const own = { view: 'A', edit: 'M', add: 'A', delete: 'M', export: 'M' };
  const entityRights = user.isAdmin ? full : own;
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    lang: 'ru',
    rights: {
      leads: entityRights,
      contacts: entityRights,
      companies: entityRights,
      tasks: { edit: user.isAdmin ? 'A' : 'M', delete: user.isAdmin ? 'A' : 'M' },
      mail_access: false,
      catalog_access: user.isAdmin,
      files_access: true,
      is_admin: user.isAdmin,
      is_free: false,
      is_active: user.isActive,
      group_id: null,
      role_id: null,
    },
    _links: { self: { href: `${context.baseUrl}/api/v4/users/${user.id}` } },
  };
}

function usersOf(context: ApiContext): User[] {
  return [...context.state.users.values()].filter((user) => user.accountId === context.account.id).sort((left, right) => left.id - right.id);
}

function listUsers(context: ApiContext): void {
  sendPage(context, usersOf(context), { path: '/api/v4/users', key: 'users', totalItems: true, render: (user) => userBody(context, user) });
}

function getUser(context: ApiContext, [id]: string[]): void {
  const user = context.state.users.get(Number(id));
  if (!user || user.accountId !== context.account.id) return sendProblem(context.response, 404, 'User not found');
  sendHal(context.response, 200, userBody(context, user));
}

export const userRoutes: ApiRoute[] = [
  { method: 'GET', path: /^\/api\/v4\/users$/, handler: listUsers },
  { method: 'GET', path: /^\/api\/v4\/users\/(\d+)$/, handler: getUser },
];
