/**
 * Our copy of the CRM side: deal snapshots (stage, amount, outcome, how each was matched and what
 * we wrote into it), stage changes (the funnel and time-in-stage of the reports), and the
 * pipelines' stages. Every write is idempotent, so a webhook delivered twice changes nothing.
 */
import type { Queryable } from '../storage/database.js';
import type { CrmDeal, CrmStage, CrmStageChange, DealWebhookState } from './crmAdapter.js';
import type { DealMatch, SourceFieldKey } from './sourceFields.js';

export interface StoredDealState {
  id: string;
  writtenFields: Partial<Record<SourceFieldKey, string>>;
  noteAddedAt: Date | null;
  noteAttemptedAt: Date | null;
  enrichedAt: Date | null;
  deleted: boolean;
}

export async function saveDeals(db: Queryable, tenantId: string, deals: readonly CrmDeal[]): Promise<void> {
  if (deals.length === 0) return;
  await db.query(
    `INSERT INTO deals (tenant_id, id, entity, name, pipeline_id, stage_id, outcome, amount, responsible_user_id, created_at, closed_at, contact_ids, updated_at)
     SELECT $1, d.id, d.entity, d.name, d.pipeline_id, d.stage_id, d.outcome, d.amount, d.responsible_user_id, d.created_at, d.closed_at,
       ARRAY(SELECT jsonb_array_elements_text(d.contact_ids)), now()
     FROM jsonb_to_recordset($2::jsonb) AS d(id text, entity text, name text, pipeline_id text, stage_id text, outcome text, amount numeric,
       responsible_user_id text, created_at timestamptz, closed_at timestamptz, contact_ids jsonb)
     ON CONFLICT (tenant_id, id) DO UPDATE SET name = EXCLUDED.name, pipeline_id = EXCLUDED.pipeline_id, stage_id = EXCLUDED.stage_id,
       outcome = EXCLUDED.outcome, amount = EXCLUDED.amount, responsible_user_id = EXCLUDED.responsible_user_id,
       created_at = EXCLUDED.created_at, closed_at = EXCLUDED.closed_at, contact_ids = EXCLUDED.contact_ids, deleted = false, updated_at = now()`,
    [
      tenantId,
      JSON.stringify(
        deals.map((deal) => ({
          id: deal.id,
          entity: deal.entity ?? 'deal',
          name: deal.name,
          pipeline_id: deal.pipelineId,
          stage_id: deal.stageId,
          outcome: deal.outcome,
          amount: deal.amount,
          responsible_user_id: deal.responsibleUserId,
          created_at: deal.createdAt.toISOString(),
          closed_at: deal.closedAt?.toISOString() ?? null,
          contact_ids: deal.contactIds,
        })),
      ),
    ],
  );
}

/**
 * Stage changes seen by reading deals (CRMs whose webhooks only say "changed" set
 * `stageChangedAt`): a deal now in another stage than our copy — or not in our copy at all — moved
 * into its stage at `stageChangedAt`. Read before `saveDeals` overwrites the copy.
 */
export async function stageChangesOnRead(db: Queryable, tenantId: string, deals: readonly CrmDeal[]): Promise<CrmStageChange[]> {
  const timed = deals.filter((deal) => deal.stageChangedAt);
  if (timed.length === 0) return [];
  const stored = await db.query<{ id: string; pipeline_id: string | null; stage_id: string | null }>(
    'SELECT id, pipeline_id, stage_id FROM deals WHERE tenant_id = $1 AND id = ANY($2::text[])',
    [tenantId, timed.map((deal) => deal.id)],
  );
  const before = new Map(stored.rows.map((row) => [row.id, row]));
  const changes: CrmStageChange[] = [];
  for (const deal of timed) {
    const previous = before.get(deal.id);
    if (previous && previous.stage_id === deal.stageId && previous.pipeline_id === deal.pipelineId) continue;
    changes.push({ dealId: deal.id, pipelineId: deal.pipelineId, fromStageId: previous?.stage_id ?? null, toStageId: deal.stageId, at: deal.stageChangedAt as Date });
  }
  return changes;
}

export async function dealStates(db: Queryable, tenantId: string, ids: readonly string[]): Promise<Map<string, StoredDealState>> {
  if (ids.length === 0) return new Map();
  type Row = { id: string; written_fields: Partial<Record<SourceFieldKey, string>>; note_added_at: Date | string | null; note_attempted_at: Date | string | null; enriched_at: Date | string | null; deleted: boolean };
  const result = await db.query<Row>(
    'SELECT id, written_fields, note_added_at, note_attempted_at, enriched_at, deleted FROM deals WHERE tenant_id = $1 AND id = ANY($2::text[])',
    [tenantId, ids],
  );
  return new Map(
    result.rows.map((row) => [
      row.id,
      {
        id: row.id,
        writtenFields: row.written_fields,
        noteAddedAt: row.note_added_at ? new Date(row.note_added_at) : null,
        noteAttemptedAt: row.note_attempted_at ? new Date(row.note_attempted_at) : null,
        enrichedAt: row.enriched_at ? new Date(row.enriched_at) : null,
        deleted: row.deleted,
      },
    ]),
  );
}

export interface EnrichmentRecord {
  dealId: string;
  match: DealMatch;
  /** Every field value now ours in the deal (merged with what was written before). */
  writtenFields: Partial<Record<SourceFieldKey, string>>;
  /** Every source-field value the deal holds after this enrichment, ours or not. */
  fieldsSeen: Partial<Record<SourceFieldKey, string>>;
}

export async function recordEnrichment(db: Queryable, tenantId: string, records: readonly EnrichmentRecord[]): Promise<void> {
  if (records.length === 0) return;
  await db.query(
    `UPDATE deals SET visitor_id = r.visitor_id, match_method = r.method, match_confidence = r.confidence, match_reason = r.reason,
       matched_at = COALESCE(deals.matched_at, now()), written_fields = r.written_fields, fields_seen = r.fields_seen, enriched_at = now()
     FROM jsonb_to_recordset($2::jsonb) AS r(id text, visitor_id text, method text, confidence real, reason text, written_fields jsonb, fields_seen jsonb)
     WHERE deals.tenant_id = $1 AND deals.id = r.id`,
    [
      tenantId,
      JSON.stringify(
        records.map((record) => ({
          id: record.dealId,
          visitor_id: record.match.visitorId,
          method: record.match.method,
          confidence: record.match.confidence,
          reason: record.match.reason,
          written_fields: record.writtenFields,
          fields_seen: record.fieldsSeen,
        })),
      ),
    ],
  );
}

/**
 * Of these update webhooks, the deals they leave exactly as we last saw them after enriching —
 * source fields, amount, stage, pipeline and responsible all equal: our own write coming back.
 */
export async function unchangedSinceEnrichment(db: Queryable, tenantId: string, states: readonly DealWebhookState[]): Promise<Set<string>> {
  if (states.length === 0) return new Set();
  const result = await db.query<{
    id: string;
    amount: string | number | null;
    stage_id: string | null;
    pipeline_id: string | null;
    responsible_user_id: string | null;
    fields_seen: Record<string, string>;
  }>(
    `SELECT id, amount, stage_id, pipeline_id, responsible_user_id, fields_seen FROM deals
     WHERE tenant_id = $1 AND id = ANY($2::text[]) AND enriched_at IS NOT NULL AND NOT deleted`,
    [tenantId, states.map((state) => state.dealId)],
  );
  const stored = new Map(result.rows.map((row) => [row.id, row]));
  // A deal counts only when every update about it leaves it unchanged.
  const unchanged = new Set<string>();
  const changed = new Set<string>();
  for (const state of states) {
    const row = stored.get(state.dealId);
    if (!row) {
      changed.add(state.dealId);
      continue;
    }
    const sameFields = (() => {
      const keys = new Set([...Object.keys(state.fields), ...Object.keys(row.fields_seen)]);
      for (const key of keys) if (state.fields[key as SourceFieldKey] !== row.fields_seen[key]) return false;
      return true;
    })();
    const sameAmount = (row.amount === null ? null : Number(row.amount)) === state.amount;
    if (
      sameFields &&
      sameAmount &&
      row.stage_id === state.stageId &&
      row.pipeline_id === state.pipelineId &&
      row.responsible_user_id === state.responsibleUserId
    ) {
      unchanged.add(state.dealId);
    } else {
      changed.add(state.dealId);
    }
  }
  for (const id of changed) unchanged.delete(id);
  return unchanged;
}

/** Before posting notes: a run that dies mid-post reads back instead of posting twice. */
export async function markNotesAttempted(db: Queryable, tenantId: string, dealIds: readonly string[]): Promise<void> {
  if (dealIds.length === 0) return;
  await db.query('UPDATE deals SET note_attempted_at = now() WHERE tenant_id = $1 AND id = ANY($2::text[])', [tenantId, dealIds]);
}

/** Deals (of the given, or all) linked to these contacts. */
export async function dealsOfContacts(db: Queryable, tenantId: string, contactIds: readonly string[]): Promise<string[]> {
  if (contactIds.length === 0) return [];
  const result = await db.query<{ id: string }>(
    'SELECT id FROM deals WHERE tenant_id = $1 AND contact_ids && $2::text[] AND NOT deleted',
    [tenantId, contactIds],
  );
  return result.rows.map((row) => row.id);
}

export async function markNotesAdded(db: Queryable, tenantId: string, dealIds: readonly string[]): Promise<void> {
  if (dealIds.length === 0) return;
  await db.query('UPDATE deals SET note_added_at = now() WHERE tenant_id = $1 AND id = ANY($2::text[]) AND note_added_at IS NULL', [tenantId, dealIds]);
}

export async function markDealsDeleted(db: Queryable, tenantId: string, dealIds: readonly string[]): Promise<void> {
  if (dealIds.length === 0) return;
  await db.query('UPDATE deals SET deleted = true, updated_at = now() WHERE tenant_id = $1 AND id = ANY($2::text[])', [tenantId, dealIds]);
}

/**
 * A move seen by a webhook (or by reading the deal) and the CRM's history row of the same move may
 * carry times a little apart (Bitrix24: the deal's MOVED_TIME and the history's CREATED_TIME); within
 * this window, the same deal entering the same stage is one move.
 */
export const SAME_MOVE_WINDOW_MS = 60_000;

/**
 * Records stage changes once each, whether they came by webhook, by history import, or both. The
 * CRM's history wins: a history row replaces the webhook-seen row of the same move (same deal and
 * stage, times within SAME_MOVE_WINDOW_MS — its from-stage may be wrong, as a deal read after two
 * quick moves shows only the last), and a webhook-seen move the history already has is not added.
 * Returns the rows added (or, for history, made history).
 */
export async function saveStageChanges(db: Queryable, tenantId: string, changes: readonly CrmStageChange[], origin: 'webhook' | 'history'): Promise<number> {
  if (changes.length === 0) return 0;
  // One row per key in one statement (ON CONFLICT DO UPDATE may not meet a row twice).
  const unique = [...new Map(changes.map((change) => [`${change.dealId}|${change.at.toISOString()}|${change.toStageId}`, change])).values()];
  const rows = JSON.stringify(
    unique.map((change) => ({
      deal_id: change.dealId,
      pipeline_id: change.pipelineId,
      from_stage_id: change.fromStageId,
      to_stage_id: change.toStageId,
      at: change.at.toISOString(),
    })),
  );
  const input = 'jsonb_to_recordset($2::jsonb) AS c(deal_id text, pipeline_id text, from_stage_id text, to_stage_id text, at timestamptz)';
  const sameMove = (row: string) =>
    `${row}.tenant_id = $1 AND ${row}.deal_id = c.deal_id AND ${row}.to_stage_id = c.to_stage_id
     AND ${row}.at BETWEEN c.at - ($3::int * interval '1 millisecond') AND c.at + ($3::int * interval '1 millisecond')`;
  if (origin === 'webhook') {
    const result = await db.query(
      `INSERT INTO stage_changes (tenant_id, deal_id, pipeline_id, from_stage_id, to_stage_id, at, origin)
       SELECT $1, c.deal_id, c.pipeline_id, c.from_stage_id, c.to_stage_id, c.at, 'webhook' FROM ${input}
       WHERE NOT EXISTS (SELECT 1 FROM stage_changes h WHERE h.origin = 'history' AND ${sameMove('h')})
       ON CONFLICT (tenant_id, deal_id, at, to_stage_id) DO NOTHING`,
      [tenantId, rows, SAME_MOVE_WINDOW_MS],
    );
    return result.rowCount;
  }
  const result = await db.query(
    `INSERT INTO stage_changes (tenant_id, deal_id, pipeline_id, from_stage_id, to_stage_id, at, origin)
     SELECT $1, c.deal_id, c.pipeline_id, c.from_stage_id, c.to_stage_id, c.at, 'history' FROM ${input}
     ON CONFLICT (tenant_id, deal_id, at, to_stage_id) DO UPDATE SET pipeline_id = EXCLUDED.pipeline_id, from_stage_id = EXCLUDED.from_stage_id, origin = 'history'
     WHERE stage_changes.origin = 'webhook'`,
    [tenantId, rows],
  );
  // Then the webhook-seen rows of moves the history now holds (a crash in between leaves both until the next import).
  await db.query(
    `DELETE FROM stage_changes w USING ${input}
     WHERE w.origin = 'webhook' AND ${sameMove('w')}
       AND EXISTS (SELECT 1 FROM stage_changes h WHERE h.tenant_id = $1 AND h.origin = 'history' AND h.deal_id = c.deal_id AND h.to_stage_id = c.to_stage_id AND h.at = c.at)`,
    [tenantId, rows, SAME_MOVE_WINDOW_MS],
  );
  return result.rowCount;
}

/** `pipeline:stage` of the tenant's incoming (entry) stages. */
export async function entryStageKeys(db: Queryable, tenantId: string): Promise<Set<string>> {
  const result = await db.query<{ pipeline_id: string; stage_id: string }>("SELECT pipeline_id, stage_id FROM crm_stages WHERE tenant_id = $1 AND kind = 'entry'", [tenantId]);
  return new Set(result.rows.map((row) => `${row.pipeline_id}:${row.stage_id}`));
}

export async function saveStages(db: Queryable, tenantId: string, stages: readonly CrmStage[]): Promise<void> {
  if (stages.length === 0) return;
  await db.query(
    `INSERT INTO crm_stages (tenant_id, pipeline_id, stage_id, pipeline_name, name, sort, kind)
     SELECT $1, s.pipeline_id, s.stage_id, s.pipeline_name, s.name, s.sort, s.kind
     FROM jsonb_to_recordset($2::jsonb) AS s(pipeline_id text, stage_id text, pipeline_name text, name text, sort integer, kind text)
     ON CONFLICT (tenant_id, pipeline_id, stage_id) DO UPDATE SET pipeline_name = EXCLUDED.pipeline_name, name = EXCLUDED.name,
       sort = EXCLUDED.sort, kind = EXCLUDED.kind`,
    [
      tenantId,
      JSON.stringify(
        stages.map((stage) => ({
          pipeline_id: stage.pipelineId,
          stage_id: stage.stageId,
          pipeline_name: stage.pipelineName,
          name: stage.name,
          sort: stage.sort,
          kind: stage.kind,
        })),
      ),
    ],
  );
}
