import type { Migration } from './index.js';

/**
 * Where deals are lost, and who the managers are:
 * - `deals.lost_reason`: the reason the CRM gives for a lost deal (amoCRM: the lead's loss reason
 *   name), null when it gives none;
 * - `crm_stages.lost_reason`: for CRMs that model reasons as several failure stages (Bitrix24), the
 *   reason a deal lost in this stage was lost for (the stage's name); null for a CRM with one lost stage;
 * - `crm_users`: the CRM's users by id with their names (the managers report), refreshed at set-up
 *   and at each reconciliation.
 */
export const m0010LostReasonsUsers: Migration = {
  id: '0010_lost_reasons_users',
  sql: `
    ALTER TABLE deals ADD COLUMN lost_reason text;
    ALTER TABLE crm_stages ADD COLUMN lost_reason text;

    CREATE TABLE crm_users (
      tenant_id   text NOT NULL REFERENCES tenants (id),
      user_id     text NOT NULL,
      name        text NOT NULL,
      updated_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, user_id)
    );
  `,
};
