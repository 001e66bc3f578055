/**
 * A site's call and e-mail tracking set-up: the pool of tracking numbers shown one per visit, the
 * default number (the one printed on the site, which the tracker replaces), static numbers per
 * channel (shown when the pool is exhausted, and for offline channels such as print ads), and the
 * address whose per-visit plus-variants replace it. Numbers are stored in E.164, read with the
 * tenant's phone region. A number taken out of the set-up is retired, never deleted: calls to it
 * are still matched by its lease history.
 */
import { randomUUID } from 'node:crypto';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { AppError } from '../errors.js';
import { normalizeEmail, normalizePhone } from '../crm/identities.js';
import type { Database, Queryable } from '../storage/database.js';
import { tenantSettings } from '../tenants/tenantSettings.js';

export interface StaticNumber {
  /** A source or channel group name as the classifier writes it (`avito`, `Paid Search`), or an offline channel (`print`). */
  channel: string;
  number: string;
}

export interface CallTrackingSetUp {
  defaultNumber: string | null;
  pool: string[];
  staticNumbers: StaticNumber[];
}

export interface LeadTrackingState extends CallTrackingSetUp {
  siteId: string;
  tenantId: string;
  emailAddress: string | null;
  /** Visits holding a pool number now (expired leases not yet released included). */
  openLeases: number;
  /** The most visits that wanted a number at once: the pool size that would have been enough. */
  peakWanted: number;
  exhaustedTotal: number;
  lastExhaustedAt: Date | null;
}

/** E.164 of a number as a person or a telephony system writes it, read with `region` when it has no country code. */
export function toE164(raw: string, region: CountryCode): string | undefined {
  const national = normalizePhone(raw, region);
  if (national) return national;
  // Telephony systems send international numbers without the "+" (`74951234567`).
  const digits = raw.replace(/\D/g, '');
  return digits.length >= 8 && digits.length <= 15 ? normalizePhone(`+${digits}`, region) : undefined;
}

/** The digits a page shows after its country prefix (`+74951234567` -> `4951234567`). */
export function nationalDigits(e164: string): string {
  return parsePhoneNumberFromString(e164)?.nationalNumber ?? e164.replace(/\D/g, '');
}

async function siteTenant(db: Queryable, siteId: string): Promise<string> {
  const { rows } = await db.query<{ tenant_id: string }>('SELECT tenant_id FROM sites WHERE id = $1', [siteId]);
  if (!rows[0]) throw AppError.notFound(`No site ${JSON.stringify(siteId)}`);
  return rows[0].tenant_id;
}

function parseNumbers(input: { defaultNumber?: string | null; pool: string[]; staticNumbers: StaticNumber[] }, region: CountryCode): CallTrackingSetUp {
  const problems: string[] = [];
  const parse = (raw: string, what: string) => {
    const number = toE164(raw, region);
    if (!number) problems.push(`${what} ${JSON.stringify(raw)} is not a valid phone number (region ${region})`);
    return number ?? '';
  };
  const defaultNumber = input.defaultNumber ? parse(input.defaultNumber, 'default_number') : null;
  const pool = input.pool.map((raw) => parse(raw, 'pool number'));
  const staticNumbers = input.staticNumbers.map((entry) => ({ channel: entry.channel.trim(), number: parse(entry.number, `static number for ${entry.channel}`) }));
  const seen = new Map<string, string>();
  const note = (number: string, role: string) => {
    if (!number) return;
    const earlier = seen.get(number);
    if (earlier) problems.push(`${number} is both ${earlier} and ${role}: a number can have one role`);
    else seen.set(number, role);
  };
  if (defaultNumber) note(defaultNumber, 'the default number');
  pool.forEach((number) => note(number, 'a pool number'));
  staticNumbers.forEach((entry) => note(entry.number, `the static number for ${entry.channel}`));
  const channels = new Set<string>();
  for (const entry of staticNumbers) {
    if (channels.has(entry.channel.toLowerCase())) problems.push(`channel ${JSON.stringify(entry.channel)} has two static numbers`);
    channels.add(entry.channel.toLowerCase());
  }
  if (pool.length > 0 && !defaultNumber) problems.push('a pool needs default_number: the number printed on the site, which the tracker replaces');
  if (problems.length > 0) throw AppError.validation(problems.join('; '));
  return { defaultNumber, pool, staticNumbers };
}

async function ensureRow(db: Queryable, siteId: string, tenantId: string): Promise<void> {
  await db.query('INSERT INTO site_lead_tracking (site_id, tenant_id) VALUES ($1, $2) ON CONFLICT (site_id) DO NOTHING', [siteId, tenantId]);
}

/**
 * Replaces the site's numbers with these (validated as a whole). Numbers kept keep their history and
 * their leases; numbers dropped are retired and their open leases end now.
 */
export async function configureCallTracking(
  db: Database,
  siteId: string,
  input: { defaultNumber?: string | null; pool: string[]; staticNumbers: StaticNumber[] },
): Promise<void> {
  const tenantId = await siteTenant(db, siteId);
  const { phoneRegion } = await tenantSettings(db, tenantId);
  const wanted = parseNumbers(input, phoneRegion);
  const rows = [
    ...(wanted.defaultNumber ? [{ number: wanted.defaultNumber, kind: 'default', channel: null as string | null }] : []),
    ...wanted.pool.map((number) => ({ number, kind: 'pool', channel: null as string | null })),
    ...wanted.staticNumbers.map((entry) => ({ number: entry.number, kind: 'static', channel: entry.channel as string | null })),
  ];
  await db.transaction(async (tx) => {
    await ensureRow(tx, siteId, tenantId);
    const { rows: current } = await tx.query<{ id: string; number: string; kind: string; channel: string | null }>(
      'SELECT id, number, kind, channel FROM tracking_numbers WHERE site_id = $1 AND retired_at IS NULL FOR UPDATE',
      [siteId],
    );
    const keep = new Set<string>();
    for (const row of rows) {
      const same = current.find((existing) => existing.number === row.number && existing.kind === row.kind && existing.channel === row.channel);
      if (same) keep.add(same.id);
    }
    const retired = current.filter((existing) => !keep.has(existing.id)).map((existing) => existing.id);
    if (retired.length > 0) {
      await tx.query('UPDATE tracking_numbers SET retired_at = now() WHERE id = ANY($1::text[])', [retired]);
      await tx.query('UPDATE number_leases SET released_at = now() WHERE number_id = ANY($1::text[]) AND released_at IS NULL', [retired]);
    }
    for (const row of rows) {
      if (current.some((existing) => keep.has(existing.id) && existing.number === row.number && existing.kind === row.kind && existing.channel === row.channel)) continue;
      const { rows: taken } = await tx.query<{ site_id: string }>(
        'SELECT site_id FROM tracking_numbers WHERE tenant_id = $1 AND number = $2 AND retired_at IS NULL',
        [tenantId, row.number],
      );
      if (taken[0]) throw AppError.validation(`${row.number} is already a tracking number of site ${taken[0].site_id}`);
      await tx.query('INSERT INTO tracking_numbers (id, tenant_id, site_id, number, kind, channel) VALUES ($1, $2, $3, $4, $5, $6)', [
        randomUUID(),
        tenantId,
        siteId,
        row.number,
        row.kind,
        row.channel,
      ]);
    }
    await tx.query('UPDATE site_lead_tracking SET updated_at = now() WHERE site_id = $1', [siteId]);
  });
}

/** Sets (or, with null, turns off) the address whose plus-variants the tracker shows. */
export async function configureEmailTracking(db: Database, siteId: string, address: string | null): Promise<void> {
  const tenantId = await siteTenant(db, siteId);
  let email: string | null = null;
  if (address !== null) {
    email = normalizeEmail(address) ?? null;
    if (!email || email.split('@')[0]!.includes('+')) {
      throw AppError.validation(`address ${JSON.stringify(address)} must be a plain e-mail address like sales@example.com (without a +tag)`);
    }
  }
  await ensureRow(db, siteId, tenantId);
  await db.query('UPDATE site_lead_tracking SET email_address = $2, updated_at = now() WHERE site_id = $1', [siteId, email]);
}

export async function readLeadTracking(db: Queryable, siteId: string): Promise<LeadTrackingState> {
  const tenantId = await siteTenant(db, siteId);
  const { rows: numbers } = await db.query<{ number: string; kind: string; channel: string | null }>(
    'SELECT number, kind, channel FROM tracking_numbers WHERE site_id = $1 AND retired_at IS NULL ORDER BY kind, number',
    [siteId],
  );
  const { rows: settings } = await db.query<{ email_address: string | null; peak_wanted: number; exhausted_total: string | number; last_exhausted_at: Date | string | null }>(
    'SELECT email_address, peak_wanted, exhausted_total, last_exhausted_at FROM site_lead_tracking WHERE site_id = $1',
    [siteId],
  );
  const { rows: open } = await db.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM number_leases WHERE site_id = $1 AND released_at IS NULL AND number_id IS NOT NULL',
    [siteId],
  );
  const row = settings[0];
  return {
    siteId,
    tenantId,
    defaultNumber: numbers.find((number) => number.kind === 'default')?.number ?? null,
    pool: numbers.filter((number) => number.kind === 'pool').map((number) => number.number),
    staticNumbers: numbers.filter((number) => number.kind === 'static').map((number) => ({ channel: number.channel as string, number: number.number })),
    emailAddress: row?.email_address ?? null,
    openLeases: open[0]?.count ?? 0,
    peakWanted: row?.peak_wanted ?? 0,
    exhaustedTotal: Number(row?.exhausted_total ?? 0),
    lastExhaustedAt: row?.last_exhausted_at ? new Date(row.last_exhausted_at) : null,
  };
}

/** What the collector needs to answer a visit's first hit; undefined for a site without call or e-mail tracking. */
export interface SwapSetUp {
  siteId: string;
  tenantId: string;
  hasPool: boolean;
  defaultNumber: string | null;
  /** Lower-cased channel or source name -> E.164. */
  staticNumbers: Map<string, string>;
  emailAddress: string | null;
}

export async function loadSwapSetUp(db: Queryable, siteId: string): Promise<SwapSetUp | undefined> {
  const { rows: settings } = await db.query<{ tenant_id: string; email_address: string | null }>(
    'SELECT tenant_id, email_address FROM site_lead_tracking WHERE site_id = $1',
    [siteId],
  );
  if (!settings[0]) return undefined;
  const { rows: numbers } = await db.query<{ number: string; kind: string; channel: string | null }>(
    'SELECT number, kind, channel FROM tracking_numbers WHERE site_id = $1 AND retired_at IS NULL',
    [siteId],
  );
  const defaultNumber = numbers.find((number) => number.kind === 'default')?.number ?? null;
  const setUp: SwapSetUp = {
    siteId,
    tenantId: settings[0].tenant_id,
    hasPool: numbers.some((number) => number.kind === 'pool'),
    defaultNumber,
    staticNumbers: new Map(numbers.filter((number) => number.kind === 'static').map((number) => [(number.channel as string).toLowerCase(), number.number])),
    emailAddress: settings[0].email_address,
  };
  return setUp.defaultNumber || setUp.emailAddress ? setUp : undefined;
}
