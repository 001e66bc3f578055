/**
 * Per-tenant settings, stored as one JSON document on the tenant row and always read through
 * `tenantSettings`, which fills in the defaults: a tenant that never changed anything gets exactly
 * `DEFAULT_TENANT_SETTINGS`. Changes are validated as a whole (joi) before they are stored.
 */
import Joi from 'joi';
import { getCountries, type CountryCode } from 'libphonenumber-js';
import { AppError } from '../errors.js';
import type { Queryable } from '../storage/database.js';

/** The attribution models a tenant can choose as its own (server/attribution implements them). */
export const TENANT_ATTRIBUTION_MODELS = ['first', 'last', 'last_non_direct', 'linear', 'time_decay', 'position_based', 'markov'] as const;
export type TenantAttributionModel = (typeof TENANT_ATTRIBUTION_MODELS)[number];

export interface TenantSettings {
  /** Region for phone numbers typed without a country code (ISO 3166-1 alpha-2). */
  phoneRegion: CountryCode;
  /** The model the deal card and the reports use unless a report asks for another. */
  attributionModel: TenantAttributionModel;
  /** How far back before a deal visits count in its path, in days (1..365). */
  lookbackDays: number;
  /** Half-life of the time-decay model, in days. */
  timeDecayHalfLifeDays: number;
  /** Currency of deal amounts and of ad costs after import (ISO 4217). */
  currency: string;
  /** VAT rate in percent, used to bring imported ad costs to the same basis as `costsIncludeVat` says. */
  vatPercent: number;
  /** Whether reports show ad costs with VAT included. */
  costsIncludeVat: boolean;
  /** What a website lead becomes in Bitrix24: a CRM lead (`crm.lead.add`) or straight a deal (`crm.deal.add`). */
  bitrix24LeadEntity: 'lead' | 'deal';
  /** Language of the dashboard and the deal card when the CRM does not say. */
  locale: 'ru' | 'en';
}

export const DEFAULT_TENANT_SETTINGS: Readonly<TenantSettings> = Object.freeze({
  phoneRegion: 'RU',
  attributionModel: 'last_non_direct',
  lookbackDays: 90,
  timeDecayHalfLifeDays: 7,
  currency: 'RUB',
  vatPercent: 0,
  costsIncludeVat: true,
  bitrix24LeadEntity: 'lead',
  locale: 'ru',
});

const settingsSchema = Joi.object<TenantSettings>({
  phoneRegion: Joi.string().valid(...getCountries()),
  attributionModel: Joi.string().valid(...TENANT_ATTRIBUTION_MODELS),
  lookbackDays: Joi.number().integer().min(1).max(365),
  timeDecayHalfLifeDays: Joi.number().positive().max(365),
  currency: Joi.string().pattern(/^[A-Z]{3}$/).message('currency must be an ISO 4217 code like RUB'),
  vatPercent: Joi.number().min(0).max(100),
  costsIncludeVat: Joi.boolean(),
  bitrix24LeadEntity: Joi.string().valid('lead', 'deal'),
  locale: Joi.string().valid('ru', 'en'),
});

/** Stored settings may predate a field or hold one a later version dropped: keep only what is valid now. */
function withDefaults(stored: unknown): TenantSettings {
  const settings: TenantSettings = { ...DEFAULT_TENANT_SETTINGS };
  if (stored && typeof stored === 'object') {
    for (const [key, value] of Object.entries(stored)) {
      if (!(key in settings)) continue;
      const { error } = settingsSchema.validate({ [key]: value });
      if (!error) (settings as unknown as Record<string, unknown>)[key] = value;
    }
  }
  return settings;
}

export async function tenantSettings(db: Queryable, tenantId: string): Promise<TenantSettings> {
  const { rows } = await db.query<{ settings: unknown }>('SELECT settings FROM tenants WHERE id = $1', [tenantId]);
  if (rows.length === 0) throw AppError.notFound(`No tenant ${JSON.stringify(tenantId)}`);
  return withDefaults(rows[0]!.settings);
}

/** Validates `patch` (only known fields, each within range) and stores the merged settings. */
export async function updateTenantSettings(db: Queryable, tenantId: string, patch: unknown): Promise<TenantSettings> {
  const { value, error } = settingsSchema.validate(patch ?? {}, { abortEarly: false, convert: false });
  if (error) throw AppError.validation(error.details.map((detail) => detail.message).join('; '));
  const current = await tenantSettings(db, tenantId);
  const next = { ...current, ...value };
  await db.query('UPDATE tenants SET settings = $2 WHERE id = $1', [tenantId, JSON.stringify(next)]);
  return next;
}
