/**
 * The amoCRM emulator: one HTTP server on loopback serving any number of accounts, addressed by
 * host or by `/_accounts/{subdomain}` (see addressing.ts). State lives in memory and is exposed so
 * tests can arrange and inspect it; time comes from the injected clock.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addLossReason, addUser, createAccount, createContact, createIntegration, type NewAccount, type NewContact, type NewLossReason, type NewUser } from './accounts.js';
import { accountPrefixUrl, resolveAddressing } from './addressing.js';
import { systemClock, unixSeconds, type EmulatorClock } from './clock.js';
import { FaultInjector } from './faults.js';
import { disposableTokenClaims, signDisposableToken, type DisposableTokenRequest } from './disposableToken.js';
import { handleEmulatorRoute } from './emulatorRoutes.js';
import { handleConsent, installWidget, uninstall, type HookOutcome } from './install.js';
import {
  managerCreatesLead,
  managerDeletesContact,
  managerDeletesLead,
  managerMovesLead,
  managerRestoresContact,
  managerRestoresLead,
  managerUpdatesContact,
  managerUpdatesLead,
  type ManagerContext,
} from './manager.js';
import { createNotifier } from './notify.js';
import { WebhookDispatcher } from './webhookDelivery.js';
import { issueAuthorizationCode, handleTokenRequest } from './oauth.js';
import { resolveOptions, type EmulatorOptionOverrides, type EmulatorOptions } from './options.js';
import { RateLimiter } from './rateLimiter.js';
import { sendGatewayHtml, sendProblem } from './responses.js';
import { accountRoutes } from './routes/account.js';
import type { ApiContext, ApiRoute } from './routes/apiContext.js';
import { complexRoutes } from './routes/complex.js';
import { contactRoutes } from './routes/contacts.js';
import { customFieldRoutes } from './routes/customFields.js';
import { eventRoutes } from './routes/events.js';
import { leadRoutes } from './routes/leads.js';
import { lossReasonRoutes } from './routes/lossReasons.js';
import { userRoutes } from './routes/users.js';
import { noteRoutes } from './routes/notes.js';
import { pipelineRoutes } from './routes/pipelines.js';
import { unsortedRoutes } from './routes/unsorted.js';
import { webhookRoutes } from './routes/webhooks.js';
import { EmulatorState, type Account, type Integration } from './state.js';
import { authenticate, issueLongLivedToken, issueTokenPair, revokeAccessToken, type TokenResponse } from './tokens.js';

const apiRoutes: ApiRoute[] = [
  ...accountRoutes,
  ...pipelineRoutes,
  ...lossReasonRoutes,
  ...userRoutes,
  ...customFieldRoutes,
  ...noteRoutes,
  ...complexRoutes,
  ...unsortedRoutes,
  ...leadRoutes,
  ...contactRoutes,
  ...webhookRoutes,
  ...eventRoutes,
];
const maxBodyBytes = 10 * 1024 * 1024;

export interface StartOptions extends EmulatorOptionOverrides {
  /** Defaults to the system clock; tests pass `createManualClock()` and advance it. */
  clock?: EmulatorClock;
  port?: number;
}

export interface EmulatedAccount {
  account: Account;
  integration: Integration;
  /** Base URL that reaches this account on the emulator's port (the path-prefix form). */
  baseUrl: string;
}

export interface AmocrmEmulator {
  url: string;
  state: EmulatorState;
  clock: EmulatorClock;
  options: EmulatorOptions;
  /** An account with its default pipeline and tracking fields, and an integration installed in it. */
  setupAccount(input: NewAccount & { redirectUri?: string; disableHookUrl?: string }): EmulatedAccount;
  /** What the consent screen would put into the redirect for this account and integration. */
  issueAuthorizationCode(subdomain: string, clientId: string): string;
  /** Tokens without the code dance, for tests whose subject is not OAuth. */
  issueTokens(subdomain: string, clientId: string): TokenResponse;
  /** A long-lived token (amocrm.md 1.6): JWT with `exp` = now + lifetime (1 day to 5 years), no refresh. */
  issueLongLivedToken(subdomain: string, clientId: string, lifetimeMs: number): string;
  /** Revokes one access or long-lived token; it answers 401 from then on. */
  revokeToken(token: string): void;
  /** A marketplace widget install: one GET to the Redirect URI with `from_widget=1` (amocrm.md 1.3). */
  installWidget(subdomain: string, clientId: string): Promise<HookOutcome>;
  /** Disables the integration in the account: tokens revoked, then the signed disable hook (amocrm.md 1.8). */
  uninstall(subdomain: string, clientId: string): Promise<HookOutcome | null>;
  /*
   * A manager acting in amoCRM's UI (manager.ts): the manager is the author, and events and
   * webhooks follow as for API changes. Invalid input throws.
   */
  /** Adds a contact (`add_contact`). Returns its id. */
  createContact(subdomain: string, input?: NewContact): number;
  /** Edits a contact; `item` like the body of `PATCH /api/v4/contacts/{id}` (`update_contact`). */
  updateContact(subdomain: string, contactId: number, item: unknown): void;
  /** Adds a lead; `item` like one element of `POST /api/v4/leads` (`add_lead`). Returns its id. */
  createLead(subdomain: string, item: unknown): number;
  /** Edits a lead; `item` like the body of `PATCH /api/v4/leads/{id}` (`update_lead`, `status_lead`). */
  updateLead(subdomain: string, leadId: number, item: unknown): void;
  /**
   * Drags a lead to a stage (0 = first regular stage), the unsorted one and other pipelines
   * included: `lead_status_changed` event, `update_lead` and `status_lead` webhooks.
   */
  moveLead(subdomain: string, leadId: number, statusId: number, pipelineId?: number): void;
  /** Moves a lead to the trash (`lead_deleted` event, `delete_lead` webhook); the API has no such call. */
  deleteLead(subdomain: string, leadId: number): void;
  /** Restores a lead from the trash (`lead_restored` event, `restore_lead` webhook). */
  restoreLead(subdomain: string, leadId: number): void;
  /** Deletes a contact (`delete_contact` webhook). */
  deleteContact(subdomain: string, contactId: number): void;
  /** Restores a deleted contact (`restore_contact` webhook). */
  restoreContact(subdomain: string, contactId: number): void;
  /** Invites another user into the account (a possible `responsible_user_id`). Returns its id. */
  addUser(subdomain: string, input?: NewUser): number;
  /** Adds a loss reason to the account (set on a lead with `loss_reason_id` and status 143). Returns its id. */
  addLossReason(subdomain: string, input: NewLossReason): number;
  /**
   * The widget's disposable token for `X-Auth-Token` (amocrm.md 5.6): HS256 with the integration's
   * client secret, valid 30 minutes from the clock's now. Also served at `GET /_emulator/disposable_token`.
   */
  issueDisposableToken(subdomain: string, clientId: string, request?: DisposableTokenRequest): Promise<string>;
  /** Switches the account's "subscription expired" mode: every `/api/v4` call answers 402 (checklist 34). */
  setPaymentRequired(subdomain: string, required: boolean): void;
  /** Outgoing webhook delivery: `attempts`, `runDue()` after `clock.advance`, `settle()`. */
  webhooks: WebhookDispatcher;
  /** Turns `/leads/complex` duplicate control on or off for one integration in one account (off by default). */
  setDuplicateControl(subdomain: string, clientId: string, enabled: boolean): void;
  /** Lifts a 403 rate-limit block, as amoCRM support would: `key` is the client_id, token or IP (`rateLimit.keyBy`), or `account:{id}`. */
  unblock(key: string): void;
  close(): Promise<void>;
}

class BadBody extends Error {}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new BadBody('Request body is too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  if ((request.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadBody('Request body is not valid JSON');
  }
}

function accountOrThrow(state: EmulatorState, subdomain: string): Account {
  const account = state.accountBySubdomain(subdomain);
  if (!account) throw new Error(`No account ${subdomain}`);
  return account;
}

function integrationOrThrow(state: EmulatorState, clientId: string): Integration {
  const integration = state.integrations.get(clientId);
  if (!integration) throw new Error(`No integration with client_id ${clientId}`);
  return integration;
}

export async function startAmocrmEmulator(startOptions: StartOptions = {}): Promise<AmocrmEmulator> {
  const { clock = systemClock, port = 0, ...overrides } = startOptions;
  const options = resolveOptions(overrides);
  const state = new EmulatorState();
  const rateLimiter = new RateLimiter(clock, options.rateLimit, state.rateLimit);
  const accountCap = options.rateLimit.accountRequestsPerWindow;
  const accountLimiter = accountCap === null ? undefined : new RateLimiter(clock, { ...options.rateLimit, requestsPerWindow: accountCap }, state.rateLimit);
  const faults = new FaultInjector(options.faults);
  const webhooks = new WebhookDispatcher(state, clock, options, faults);
  const notify = createNotifier(state, clock, options, webhooks);
  const manager = (subdomain: string): ManagerContext => ({ state, clock, notify, account: accountOrThrow(state, subdomain), multitextPatch: options.multitextPatch });
  let url = '';

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestUrl = new URL(request.url ?? '/', 'http://emulator.invalid');
    const addressing = resolveAddressing(state, url, request.headers.host ?? '', requestUrl.pathname);
    if (addressing.kind === 'www' && request.method === 'GET' && (addressing.path === '/oauth' || addressing.path === '/oauth/grant')) {
      return handleConsent({ state, clock, options }, addressing.path, addressing.basePath, requestUrl.searchParams, response);
    }
    if (addressing.kind !== 'account') {
      return sendProblem(response, 404, addressing.kind === 'www' ? 'Requests must go to the account address' : 'Account not found');
    }
    const { account, baseUrl, path } = addressing;
    let body: unknown;
    try {
      body = await readBody(request);
    } catch (error) {
      if (error instanceof BadBody) return sendProblem(response, 400, error.message);
      throw error;
    }
    if (path === '/oauth2/access_token' && request.method === 'POST') {
      const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
      return handleTokenRequest({ state, clock, options, account }, fields, response);
    }
    if (path.startsWith('/_emulator/')) return handleEmulatorRoute({ state, clock, options, account }, request.method ?? 'GET', path, requestUrl.searchParams, response);
    if (!path.startsWith('/api/v4/')) return sendProblem(response, 404, 'Not Found');
    const authentication = authenticate(state, clock, request.headers.authorization, account);
    if (!authentication.ok) return sendProblem(response, 401, authentication.detail);
    const rateKey = { integration: authentication.clientId, token: authentication.token, ip: request.socket.remoteAddress ?? '' }[options.rateLimit.keyBy];
    let decision = rateLimiter.check(rateKey);
    if (decision === 'allow' && accountLimiter) decision = accountLimiter.check(`account:${account.id}`);
    if (decision === 'blocked') return sendGatewayHtml(response, 403);
    if (decision === 'too_many') return sendGatewayHtml(response, 429);
    state.rateLimit.accepted += 1;
    if (faults.next('tooManyRequests')) return sendGatewayHtml(response, 429);
    if (account.paymentRequired) return sendProblem(response, 402, options.paymentRequiredDetail);
    if (faults.next('slowResponse')) await new Promise((resolve) => setTimeout(resolve, options.faults.slowResponseMs));
    if (faults.next('serverError')) return sendProblem(response, options.faults.serverErrorStatus, 'Injected fault');
    for (const route of apiRoutes) {
      const match = route.method === request.method ? route.path.exec(path) : null;
      if (!match) continue;
      const context: ApiContext = { state, clock, options, account, baseUrl, query: requestUrl.searchParams, body, response, notify, clientId: authentication.clientId };
      return route.handler(context, match.slice(1).map((part) => part ?? ''));
    }
    sendProblem(response, 404, 'Not Found');
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendProblem(response, 500, error instanceof Error ? error.message : 'Internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    state,
    clock,
    options,
    setupAccount(input) {
      const account = createAccount(state, clock, input);
      const integration = createIntegration(state, {
        redirectUri: input.redirectUri ?? 'https://app.example.com/oauth/amocrm/callback',
        ...(input.disableHookUrl === undefined ? {} : { disableHookUrl: input.disableHookUrl }),
      });
      return { account, integration, baseUrl: accountPrefixUrl(url, account.subdomain) };
    },
    issueAuthorizationCode: (subdomain, clientId) => issueAuthorizationCode(state, clock, options, accountOrThrow(state, subdomain), clientId),
    issueTokens(subdomain, clientId) {
      if (!state.integrations.has(clientId)) throw new Error(`No integration with client_id ${clientId}`);
      return issueTokenPair(state, clock, options, accountOrThrow(state, subdomain), clientId);
    },
    issueLongLivedToken: (subdomain, clientId, lifetimeMs) => issueLongLivedToken(state, clock, options, accountOrThrow(state, subdomain), integrationOrThrow(state, clientId).clientId, lifetimeMs),
    revokeToken: (token) => revokeAccessToken(state, token),
    installWidget: (subdomain, clientId) => installWidget({ state, clock, options }, accountOrThrow(state, subdomain), integrationOrThrow(state, clientId)),
    uninstall: (subdomain, clientId) => uninstall({ state, clock, options }, accountOrThrow(state, subdomain), integrationOrThrow(state, clientId)),
    createContact(subdomain, input) {
      const account = accountOrThrow(state, subdomain);
      const contact = createContact(state, account.id, unixSeconds(clock), input);
      notify(account, [{ entity: 'contacts', action: 'add', contact }], account.currentUserId);
      return contact.id;
    },
    updateContact: (subdomain, contactId, item) => managerUpdatesContact(manager(subdomain), contactId, item),
    createLead: (subdomain, item) => managerCreatesLead(manager(subdomain), item).id,
    updateLead: (subdomain, leadId, item) => void managerUpdatesLead(manager(subdomain), leadId, item),
    moveLead: (subdomain, leadId, statusId, pipelineId) => void managerMovesLead(manager(subdomain), leadId, statusId, pipelineId),
    deleteLead: (subdomain, leadId) => void managerDeletesLead(manager(subdomain), leadId),
    restoreLead: (subdomain, leadId) => void managerRestoresLead(manager(subdomain), leadId),
    deleteContact: (subdomain, contactId) => void managerDeletesContact(manager(subdomain), contactId),
    restoreContact: (subdomain, contactId) => void managerRestoresContact(manager(subdomain), contactId),
    addUser: (subdomain, input) => addUser(state, accountOrThrow(state, subdomain), input),
    addLossReason: (subdomain, input) => addLossReason(state, clock, accountOrThrow(state, subdomain), input),
    async issueDisposableToken(subdomain, clientId, tokenRequest) {
      const integration = integrationOrThrow(state, clientId);
      const claims = disposableTokenClaims(state, clock, options, accountOrThrow(state, subdomain), integration, tokenRequest);
      return signDisposableToken(claims, integration.clientSecret);
    },
    setPaymentRequired(subdomain, required) {
      accountOrThrow(state, subdomain).paymentRequired = required;
    },
    webhooks,
    setDuplicateControl(subdomain, clientId, enabled) {
      const key = `${accountOrThrow(state, subdomain).id}:${clientId}`;
      if (enabled) state.duplicateControl.add(key);
      else state.duplicateControl.delete(key);
    },
    unblock(key) {
      rateLimiter.unblock(key);
      accountLimiter?.unblock(key);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        webhooks.close();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
