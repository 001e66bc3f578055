import type { Migration } from './index.js';

/**
 * Reports: imported ad costs (one row per day, source, medium and campaign; a re-import replaces
 * it), kept without VAT (`cost_net`) so a change of the tenant's VAT setting applies to every
 * report at once. Plus the index the report queries need to find a visitor's merged identities.
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
  `,
};
