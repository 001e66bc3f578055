/**
 * Everything the emulator lets a test choose. Defaults follow bitrix24.md ("the file"); where the
 * file marks a fact [UNCONFIRMED] or names two sources that disagree (its section 8), the option
 * says so and its default is the file's recommendation.
 */
import { noFaults, type FaultOptions } from '../../amocrm/emulator/faults.js';

export interface LeakyBucketOptions {
  /** Off: no 503 QUERY_LIMIT_EXCEEDED at all (self-hosted portals). */
  enabled: boolean;
  /** Requests the bucket holds before refusing (file 4.4: 50; Enterprise 250). */
  threshold: number;
  /** Requests drained per second (file 4.4: 2; Enterprise 5). */
  drainPerSecond: number;
}

export interface OperatingLimitOptions {
  /** Off: no `operating` in `time` and no 429 (self-hosted default, file 4.2). Cloud: on. */
  enabled: boolean;
  /** Seconds of method time per 10 minutes before 429 (file 4.4: 480 docs / 420 code). */
  limitSeconds: number;
  /**
   * Seconds a call of a method costs; methods not named cost their real wall time (microseconds
   * here). Lets a test reach the limit without waiting (checklist 74).
   */
  methodCostSeconds: Record<string, number>;
}

export type AuthErrorStatus = 401 | 403;

export interface Bitrix24EmulatorOptions {
  /** file 1.6, 4.4: 3600 s. */
  accessTokenLifetimeSeconds: number;
  /** file 1.6, 8.1: 180 days (docs) or 28 days (older docs). */
  refreshTokenLifetimeMs: number;
  /** file 1.6: the authorization code lives 30 s. */
  authorizationCodeLifetimeMs: number;
  /** file 1.6 [T]: a refresh also invalidates the access token issued with the used refresh token. */
  refreshRevokesAccessToken: boolean;
  /** HTTP status of token-endpoint errors; undocumented, the PHP SDK expects 400 (file 1.6). [UNCONFIRMED] */
  oauthErrorStatus: number;
  /** `domain` of the token answer (file 8.8: `oauth.bitrix.info`; a 2021 capture had the portal host). */
  tokenDomain: 'oauth' | 'portal';
  /** `scope` of the token answer: real answers often say `app` (file 1.6); `granted` lists the scopes. */
  tokenScope: 'app' | 'granted';
  /** `error_description` of 401 `invalid_token` (file 1.7). [UNCONFIRMED] */
  invalidTokenDescription: string;
  /** Status of `insufficient_scope` (code: 401, docs: 403; file 4.3, 8.2). */
  insufficientScopeStatus: AuthErrorStatus;
  /** Status of `INVALID_CREDENTIALS` for a bad webhook secret (measured 401, docs 403; file 1.8, 8.2). */
  invalidCredentialsStatus: AuthErrorStatus;
  /** Refuse inbound webhooks over plain http with 401 `INVALID_REQUEST` (file 1.8); off for tests. */
  webhookHttpsRequired: boolean;
  leakyBucket: LeakyBucketOptions;
  operatingLimit: OperatingLimitOptions;
  /** file 3.11: 50 commands per batch. */
  maxBatchCommands: number;
  /** Lists return `start=` pages beyond the end as page 1 (file 3.2, 8.10 — inferred from code) or as empty. */
  outOfRangeStart: 'firstPage' | 'empty';
  /** How `filter[PHONE]`/`filter[EMAIL]` match multifield values (file 3.7: normalisation [UNCONFIRMED]). */
  multifieldFilter: 'exact' | 'digits';
  /** `crm.dealcategory.list` lists funnel 0 (file 3.5: not a table row, so not listed). [UNCONFIRMED] */
  dealCategoryListIncludesDefault: boolean;
  /** Text of a duplicate `FIELD_NAME` on `crm.*.userfield.add` (file 3.4). [UNCONFIRMED] */
  duplicateUserFieldDescription: string;
  /** `data[ACTIVE]` of ONAPPINSTALL: `Y` (docs, file 8.7) or `1` (SDK typing). [UNCONFIRMED] */
  installActiveValue: 'Y' | '1';
  /** Whether the install-URL ONAPPINSTALL carries `event_handler_id` (file 1.4). [UNCONFIRMED] */
  installCallbackHasHandlerId: boolean;
  /** Drop the app's event handlers when it is updated (docs say so, code does not; file 8.11). */
  dropHandlersOnUpdate: boolean;
  /**
   * How much later than the record's `MOVED_TIME` the `crm.stagehistory.list` row of the same stage
   * change is stamped (`CREATED_TIME`). Both are set while saving one change; the file does not say
   * they are equal (3.2, 3.8). [UNCONFIRMED] Default 0: equal.
   */
  stageHistoryLagMs: number;
  /**
   * Methods this portal does not have (a plan or module without them, e.g. `crm.tracking.trace.add`
   * without Sales Intelligence): they answer `ERROR_METHOD_NOT_FOUND` like an unknown method.
   */
  missingMethods: readonly string[];
  /** Real-time delay before an event leaves the queue (file 2.2: seconds are normal). */
  eventDelayMs: number;
  /** Real-time budget for a handler to answer an event POST, from when it has a connection. [UNCONFIRMED] (file 2.2) */
  eventTimeoutMs: number;
  /**
   * Event POSTs in flight at once (kept-alive connections); 0 = no limit. The file's queue server
   * sends from its own machines and slows down for slow handlers (2.2); how many it sends at once
   * is not documented. [UNCONFIRMED]
   */
  eventConcurrency: number;
  /** `User-Agent` of event POSTs. [UNCONFIRMED] (file 2.2: third-party logs show this value) */
  eventUserAgent: string;
  /** Fault injection; `webhookDrop` / `webhookDuplicate` / `webhookDelay` apply to event deliveries. */
  faults: FaultOptions;
}

export const defaultBitrix24EmulatorOptions: Bitrix24EmulatorOptions = {
  accessTokenLifetimeSeconds: 3600,
  refreshTokenLifetimeMs: 180 * 86_400_000,
  authorizationCodeLifetimeMs: 30_000,
  refreshRevokesAccessToken: true,
  oauthErrorStatus: 400,
  tokenDomain: 'oauth',
  tokenScope: 'app',
  invalidTokenDescription: 'The access token provided is invalid',
  insufficientScopeStatus: 401,
  invalidCredentialsStatus: 401,
  webhookHttpsRequired: false,
  leakyBucket: { enabled: true, threshold: 50, drainPerSecond: 2 },
  operatingLimit: { enabled: true, limitSeconds: 480, methodCostSeconds: {} },
  maxBatchCommands: 50,
  outOfRangeStart: 'firstPage',
  multifieldFilter: 'exact',
  dealCategoryListIncludesDefault: false,
  duplicateUserFieldDescription: 'A user field with this code already exists for this entity',
  installActiveValue: 'Y',
  installCallbackHasHandlerId: false,
  dropHandlersOnUpdate: false,
  stageHistoryLagMs: 0,
  missingMethods: [],
  eventDelayMs: 0,
  eventTimeoutMs: 5_000,
  eventConcurrency: 64,
  eventUserAgent: 'Bitrix24 Webhook Engine',
  faults: noFaults,
};

export type Bitrix24EmulatorOptionOverrides = Partial<Omit<Bitrix24EmulatorOptions, 'leakyBucket' | 'operatingLimit' | 'faults'>> & {
  leakyBucket?: Partial<LeakyBucketOptions>;
  operatingLimit?: Partial<OperatingLimitOptions>;
  faults?: Partial<FaultOptions>;
};

export function resolveBitrix24Options(overrides: Bitrix24EmulatorOptionOverrides = {}): Bitrix24EmulatorOptions {
  return {
    ...defaultBitrix24EmulatorOptions,
    ...overrides,
    leakyBucket: { ...defaultBitrix24EmulatorOptions.leakyBucket, ...overrides.leakyBucket },
    operatingLimit: { ...defaultBitrix24EmulatorOptions.operatingLimit, ...overrides.operatingLimit },
    faults: { ...defaultBitrix24EmulatorOptions.faults, ...overrides.faults },
  };
}
