/**
 * The emulator's in-memory world. Plain records keyed by id; routes read and write them directly.
 * Ids come from per-kind sequences so tests can predict them.
 */
export type Platform = 'amocrm' | 'kommo';

export interface Account {
  id: number;
  subdomain: string;
  platform: Platform;
  name: string;
  createdAt: number;
  currentUserId: number;
  amojoId: string;
  uuid: string;
  timezone: string;
  timezoneOffset: string;
  currency: string;
  country: string;
  /** "Subscription expired": every `/api/v4` request answers 402 (amocrm.md 3.2, checklist 34). */
  paymentRequired: boolean;
}

/** A user of an account (amocrm.md 6.11: `responsible_user_id` must be an active user). */
export interface User {
  id: number;
  accountId: number;
  name: string;
  isAdmin: boolean;
  isActive: boolean;
  /** The login e-mail (`GET /api/v4/users` shows it). */
  email: string;
}

/** A reason a lead was lost, chosen when it is closed as lost (status 143; amocrm.md 2.3 `loss_reason`). */
export interface LossReason {
  id: number;
  accountId: number;
  name: string;
  sort: number;
  createdAt: number;
  updatedAt: number;
}

export interface Integration {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  name: string;
  /** The "integration disabled" hook (amocrm.md 1.8), or null when the form left it empty. */
  disableHookUrl: string | null;
}

export interface AuthorizationCode {
  code: string;
  accountId: number;
  clientId: string;
  expiresAtMs: number;
  used: boolean;
}

export interface AccessToken {
  token: string;
  accountId: number;
  clientId: string;
  expiresAtMs: number;
  revoked: boolean;
}

export interface RefreshToken {
  token: string;
  accountId: number;
  clientId: string;
  expiresAtMs: number;
  spent: boolean;
  /** The access token issued together with this refresh token. */
  accessToken: string;
}

export interface Status {
  id: number;
  name: string;
  sort: number;
  isEditable: boolean;
  color: string;
  /** 1 = incoming leads (unsorted), 0 = regular (amocrm.md 2.6). */
  type: 0 | 1;
}

export interface Pipeline {
  id: number;
  accountId: number;
  name: string;
  sort: number;
  isMain: boolean;
  isUnsortedOn: boolean;
  isArchive: boolean;
  statuses: Status[];
}

export interface FieldEnum {
  id: number;
  value: string;
  sort: number;
  code: string | null;
}

export interface CustomField {
  id: number;
  accountId: number;
  entityType: 'leads' | 'contacts';
  name: string;
  type: string;
  code: string | null;
  sort: number;
  isApiOnly: boolean;
  isPredefined: boolean;
  isDeletable: boolean;
  enums: FieldEnum[] | null;
  trackingCallback: string | null;
  /** The field group it is shown in (`.../custom_fields/groups`); null: the default one. */
  groupId?: string | null;
}

/** A group of custom fields, a tab in the card (amocrm.md 2.7; shape from the SDK's CustomFieldGroupModel). */
export interface CustomFieldGroup {
  id: string;
  accountId: number;
  entityType: 'leads';
  name: string;
  sort: number;
  isPredefined: boolean;
}

export interface StoredFieldValue {
  value: unknown;
  enumId?: number;
  enumCode?: string | null;
}

export interface StoredCustomFieldValues {
  fieldId: number;
  values: StoredFieldValue[];
}

export interface ContactLink {
  id: number;
  isMain: boolean;
}

export interface Lead {
  id: number;
  accountId: number;
  name: string;
  price: number;
  responsibleUserId: number;
  groupId: number;
  statusId: number;
  pipelineId: number;
  lossReasonId: number | null;
  createdBy: number;
  updatedBy: number;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  closestTaskAt: number | null;
  isDeleted: boolean;
  score: number | null;
  laborCost: number | null;
  customFieldsValues: StoredCustomFieldValues[];
  tagIds: number[];
  contacts: ContactLink[];
  companyIds: number[];
}

/** Companies exist only as what `/leads/complex` creates and links (amocrm.md 2.3). */
export interface Company {
  id: number;
  accountId: number;
  name: string;
  createdAt: number;
}

/** Form metadata of an incoming lead (amocrm.md 2.4). */
export interface FormMetadata {
  form_id?: string;
  form_name?: string;
  form_page?: string;
  form_sent_at: number;
  ip?: string;
  referer?: string;
  visitor_uid?: string;
  form_type?: number;
}

/** An incoming ("unsorted") lead from a form (amocrm.md 2.4). */
export interface UnsortedEntry {
  uid: string;
  accountId: number;
  category: 'forms';
  sourceUid: string;
  sourceName: string;
  pipelineId: number;
  createdAt: number;
  metadata: FormMetadata;
  leadId: number;
  contactIds: number[];
  /** What decides "the same data" for the duplicate rule. */
  fingerprint: string;
}

export interface Tag {
  id: number;
  accountId: number;
  name: string;
}

export interface Contact {
  id: number;
  accountId: number;
  name: string;
  firstName: string;
  lastName: string;
  responsibleUserId: number;
  groupId: number;
  createdBy: number;
  updatedBy: number;
  createdAt: number;
  updatedAt: number;
  closestTaskAt: number | null;
  isDeleted: boolean;
  customFieldsValues: StoredCustomFieldValues[];
  tagIds: number[];
  /** Attached to an incoming lead: hidden from lists until accepted (amocrm.md 2.4). */
  isUnsorted: boolean;
}

/** A subscription made through `POST /api/v4/webhooks` (amocrm.md 2.11). */
export interface WebhookSubscription {
  id: number;
  accountId: number;
  destination: string;
  createdAt: number;
  updatedAt: number;
  createdBy: number;
  sort: number;
  disabled: boolean;
  settings: string[];
  /** Clock times (ms) of failed deliveries, for the auto-disable rule (amocrm.md 4.3). */
  failureTimesMs: number[];
}

/** An entry of `GET /api/v4/events` (amocrm.md 2.10). */
export interface AmoEvent {
  id: string;
  accountId: number;
  type: string;
  entityId: number;
  entityType: 'lead' | 'contact';
  createdBy: number;
  createdAt: number;
  valueBefore: unknown[];
  valueAfter: unknown[];
}

/** A note on a lead (amocrm.md 2.9). */
export interface Note {
  id: number;
  accountId: number;
  entityId: number;
  noteType: string;
  params: Record<string, unknown>;
  responsibleUserId: number;
  createdBy: number;
  updatedBy: number;
  createdAt: number;
  updatedAt: number;
  isNeedToTriggerDigitalPipeline: boolean;
}

type IdKind = 'account' | 'user' | 'pipeline' | 'status' | 'customField' | 'enum' | 'lead' | 'contact' | 'tag' | 'webhook' | 'note' | 'event' | 'company' | 'unsorted' | 'lossReason';

const firstIds: Record<IdKind, number> = {
  account: 31_000_001,
  user: 9_000_001,
  pipeline: 7_000_001,
  status: 58_000_001,
  customField: 1_360_001,
  enum: 840_001,
  lead: 25_000_001,
  contact: 40_000_001,
  tag: 263_001,
  webhook: 839_001,
  note: 295_001,
  event: 1,
  company: 50_000_001,
  unsorted: 1,
  lossReason: 11_000_001,
};

export interface RateLimitCounters {
  /** Requests answered 429 because the per-second limit was exceeded. */
  violations: number;
  /** Requests answered 403 because the integration was blocked. */
  blockedRequests: number;
  /** Authenticated API requests the rate limit let through (benchmarks count requests made with it). */
  accepted: number;
}

export class EmulatorState {
  readonly accounts = new Map<number, Account>();
  readonly users = new Map<number, User>();
  readonly lossReasons = new Map<number, LossReason>();
  readonly integrations = new Map<string, Integration>();
  readonly authorizationCodes = new Map<string, AuthorizationCode>();
  readonly accessTokens = new Map<string, AccessToken>();
  readonly refreshTokens = new Map<string, RefreshToken>();
  readonly pipelines = new Map<number, Pipeline>();
  readonly customFields = new Map<number, CustomField>();
  /** Lead field groups by their string id (amocrm.md 2.7 "field groups"). */
  readonly customFieldGroups = new Map<string, CustomFieldGroup>();
  readonly leads = new Map<number, Lead>();
  readonly contacts = new Map<number, Contact>();
  readonly tags = new Map<number, Tag>();
  readonly webhooks = new Map<number, WebhookSubscription>();
  readonly events: AmoEvent[] = [];
  readonly notes = new Map<number, Note>();
  readonly companies = new Map<number, Company>();
  readonly unsorted = new Map<string, UnsortedEntry>();
  /** `${accountId}:${clientId}` of integrations with `/leads/complex` duplicate control on. */
  readonly duplicateControl = new Set<string>();
  readonly rateLimit: RateLimitCounters = { violations: 0, blockedRequests: 0, accepted: 0 };
  private readonly nextIds: Record<IdKind, number> = { ...firstIds };

  nextId(kind: IdKind): number {
    const id = this.nextIds[kind];
    this.nextIds[kind] = id + 1;
    return id;
  }

  accountBySubdomain(subdomain: string): Account | undefined {
    for (const account of this.accounts.values()) {
      if (account.subdomain === subdomain) return account;
    }
    return undefined;
  }

  /** Whether `userId` is an active user of the account, as `responsible_user_id` must be (amocrm.md 6.11). */
  isActiveUser(accountId: number, userId: number): boolean {
    const user = this.users.get(userId);
    return user !== undefined && user.accountId === accountId && user.isActive;
  }

  pipelinesOf(accountId: number): Pipeline[] {
    return [...this.pipelines.values()].filter((pipeline) => pipeline.accountId === accountId);
  }

  customFieldsOf(accountId: number, entityType: CustomField['entityType'] = 'leads'): CustomField[] {
    return [...this.customFields.values()].filter((field) => field.accountId === accountId && field.entityType === entityType);
  }

  contactsOf(accountId: number): Contact[] {
    return [...this.contacts.values()].filter((contact) => contact.accountId === accountId && !contact.isDeleted && !contact.isUnsorted);
  }

  webhooksOf(accountId: number): WebhookSubscription[] {
    return [...this.webhooks.values()].filter((webhook) => webhook.accountId === accountId);
  }

  leadsOf(accountId: number): Lead[] {
    return [...this.leads.values()].filter((lead) => lead.accountId === accountId && !lead.isDeleted);
  }
}
