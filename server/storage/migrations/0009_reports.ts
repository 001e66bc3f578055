import type { Migration } from './index.js';

/**
 * Reports: imported ad costs (one row per day, source, medium and campaign; a re-import replaces
 * it), kept without VAT (`cost_net`) so a change of the tenant's VAT setting applies to every
 * report at once. The deal-path rollup the reports attribute from, and the indexes the report
 * queries need.
 */
export const m0009Reports: Migration = {
  id: '0009_reports',
  sql: `
    CREATE TABLE ad_costs (
      tenant_id    text NOT NULL REFERENCES tenants (id),
      day          date NOT NULL,
      source       text NOT NULL,
      medium       text NOT NULL,
      campaign     text NOT NULL DEFAULT '',
      cost_net     numeric NOT NULL CHECK (cost_net >= 0),
      mapping      text NOT NULL,
      imported_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, day, source, medium, campaign)
    );

    CREATE INDEX IF NOT EXISTS visitor_identities_visitor ON visitor_identities (tenant_id, visitor_id);

    -- The rollup of deal paths: each deal's touches (its visitor's and merged visitors' visits in
    -- the 365 days before its creation, the longest lookback), and what the deal looked like when
    -- they were computed; a report recomputes the deals that changed since.
    CREATE TABLE deal_paths (
      tenant_id        text NOT NULL REFERENCES tenants (id),
      deal_id          text NOT NULL,
      visitor_id       text,
      deal_created_at  timestamptz NOT NULL,
      enriched_at      timestamptz,
      computed_at      timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, deal_id)
    );

    CREATE TABLE deal_touches (
      tenant_id        text NOT NULL REFERENCES tenants (id),
      deal_id          text NOT NULL,
      deal_created_at  timestamptz NOT NULL,
      visit_id         text NOT NULL,
      visitor_id       text NOT NULL,
      site_id          text NOT NULL,
      started_at       timestamptz NOT NULL,
      channel          text NOT NULL,
      source           text NOT NULL,
      medium           text NOT NULL,
      campaign         text NOT NULL,
      term             text NOT NULL,
      direct           boolean NOT NULL,
      PRIMARY KEY (tenant_id, deal_id, visit_id)
    );
    CREATE INDEX deal_touches_created ON deal_touches (tenant_id, deal_created_at);

    -- Visits of a period by channel, source, campaign and term, counted from the index alone.
    CREATE INDEX visits_report ON visits (tenant_id, started_at) INCLUDE (site_id, channel, source, medium, campaign, term, visitor_id);
  `,
};
