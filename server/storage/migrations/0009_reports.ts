import type { Migration } from './index.js';

/**
 * Reports: imported ad costs (one row per day, source, medium and campaign; a re-import replaces
 * it), kept without VAT (`cost_net`) so a change of the tenant's VAT setting applies to every
 * report at once. The rollups the reports read (deal paths with their credits, visit marks for
 * distinct visitors) and the indexes the report queries need.
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

    -- The rollup of deal paths: each deal's touches (its visitor's and merged visitors' visits in
    -- the tenant's lookback before its creation) with their credit under each rule-based model, and
    -- what the deal and the settings were when they were computed; a report recomputes the deals
    -- that changed since.
    CREATE TABLE deal_paths (
      tenant_id        text NOT NULL REFERENCES tenants (id),
      deal_id          text NOT NULL,
      visitor_id       text,
      deal_created_at  timestamptz NOT NULL,
      enriched_at      timestamptz,
      lookback_days    integer NOT NULL,
      half_life_days   double precision NOT NULL,
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
      -- each touch's credit under each rule-based model, for the lookback and half-life of deal_paths
      credit_first            double precision NOT NULL,
      credit_last             double precision NOT NULL,
      credit_last_non_direct  double precision NOT NULL,
      credit_linear           double precision NOT NULL,
      credit_time_decay       double precision NOT NULL,
      credit_position_based   double precision NOT NULL,
      PRIMARY KEY (tenant_id, deal_id, visit_id)
    );
    CREATE INDEX deal_touches_created ON deal_touches (tenant_id, deal_created_at);

    -- Per visit, when the same visitor's previous visit started (any, and in the same channel):
    -- the distinct visitors of a period are then the visits whose previous one is older than it.
    CREATE TABLE visit_marks (
      tenant_id        text NOT NULL REFERENCES tenants (id),
      visit_id         text NOT NULL,
      visitor_id       text NOT NULL,
      started_at       timestamptz NOT NULL,
      channel          text NOT NULL,
      prev_any_at      timestamptz,
      prev_channel_at  timestamptz,
      PRIMARY KEY (tenant_id, visit_id)
    );
    CREATE INDEX visit_marks_started ON visit_marks (tenant_id, started_at) INCLUDE (channel, prev_any_at, prev_channel_at);

    CREATE TABLE visit_marks_state (
      tenant_id     text PRIMARY KEY REFERENCES tenants (id),
      marked_until  timestamptz NOT NULL
    );
  `,
};
