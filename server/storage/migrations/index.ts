/**
 * The schema, as an ordered list of migrations applied once each, in order, on PostgreSQL and
 * PGlite alike. A migration is never edited after it has landed: a change is a new migration.
 */
import { m0001JobsTable } from './0001_jobs.js';
import { m0002Tracking } from './0002_tracking.js';
import { m0003Crm } from './0003_crm.js';
import { m0004DealEntity } from './0004_deal_entity.js';
import { m0005DealFieldsSeen } from './0005_deal_fields_seen.js';
import { m0006TenantSettings } from './0006_tenant_settings.js';
import { m0007LeadCapture } from './0007_lead_capture.js';
import { m0008CallTracking } from './0008_call_tracking.js';
import { m0009Reports } from './0009_reports.js';
import { m0010LostReasonsUsers } from './0010_lost_reasons_users.js';
import { m0014Zadarma } from './0014_zadarma.js';
import { m0015VisitsFillfactor } from './0015_visits_fillfactor.js';

export interface Migration {
  id: string;
  sql: string;
}

export const migrations: readonly Migration[] = [m0001JobsTable, m0002Tracking, m0003Crm, m0004DealEntity, m0005DealFieldsSeen, m0006TenantSettings, m0007LeadCapture, m0008CallTracking, m0009Reports, m0010LostReasonsUsers, m0014Zadarma, m0015VisitsFillfactor];
