import type { Migration } from './index.js';

/** Per-tenant settings (server/tenants/tenantSettings.ts) and the tenant API keys of its backend integrations. */
export const m0006TenantSettings: Migration = {
  id: '0006_tenant_settings',
  sql: `
    ALTER TABLE tenants ADD COLUMN settings jsonb NOT NULL DEFAULT '{}';

    CREATE TABLE tenant_api_keys (
      id          text PRIMARY KEY,
      tenant_id   text NOT NULL REFERENCES tenants (id),
      key_hash    text NOT NULL UNIQUE,
      label       text NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now(),
      revoked_at  timestamptz
    );
    CREATE INDEX tenant_api_keys_tenant ON tenant_api_keys (tenant_id);
  `,
};
