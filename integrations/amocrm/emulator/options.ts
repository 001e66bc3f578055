/**
 * Emulator options. Every behaviour that amocrm.md marks [UNCONFIRMED] is an option here, with the
 * documented (or best-guess) default, so a test can pin the other reading too.
 */
import { noFaults, type FaultOptions } from './faults.js';
import type { DeleteWebhookFields } from './webhookPayload.js';

export interface RateLimitOptions {
  /** Requests allowed per integration in any `windowMs` (amocrm.md 3.3: 7 per second). */
  requestsPerWindow: number;
  windowMs: number;
  /** 429 answers within `violationWindowMs` that switch the integration into the 403 block. [UNCONFIRMED] */
  violationsToBlock: number;
  violationWindowMs: number;
  /** How long the 403 block lasts; real amoCRM lifts it via support only. [UNCONFIRMED] */
  blockDurationMs: number;
  /** What the per-second limit counts: per `integration` (client_id), per access `token`, or per client `ip` (amocrm.md 3.3: [UNCONFIRMED]). */
  keyBy: 'integration' | 'token' | 'ip';
  /** Optional account-wide cap across all integrations (amocrm.md 3.3: 50 per second, [UNCONFIRMED]); null = off. */
  accountRequestsPerWindow: number | null;
}

export interface EmulatorOptions {
  /** Access token lifetime (amocrm.md 1.4: `expires_in` 86400). */
  accessTokenLifetimeSeconds: number;
  /** Authorization code lifetime (amocrm.md 1.1/1.3: 20 minutes). */
  authorizationCodeLifetimeMs: number;
  /** Refresh token lifetime (amocrm.md 1.5: 3 months; checklist 8: 90 days). */
  refreshTokenLifetimeMs: number;
  /** Status of "Authorization code has expired": 400 usually, 401 in one fixture. [UNCONFIRMED] */
  expiredCodeStatus: 400 | 401;
  /** Whether a refresh also kills the access token issued with the spent refresh token. [UNCONFIRMED] */
  refreshRevokesPreviousAccessToken: boolean;
  /** `api_domain` claim put into access tokens (amocrm.md 1.4). */
  apiDomain: string;
  rateLimit: RateLimitOptions;
  /** Largest plain POST/PATCH batch accepted; more answers 400 (amocrm.md 2.3: default 250). [UNCONFIRMED] */
  maxBatchSize: number;
  /** Largest `limit` on lists; larger values are capped (amocrm.md 2.1, 3.4). */
  maxPageLimit: number;
  /** `limit` used when a list request gives none. [UNCONFIRMED; the SDK sends 50] */
  defaultPageLimit: number;
  /** Answer to GET of a missing lead id: 204 on amoCRM per amocrm.md 2.1. [UNCONFIRMED] */
  missingLeadStatus: 204 | 404;
  /** Status of a successful POST /api/v4/leads: amoCRM tables say 200, Kommo shows 201. [UNCONFIRMED] */
  leadCreateStatus: 200 | 201;
  /** Status of a successful POST .../custom_fields (Kommo errors page shows 201). */
  customFieldCreateStatus: 200 | 201;
  /** Webhook subscriptions per account (amocrm.md 2.11, 3.4: 100). */
  maxWebhooksPerAccount: number;
  /** Outgoing webhook answer budget (amocrm.md 4.3: 2 s). [UNCONFIRMED] */
  webhookTimeoutMs: number;
  /** Delays before each retry of a failed delivery; length = retries (amocrm.md 4.3: "~5 attempts"). [UNCONFIRMED] */
  webhookRetryDelaysMs: number[];
  /** More than this many failures to one subscription within the window disable it (amocrm.md 4.3: 100 in 2 h). [UNCONFIRMED] */
  webhookDisableAfterFailures: number;
  webhookDisableWindowMs: number;
  /** Real-time interval at which due retries are sent (tests call `webhooks.runDue()` instead). */
  webhookPollMs: number;
  /** How a phone in `query=` matches a stored phone: `digits` = digits-only substring (checklist 24), `last10` = last 10 digits equal. [UNCONFIRMED] */
  phoneSearch: 'digits' | 'last10';
  /** Contact PATCH of PHONE/EMAIL: `replace` the field's list (amocrm.md 2.5) or `append` to it. [UNCONFIRMED] */
  multitextPatch: 'replace' | 'append';
  /** `known`: subscriptions naming an action code not in amocrm.md 2.11 are refused; `any`: accepted. [UNCONFIRMED list] */
  webhookSettingsCheck: 'known' | 'any';
  /** `limit` cap on `/api/v4/events` (amocrm.md 2.10: 100 on amoCRM, 250 on Kommo); applied by platform. */
  maxEventsPageLimit: { amocrm: number; kommo: number };
  /** Budget of the widget-install GET to the Redirect URI (amocrm.md 1.3: at most 3 s, answer ignored). */
  widgetInstallTimeoutMs: number;
  /** Lifetime of the widget's disposable token (amocrm.md 5.6: 30 minutes, from the SDK example). */
  disposableTokenLifetimeSeconds: number;
  /** Fields of `leads[delete]`: `captured` = id + type (2016 captures); `with_stage` adds status_id, pipeline_id (amocrm.md 4.2). [UNCONFIRMED] */
  deleteWebhookFields: DeleteWebhookFields;
  /** Event type of a lead custom-field change: `generic` = `custom_field_value_changed`, `per_field` = `custom_field_{id}_value_changed` (amocrm.md 2.10 names both). [UNCONFIRMED] */
  customFieldEventType: 'generic' | 'per_field';
  /** Detail of the 402 answered for an account whose subscription expired (amocrm.md 3.2: shape [UNCONFIRMED]). */
  paymentRequiredDetail: string;
  faults: FaultOptions;
}

export const defaultEmulatorOptions: EmulatorOptions = {
  accessTokenLifetimeSeconds: 86_400,
  authorizationCodeLifetimeMs: 20 * 60_000,
  refreshTokenLifetimeMs: 90 * 86_400_000,
  expiredCodeStatus: 400,
  refreshRevokesPreviousAccessToken: false,
  apiDomain: 'api-b.amocrm.ru',
  rateLimit: {
    requestsPerWindow: 7,
    windowMs: 1000,
    violationsToBlock: 20,
    violationWindowMs: 60_000,
    blockDurationMs: 60 * 60_000,
    keyBy: 'integration',
    accountRequestsPerWindow: null,
  },
  maxBatchSize: 250,
  maxPageLimit: 250,
  defaultPageLimit: 50,
  missingLeadStatus: 204,
  leadCreateStatus: 200,
  customFieldCreateStatus: 201,
  maxWebhooksPerAccount: 100,
  webhookTimeoutMs: 2_000,
  webhookRetryDelaysMs: [60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000],
  webhookDisableAfterFailures: 100,
  webhookDisableWindowMs: 2 * 60 * 60_000,
  webhookPollMs: 1_000,
  phoneSearch: 'digits',
  multitextPatch: 'replace',
  webhookSettingsCheck: 'known',
  maxEventsPageLimit: { amocrm: 100, kommo: 250 },
  widgetInstallTimeoutMs: 3_000,
  disposableTokenLifetimeSeconds: 1800,
  deleteWebhookFields: 'captured',
  customFieldEventType: 'generic',
  paymentRequiredDetail: 'Payment Required',
  faults: noFaults,
};

export type EmulatorOptionOverrides = Partial<Omit<EmulatorOptions, 'rateLimit' | 'faults'>> & {
  rateLimit?: Partial<RateLimitOptions>;
  faults?: Partial<FaultOptions>;
};

export function resolveOptions(overrides: EmulatorOptionOverrides = {}): EmulatorOptions {
  return {
    ...defaultEmulatorOptions,
    ...overrides,
    rateLimit: { ...defaultEmulatorOptions.rateLimit, ...overrides.rateLimit },
    faults: { ...defaultEmulatorOptions.faults, ...overrides.faults },
  };
}
