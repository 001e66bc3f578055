/**
 * The emulator's in-memory world: portals, the apps installed in them, tokens, CRM records and
 * registrations. Plain records keyed by id; ids come from per-kind sequences so tests can predict
 * them. Section numbers refer to bitrix24.md.
 */
export interface PortalUser {
  id: number;
  name: string;
  lastName: string;
  email: string;
  isAdmin: boolean;
  /** A dismissed user is inactive (default active). */
  active?: boolean;
}

export interface Portal {
  id: number;
  /** Short name used in the path prefix `/_portals/{name}` and the host `{name}.bitrix24.com`. */
  name: string;
  /** Host sent as `DOMAIN` / `auth[domain]` (§1.3, §2.3). */
  domain: string;
  /** 32 hex characters, stable (§1.3). */
  memberId: string;
  /** Offset used when rendering datetimes (§3.1), e.g. `+03:00`. */
  timezoneOffset: string;
  currency: string;
  languageId: string;
  /** `app.info` LICENSE, e.g. `ru_ent250` (§1.2). */
  license: string;
  /** `crm.settings.mode.get` (§3.6): 1 Classic CRM, 2 Simple CRM (no leads). */
  crmMode: 1 | 2;
  users: PortalUser[];
}

/** A local app (§1.1, §1.2); its keys work only in its portal. */
export interface App {
  clientId: string;
  clientSecret: string;
  portalId: number;
  id: number;
  code: string;
  version: number;
  scopes: string[];
  /** "Initial installation path" (§1.2). */
  installUrl: string;
  redirectUri: string;
  /** With UI: installed only after installFinish; without: installed on ONAPPINSTALL (§1.2). */
  withUi: boolean;
  status: 'L';
  /** 32 hex, stable per (portal, app) (§2.5). */
  applicationToken: string;
  installed: boolean;
  /** Removed by uninstall: tokens and registrations are gone. */
  removed: boolean;
}

export interface AuthorizationCode {
  code: string;
  portalId: number;
  clientId: string;
  userId: number;
  expiresAtMs: number;
  used: boolean;
}

export interface AccessToken {
  token: string;
  portalId: number;
  clientId: string;
  userId: number;
  expiresAtMs: number;
  revoked: boolean;
}

export interface RefreshToken {
  token: string;
  portalId: number;
  clientId: string;
  userId: number;
  expiresAtMs: number;
  spent: boolean;
  /** The access token issued together with this refresh token. */
  accessToken: string;
}

/** An inbound webhook `/rest/{userId}/{secret}/` (§1.8). */
export interface InboundWebhook {
  portalId: number;
  userId: number;
  secret: string;
  scopes: string[];
}

/** A row made by `event.bind` (§2.1). */
export interface EventHandler {
  id: number;
  portalId: number;
  clientId: string;
  event: string;
  handler: string;
  authType: number;
  offline: boolean;
  connectorId: string;
}

/** A row made by `placement.bind` (§5.1). */
export interface PlacementHandler {
  portalId: number;
  clientId: string;
  placement: string;
  handler: string;
  title: string;
  description: string;
  groupName: string;
  langAll: Record<string, { TITLE: string; DESCRIPTION: string; GROUP_NAME: string }>;
}

export type CrmKind = 'deal' | 'lead' | 'contact';
export type MultiFieldKind = 'PHONE' | 'EMAIL' | 'WEB' | 'IM';

export interface MultiValue {
  id: number;
  valueType: string;
  value: string;
}

/**
 * A deal, lead or contact. `values` holds standard fields as the legacy API stores them: strings
 * or null; datetimes as epoch ms numbers; date-only fields as `YYYY-MM-DD`.
 */
export interface CrmRecord {
  id: number;
  portalId: number;
  kind: CrmKind;
  values: Record<string, string | number | null>;
  multi: Record<MultiFieldKind, MultiValue[]>;
  /** User-field values by FIELD_NAME: a string, or a list for multiple fields. */
  userFields: Record<string, string | string[]>;
}

export interface DealCategory {
  id: number;
  portalId: number;
  name: string;
  sort: number;
  createdMs: number;
}

/** A `crm.status.list` row (§3.5). */
export interface StatusRow {
  id: number;
  portalId: number;
  entityId: string;
  statusId: string;
  name: string;
  sort: number;
  system: boolean;
  categoryId: number | null;
  color: string;
  /** EXTRA.SEMANTICS; `SEMANTICS` is null / S / F from it. */
  semantics: 'process' | 'success' | 'failure' | 'apology';
}

/** A `crm.stagehistory.list` row (§3.8). */
export interface StageHistoryRow {
  id: number;
  portalId: number;
  entityTypeId: 1 | 2;
  typeId: 1 | 2 | 3 | 5;
  ownerId: number;
  createdMs: number;
  categoryId: number;
  stageId: string;
  semanticId: 'P' | 'S' | 'F';
}

export interface EnumItem {
  ID: string;
  VALUE: string;
  SORT: string;
  DEF: 'Y' | 'N';
  XML_ID: string;
}

export type LabelValue = string | Record<string, string>;

/** A `crm.{deal,lead,contact}.userfield.*` field (§3.4). */
export interface UserField {
  id: number;
  portalId: number;
  entityId: 'CRM_DEAL' | 'CRM_LEAD' | 'CRM_CONTACT';
  fieldName: string;
  userTypeId: string;
  xmlId: string | null;
  sort: number;
  multiple: 'Y' | 'N';
  mandatory: 'Y' | 'N';
  showFilter: 'E' | 'N';
  showInList: 'Y' | 'N';
  editInList: 'Y' | 'N';
  isSearchable: 'Y' | 'N';
  settings: Record<string, unknown>;
  labels: Record<'EDIT_FORM_LABEL' | 'LIST_COLUMN_LABEL' | 'LIST_FILTER_LABEL' | 'ERROR_MESSAGE' | 'HELP_MESSAGE', LabelValue | null>;
  list: EnumItem[] | null;
}

export interface TimelineComment {
  id: number;
  portalId: number;
  entityType: string;
  entityId: number;
  comment: string;
  authorId: number;
  createdMs: number;
}

/** A Sales Intelligence trace (§3.10). */
export interface Trace {
  id: number;
  portalId: number;
  trace: unknown;
  entities: Array<{ TYPE: string; ID: number }>;
}

type IdKind = 'portal' | 'app' | 'eventHandler' | 'deal' | 'lead' | 'contact' | 'multi' | 'status' | 'category' | 'stageHistory' | 'userField' | 'enum' | 'comment' | 'trace';

const firstIds: Record<IdKind, number> = {
  portal: 1,
  app: 1,
  eventHandler: 1,
  deal: 1,
  lead: 1,
  contact: 1,
  multi: 1,
  status: 1,
  category: 1,
  stageHistory: 1,
  userField: 101,
  enum: 1,
  comment: 1,
  trace: 1,
};

export interface LimitCounters {
  /** Requests answered 503 QUERY_LIMIT_EXCEEDED (leaky bucket, §4.4). */
  queryLimitExceeded: number;
  /** Calls answered 429 OPERATION_TIME_LIMIT (operating time, §4.4). */
  operationTimeLimit: number;
}

export class Bitrix24State {
  readonly portals = new Map<number, Portal>();
  readonly apps = new Map<string, App>();
  readonly authorizationCodes = new Map<string, AuthorizationCode>();
  readonly accessTokens = new Map<string, AccessToken>();
  readonly refreshTokens = new Map<string, RefreshToken>();
  readonly webhooks: InboundWebhook[] = [];
  readonly eventHandlers = new Map<number, EventHandler>();
  readonly placements: PlacementHandler[] = [];
  readonly records = new Map<string, CrmRecord>();
  readonly categories: DealCategory[] = [];
  readonly statuses: StatusRow[] = [];
  readonly stageHistory: StageHistoryRow[] = [];
  readonly userFields = new Map<number, UserField>();
  readonly comments: TimelineComment[] = [];
  readonly traces = new Map<number, Trace>();
  readonly limits: LimitCounters = { queryLimitExceeded: 0, operationTimeLimit: 0 };
  private readonly nextIds: Record<IdKind, number> = { ...firstIds };

  nextId(kind: IdKind): number {
    const id = this.nextIds[kind];
    this.nextIds[kind] = id + 1;
    return id;
  }

  portalByName(name: string): Portal | undefined {
    for (const portal of this.portals.values()) if (portal.name === name) return portal;
    return undefined;
  }

  portalByDomain(domain: string): Portal | undefined {
    for (const portal of this.portals.values()) if (portal.domain === domain) return portal;
    return undefined;
  }

  record(kind: CrmKind, id: number): CrmRecord | undefined {
    return this.records.get(`${kind}:${id}`);
  }

  recordsOf(portalId: number, kind: CrmKind): CrmRecord[] {
    return [...this.records.values()].filter((record) => record.portalId === portalId && record.kind === kind);
  }

  appsOf(portalId: number): App[] {
    return [...this.apps.values()].filter((app) => app.portalId === portalId && !app.removed);
  }

  statusesOf(portalId: number, entityId: string): StatusRow[] {
    return this.statuses.filter((row) => row.portalId === portalId && row.entityId === entityId).sort((left, right) => left.sort - right.sort);
  }

  categoriesOf(portalId: number): DealCategory[] {
    return this.categories.filter((category) => category.portalId === portalId);
  }

  userFieldsOf(portalId: number, entityId: UserField['entityId']): UserField[] {
    return [...this.userFields.values()].filter((field) => field.portalId === portalId && field.entityId === entityId);
  }

  handlersOf(portalId: number, clientId: string): EventHandler[] {
    return [...this.eventHandlers.values()].filter((handler) => handler.portalId === portalId && handler.clientId === clientId);
  }

  commentsOf(portalId: number, entityType: string, entityId: number): TimelineComment[] {
    return this.comments.filter((comment) => comment.portalId === portalId && comment.entityType === entityType && comment.entityId === entityId);
  }
}
