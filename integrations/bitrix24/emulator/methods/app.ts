/**
 * App-context methods: `app.info` (bitrix24.md 1.2), `event.bind|get|unbind|test` and `events`
 * (2.1), `placement.bind|unbind|get|list` (5.1), and `user.current` / `user.admin`.
 */
import { emitTest } from '../lifecycle.js';
import { argumentError, RestError } from '../envelope.js';
import type { PhpInput } from '../phpQuery.js';
import type { App, PlacementHandler } from '../state.js';
import { pageOf, startParam } from '../crm/listQuery.js';
import { anyCaseParam, type MethodContext, type MethodTable } from './context.js';

/** Events an app may bind, with the scope each needs (file 2.4, 1.4, 1.5, 2.1). */
const knownEvents: Record<string, string | null> = {
  ONAPPINSTALL: null,
  ONAPPUPDATE: null,
  ONAPPUNINSTALL: null,
  ONAPPTEST: null,
  ONOFFLINEEVENT: null,
  ...Object.fromEntries(
    ['DEAL', 'LEAD', 'CONTACT'].flatMap((entity) => ['ADD', 'UPDATE', 'DELETE'].map((action) => [`ONCRM${entity}${action}`, 'crm'])),
  ),
  ONCRMDEALMOVETOCATEGORY: 'crm',
  ONCRMDEALUSERFIELDADD: 'crm',
  ONCRMDEALUSERFIELDUPDATE: 'crm',
  ONCRMDEALUSERFIELDDELETE: 'crm',
  ONCRMDEALUSERFIELDSETENUMVALUES: 'crm',
};

/** CRM widget codes of file 5.2 (all need `crm`). */
const placementCodes = ['DEAL', 'LEAD', 'CONTACT', 'COMPANY', 'QUOTE', 'SMART_INVOICE', 'ORDER']
  .flatMap((entity) => ['DETAIL_TAB', 'DETAIL_ACTIVITY', 'DETAIL_TOOLBAR', 'LIST_MENU', 'LIST_TOOLBAR'].map((where) => `CRM_${entity}_${where}`))
  .concat(['CRM_ACTIVITY_LIST_MENU', 'CRM_DEAL_ACTIVITY_TIMELINE_MENU', 'CRM_LEAD_ACTIVITY_TIMELINE_MENU', 'CRM_ANALYTICS_MENU']);

function appOf(context: MethodContext): App {
  if (context.caller.kind !== 'app') throw new RestError(403, 'WRONG_AUTH_TYPE', 'Current authorization type is denied for this method');
  return context.caller.app;
}

function stringParam(context: MethodContext, name: string): string {
  const value = anyCaseParam(context.params, name);
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/** file 2.1: http/https, a host, and a dot in it (`localhost` is refused, `127.0.0.1` passes). */
function checkHandlerUrl(handler: string): void {
  let url: URL;
  try {
    url = new URL(handler);
  } catch {
    throw new RestError(400, 'ERROR_WRONG_HANDLER_URL', 'Wrong handler URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RestError(400, 'ERROR_UNSUPPORTED_PROTOCOL', 'Unsupported handler protocol');
  if (url.hostname === '' || !url.hostname.includes('.')) throw new RestError(400, 'ERROR_WRONG_HANDLER_URL', 'Wrong handler URL');
}

function eventBind(context: MethodContext): boolean {
  const app = appOf(context);
  const event = stringParam(context, 'event').toUpperCase();
  if (event === '') throw argumentError('EVENT');
  const eventType = stringParam(context, 'event_type').toLowerCase() || 'online';
  if (eventType !== 'online' && eventType !== 'offline') {
    throw new RestError(400, 'ERROR_ARGUMENT', 'Value must be one of {online|offline}', { argument: 'EVENT_TYPE' });
  }
  const offline = eventType === 'offline';
  const handler = offline ? '' : stringParam(context, 'handler');
  if (!offline && handler === '') throw argumentError('HANDLER');
  if (!offline) checkHandlerUrl(handler);
  const scope = knownEvents[event];
  if (scope === undefined || (scope !== null && !context.caller.scopes.includes(scope))) throw new RestError(400, 'ERROR_EVENT_NOT_FOUND', 'Event not found');
  if (offline && event === 'ONOFFLINEEVENT') throw new RestError(400, 'ERROR_ARGUMENT', 'Offline event cannot be registered for this event.', { argument: 'EVENT_TYPE' });
  const authType = Math.trunc(Number(stringParam(context, 'auth_type') || 0));
  const connectorId = stringParam(context, 'auth_connector');
  const duplicate = context.state
    .handlersOf(context.portal.id, app.clientId)
    .some((row) => row.event === event && row.handler === handler && row.authType === authType && row.connectorId === connectorId && row.offline === offline);
  if (duplicate) throw new RestError(400, 'ERROR_CORE', 'Unable to set event handler: Handler already binded');
  const id = context.state.nextId('eventHandler');
  context.state.eventHandlers.set(id, { id, portalId: context.portal.id, clientId: app.clientId, event, handler, authType, offline, connectorId });
  return true;
}

function eventUnbind(context: MethodContext): { count: number } {
  const app = appOf(context);
  const event = stringParam(context, 'event').toUpperCase();
  if (event === '') throw argumentError('EVENT');
  const handler = stringParam(context, 'handler');
  const authType = anyCaseParam(context.params, 'auth_type');
  const offline = stringParam(context, 'event_type').toLowerCase() === 'offline';
  let count = 0;
  for (const row of context.state.handlersOf(context.portal.id, app.clientId)) {
    if (row.event !== event || row.offline !== offline) continue;
    if (!offline && row.handler !== handler) continue;
    if (authType !== undefined && row.authType !== Math.trunc(Number(authType))) continue;
    context.state.eventHandlers.delete(row.id);
    count += 1;
  }
  return { count };
}

function placementArgument(sentence: string): RestError {
  return argumentError(sentence);
}

function placementBind(context: MethodContext): boolean {
  const app = appOf(context);
  const placement = stringParam(context, 'PLACEMENT').toUpperCase();
  if (placement === '') throw placementArgument('The placement code is not specified');
  const handler = stringParam(context, 'HANDLER');
  if (handler === '') throw placementArgument('The URL of the placement handler is not specified');
  if (placement === 'DEFAULT' || !placementCodes.includes(placement) || !context.caller.scopes.includes('crm')) {
    throw new RestError(400, 'ERROR_PLACEMENT_NOT_FOUND', 'Placement not found');
  }
  checkHandlerUrl(handler);
  if (context.state.placements.some((row) => row.clientId === app.clientId && row.placement === placement && row.handler === handler)) {
    throw new RestError(400, 'ERROR_CORE', 'Unable to set placement handler: Handler already binded');
  }
  const title = stringParam(context, 'TITLE');
  const description = stringParam(context, 'DESCRIPTION');
  const groupName = stringParam(context, 'GROUP_NAME');
  const langAllParam = anyCaseParam(context.params, 'LANG_ALL');
  const langAll: PlacementHandler['langAll'] = {};
  if (typeof langAllParam === 'object' && langAllParam !== null && !Array.isArray(langAllParam)) {
    for (const [lang, labels] of Object.entries(langAllParam as Record<string, Record<string, unknown>>)) {
      langAll[lang] = { TITLE: String(labels['TITLE'] ?? ''), DESCRIPTION: String(labels['DESCRIPTION'] ?? ''), GROUP_NAME: String(labels['GROUP_NAME'] ?? '') };
    }
  } else {
    langAll[context.portal.languageId] = { TITLE: title, DESCRIPTION: description, GROUP_NAME: groupName };
  }
  const own = langAll[context.portal.languageId] ?? Object.values(langAll)[0] ?? { TITLE: title, DESCRIPTION: description, GROUP_NAME: groupName };
  context.state.placements.push({ portalId: context.portal.id, clientId: app.clientId, placement, handler, title: own.TITLE, description: own.DESCRIPTION, groupName: own.GROUP_NAME, langAll });
  return true;
}

function licenseParts(license: string): { type: string; family: string } {
  const type = license.includes('_') ? license.slice(license.indexOf('_') + 1) : license;
  return { type, family: type.replace(/\d+$/, '') };
}

export const appMethods: MethodTable = {
  'app.info': {
    scope: null,
    appOnly: true,
    handler(context) {
      const app = appOf(context);
      const license = licenseParts(context.portal.license);
      return {
        result: {
          ID: app.id,
          CODE: app.code,
          VERSION: app.version,
          STATUS: app.status,
          INSTALLED: app.installed,
          PAYMENT_EXPIRED: 'N',
          DAYS: null,
          LANGUAGE_ID: context.portal.languageId,
          LICENSE: context.portal.license,
          LICENSE_TYPE: license.type,
          LICENSE_FAMILY: license.family,
        },
      };
    },
  },
  'user.current': {
    scope: null,
    handler(context) {
      // The row's shape beyond these keys is [UNCONFIRMED]: the file does not document user.current.
      const user = context.portal.users.find((candidate) => candidate.id === context.caller.userId);
      if (!user) throw new RestError(401, 'authorization_error', 'Unable to authorize user');
      return { result: { ID: String(user.id), ACTIVE: true, NAME: user.name, LAST_NAME: user.lastName, EMAIL: user.email } };
    },
  },
  'user.get': {
    // Any user scope will do; `user_brief` answers names without contact details (README "user.get").
    scope: ['user', 'user_basic', 'user_brief'],
    handler(context) {
      const filter = anyCaseParam(context.params, 'filter');
      const where = typeof filter === 'object' && filter !== null && !Array.isArray(filter) ? (filter as Record<string, unknown>) : {};
      const plain = Object.fromEntries(Object.entries(context.params).filter(([key]) => /^(ID|ACTIVE|NAME|LAST_NAME)$/i.test(key)));
      const conditions = { ...plain, ...where };
      const wantId = anyCaseParam(conditions, 'ID');
      const wantActive = anyCaseParam(conditions, 'ACTIVE');
      const descending = String(anyCaseParam(context.params, 'order') ?? 'ASC').toUpperCase() === 'DESC';
      const rows = context.portal.users
        .filter((user) => wantId === undefined || String(user.id) === String(wantId))
        .filter((user) => wantActive === undefined || (user.active !== false) === ['true', 'Y', '1'].includes(String(wantActive)))
        .sort((a, b) => (descending ? b.id - a.id : a.id - b.id));
      const contacts = context.caller.scopes.includes('user') || context.caller.scopes.includes('user_basic');
      const page = pageOf(rows, startParam(anyCaseParam(context.params, 'start')), context.options);
      return {
        result: page.rows.map((user) => ({
          ID: String(user.id),
          ACTIVE: user.active !== false,
          NAME: user.name,
          LAST_NAME: user.lastName,
          SECOND_NAME: '',
          ...(contacts ? { EMAIL: user.email } : {}),
          WORK_POSITION: '',
          UF_DEPARTMENT: [1],
        })),
        ...(page.next === undefined ? {} : { next: page.next }),
        total: page.total,
      };
    },
  },
  'user.admin': {
    scope: null,
    handler: (context) => ({ result: context.portal.users.find((user) => user.id === context.caller.userId)?.isAdmin === true }),
  },
  'event.bind': { scope: null, appOnly: true, handler: (context) => ({ result: eventBind(context) }) },
  'event.unbind': { scope: null, appOnly: true, handler: (context) => ({ result: eventUnbind(context) }) },
  'event.get': {
    scope: null,
    appOnly: true,
    handler(context) {
      const rows = context.state.handlersOf(context.portal.id, appOf(context).clientId);
      return {
        result: rows.map((row) =>
          row.offline ? { event: row.event, connector_id: row.connectorId, offline: 1 } : { event: row.event, handler: row.handler, auth_type: String(row.authType), offline: 0 },
        ),
      };
    },
  },
  'event.test': {
    scope: null,
    appOnly: true,
    handler(context) {
      const data: { [key: string]: PhpInput } = {};
      for (const [key, value] of Object.entries(context.params)) if (key !== 'auth' && key !== 'access_token') data[key] = value as PhpInput;
      emitTest(context.lifecycle, appOf(context), context.caller.userId, data);
      return { result: true };
    },
  },
  events: {
    scope: null,
    appOnly: true,
    handler: (context) => ({ result: Object.entries(knownEvents).filter(([, scope]) => scope === null || context.caller.scopes.includes(scope)).map(([event]) => event) }),
  },
  'placement.bind': { scope: 'placement', appOnly: true, handler: (context) => ({ result: placementBind(context) }) },
  'placement.unbind': {
    scope: 'placement',
    appOnly: true,
    handler(context) {
      const app = appOf(context);
      const placement = stringParam(context, 'PLACEMENT').toUpperCase();
      if (placement === '') throw placementArgument('The placement code is not specified');
      const handler = stringParam(context, 'HANDLER');
      const before = context.state.placements.length;
      const kept = context.state.placements.filter((row) => !(row.clientId === app.clientId && row.placement === placement && (handler === '' || row.handler === handler)));
      context.state.placements.splice(0, before, ...kept);
      return { result: { count: before - kept.length } };
    },
  },
  'placement.get': {
    scope: 'placement',
    appOnly: true,
    handler(context) {
      const app = appOf(context);
      return {
        result: context.state.placements
          .filter((row) => row.clientId === app.clientId)
          .map((row) => ({ placement: row.placement, userId: 0, handler: row.handler, options: [], title: row.title, description: row.description, langAll: row.langAll })),
      };
    },
  },
  'placement.list': {
    scope: 'placement',
    appOnly: true,
    handler: (context) => ({ result: context.caller.scopes.includes('crm') ? placementCodes : [] }),
  },
};
