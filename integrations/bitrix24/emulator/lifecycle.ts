/**
 * What the portal sends to an app: CRM events to bound handlers (bitrix24.md 2.3, 2.4), the
 * install calls of UI and API-only apps (1.3, 1.4), installFinish (1.2), uninstall (1.5), and
 * opening a widget (5.3). Bodies follow the file's samples key for key.
 */
import { randomBytes } from 'node:crypto';
import type { Actor } from './crm/records.js';
import type { Delivery, DirectAnswer } from './delivery.js';
import { issueAccessToken, issueTokenPair, revokeAppTokens, type OAuthContext } from './oauth.js';
import { encodePhpForm, type PhpInput } from './phpQuery.js';
import type { App, EventHandler, Portal } from './state.js';

export interface LifecycleContext extends OAuthContext {
  delivery: Delivery;
}

/** Events that carry `refresh_token` (file 1.4: registered with `sendRefreshToken`). */
const refreshTokenEvents = new Set(['ONAPPINSTALL', 'ONAPPUPDATE', 'ONAPPTEST', 'ONSUBSCRIPTIONRENEW', 'ONOFFLINEEVENT']);

function portalOf(context: LifecycleContext, app: App): Portal {
  const portal = context.state.portals.get(app.portalId);
  if (!portal) throw new Error(`No portal ${app.portalId}`);
  return portal;
}

/**
 * The `auth` block (file 2.3): a user's tokens in the sample's key order, or, for changes without
 * a user (automation) and for ONAPPUNINSTALL, only the portal's addresses and the app token.
 */
function authBlock(context: LifecycleContext, app: App, event: string, userId: number | null): { [key: string]: PhpInput } {
  const portal = portalOf(context, app);
  const clientEndpoint = context.endpoints.clientEndpoint(portal);
  if (userId === null) {
    return { domain: portal.domain, server_endpoint: context.endpoints.serverEndpoint, client_endpoint: clientEndpoint, member_id: portal.memberId, application_token: app.applicationToken };
  }
  const withRefresh = refreshTokenEvents.has(event);
  const tokens = withRefresh ? issueTokenPair(context, app, userId) : undefined;
  const access = tokens ? { token: tokens.access_token, expiresAtMs: tokens.expires * 1000 } : issueAccessToken(context, app, userId);
  return {
    access_token: access.token,
    expires: String(Math.floor(access.expiresAtMs / 1000)),
    expires_in: String(context.options.accessTokenLifetimeSeconds),
    scope: app.scopes.join(','),
    domain: portal.domain,
    server_endpoint: context.endpoints.serverEndpoint,
    status: app.status,
    client_endpoint: clientEndpoint,
    member_id: portal.memberId,
    user_id: String(userId),
    ...(tokens ? { refresh_token: tokens.refresh_token } : {}),
    application_token: app.applicationToken,
  };
}

function eventBody(context: LifecycleContext, app: App, event: string, handlerId: number | null, data: { [key: string]: PhpInput }, userId: number | null): string {
  return encodePhpForm({
    event,
    ...(handlerId === null ? {} : { event_handler_id: String(handlerId) }),
    data,
    ts: String(Math.floor(context.clock.now() / 1000)),
    auth: authBlock(context, app, event, userId),
  });
}

function onlineHandlers(context: LifecycleContext, app: App, event: string): EventHandler[] {
  return context.state.handlersOf(app.portalId, app.clientId).filter((handler) => handler.event === event && !handler.offline);
}

/** Sends `event` to every installed app's online handlers for it (file 2.2: only once installed). */
export function emitEvent(context: LifecycleContext, portal: Portal, event: string, data: { [key: string]: PhpInput }, actor: Actor): void {
  for (const app of context.state.appsOf(portal.id)) {
    if (!app.installed) continue;
    for (const handler of onlineHandlers(context, app, event)) {
      const userId = actor.automation ? null : handler.authType > 0 ? handler.authType : actor.userId;
      context.delivery.enqueueEvent(handler.id, event, handler.handler, eventBody(context, app, event, handler.id, data, userId));
    }
  }
}

/** `event.test` (file 2.1): ONAPPTEST with the passed params under `data`. */
export function emitTest(context: LifecycleContext, app: App, userId: number, data: { [key: string]: PhpInput }): void {
  for (const handler of onlineHandlers(context, app, 'ONAPPTEST')) {
    context.delivery.enqueueEvent(handler.id, 'ONAPPTEST', handler.handler, eventBody(context, app, 'ONAPPTEST', handler.id, data, userId));
  }
}

/** The query of an app page or widget POST (file 1.3). `protocol` 0 when the portal is served over http (a browser-hosted card here). */
function frameUrl(app: App, portal: Portal, url: string, protocol: 0 | 1 = 1, appSid = randomBytes(16).toString('hex')): string {
  const target = new URL(url);
  target.searchParams.set('DOMAIN', portal.domain);
  target.searchParams.set('PROTOCOL', String(protocol));
  target.searchParams.set('LANG', portal.languageId);
  target.searchParams.set('APP_SID', appSid);
  return target.toString();
}

/** The body of an app page or widget POST (file 1.3, 5.3), tokens for the viewing user. */
function frameBody(context: LifecycleContext, app: App, userId: number, placement: string, placementOptions?: string): string {
  const portal = portalOf(context, app);
  const tokens = issueTokenPair(context, app, userId);
  return encodePhpForm({
    AUTH_ID: tokens.access_token,
    AUTH_EXPIRES: String(context.options.accessTokenLifetimeSeconds),
    REFRESH_ID: tokens.refresh_token,
    SERVER_ENDPOINT: context.endpoints.serverEndpoint,
    APPLICATION_TOKEN: app.applicationToken,
    APPLICATION_SCOPE: app.scopes.join(','),
    member_id: portal.memberId,
    status: app.status,
    PLACEMENT: placement,
    ...(placementOptions === undefined ? {} : { PLACEMENT_OPTIONS: placementOptions }),
  });
}

/**
 * Installing an app (file 1.2-1.4). With UI: the install page gets the frame POST and the app stays
 * not installed until `finishInstall`. API-only: the app is installed at once and ONAPPINSTALL
 * (with `refresh_token`) goes to the install URL.
 */
export async function installApp(context: LifecycleContext, app: App, userId: number): Promise<DirectAnswer> {
  const portal = portalOf(context, app);
  if (app.removed) throw new Error(`App ${app.clientId} was uninstalled`);
  if (app.withUi) return context.delivery.post('INSTALL', frameUrl(app, portal, app.installUrl), frameBody(context, app, userId, 'DEFAULT'));
  app.installed = true;
  const handlerId = context.options.installCallbackHasHandlerId ? context.state.nextId('eventHandler') : null;
  return context.delivery.post('ONAPPINSTALL', app.installUrl, eventBody(context, app, 'ONAPPINSTALL', handlerId, installData(context, app), userId));
}

function installData(context: LifecycleContext, app: App): { [key: string]: PhpInput } {
  return { VERSION: String(app.version), ACTIVE: context.options.installActiveValue, INSTALLED: 'Y', LANGUAGE_ID: portalOf(context, app).languageId };
}

/** `BX24.installFinish()` from the install page: installed; handlers bound for ONAPPINSTALL hear of it. */
export function finishInstall(context: LifecycleContext, app: App, userId: number): void {
  if (app.installed) return;
  app.installed = true;
  for (const handler of onlineHandlers(context, app, 'ONAPPINSTALL')) {
    context.delivery.enqueueEvent(handler.id, 'ONAPPINSTALL', handler.handler, eventBody(context, app, 'ONAPPINSTALL', handler.id, installData(context, app), userId));
  }
}

/** A new version (file 1.4): ONAPPUPDATE to its handlers, which are then dropped when `dropHandlersOnUpdate`. */
export function updateApp(context: LifecycleContext, app: App, userId: number): void {
  const previous = app.version;
  app.version += 1;
  const data = { VERSION: String(app.version), PREVIOUS_VERSION: String(previous), LANGUAGE_ID: portalOf(context, app).languageId };
  for (const handler of onlineHandlers(context, app, 'ONAPPUPDATE')) {
    context.delivery.enqueueEvent(handler.id, 'ONAPPUPDATE', handler.handler, eventBody(context, app, 'ONAPPUPDATE', handler.id, data, userId));
  }
  if (context.options.dropHandlersOnUpdate) {
    for (const handler of context.state.handlersOf(app.portalId, app.clientId)) context.state.eventHandlers.delete(handler.id);
  }
}

/** Removal (file 1.5): ONAPPUNINSTALL without tokens, then tokens, handlers and placements are gone. */
export function uninstallApp(context: LifecycleContext, app: App, clean: boolean): void {
  const portal = portalOf(context, app);
  for (const handler of onlineHandlers(context, app, 'ONAPPUNINSTALL')) {
    const body = eventBody(context, app, 'ONAPPUNINSTALL', handler.id, { LANGUAGE_ID: portal.languageId, CLEAN: clean ? '1' : '0' }, null);
    context.delivery.enqueueEvent(handler.id, 'ONAPPUNINSTALL', handler.handler, body);
  }
  revokeAppTokens(context.state, app.clientId);
  for (const handler of context.state.handlersOf(app.portalId, app.clientId)) context.state.eventHandlers.delete(handler.id);
  const placements = context.state.placements;
  for (let index = placements.length - 1; index >= 0; index -= 1) if (placements[index]?.clientId === app.clientId) placements.splice(index, 1);
  app.installed = false;
  app.removed = true;
}

/** The widget POST a card makes (file 5.3): `PLACEMENT_OPTIONS` is a JSON string, `\/` escaped. */
export function placementCall(context: LifecycleContext, app: App, placement: string, entityId: number, userId: number, protocol: 0 | 1 = 1, appSid?: string): { url: string; body: string } {
  const portal = portalOf(context, app);
  if (!app.installed) throw new Error('Widgets are not shown until the installation is finished');
  const registration = context.state.placements.find((row) => row.clientId === app.clientId && row.placement === placement);
  if (!registration) throw new Error(`No ${placement} handler bound by ${app.clientId}`);
  const entity = placement.replace(/^CRM_/, '').replace(/_DETAIL_TAB$/, '').toLowerCase();
  const options = JSON.stringify({ ID: String(entityId), URI: `/crm/${entity}/details/${entityId}/` }).replace(/\//g, '\\/');
  return { url: frameUrl(app, portal, registration.handler, protocol, appSid), body: frameBody(context, app, userId, placement, options) };
}

/** Opens a widget as a user viewing a card (file 5.3), server to server. */
export async function openPlacement(context: LifecycleContext, app: App, placement: string, entityId: number, userId: number): Promise<DirectAnswer> {
  const call = placementCall(context, app, placement, entityId, userId);
  return context.delivery.post(placement, call.url, call.body);
}
