/**
 * One interface for every CRM (DESIGN.md "Architecture"): the domain code — installs, webhook
 * inbox, deal enrichment, stage history — talks to amoCRM and Bitrix24 only through these types.
 * A CRM folder under integrations/ implements `CrmAdapter`; `server/features.ts` plugs it in.
 * Adding a third CRM is one new folder and one line there.
 */
import type { Router } from 'express';
import type { CountryCode } from 'libphonenumber-js';
import type { FastRoute } from '../http/fastRoutes.js';
import type { FeatureDeps } from '../runtime.js';
import type { CrmAccount, CrmAccountStore } from './crmAccounts.js';
import type { CrmAccess } from './crmAccess.js';
import type { Pace } from './requestPacer.js';
import type { SourceFieldKey, TouchVisit } from './sourceFields.js';

export type CrmKind = 'amocrm' | 'bitrix24';

export interface CrmTokens {
  accessToken: string;
  refreshToken: string;
  /** When the access token stops working. */
  expiresAt: Date;
}

export type DealOutcome = 'open' | 'won' | 'lost';

/**
 * What a sales record is: a deal, or a lead of a CRM that keeps leads apart from deals (Bitrix24's
 * classic mode). Both are enriched alike; an adapter keeps their ids apart (Bitrix24 leads: `L{id}`).
 */
export type CrmEntity = 'deal' | 'lead';

/** A deal as the CRM holds it now, in the CRM-neutral shape enrichment and reports use. */
export interface CrmDeal {
  id: string;
  /** Default `deal`. */
  entity?: CrmEntity;
  name: string | null;
  pipelineId: string;
  stageId: string;
  outcome: DealOutcome;
  amount: number | null;
  responsibleUserId: string | null;
  createdAt: Date;
  closedAt: Date | null;
  /** Records holding the person's phones and e-mails, read with `readContacts` (a lead may name itself). */
  contactIds: string[];
  /** Current values of the source fields we write (empty ones left out). */
  fields: Partial<Record<SourceFieldKey, string>>;
  /**
   * When the deal entered its current stage, for CRMs whose webhooks only say "changed": a deal read
   * in another stage than our copy records a stage change at this time. Unset: stage changes come
   * from the webhooks themselves.
   */
  stageChangedAt?: Date;
  /** Why a lost deal was lost, as the CRM names it (amoCRM: the lead's loss reason); unset or null when it says nothing. */
  lostReason?: string | null;
}

export interface CrmContact {
  id: string;
  phones: string[];
  emails: string[];
}

export interface CrmStage {
  pipelineId: string;
  pipelineName: string;
  stageId: string;
  name: string;
  sort: number;
  /** `entry`: where new/incoming deals wait; `won`/`lost`: closed. */
  kind: 'entry' | 'open' | 'won' | 'lost';
  /** A `lost` stage of a CRM that models loss reasons as several failure stages (Bitrix24): the reason deals lost here were lost for. */
  lostReason?: string;
}

/** A user of the CRM account (a deal's responsible manager). */
export interface CrmUser {
  id: string;
  name: string;
}

export interface CrmStageChange {
  dealId: string;
  pipelineId: string;
  fromStageId: string | null;
  toStageId: string;
  at: Date;
}

/** What one webhook body says happened, in CRM-neutral words. */
export interface CrmChanges {
  /** Deals added or changed: their source fields may need filling. */
  touchedDealIds: string[];
  deletedDealIds: string[];
  stageChanges: CrmStageChange[];
  /** Contacts added or changed: the deals linked to them may now match. */
  touchedContactIds: string[];
  /**
   * Deals whose only event is an update that shows the deal's state (source fields, amount, stage,
   * responsible): when that state is exactly what we stored and wrote, the update is our own write
   * coming back, and the deal is not read again.
   */
  updatedDeals: DealWebhookState[];
}

export interface DealWebhookState {
  dealId: string;
  fields: Partial<Record<SourceFieldKey, string>>;
  amount: number | null;
  stageId: string | null;
  pipelineId: string | null;
  responsibleUserId: string | null;
}

export interface DealFieldWrite {
  dealId: string;
  values: Partial<Record<SourceFieldKey, string>>;
}

export interface DealNote {
  dealId: string;
  text: string;
  /** The visits the note sums up, oldest first (a CRM may attach them to the record as well). */
  path?: readonly TouchVisit[];
}

/** What a person left with a lead (a form, a call, an e-mail), and where they were. */
export interface LeadContent {
  visitorId?: string;
  name?: string;
  phone?: string;
  email?: string;
  comment?: string;
  formName?: string;
  pageUrl?: string;
  /** The page's referrer, and the sender's address, when known (amoCRM keeps them with an incoming lead). */
  referrer?: string;
  ip?: string;
}

/**
 * A lead to create in the CRM (server/leads): the person, what they sent, and the source fields
 * already computed from their visits. CRM-neutral: each adapter maps it to its own calls.
 */
export interface NewCrmLead extends LeadContent {
  /** Our id of the submission (lead_requests.id). */
  requestId: string;
  /** A short reference the CRM record carries (in its title; Bitrix24 also `ORIGIN_ID`), found again by `mayExist`. */
  reference: string;
  /** The record's title, the reference included. */
  title: string;
  /** E.164 when it could be read; otherwise as typed (flagged in our copy). */
  phone?: string;
  /** The tenant's phone region: how the CRM's own numbers written without a country code are read when comparing. */
  phoneRegion: CountryCode;
  sentAt: Date;
  /** Source fields to fill on the new record (sourceFields.ts `dealSourceValues`). */
  fields: Partial<Record<SourceFieldKey, string>>;
  /** For CRMs that keep leads apart from deals (Bitrix24): which one to create. */
  entity: CrmEntity;
  /**
   * An earlier attempt may have created it (its answer never came): look it up by `reference`
   * first and return it instead of creating a second one.
   */
  mayExist: boolean;
  /** With `mayExist`: when the earlier attempt started (a CRM whose search is fuzzy also looks at what was created since). */
  mayExistSince?: Date;
}

export interface CreatedCrmLead {
  dealId: string;
  contactId?: string;
  entity: CrmEntity;
  /** True when an earlier attempt's record was found and returned (nothing created now). */
  found?: boolean;
}

/**
 * An authenticated, rate-paced session with one installed account. Every method makes as few
 * requests as the CRM allows (bulk reads and writes, chunked at the CRM's limits) and throws
 * `CrmError` with a translated failure when the CRM refuses.
 */
export interface CrmConnection {
  readDeals(ids: readonly string[]): Promise<CrmDeal[]>;
  readContacts(ids: readonly string[]): Promise<CrmContact[]>;
  writeDealFields(writes: readonly DealFieldWrite[]): Promise<void>;
  addDealNotes(notes: readonly DealNote[]): Promise<void>;
  /**
   * Visitor ids that deals still waiting in the CRM's incoming stage arrived with from a web form
   * (amoCRM: the unsorted lead's `metadata.visitor_uid`). Optional: a CRM without them leaves it out.
   */
  visitorIdsOfIncoming?(dealIds: readonly string[]): Promise<Map<string, string>>;
  /**
   * Field writes and notes together, in as few requests as the CRM allows (Bitrix24: a deal's note
   * and its field write in one batch, the note's id written with the fields). Same guarantees as
   * `writeDealFields` then `addDealNotes`. Optional: without it, enrichment calls those two.
   */
  writeEnrichment?(writes: readonly DealFieldWrite[], notes: readonly DealNote[]): Promise<void>;
  /** Whether our note is already on these deals (read-back after a write whose outcome is unknown). */
  dealsWithOurNote(dealIds: readonly string[]): Promise<Set<string>>;
  listStages(): Promise<CrmStage[]>;
  /** The account's users with their names, for the managers report (one listing, paged as the CRM requires). */
  listUsers(): Promise<CrmUser[]>;
  /** Creates what enrichment writes into (our fields) and subscribes our webhook; idempotent. */
  setUp(): Promise<Record<string, unknown>>;
  /** Deals changed since `since`, page by page (history import). */
  dealsUpdatedSince(since: Date): AsyncIterable<CrmDeal[]>;
  /** Stage changes since `since`, page by page (history import). */
  stageChangesSince(since: Date): AsyncIterable<CrmStageChange[]>;
  /**
   * Creates a lead (or deal) with its source filled and the person as its contact: an existing
   * contact with the same phone or e-mail is reused, never duplicated. Not repeatable on its own:
   * a retry after an unknown outcome passes `mayExist`.
   */
  createLead(input: NewCrmLead): Promise<CreatedCrmLead>;
}

/** Builds a CRM's adapter for one running process. */
export type CrmAdapterFactory = (deps: FeatureDeps) => CrmAdapter;

/** What a CRM adapter gets from the product to build its routes and connections. */
export interface CrmServices {
  deps: FeatureDeps;
  accounts: CrmAccountStore;
  access: CrmAccess;
  /**
   * Persists a webhook body for the account (resolves once committed; concurrent bodies share one
   * commit) and makes sure an inbox job will read it.
   */
  receiveWebhook(account: CrmAccount, body: string): Promise<void>;
  /** Enqueues the slow install steps (fields, webhook, stages, history import). */
  scheduleSetUp(account: CrmAccount): Promise<void>;
}

export interface CrmAdapter {
  readonly crm: CrmKind;
  /** Spacing of requests to one account (and the burst its limit allows), from the CRM's rate limit and its configuration. */
  readonly pace: Pace;
  /** Deals claimed for one enrichment batch: what one bulk read returns (default 250). */
  readonly claimBatch?: number;
  /** How long one request may take; a write whose answer never came is read back after twice this. */
  readonly requestTimeoutMs: number;
  /** The CRM's routes: install callback, webhooks, uninstall. */
  routes(services: CrmServices): Router[];
  /** Hot routes served before Express (a CRM that POSTs one event per request: Bitrix24). */
  fastRoutes?(services: CrmServices): FastRoute[];
  /** Reads a stored webhook body; a body that cannot be read throws (it was checked on receipt). */
  readWebhook(body: string): CrmChanges;
  refreshTokens(account: CrmAccount, refreshToken: string): Promise<CrmTokens>;
  connect(account: CrmAccount, services: CrmServices): CrmConnection;
}
