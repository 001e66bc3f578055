/**
 * Installed CRM accounts: one per tenant, found by the tenant, by the CRM's own account id, or by
 * the unguessable key in its webhook URL. Tokens are sealed with AES-256-GCM (ENCRYPTION_KEY)
 * before they reach the database and are opened only here.
 */
import { randomBytes } from 'node:crypto';
import type { TokenCipher } from '../security/tokenCipher.js';
import type { Queryable } from '../storage/database.js';
import type { CrmKind, CrmTokens } from './crmAdapter.js';

export type CrmAccountStatus = 'active' | 'needs_reauth' | 'disabled';

export interface CrmAccount {
  tenantId: string;
  crm: CrmKind;
  /** amoCRM account id; Bitrix24 member_id. */
  accountId: string;
  /** The account's host: `acme.amocrm.ru`, `acme.bitrix24.ru`. */
  domain: string;
  hookKey: string;
  status: CrmAccountStatus;
  statusReason: string | null;
  /** What install created in the CRM (field ids, webhook), and import progress. */
  setup: Record<string, unknown>;
}

export interface InstallRecord {
  crm: CrmKind;
  accountId: string;
  domain: string;
  name: string;
  tokens: CrmTokens;
  /** Attach the CRM to this existing tenant (the "site button" flow names it in `state`). */
  tenantId?: string;
  /** Merged into the account's setup record in the same transaction (what webhooks are checked against). */
  setup?: Record<string, unknown>;
}

interface AccountRow {
  tenant_id: string;
  crm: CrmKind;
  account_id: string;
  domain: string;
  hook_key: string;
  status: CrmAccountStatus;
  status_reason: string | null;
  setup: Record<string, unknown>;
}

const columns = 'tenant_id, crm, account_id, domain, hook_key, status, status_reason, setup';

function accountOf(row: AccountRow): CrmAccount {
  return {
    tenantId: row.tenant_id,
    crm: row.crm,
    accountId: row.account_id,
    domain: row.domain,
    hookKey: row.hook_key,
    status: row.status,
    statusReason: row.status_reason,
    setup: row.setup,
  };
}

interface SealedTokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
}

export class CrmAccountStore {
  constructor(
    private readonly db: Queryable & { transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> },
    private readonly cipher: TokenCipher,
  ) {}

  /**
   * Records an install: a new account gets a tenant (unless one is named) and a fresh webhook key;
   * a re-install of a known account keeps its tenant and key, and becomes active again.
   */
  async install(record: InstallRecord): Promise<{ account: CrmAccount; created: boolean }> {
    return this.db.transaction(async (tx) => {
      const sealed = this.seal(record.tokens);
      const existing = await tx.query<AccountRow>(`SELECT ${columns} FROM crm_accounts WHERE crm = $1 AND account_id = $2 FOR UPDATE`, [
        record.crm,
        record.accountId,
      ]);
      if (existing.rows[0]) {
        const updated = await tx.query<AccountRow>(
          `UPDATE crm_accounts SET domain = $2, status = 'active', status_reason = NULL, sealed_tokens = $3,
             token_expires_at = $4, setup = setup || $5::jsonb, updated_at = now()
           WHERE tenant_id = $1 RETURNING ${columns}`,
          [existing.rows[0].tenant_id, record.domain, sealed, record.tokens.expiresAt.toISOString(), JSON.stringify(record.setup ?? {})],
        );
        return { account: accountOf(updated.rows[0] as AccountRow), created: false };
      }
      const tenantId = record.tenantId ?? `${record.crm}-${record.accountId}`;
      if (record.tenantId) {
        const tenant = await tx.query<{ kind: string }>('SELECT kind FROM tenants WHERE id = $1', [record.tenantId]);
        if (!tenant.rows[0]) throw new Error(`Tenant ${record.tenantId} does not exist`);
        await tx.query('UPDATE tenants SET kind = $2 WHERE id = $1', [record.tenantId, record.crm]);
      } else {
        await tx.query('INSERT INTO tenants (id, kind, name) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [tenantId, record.crm, record.name]);
      }
      const inserted = await tx.query<AccountRow>(
        `INSERT INTO crm_accounts (tenant_id, crm, account_id, domain, hook_key, status, sealed_tokens, token_expires_at, setup)
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8::jsonb) RETURNING ${columns}`,
        [tenantId, record.crm, record.accountId, record.domain, randomBytes(24).toString('base64url'), sealed, record.tokens.expiresAt.toISOString(), JSON.stringify(record.setup ?? {})],
      );
      return { account: accountOf(inserted.rows[0] as AccountRow), created: true };
    });
  }

  async byTenant(tenantId: string, db: Queryable = this.db): Promise<CrmAccount | undefined> {
    const result = await db.query<AccountRow>(`SELECT ${columns} FROM crm_accounts WHERE tenant_id = $1`, [tenantId]);
    return result.rows[0] ? accountOf(result.rows[0]) : undefined;
  }

  async byHookKey(hookKey: string): Promise<CrmAccount | undefined> {
    const result = await this.db.query<AccountRow>(`SELECT ${columns} FROM crm_accounts WHERE hook_key = $1`, [hookKey]);
    return result.rows[0] ? accountOf(result.rows[0]) : undefined;
  }

  async byAccountId(crm: CrmKind, accountId: string): Promise<CrmAccount | undefined> {
    const result = await this.db.query<AccountRow>(`SELECT ${columns} FROM crm_accounts WHERE crm = $1 AND account_id = $2`, [crm, accountId]);
    return result.rows[0] ? accountOf(result.rows[0]) : undefined;
  }

  async list(status?: CrmAccountStatus): Promise<CrmAccount[]> {
    const result = status
      ? await this.db.query<AccountRow>(`SELECT ${columns} FROM crm_accounts WHERE status = $1 ORDER BY tenant_id`, [status])
      : await this.db.query<AccountRow>(`SELECT ${columns} FROM crm_accounts ORDER BY tenant_id`);
    return result.rows.map(accountOf);
  }

  /** Opens the account's tokens; `FOR UPDATE` when `lock` (single-flight refresh on PostgreSQL). */
  async tokens(tenantId: string, db: Queryable = this.db, lock = false): Promise<{ tokens: CrmTokens | undefined; status: CrmAccountStatus } | undefined> {
    const result = await db.query<{ sealed_tokens: string | null; status: CrmAccountStatus }>(
      `SELECT sealed_tokens, status FROM crm_accounts WHERE tenant_id = $1${lock ? ' FOR UPDATE' : ''}`,
      [tenantId],
    );
    const row = result.rows[0];
    if (!row) return undefined;
    if (!row.sealed_tokens) return { tokens: undefined, status: row.status };
    const opened = JSON.parse(this.cipher.open(row.sealed_tokens)) as SealedTokens;
    return {
      status: row.status,
      tokens: { accessToken: opened.accessToken, refreshToken: opened.refreshToken, expiresAt: new Date(opened.expiresAt) },
    };
  }

  async saveTokens(tenantId: string, tokens: CrmTokens, db: Queryable = this.db): Promise<void> {
    await db.query('UPDATE crm_accounts SET sealed_tokens = $2, token_expires_at = $3, updated_at = now() WHERE tenant_id = $1', [
      tenantId,
      this.seal(tokens),
      tokens.expiresAt.toISOString(),
    ]);
  }

  async setStatus(tenantId: string, status: CrmAccountStatus, reason: string | null, db: Queryable = this.db): Promise<void> {
    await db.query('UPDATE crm_accounts SET status = $2, status_reason = $3, updated_at = now() WHERE tenant_id = $1', [tenantId, status, reason]);
  }

  /** Uninstalled: the tokens are dropped (they are dead anyway) and no work is done for the account. */
  async disable(tenantId: string, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE crm_accounts SET status = 'disabled', status_reason = $2, sealed_tokens = NULL, token_expires_at = NULL, updated_at = now()
       WHERE tenant_id = $1`,
      [tenantId, reason],
    );
  }

  /** Merges `patch` into the account's setup record (shallow). */
  async mergeSetup(tenantId: string, patch: Record<string, unknown>): Promise<void> {
    await this.db.query('UPDATE crm_accounts SET setup = setup || $2::jsonb, updated_at = now() WHERE tenant_id = $1', [tenantId, JSON.stringify(patch)]);
  }

  async countByStatus(): Promise<Array<{ crm: CrmKind; status: CrmAccountStatus; count: number }>> {
    const result = await this.db.query<{ crm: CrmKind; status: CrmAccountStatus; count: string | number }>(
      'SELECT crm, status, count(*) AS count FROM crm_accounts GROUP BY crm, status',
    );
    return result.rows.map((row) => ({ crm: row.crm, status: row.status, count: Number(row.count) }));
  }

  private seal(tokens: CrmTokens): string {
    const plain: SealedTokens = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: tokens.expiresAt.toISOString() };
    return this.cipher.seal(JSON.stringify(plain));
  }
}
