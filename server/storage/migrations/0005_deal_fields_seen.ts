import type { Migration } from './index.js';

/**
 * The source-field values a deal held after our last enrichment (ours and anyone else's). An update
 * webhook showing exactly these, with the same amount, stage and responsible, is our own write
 * coming back: the deal need not be read again.
 */
export const m0005DealFieldsSeen: Migration = {
  id: '0005_deal_fields_seen',
  sql: `ALTER TABLE deals ADD COLUMN fields_seen jsonb NOT NULL DEFAULT '{}';`,
};
