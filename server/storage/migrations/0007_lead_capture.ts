import type { Migration } from './index.js';

/**
 * Lead capture (issue 6): every lead submitted to LongFunnel (a site's form, its backend, later calls
 * and e-mails) is stored here before any CRM call, with where its delivery to the CRM stands. Deals
 * gain the match method `form` (a lead our own form path created), and a deal matched to nobody
 * always says why, from a fixed set (server/crm/enrichment/matchReasons.ts).
 */
export const m0007LeadCapture: Migration = {
  id: '0007_lead_capture',
  sql: `
    CREATE TABLE lead_requests (
      id                  text PRIMARY KEY,
      tenant_id           text NOT NULL REFERENCES tenants (id),
      site_id             text REFERENCES sites (id),
      origin              text NOT NULL CHECK (origin IN ('form', 'call', 'email', 'api')),
      external_id         text,
      visitor_id          text,
      no_match_reason     text,
      name                text,
      phone               text,
      phone_e164          text,
      phone_invalid       boolean NOT NULL DEFAULT false,
      email               text,
      email_normalized    text,
      email_invalid       boolean NOT NULL DEFAULT false,
      comment             text,
      form_name           text,
      page_url            text,
      referrer            text,
      ip                  text,
      dedupe_key          text,
      received_at         timestamptz NOT NULL,
      repeats             integer NOT NULL DEFAULT 0,
      status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts            integer NOT NULL DEFAULT 0,
      attempt_started_at  timestamptz,
      last_attempt_at     timestamptz,
      delivering_until    timestamptz,
      last_error          text,
      crm                 text,
      crm_deal_id         text,
      crm_contact_id      text,
      crm_entity          text CHECK (crm_entity IN ('deal', 'lead')),
      delivered_at        timestamptz,
      created_at          timestamptz NOT NULL DEFAULT now(),
      UNIQUE (tenant_id, origin, external_id)
    );
    CREATE INDEX lead_requests_dedupe ON lead_requests (tenant_id, dedupe_key, received_at);
    CREATE INDEX lead_requests_deal ON lead_requests (tenant_id, crm_deal_id);
    CREATE INDEX lead_requests_pending ON lead_requests (received_at) WHERE status = 'pending';

    ALTER TABLE deals DROP CONSTRAINT deals_match_method_check;
    ALTER TABLE deals ADD CONSTRAINT deals_match_method_check
      CHECK (match_method IN ('visitor_id', 'form', 'call', 'email', 'phone', 'none'));
    UPDATE deals SET match_reason = CASE WHEN cardinality(contact_ids) = 0 THEN 'no_identity' ELSE 'no_tracker_visit' END
      WHERE match_method = 'none';
    ALTER TABLE deals ADD CONSTRAINT deals_none_reason_check
      CHECK (match_method IS DISTINCT FROM 'none' OR match_reason IN ('no_tracker_visit', 'no_identity', 'call_to_non_leased_number', 'lease_expired'));

    CREATE INDEX visitor_identities_visitor ON visitor_identities (tenant_id, visitor_id);
  `,
};
