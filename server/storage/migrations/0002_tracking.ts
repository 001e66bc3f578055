import type { Migration } from './index.js';

/**
 * Tenants, their tracked sites, and what the tracker records: visitors, visits (sessions, with
 * their traffic source) and hits (page views and goals). Every row carries tenant_id.
 */
export const m0002Tracking: Migration = {
  id: '0002_tracking',
  sql: `
    CREATE TABLE tenants (
      id          text PRIMARY KEY,
      kind        text NOT NULL CHECK (kind IN ('standalone', 'amocrm', 'bitrix24')),
      name        text NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE sites (
      id             text PRIMARY KEY,
      tenant_id      text NOT NULL REFERENCES tenants (id),
      key            text NOT NULL UNIQUE,
      domain         text NOT NULL,
      hosts          text[] NOT NULL,
      cookie_domain  text,
      created_at     timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX sites_tenant ON sites (tenant_id);

    CREATE TABLE visitors (
      tenant_id      text NOT NULL REFERENCES tenants (id),
      id             text NOT NULL,
      first_seen_at  timestamptz NOT NULL,
      last_seen_at   timestamptz NOT NULL,
      PRIMARY KEY (tenant_id, id)
    );

    CREATE TABLE visits (
      tenant_id         text NOT NULL REFERENCES tenants (id),
      id                text NOT NULL,
      site_id           text NOT NULL REFERENCES sites (id),
      visitor_id        text NOT NULL,
      started_at        timestamptz NOT NULL,
      last_activity_at  timestamptz NOT NULL,
      landing_url       text NOT NULL,
      referrer          text,
      source            text NOT NULL,
      medium            text NOT NULL,
      campaign          text,
      content           text,
      term              text,
      channel           text NOT NULL,
      click_id_type     text,
      click_id          text,
      landing_params    jsonb NOT NULL DEFAULT '{}',
      ym_uid            text,
      ga_cid            text,
      device_type       text NOT NULL,
      browser           text,
      os                text,
      screen            text,
      pageviews         integer NOT NULL DEFAULT 0,
      goals             integer NOT NULL DEFAULT 0,
      PRIMARY KEY (tenant_id, id)
    );
    CREATE INDEX visits_visitor ON visits (tenant_id, visitor_id, started_at);
    CREATE INDEX visits_started ON visits (tenant_id, started_at);

    CREATE TABLE hits (
      id          bigserial PRIMARY KEY,
      tenant_id   text NOT NULL REFERENCES tenants (id),
      visit_id    text NOT NULL,
      type        text NOT NULL CHECK (type IN ('pageview', 'goal')),
      url         text NOT NULL,
      title       text,
      goal        text,
      value       numeric,
      at          timestamptz NOT NULL
    );
    CREATE INDEX hits_visit ON hits (tenant_id, visit_id, at);
  `,
};
