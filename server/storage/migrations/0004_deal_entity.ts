import type { Migration } from './index.js';

/**
 * Leads of CRMs that keep them apart from deals (Bitrix24's classic mode) are enriched and counted
 * like deals; `entity` says which a row is, so reports can tell them apart.
 */
export const m0004DealEntity: Migration = {
  id: '0004_deal_entity',
  sql: `
    ALTER TABLE deals ADD COLUMN entity text NOT NULL DEFAULT 'deal' CHECK (entity IN ('deal', 'lead'));
  `,
};
