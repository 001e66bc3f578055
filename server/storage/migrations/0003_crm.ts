import type { Migration } from './index.js';

/**
 * The CRM side of the long funnel: installed CRM accounts (one per tenant, tokens sealed), their
 * pipelines and stages, webhook bodies as received, deals with how each was matched to a visitor,
 * stage changes (the source of funnel reports), the per-tenant set of deals waiting for
 * enrichment, and the phone/e-mail identities visitors left (hashed) for matching.
 */
export const m0003Crm: Migration = {
  id: '0003_crm',
  sql: `
    CREATE TABLE crm_accounts (
      tenant_id         text PRIMARY KEY REFERENCES tenants (id),
      crm               text NOT NULL CHECK (crm IN ('amocrm', 'bitrix24')),
      account_id        text NOT NULL,
      domain            text NOT NULL,
      hook_key          text NOT NULL UNIQUE,
      status            text NOT NULL CHECK (status IN ('active', 'needs_reauth', 'disabled')),
      status_reason     text,
      sealed_tokens     text,
      token_expires_at  timestamptz,
      setup             jsonb NOT NULL DEFAULT '{}',
      installed_at      timestamptz NOT NULL DEFAULT now(),
      updated_at        timestamptz NOT NULL DEFAULT now(),
      UNIQUE (crm, account_id)
    );

    CREATE TABLE crm_stages (
      tenant_id      text NOT NULL REFERENCES tenants (id),
      pipeline_id    text NOT NULL,
      stage_id       text NOT NULL,
      pipeline_name  text NOT NULL,
      name           text NOT NULL,
      sort           integer NOT NULL,
      kind           text NOT NULL CHECK (kind IN ('entry', 'open', 'won', 'lost')),
      PRIMARY KEY (tenant_id, pipeline_id, stage_id)
    );

    CREATE TABLE crm_inbox (
      id            bigserial PRIMARY KEY,
      tenant_id     text NOT NULL REFERENCES tenants (id),
      received_at   timestamptz NOT NULL DEFAULT now(),
      body          text NOT NULL,
      processed_at  timestamptz
    );
    CREATE INDEX crm_inbox_unprocessed ON crm_inbox (tenant_id, id) WHERE processed_at IS NULL;

    CREATE TABLE deals (
      tenant_id            text NOT NULL REFERENCES tenants (id),
      id                   text NOT NULL,
      name                 text,
      pipeline_id          text,
      stage_id             text,
      outcome              text NOT NULL DEFAULT 'open' CHECK (outcome IN ('open', 'won', 'lost')),
      amount               numeric,
      responsible_user_id  text,
      created_at           timestamptz NOT NULL,
      closed_at            timestamptz,
      deleted              boolean NOT NULL DEFAULT false,
      contact_ids          text[] NOT NULL DEFAULT '{}',
      visitor_id           text,
      match_method         text CHECK (match_method IN ('visitor_id', 'call', 'phone', 'email', 'none')),
      match_confidence     real,
      match_reason         text,
      matched_at           timestamptz,
      written_fields       jsonb NOT NULL DEFAULT '{}',
      note_attempted_at    timestamptz,
      note_added_at        timestamptz,
      enriched_at          timestamptz,
      updated_at           timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, id)
    );
    CREATE INDEX deals_visitor ON deals (tenant_id, visitor_id);
    CREATE INDEX deals_created ON deals (tenant_id, created_at);
    CREATE INDEX deals_contacts ON deals USING gin (contact_ids);

    CREATE TABLE stage_changes (
      tenant_id      text NOT NULL REFERENCES tenants (id),
      deal_id        text NOT NULL,
      pipeline_id    text NOT NULL,
      from_stage_id  text,
      to_stage_id    text NOT NULL,
      at             timestamptz NOT NULL,
      origin         text NOT NULL CHECK (origin IN ('webhook', 'history')),
      PRIMARY KEY (tenant_id, deal_id, at, to_stage_id)
    );

    CREATE TABLE enrichment_pending (
      tenant_id      text NOT NULL REFERENCES tenants (id),
      deal_id        text NOT NULL,
      touched_at     timestamptz NOT NULL,
      claimed_until  timestamptz,
      PRIMARY KEY (tenant_id, deal_id)
    );

    CREATE TABLE visitor_identities (
      tenant_id   text NOT NULL REFERENCES tenants (id),
      kind        text NOT NULL CHECK (kind IN ('phone', 'email')),
      value_hash  text NOT NULL,
      visitor_id  text NOT NULL,
      origin      text NOT NULL,
      seen_at     timestamptz NOT NULL,
      PRIMARY KEY (tenant_id, kind, value_hash, visitor_id)
    );
  `,
};
