/**
 * The Bitrix24 emulator: one HTTP server on loopback serving any number of portals — by host
 * (`acme.bitrix24.com`) or by the path prefix `/_portals/acme` — and the OAuth server
 * (`/oauth/token/`, `/rest/app.info`) at its root. State lives in memory and is exposed so tests can
 * arrange and inspect it; time comes from the injected clock. Built from bitrix24.md.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type EmulatorClock } from '../../amocrm/emulator/clock.js';
import { FaultInjector } from '../../amocrm/emulator/faults.js';
import { sendCardPage } from './cardPage.js';
import { Delivery, type DeliveryAttempt, type DirectAnswer } from './delivery.js';
import { RestError, sendError, sendJson, sendSuccess } from './envelope.js';
import { finishInstall, installApp, openPlacement, placementCall, uninstallApp, updateApp, type LifecycleContext } from './lifecycle.js';
import { LeakyBucket, OperatingLimiter } from './limits.js';
import { managerOf, type ActAs } from './manager.js';
import { appMethods } from './methods/app.js';
import type { MethodTable } from './methods/context.js';
import { crmEntityMethods } from './methods/crmEntities.js';
import { duplicateMethods } from './methods/duplicates.js';
import { stageMethods } from './methods/stages.js';
import { timelineTrackingMethods } from './methods/timelineTracking.js';
import { userFieldMethodTable } from './methods/userFields.js';
import { authenticateToken, handleTokenRequest, issueAuthorizationCode, issueTokenPair, type Caller, type Endpoints, type IssuedTokens } from './oauth.js';
import { resolveBitrix24Options, type Bitrix24EmulatorOptionOverrides, type Bitrix24EmulatorOptions } from './options.js';
import { parsePhpQuery, phpParsePairs } from './phpQuery.js';
import { addDealCategory, addPortalUser, createApp, createInboundWebhook, createPortal, type NewApp, type NewPortal, type NewPortalUser } from './portals.js';
import { methodExists, runMethod, type RestDependencies } from './rest.js';
import { Bitrix24State, type App, type DealCategory, type Portal } from './state.js';

const methods: MethodTable = { ...crmEntityMethods, ...duplicateMethods, ...userFieldMethodTable, ...stageMethods, ...timelineTrackingMethods, ...appMethods };
const maxBodyBytes = 10 * 1024 * 1024;
const portalPrefix = /^\/_portals\/([a-z0-9-]+)(\/.*)?$/;

export interface StartBitrix24Options extends Bitrix24EmulatorOptionOverrides {
  /** Defaults to the system clock; tests pass `createManualClock()` and advance it. */
  clock?: EmulatorClock;
  port?: number;
}

export interface EmulatedPortal {
  portal: Portal;
  /** `{emulator}/_portals/{name}`: reaches this portal on the emulator's port. */
  baseUrl: string;
  /** `client_endpoint`: `{baseUrl}/rest/`. */
  restUrl: string;
}

export interface Bitrix24Emulator {
  url: string;
  state: Bitrix24State;
  clock: EmulatorClock;
  options: Bitrix24EmulatorOptions;
  /** `server_endpoint` (`{url}/rest/`); the token endpoint is `{url}/oauth/token/`. */
  serverEndpoint: string;
  /** A portal with the default funnel, stages and dictionaries; its admin is user 1. */
  setupPortal(input: NewPortal): EmulatedPortal;
  /** Another deal funnel with the default stages prefixed `C{id}:`. */
  addDealCategory(portalName: string, name: string, sort?: number): DealCategory;
  /** Another employee of the portal (`user.get` lists it; a possible `ASSIGNED_BY_ID`). Returns its id. */
  addUser(portalName: string, input: NewPortalUser): number;
  /** A local app in the portal, not yet installed. */
  createApp(portalName: string, input: NewApp): App;
  /** An inbound webhook; returns its base URL `{baseUrl}/rest/{userId}/{secret}/`. */
  createInboundWebhook(portalName: string, input?: { userId?: number; scopes?: string[] }): string;
  /**
   * Installs the app as an admin would (file 1.2-1.4): a UI app's install page gets the frame POST
   * (finish with `finishInstall`); an API-only app is installed and its install URL gets ONAPPINSTALL.
   */
  installApp(portalName: string, clientId: string, userId?: number): Promise<DirectAnswer>;
  /** `BX24.installFinish()` from the install page. */
  finishInstall(portalName: string, clientId: string, userId?: number): void;
  /** A new app version: ONAPPUPDATE. */
  updateApp(portalName: string, clientId: string, userId?: number): void;
  /** Removes the app: ONAPPUNINSTALL, tokens revoked, handlers and placements deleted. */
  uninstallApp(portalName: string, clientId: string, clean?: boolean): void;
  /** A user opens a CRM card with the app's widget: POST to the placement handler (file 5.3). */
  openPlacement(portalName: string, clientId: string, placement: string, entityId: number, userId?: number): Promise<DirectAnswer>;
  /** The URL and form body of that POST without sending it (a page hosting the frame sends it; tests vary it). */
  placementCall(portalName: string, clientId: string, placement: string, entityId: number, userId?: number): { url: string; body: string };
  /** What the consent step puts into the redirect (file 1.6). */
  issueAuthorizationCode(portalName: string, clientId: string, userId?: number): string;
  /** A token pair without the OAuth dance, for tests whose subject is not OAuth. */
  issueTokens(portalName: string, clientId: string, userId?: number): IssuedTokens;
  /*
   * A person in the UI (or an automation rule with `{automation: true}`): the same rules as REST,
   * and the same events. Fields as in `crm.*.add` / `crm.*.update`; invalid input throws.
   */
  createDeal(portalName: string, fields?: Record<string, unknown>, as?: ActAs): number;
  updateDeal(portalName: string, id: number, fields: Record<string, unknown>, as?: ActAs): void;
  moveDealToCategory(portalName: string, id: number, categoryId: number, stageId?: string, as?: ActAs): void;
  createLead(portalName: string, fields?: Record<string, unknown>, as?: ActAs): number;
  updateLead(portalName: string, id: number, fields: Record<string, unknown>, as?: ActAs): void;
  createContact(portalName: string, fields?: Record<string, unknown>, as?: ActAs): number;
  updateContact(portalName: string, id: number, fields: Record<string, unknown>, as?: ActAs): void;
  /** Outgoing event, install and widget POSTs: `attempts`, `settle()`, `runDue()` after `clock.advance`. */
  events: Pick<Delivery, 'attempts' | 'settle' | 'runDue'>;
  /** Requests refused by the limits: `queryLimitExceeded` (503) and `operationTimeLimit` (429). */
  limits: Bitrix24State['limits'];
  close(): Promise<void>;
}

class BadBody extends Error {}

async function readParams(request: IncomingMessage, rawQuery: string): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new BadBody('Request body is too large');
    chunks.push(chunk);
  }
  const buffer = Buffer.concat(chunks);
  const query = parsePhpQuery(rawQuery);
  if (buffer.length === 0) return query;
  const contentType = request.headers['content-type'] ?? '';
  let body: Record<string, unknown> = {};
  if (contentType.includes('application/json')) {
    // file 4.1: a JSON body that fails to parse is silently ignored.
    try {
      const parsed = JSON.parse(buffer.toString('utf8')) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      body = {};
    }
  } else if (contentType.includes('multipart/form-data')) {
    const form = await new Response(buffer, { headers: { 'content-type': contentType } }).formData();
    body = phpParsePairs([...form.entries()].filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } else {
    body = parsePhpQuery(buffer.toString('utf8'));
  }
  return { ...query, ...body };
}

export async function startBitrix24Emulator(startOptions: StartBitrix24Options = {}): Promise<Bitrix24Emulator> {
  const { clock = systemClock, port = 0, ...overrides } = startOptions;
  const options = resolveBitrix24Options(overrides);
  const state = new Bitrix24State();
  const faults = new FaultInjector(options.faults);
  const delivery = new Delivery(clock, options, faults);
  const bucket = new LeakyBucket(clock, options.leakyBucket);
  const operating = new OperatingLimiter(clock, options.operatingLimit);
  let url = '';
  const endpoints: Endpoints = {
    get serverEndpoint() {
      return `${url}/rest/`;
    },
    clientEndpoint: (portal) => `${url}/_portals/${portal.name}/rest/`,
  };
  const lifecycle: LifecycleContext = { state, clock, options, endpoints, delivery };
  const missing = new Set(options.missingMethods.map((name) => name.toLowerCase()));
  const portalMethods: MethodTable = Object.fromEntries(Object.entries(methods).filter(([name]) => !missing.has(name)));
  const deps: RestDependencies = { state, clock, options, lifecycle, operating, methods: portalMethods };

  function authenticate(portal: Portal | undefined, webhookPath: RegExpExecArray | null, params: Record<string, unknown>, authorization: string | undefined): { portal: Portal; caller: Caller } {
    if (webhookPath) {
      const userId = Number(webhookPath[1]);
      const webhook = state.webhooks.find((candidate) => candidate.userId === userId && candidate.secret === webhookPath[2] && (!portal || candidate.portalId === portal.id));
      const owner = webhook ? state.portals.get(webhook.portalId) : undefined;
      if (!webhook || !owner) throw new RestError(options.invalidCredentialsStatus, 'INVALID_CREDENTIALS', 'Invalid request credentials');
      if (options.webhookHttpsRequired) throw new RestError(401, 'INVALID_REQUEST', 'Https required.');
      return { portal: owner, caller: { kind: 'webhook', userId, scopes: webhook.scopes } };
    }
    const caller = authenticateToken(lifecycle, portal, params, authorization);
    if (caller.kind !== 'app') throw new Error('unreachable');
    const owner = state.portals.get(caller.app.portalId);
    if (!owner) throw new RestError(401, 'invalid_token', options.invalidTokenDescription);
    return { portal: owner, caller };
  }

  async function handleRest(request: IncomingMessage, response: ServerResponse, portal: Portal | undefined, restPath: string, rawQuery: string): Promise<void> {
    // file 4.1: `/rest//method` is tolerated; `.json` picks the default transport.
    const trimmed = restPath.replace(/^\/+/, '');
    const webhookPath = /^(\d+)\/([^/]+)\/(.+)$/.exec(trimmed);
    let method = (webhookPath ? (webhookPath[3] ?? '') : trimmed).replace(/\/+$/, '');
    if (/\.json$/i.test(method)) method = method.slice(0, -5);
    else if (/\.xml$/i.test(method)) throw new RestError(500, 'INTERNAL_WRONG_TRANSPORT', 'Wrong transport!');
    if (!methodExists(portalMethods, method)) throw new RestError(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!');
    const params = await readParams(request, rawQuery);
    const authenticated = authenticate(portal, webhookPath, params, request.headers.authorization);
    if (!bucket.admit(`${authenticated.portal.id}|${request.socket.remoteAddress ?? ''}`)) {
      state.limits.queryLimitExceeded += 1;
      throw new RestError(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests');
    }
    if (faults.next('slowResponse')) await new Promise((resolve) => setTimeout(resolve, options.faults.slowResponseMs));
    if (faults.next('serverError')) throw new RestError(options.faults.serverErrorStatus, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    const { outcome, time } = runMethod(deps, authenticated.portal, authenticated.caller, method, params);
    const appHeader: Record<string, string> = authenticated.caller.kind === 'app' ? { 'X-Bitrix-Rest-Application': authenticated.caller.app.clientId } : {};
    sendSuccess(response, outcome, time, appHeader);
  }

  function handleAuthorize(response: ServerResponse, portal: Portal, query: URLSearchParams): void {
    const app = state.apps.get(query.get('client_id') ?? '');
    if (!app || app.portalId !== portal.id || app.removed) throw new RestError(options.oauthErrorStatus, 'invalid_client', 'Invalid client');
    const target = new URL(app.redirectUri);
    target.searchParams.set('code', issueAuthorizationCode(lifecycle, app, 1));
    target.searchParams.set('state', query.get('state') ?? '');
    target.searchParams.set('domain', portal.domain);
    target.searchParams.set('member_id', portal.memberId);
    target.searchParams.set('scope', app.scopes.join(','));
    target.searchParams.set('server_domain', 'oauth.bitrix.info');
    response.statusCode = 302;
    response.setHeader('Location', target.toString());
    response.end();
  }

  /** A card page hosting an app's tab in a real browser (cardPage.ts). */
  function handleCard(response: ServerResponse, portal: Portal, query: URLSearchParams): void {
    const app = state.apps.get(query.get('client_id') ?? '');
    if (!app || app.portalId !== portal.id || app.removed) throw new RestError(404, 'NOT_FOUND', 'No such application in this portal');
    const id = Number(query.get('id'));
    const userId = Number(query.get('user_id') ?? '1');
    if (!Number.isInteger(id) || id <= 0 || !Number.isInteger(userId)) throw new RestError(400, 'ERROR_ARGUMENT', 'id and user_id must be numbers');
    const placement = (query.get('placement') ?? 'CRM_DEAL_DETAIL_TAB').toUpperCase();
    try {
      sendCardPage(lifecycle, response, portal, app, placement, id, userId);
    } catch (error) {
      throw new RestError(400, 'ERROR_ARGUMENT', error instanceof Error ? error.message : String(error));
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestUrl = new URL(request.url ?? '/', 'http://emulator.invalid');
    const rawQuery = (request.url ?? '').includes('?') ? (request.url ?? '').slice((request.url ?? '').indexOf('?') + 1) : '';
    let portal: Portal | undefined;
    let path = requestUrl.pathname;
    const prefixed = portalPrefix.exec(path);
    if (prefixed?.[1]) {
      portal = state.portalByName(prefixed[1]);
      path = prefixed[2] ?? '/';
      if (!portal) throw new RestError(404, 'PORTAL_NOT_FOUND', 'Portal not found');
    } else {
      portal = state.portalByDomain((request.headers.host ?? '').toLowerCase().replace(/:\d+$/, ''));
    }
    if (request.method === 'OPTIONS') return sendJson(response, 200, {});
    if (path.startsWith('/rest/') || path === '/rest') return handleRest(request, response, portal, path.slice('/rest'.length), rawQuery);
    if (!portal && /^\/oauth\/token\/?$/.test(path)) {
      const params = await readParams(request, rawQuery);
      return sendJson(response, 200, handleTokenRequest(lifecycle, params));
    }
    if (portal && /^\/oauth\/authorize\/?$/.test(path)) return handleAuthorize(response, portal, requestUrl.searchParams);
    if (portal && path === '/_emulator/card' && request.method === 'GET') return handleCard(response, portal, requestUrl.searchParams);
    throw new RestError(404, 'NOT_FOUND', 'Not found');
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) return;
      if (error instanceof RestError) return sendError(response, error);
      if (error instanceof BadBody) return sendError(response, new RestError(400, 'ERROR_ARGUMENT', error.message));
      sendError(response, new RestError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const portalOrThrow = (name: string): Portal => {
    const portal = state.portalByName(name);
    if (!portal) throw new Error(`No portal ${name}`);
    return portal;
  };
  const appOrThrow = (portalName: string, clientId: string): App => {
    const app = state.apps.get(clientId);
    if (!app || app.portalId !== portalOrThrow(portalName).id) throw new Error(`No app ${clientId} in ${portalName}`);
    return app;
  };
  const manager = (portalName: string) => managerOf(state, clock, lifecycle, portalOrThrow(portalName));

  return {
    url,
    state,
    clock,
    options,
    serverEndpoint: endpoints.serverEndpoint,
    setupPortal(input) {
      const portal = createPortal(state, clock, input);
      return { portal, baseUrl: `${url}/_portals/${portal.name}`, restUrl: endpoints.clientEndpoint(portal) };
    },
    addDealCategory: (portalName, name, sort) => addDealCategory(state, clock, portalOrThrow(portalName), name, sort),
    addUser: (portalName, input) => addPortalUser(portalOrThrow(portalName), input),
    createApp: (portalName, input) => createApp(state, portalOrThrow(portalName), input),
    createInboundWebhook(portalName, input = {}) {
      const portal = portalOrThrow(portalName);
      const webhook = createInboundWebhook(state, portal, input.userId, input.scopes);
      return `${endpoints.clientEndpoint(portal)}${webhook.userId}/${webhook.secret}/`;
    },
    installApp: (portalName, clientId, userId = 1) => installApp(lifecycle, appOrThrow(portalName, clientId), userId),
    finishInstall: (portalName, clientId, userId = 1) => finishInstall(lifecycle, appOrThrow(portalName, clientId), userId),
    updateApp: (portalName, clientId, userId = 1) => updateApp(lifecycle, appOrThrow(portalName, clientId), userId),
    uninstallApp: (portalName, clientId, clean = false) => uninstallApp(lifecycle, appOrThrow(portalName, clientId), clean),
    openPlacement: (portalName, clientId, placement, entityId, userId = 1) => openPlacement(lifecycle, appOrThrow(portalName, clientId), placement, entityId, userId),
    placementCall: (portalName, clientId, placement, entityId, userId = 1) => placementCall(lifecycle, appOrThrow(portalName, clientId), placement, entityId, userId),
    issueAuthorizationCode: (portalName, clientId, userId = 1) => issueAuthorizationCode(lifecycle, appOrThrow(portalName, clientId), userId),
    issueTokens: (portalName, clientId, userId = 1) => issueTokenPair(lifecycle, appOrThrow(portalName, clientId), userId),
    createDeal: (portalName, fields = {}, as) => manager(portalName).create('deal', fields, as),
    updateDeal: (portalName, id, fields, as) => manager(portalName).update('deal', id, fields, as),
    moveDealToCategory: (portalName, id, categoryId, stageId, as) => manager(portalName).moveDealToCategory(id, categoryId, stageId, as),
    createLead: (portalName, fields = {}, as) => manager(portalName).create('lead', fields, as),
    updateLead: (portalName, id, fields, as) => manager(portalName).update('lead', id, fields, as),
    createContact: (portalName, fields = {}, as) => manager(portalName).create('contact', fields, as),
    updateContact: (portalName, id, fields, as) => manager(portalName).update('contact', id, fields, as),
    events: {
      attempts: delivery.attempts,
      settle: () => delivery.settle(),
      runDue: () => delivery.runDue(),
    },
    limits: state.limits,
    close: () =>
      new Promise<void>((resolve, reject) => {
        delivery.close();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export type { DeliveryAttempt };
