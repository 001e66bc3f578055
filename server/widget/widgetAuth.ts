/**
 * Who may read a deal through the widget API (DESIGN.md "Security model"): only callers the CRM
 * vouched for.
 *
 * - amoCRM: the widget's disposable token in `X-Auth-Token` (a `WidgetTokenVerifier`, built by the
 *   CRM's integration): signature, expiry, our integration; the account it names must be installed,
 *   and its tenant is the only one whose deals the token reads.
 * - Bitrix24 (and pages that already exchanged a CRM token): a tenant session in
 *   `Authorization: Bearer` (server/security/tenantSession.ts).
 *
 * Missing, forged or expired credentials are 401; a valid token of an account that is not
 * installed here reads nothing (404, as a deal of another tenant would).
 */
import type { Request } from 'express';
import type { CrmAccount, CrmAccountStore } from '../crm/crmAccounts.js';
import type { CrmKind } from '../crm/crmAdapter.js';
import { AppError } from '../errors.js';
import type { TokenCipher } from '../security/tokenCipher.js';
import { verifyTenantSession, type TenantSession } from '../security/tenantSession.js';

export interface CrmWidgetCaller {
  crm: CrmKind;
  /** The CRM's account id (amoCRM account id, Bitrix24 member_id). */
  accountId: string;
  userId: string | undefined;
  isAdmin: boolean;
}

/** A CRM's widget token: checks it (throwing 401 AppErrors) and says which account and user it speaks for. */
export interface WidgetTokenVerifier {
  crm: CrmKind;
  verify(token: string): Promise<CrmWidgetCaller>;
  /** Whether a browser page on `origin` is the CRM's own page of `account` (CORS). */
  originAllowed(origin: URL, account: CrmAccount): boolean;
}

export interface WidgetCaller {
  account: CrmAccount;
  via: 'crm_token' | 'session';
  userId: string | undefined;
  isAdmin: boolean;
  /** Set for sessions whose CRM named the user's language. */
  locale?: 'ru' | 'en';
  verifier?: WidgetTokenVerifier;
}

function bearer(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
}

export class WidgetAuth {
  constructor(
    readonly accounts: CrmAccountStore,
    private readonly cipher: TokenCipher,
    private readonly verifiers: readonly WidgetTokenVerifier[],
  ) {}

  /** The disposable-token verifier (only amoCRM issues them today). */
  get crmTokenVerifier(): WidgetTokenVerifier | undefined {
    return this.verifiers[0];
  }

  async fromCrmToken(token: string): Promise<WidgetCaller> {
    const verifier = this.crmTokenVerifier;
    if (!verifier) throw AppError.unauthorized('No CRM widget integration is configured on this server (AMOCRM_CLIENT_ID, AMOCRM_CLIENT_SECRET, AMOCRM_REDIRECT_URI)');
    const caller = await verifier.verify(token);
    const account = await this.accounts.byAccountId(caller.crm, caller.accountId);
    if (!account) throw AppError.notFound('This CRM account is not connected to LongFunnel: install the integration first');
    return { account, via: 'crm_token', userId: caller.userId, isAdmin: caller.isAdmin, verifier };
  }

  async fromSession(token: string): Promise<WidgetCaller> {
    const session: TenantSession = await verifyTenantSession(this.cipher, token);
    const account = await this.accounts.byTenant(session.tenantId);
    if (!account) throw AppError.notFound('The tenant of this session has no CRM connected');
    return { account, via: 'session', userId: session.userId, isAdmin: false, ...(session.locale ? { locale: session.locale } : {}) };
  }

  async caller(request: Request): Promise<WidgetCaller> {
    const crmToken = request.get('x-auth-token');
    if (crmToken) return this.fromCrmToken(crmToken.trim());
    const session = bearer(request.get('authorization'));
    if (session) return this.fromSession(session);
    throw AppError.unauthorized('Open the deal in the CRM: the widget API needs the CRM token (X-Auth-Token) or a session (Authorization: Bearer)');
  }
}
