import type { Migration } from './index.js';

/**
 * Zadarma call notifications (docs/lead-capture.md, "Zadarma"): per tenant, the digest of the key in
 * the webhook URL (looked up on every notification, so it is unique and indexed), the tenant's
 * Zadarma API secret sealed with the server's encryption key (it checks Zadarma's `Signature`), and
 * the time zone Zadarma writes `call_start` in (the account's time zone).
 */
export const m0014Zadarma: Migration = {
  id: '0014_zadarma',
  sql: `
    CREATE TABLE zadarma_accounts (
      tenant_id          text PRIMARY KEY REFERENCES tenants (id),
      webhook_key_hash   text NOT NULL UNIQUE,
      api_secret_sealed  text NOT NULL,
      time_zone          text NOT NULL,
      created_at         timestamptz NOT NULL DEFAULT now(),
      updated_at         timestamptz NOT NULL DEFAULT now()
    );
  `,
};
