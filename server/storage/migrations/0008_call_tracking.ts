import type { Migration } from './index.js';

/**
 * Call and e-mail tracking (docs/lead-capture.md): each site's numbers (its pool, the default
 * number printed on the site, static numbers per channel) and the address whose plus-variants the
 * tracker shows; number leases with their whole history (a call is matched to the visit that held
 * the number when it rang); the plus tag of each visit; calls and e-mails as received.
 *
 * The two partial unique indexes on `number_leases` are the guarantee that a number is never held
 * by two visits at once, whichever server process leased it: an open lease (`released_at IS NULL`)
 * is unique per number and per visit. A row without a number is a visit that wanted one while the
 * pool was exhausted: it counts towards the peak the pool should have covered.
 */
export const m0008CallTracking: Migration = {
  id: '0008_call_tracking',
  sql: `
    CREATE TABLE site_lead_tracking (
      site_id          text PRIMARY KEY REFERENCES sites (id),
      tenant_id        text NOT NULL REFERENCES tenants (id),
      email_address    text,
      peak_wanted      integer NOT NULL DEFAULT 0,
      exhausted_total  bigint NOT NULL DEFAULT 0,
      last_exhausted_at timestamptz,
      updated_at       timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE tracking_numbers (
      id          text PRIMARY KEY,
      tenant_id   text NOT NULL REFERENCES tenants (id),
      site_id     text NOT NULL REFERENCES sites (id),
      number      text NOT NULL,
      kind        text NOT NULL CHECK (kind IN ('pool', 'default', 'static')),
      channel     text,
      created_at  timestamptz NOT NULL DEFAULT now(),
      retired_at  timestamptz,
      CHECK ((kind = 'static') = (channel IS NOT NULL))
    );
    CREATE UNIQUE INDEX tracking_numbers_in_use ON tracking_numbers (tenant_id, number) WHERE retired_at IS NULL;
    CREATE INDEX tracking_numbers_site ON tracking_numbers (site_id, kind) WHERE retired_at IS NULL;
    CREATE INDEX tracking_numbers_number ON tracking_numbers (tenant_id, number);

    CREATE TABLE number_leases (
      id           bigserial PRIMARY KEY,
      tenant_id    text NOT NULL REFERENCES tenants (id),
      site_id      text NOT NULL REFERENCES sites (id),
      number_id    text REFERENCES tracking_numbers (id),
      visit_id     text NOT NULL,
      visitor_id   text NOT NULL,
      leased_at    timestamptz NOT NULL,
      released_at  timestamptz
    );
    CREATE UNIQUE INDEX number_leases_open_number ON number_leases (number_id) WHERE released_at IS NULL;
    CREATE UNIQUE INDEX number_leases_open_visit ON number_leases (tenant_id, visit_id) WHERE released_at IS NULL;
    CREATE INDEX number_leases_open_site ON number_leases (site_id) WHERE released_at IS NULL;
    CREATE INDEX number_leases_history ON number_leases (number_id, leased_at);
    CREATE INDEX number_leases_released ON number_leases (number_id, released_at);
    CREATE INDEX number_leases_visit ON number_leases (tenant_id, visit_id);

    CREATE TABLE email_tags (
      tenant_id   text NOT NULL REFERENCES tenants (id),
      tag         text NOT NULL,
      site_id     text NOT NULL REFERENCES sites (id),
      visit_id    text NOT NULL,
      visitor_id  text NOT NULL,
      created_at  timestamptz NOT NULL,
      PRIMARY KEY (tenant_id, tag)
    );
    CREATE UNIQUE INDEX email_tags_visit ON email_tags (tenant_id, visit_id);

    CREATE TABLE calls (
      tenant_id         text NOT NULL REFERENCES tenants (id),
      call_id           text NOT NULL,
      tracking_number   text NOT NULL,
      caller_number     text,
      caller_raw        text NOT NULL,
      started_at        timestamptz NOT NULL,
      duration_seconds  integer NOT NULL,
      recording_url     text,
      site_id           text,
      number_kind       text,
      channel           text,
      visit_id          text,
      visitor_id        text,
      match_reason      text CHECK (match_reason IN ('call_to_non_leased_number', 'lease_expired')),
      deal_id           text,
      lead_requested_at timestamptz,
      received_at       timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, call_id),
      CHECK ((visit_id IS NULL) = (match_reason IS NOT NULL))
    );
    CREATE INDEX calls_visitor ON calls (tenant_id, visitor_id, started_at);
    CREATE INDEX calls_caller ON calls (tenant_id, caller_number, started_at);
    CREATE INDEX calls_started ON calls (tenant_id, started_at);

    CREATE TABLE emails (
      id            bigserial PRIMARY KEY,
      tenant_id     text NOT NULL REFERENCES tenants (id),
      message_id    text,
      from_address  text NOT NULL,
      to_address    text NOT NULL,
      subject       text,
      received_at   timestamptz NOT NULL,
      site_id       text,
      tag           text,
      visit_id      text,
      visitor_id    text,
      match_reason  text CHECK (match_reason IN ('no_plus_tag', 'unknown_tag')),
      stored_at     timestamptz NOT NULL DEFAULT now(),
      CHECK ((visit_id IS NULL) = (match_reason IS NOT NULL))
    );
    CREATE UNIQUE INDEX emails_message ON emails (tenant_id, message_id) WHERE message_id IS NOT NULL;
    CREATE INDEX emails_visitor ON emails (tenant_id, visitor_id, received_at);
  `,
};
