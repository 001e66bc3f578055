/**
 * Zadarma call notifications (the PBX "call notifications" webhook), mapped onto tracked calls.
 *
 * Format, as published by Zadarma (API docs, "Notifications about calls in PBX"; the official PHP
 * SDK github.com/zadarma/user-api-v1, lib/Webhook/NotifyEnd.php and lib/Api.php getWebhookEvent):
 * - the notification is an `application/x-www-form-urlencoded` POST with an `event` field;
 * - `NOTIFY_END` (an incoming call ended) carries `call_start` ("YYYY-MM-DD HH:MM:SS" in the
 *   account's time zone), `pbx_call_id` (the call's permanent id), `caller_id`, `called_did` (the
 *   number that was called), `duration` (seconds), `disposition`, `is_recorded`, `call_id_with_rec`…;
 * - its `Signature` header is base64 of the HMAC-SHA1, keyed with the account's API secret, of
 *   `caller_id . called_did . call_start`, the HMAC written as lower-case hex (PHP's `hash_hmac`
 *   default) before the base64;
 * - Zadarma checks the URL when it is saved by sending `zd_echo=<value>` and expects the value back
 *   as the whole answer.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';
import type { TokenCipher } from '../security/tokenCipher.js';
import type { Queryable } from '../storage/database.js';
import type { CallReport } from './calls.js';

export const DEFAULT_ZADARMA_TIME_ZONE = 'Europe/Moscow';
const KEY_PREFIX = 'zdw_';

function digest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export interface ZadarmaAccount {
  tenantId: string;
  apiSecret: string;
  timeZone: string;
}

export interface ZadarmaSettings {
  tenantId: string;
  timeZone: string;
  configured: boolean;
  updatedAt: Date | null;
}

/**
 * Stores (or changes) a tenant's Zadarma API secret and time zone. A webhook key is made on the first
 * call and again when `rotateKey` is set: it is answered once (`webhookKey`) and kept only as a digest.
 */
export async function configureZadarma(
  db: Queryable,
  cipher: TokenCipher,
  tenantId: string,
  change: { apiSecret?: string; timeZone?: string; rotateKey?: boolean },
): Promise<{ settings: ZadarmaSettings; webhookKey: string | null }> {
  const { rows: tenants } = await db.query('SELECT 1 FROM tenants WHERE id = $1', [tenantId]);
  if (tenants.length === 0) throw AppError.notFound(`No tenant ${JSON.stringify(tenantId)}`);
  if (change.timeZone !== undefined && !isTimeZone(change.timeZone)) {
    throw AppError.validation(`time_zone ${JSON.stringify(change.timeZone)} is not an IANA time zone (e.g. Europe/Moscow)`);
  }
  const { rows: existing } = await db.query<{ time_zone: string }>('SELECT time_zone FROM zadarma_accounts WHERE tenant_id = $1', [tenantId]);
  const webhookKey = existing.length === 0 || change.rotateKey ? KEY_PREFIX + randomBytes(24).toString('base64url') : null;
  if (existing.length === 0) {
    if (!change.apiSecret) throw AppError.validation('api_secret is required the first time: the Zadarma API secret (cabinet, Settings → API) checks each notification');
    await db.query('INSERT INTO zadarma_accounts (tenant_id, webhook_key_hash, api_secret_sealed, time_zone) VALUES ($1, $2, $3, $4)', [
      tenantId,
      digest(webhookKey!),
      cipher.seal(change.apiSecret),
      change.timeZone ?? DEFAULT_ZADARMA_TIME_ZONE,
    ]);
  } else {
    await db.query(
      `UPDATE zadarma_accounts
          SET webhook_key_hash = COALESCE($2, webhook_key_hash), api_secret_sealed = COALESCE($3, api_secret_sealed),
              time_zone = COALESCE($4, time_zone), updated_at = now()
        WHERE tenant_id = $1`,
      [tenantId, webhookKey ? digest(webhookKey) : null, change.apiSecret ? cipher.seal(change.apiSecret) : null, change.timeZone ?? null],
    );
  }
  return { settings: await zadarmaSettings(db, tenantId), webhookKey };
}

export async function zadarmaSettings(db: Queryable, tenantId: string): Promise<ZadarmaSettings> {
  const { rows } = await db.query<{ time_zone: string; updated_at: Date | string }>('SELECT time_zone, updated_at FROM zadarma_accounts WHERE tenant_id = $1', [tenantId]);
  const row = rows[0];
  return { tenantId, timeZone: row?.time_zone ?? DEFAULT_ZADARMA_TIME_ZONE, configured: Boolean(row), updatedAt: row ? new Date(row.updated_at) : null };
}

/** The account a webhook key belongs to, or undefined for an unknown key. */
export async function zadarmaAccountOfKey(db: Queryable, cipher: TokenCipher, key: string): Promise<ZadarmaAccount | undefined> {
  if (!key.startsWith(KEY_PREFIX)) return undefined;
  const { rows } = await db.query<{ tenant_id: string; api_secret_sealed: string; time_zone: string }>(
    'SELECT tenant_id, api_secret_sealed, time_zone FROM zadarma_accounts WHERE webhook_key_hash = $1',
    [digest(key)],
  );
  const row = rows[0];
  return row && { tenantId: row.tenant_id, apiSecret: cipher.open(row.api_secret_sealed), timeZone: row.time_zone };
}

/** The `Signature` Zadarma sends with a call notification: base64 of the hex HMAC-SHA1 of `caller_id . called_did . call_start`. */
export function zadarmaCallSignature(apiSecret: string, fields: { caller_id?: string; called_did?: string; call_start?: string }): string {
  const hex = createHmac('sha1', apiSecret)
    .update(`${fields.caller_id ?? ''}${fields.called_did ?? ''}${fields.call_start ?? ''}`)
    .digest('hex');
  return Buffer.from(hex, 'utf8').toString('base64');
}

export function signatureMatches(expected: string, received: string | undefined): boolean {
  if (!received) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(received.trim());
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Milliseconds `zone` is ahead of UTC at the instant `at`. */
function zoneOffsetMs(zone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(at));
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const asUtc = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** "YYYY-MM-DD HH:MM:SS" on the wall clock of `zone`, as an instant. */
export function zonedTime(local: string, zone: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(local.trim());
  if (!match) throw AppError.validation(`call_start ${JSON.stringify(local)} is not "YYYY-MM-DD HH:MM:SS"`);
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  if (Number.isNaN(wall) || new Date(wall).getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw AppError.validation(`call_start ${JSON.stringify(local)} is not a valid time`);
  }
  // Twice: the first guess may sit on the other side of a DST change from the answer.
  let instant = wall - zoneOffsetMs(zone, wall);
  instant = wall - zoneOffsetMs(zone, instant);
  return new Date(instant);
}

/** NOTIFY_END as the call the generic API would have received. */
export function callOfNotifyEnd(fields: Record<string, string | undefined>, timeZone: string): CallReport {
  const missing = ['pbx_call_id', 'called_did', 'call_start'].filter((name) => !fields[name]?.trim());
  if (missing.length > 0) throw AppError.validation(`NOTIFY_END without ${missing.join(', ')}`);
  const duration = Number(fields.duration ?? '0');
  if (!Number.isInteger(duration) || duration < 0) throw AppError.validation(`duration ${JSON.stringify(fields.duration)} is not a whole number of seconds`);
  return {
    callId: `zadarma:${fields.pbx_call_id!.trim()}`,
    trackingNumber: fields.called_did!.trim(),
    callerNumber: (fields.caller_id ?? '').trim(),
    startedAt: zonedTime(fields.call_start!, timeZone),
    durationSeconds: duration,
    recordingUrl: null,
  };
}
