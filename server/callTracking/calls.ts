/**
 * Tracked calls (`POST /api/v1/calls`): each is stored once per call id and matched to the visit
 * that held the called number when the call started — from the lease history, so a call reported
 * hours later still finds the visit that saw the number then. The caller's number becomes an
 * identity of that visitor. A call no visit can be tied to keeps why: `call_to_non_leased_number`
 * (the default, a static or an unknown number, or a pool number nobody held before) or
 * `lease_expired` (the last visit to hold that pool number had ended its lease before the call).
 */
import type { CountryCode } from 'libphonenumber-js';
import { AppError } from '../errors.js';
import { recordIdentity, type IdentityKey } from '../crm/identities.js';
import type { Database, Queryable } from '../storage/database.js';
import { tenantSettings } from '../tenants/tenantSettings.js';
import { lastLeaseBefore } from './leases.js';
import { toE164 } from './siteNumbers.js';

export type CallMatchReason = 'call_to_non_leased_number' | 'lease_expired';

export interface CallReport {
  callId: string;
  trackingNumber: string;
  callerNumber: string;
  startedAt: Date;
  durationSeconds: number;
  recordingUrl?: string | null;
}

export interface StoredCall {
  callId: string;
  trackingNumber: string;
  /** E.164; null when the caller's number was hidden or unreadable (`callerRaw` keeps what came). */
  callerNumber: string | null;
  callerRaw: string;
  startedAt: Date;
  durationSeconds: number;
  recordingUrl: string | null;
  siteId: string | null;
  numberKind: 'pool' | 'default' | 'static' | null;
  channel: string | null;
  visitId: string | null;
  visitorId: string | null;
  matchReason: CallMatchReason | null;
  dealId: string | null;
}

interface CallRow {
  call_id: string;
  tracking_number: string;
  caller_number: string | null;
  caller_raw: string;
  started_at: Date | string;
  duration_seconds: number;
  recording_url: string | null;
  site_id: string | null;
  number_kind: StoredCall['numberKind'];
  channel: string | null;
  visit_id: string | null;
  visitor_id: string | null;
  match_reason: CallMatchReason | null;
  deal_id: string | null;
}

const callColumns =
  'call_id, tracking_number, caller_number, caller_raw, started_at, duration_seconds, recording_url, site_id, number_kind, channel, visit_id, visitor_id, match_reason, deal_id';

function fromRow(row: CallRow): StoredCall {
  return {
    callId: row.call_id,
    trackingNumber: row.tracking_number,
    callerNumber: row.caller_number,
    callerRaw: row.caller_raw,
    startedAt: new Date(row.started_at),
    durationSeconds: row.duration_seconds,
    recordingUrl: row.recording_url,
    siteId: row.site_id,
    numberKind: row.number_kind,
    channel: row.channel,
    visitId: row.visit_id,
    visitorId: row.visitor_id,
    matchReason: row.match_reason,
    dealId: row.deal_id,
  };
}

export async function storedCall(db: Queryable, tenantId: string, callId: string): Promise<StoredCall | undefined> {
  const { rows } = await db.query<CallRow>(`SELECT ${callColumns} FROM calls WHERE tenant_id = $1 AND call_id = $2`, [tenantId, callId]);
  return rows[0] && fromRow(rows[0]);
}

interface NumberRow {
  id: string;
  site_id: string;
  kind: 'pool' | 'default' | 'static';
  channel: string | null;
  created_at: Date | string;
  retired_at: Date | string | null;
}

type CallMatch = Pick<StoredCall, 'siteId' | 'numberKind' | 'channel' | 'visitId' | 'visitorId' | 'matchReason'>;

/** Who held `number` when the call started. */
async function matchCall(db: Queryable, tenantId: string, number: string, at: Date, graceMs: number): Promise<CallMatch> {
  const { rows } = await db.query<NumberRow>(
    'SELECT id, site_id, kind, channel, created_at, retired_at FROM tracking_numbers WHERE tenant_id = $1 AND number = $2 ORDER BY created_at DESC',
    [tenantId, number],
  );
  const inService = (row: NumberRow) => new Date(row.created_at) <= at && (!row.retired_at || new Date(row.retired_at) > at);
  const role = rows.find(inService) ?? rows[0];
  const unmatched: CallMatch = { siteId: role?.site_id ?? null, numberKind: role?.kind ?? null, channel: role?.channel ?? null, visitId: null, visitorId: null, matchReason: 'call_to_non_leased_number' };
  if (role?.kind !== 'pool') return unmatched;
  // Every pool row of this number: a number taken out of the pool and put back keeps its history.
  const lease = await lastLeaseBefore(db, rows.filter((row) => row.kind === 'pool').map((row) => row.id), at, graceMs);
  if (!lease) return unmatched;
  if (lease.endsAt <= at) return { ...unmatched, matchReason: 'lease_expired' };
  return { ...unmatched, visitId: lease.visitId, visitorId: lease.visitorId, matchReason: null };
}

export interface RecordedCall {
  call: StoredCall;
  /** False when this call id had been received before: nothing was stored or changed. */
  created: boolean;
}

/** Stores and matches a call; the same call id again answers the stored call and changes nothing. */
export async function recordCall(db: Database, tenantId: string, report: CallReport, options: { graceMs: number; identityKey: IdentityKey; region?: CountryCode }): Promise<RecordedCall> {
  const earlier = await storedCall(db, tenantId, report.callId);
  if (earlier) return { call: earlier, created: false };
  const region = options.region ?? (await tenantSettings(db, tenantId)).phoneRegion;
  const trackingNumber = toE164(report.trackingNumber, region);
  if (!trackingNumber) throw AppError.validation(`tracking_number ${JSON.stringify(report.trackingNumber)} is not a valid phone number (region ${region})`);
  const callerNumber = toE164(report.callerNumber, region) ?? null;
  const match = await matchCall(db, tenantId, trackingNumber, report.startedAt, options.graceMs);
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<CallRow>(
      `INSERT INTO calls (tenant_id, call_id, tracking_number, caller_number, caller_raw, started_at, duration_seconds, recording_url,
                          site_id, number_kind, channel, visit_id, visitor_id, match_reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (tenant_id, call_id) DO NOTHING
       RETURNING ${callColumns}`,
      [
        tenantId,
        report.callId,
        trackingNumber,
        callerNumber,
        report.callerNumber,
        report.startedAt.toISOString(),
        report.durationSeconds,
        report.recordingUrl ?? null,
        match.siteId,
        match.numberKind,
        match.channel,
        match.visitId,
        match.visitorId,
        match.matchReason,
      ],
    );
    if (!rows[0]) {
      // The same call id arrived twice at once, and the other copy was stored first.
      return { call: (await storedCall(tx, tenantId, report.callId)) as StoredCall, created: false };
    }
    const call = fromRow(rows[0]);
    if (call.visitorId && callerNumber) {
      await recordIdentity(tx, options.identityKey, { tenantId, visitorId: call.visitorId, kind: 'phone', value: callerNumber, origin: 'call', at: report.startedAt, region });
    }
    return { call, created: true };
  });
}

export function callJson(call: StoredCall) {
  return {
    call_id: call.callId,
    tracking_number: call.trackingNumber,
    caller_number: call.callerNumber,
    caller_raw: call.callerRaw,
    started_at: call.startedAt.toISOString(),
    duration_seconds: call.durationSeconds,
    recording_url: call.recordingUrl,
    site_id: call.siteId,
    number_kind: call.numberKind,
    channel: call.channel,
    matched: call.visitId !== null,
    visit_id: call.visitId,
    visitor_id: call.visitorId,
    match_reason: call.matchReason,
    deal_id: call.dealId,
  };
}
