/**
 * Call and e-mail tracking over HTTP:
 * - admin (`ADMIN_TOKEN`): a site's numbers (`PUT/GET /api/v1/sites/:siteId/call-tracking`) and its
 *   tracked address (`PUT /api/v1/sites/:siteId/email-tracking`);
 * - the tenant's telephony and mail gateway (tenant API key): `POST /api/v1/calls`, `POST /api/v1/emails`.
 */
import { Router } from 'express';
import Joi from 'joi';
import { AppError } from '../errors.js';
import { requireAdmin } from '../http/auth/requireAdmin.js';
import { jsonBody } from '../http/bodies.js';
import type { FeatureDeps } from '../runtime.js';
import { authenticatedTenant, requireTenantKey } from '../tenants/tenantApiKeys.js';
import { trackerTag } from '../tracking/sites/siteStore.js';
import type { Queryable } from '../storage/database.js';
import { callJson, recordCall, type CallReport, type RecordedCall } from './calls.js';
import { scheduleCallDeal } from './callDeals.js';
import { addressOf, emailJson, recordEmail } from './emails.js';
import { releaseEndedLeases } from './leases.js';
import { configureCallTracking, configureEmailTracking, readLeadTracking, type LeadTrackingState } from './siteNumbers.js';

const phone = Joi.string().trim().min(1).max(64);

const callTrackingSchema = Joi.object({
  default_number: phone.allow(null),
  pool: Joi.array().items(phone).max(1000).default([]),
  static_numbers: Joi.array()
    .items(Joi.object({ channel: Joi.string().trim().min(1).max(255).required(), number: phone.required() }))
    .max(200)
    .default([]),
});

const emailTrackingSchema = Joi.object({
  address: Joi.string().trim().max(320).allow(null).required(),
});

const callSchema = Joi.object({
  call_id: Joi.string().trim().min(1).max(200).required(),
  tracking_number: phone.required(),
  caller_number: Joi.string().trim().max(64).allow('').required(),
  started_at: Joi.date().iso().required(),
  duration_seconds: Joi.number().integer().min(0).max(7 * 86_400).required(),
  recording_url: Joi.string().trim().uri({ scheme: ['http', 'https'] }).max(2048).allow(null),
});

const emailSchema = Joi.object({
  from: Joi.string().trim().max(998).required(),
  to: Joi.alternatives(Joi.string().trim().max(998), Joi.array().items(Joi.string().trim().max(998)).min(1).max(100)).required(),
  subject: Joi.string().max(998).allow('', null),
  received_at: Joi.date().iso().required(),
  message_id: Joi.string().trim().max(998).allow(null),
});

function validate<T>(schema: Joi.ObjectSchema, body: unknown): T {
  const { value, error } = schema.validate(body ?? {}, { abortEarly: false });
  if (error) throw AppError.validation(error.details.map((detail) => detail.message).join('; '));
  return value as T;
}

/** The pool size to aim for: the peak that was wanted (or today's use) plus a fifth, at least 2 more. */
function suggestedPoolSize(state: LeadTrackingState): number {
  const wanted = Math.max(state.peakWanted, state.openLeases);
  return wanted === 0 ? state.pool.length : Math.max(wanted + 2, Math.ceil(wanted * 1.2));
}

/** The site's tag with `data-swap`: the tracker asks for the visit's phone and e-mail only with it. */
async function swapTag(db: Queryable, publicUrl: string, siteId: string): Promise<string> {
  const { rows } = await db.query<{ id: string; tenant_id: string; key: string; domain: string; hosts: string[]; cookie_domain: string | null }>(
    'SELECT id, tenant_id, key, domain, hosts, cookie_domain FROM sites WHERE id = $1',
    [siteId],
  );
  const row = rows[0]!;
  const tag = trackerTag(publicUrl, { id: row.id, tenantId: row.tenant_id, key: row.key, domain: row.domain, hosts: row.hosts, cookieDomain: row.cookie_domain });
  return tag.replace('></script>', ' data-swap></script>');
}

function leadTrackingJson(state: LeadTrackingState, tag: string) {
  return {
    site_id: state.siteId,
    tag,
    default_number: state.defaultNumber,
    pool: state.pool,
    static_numbers: state.staticNumbers,
    email_address: state.emailAddress,
    pool_size: state.pool.length,
    open_leases: state.openLeases,
    peak_wanted: state.peakWanted,
    exhausted_total: state.exhaustedTotal,
    last_exhausted_at: state.lastExhaustedAt?.toISOString() ?? null,
    suggested_pool_size: suggestedPoolSize(state),
  };
}

/** Stores and matches a call from any telephony format, counts it, and queues its CRM deal when it is new. */
export async function receiveCall(deps: FeatureDeps, tenantId: string, report: CallReport): Promise<RecordedCall> {
  const recorded = await recordCall(deps.db, tenantId, report, { graceMs: deps.config.numberLeaseGraceMs, identityKey: deps.identityKey });
  const { call, created } = recorded;
  deps.metrics.callsReceived.inc({ outcome: created ? (call.matchReason ?? 'matched') : 'repeated' });
  if (created) {
    // Stored first: a queue outage leaves the call matched, only its CRM deal waits for a repeat of this request.
    await scheduleCallDeal(deps, tenantId, call).catch((error: unknown) =>
      deps.logger.warn('call stored, but settling its CRM deal could not be queued', { tenant: tenantId, error: String(error) }),
    );
  }
  return recorded;
}

export function callTrackingRoutes(deps: FeatureDeps): Router {
  const router = Router();
  const admin = requireAdmin(deps.config.adminToken);
  const tenantKey = requireTenantKey(deps.db);

  router.get('/api/v1/sites/:siteId/call-tracking', admin, async (req, res) => {
    const siteId = String(req.params.siteId);
    // Leases are released lazily (leases.ts): release the ended ones so `open_leases` counts live visits only.
    await releaseEndedLeases(deps.db, siteId, new Date(), deps.config.numberLeaseGraceMs);
    const state = await readLeadTracking(deps.db, siteId);
    res.json(leadTrackingJson(state, await swapTag(deps.db, deps.config.publicUrl, siteId)));
  });

  router.put('/api/v1/sites/:siteId/call-tracking', admin, jsonBody('256kb'), async (req, res) => {
    const value = validate<{ default_number?: string | null; pool: string[]; static_numbers: Array<{ channel: string; number: string }> }>(callTrackingSchema, req.body);
    const siteId = String(req.params.siteId);
    await configureCallTracking(deps.db, siteId, { defaultNumber: value.default_number ?? null, pool: value.pool, staticNumbers: value.static_numbers });
    const state = await readLeadTracking(deps.db, siteId);
    deps.logger.info('site call tracking configured', { site: siteId, poolSize: state.pool.length, staticNumbers: state.staticNumbers.length });
    res.json(leadTrackingJson(state, await swapTag(deps.db, deps.config.publicUrl, siteId)));
  });

  router.put('/api/v1/sites/:siteId/email-tracking', admin, jsonBody('16kb'), async (req, res) => {
    const value = validate<{ address: string | null }>(emailTrackingSchema, req.body);
    const siteId = String(req.params.siteId);
    await configureEmailTracking(deps.db, siteId, value.address);
    res.json(leadTrackingJson(await readLeadTracking(deps.db, siteId), await swapTag(deps.db, deps.config.publicUrl, siteId)));
  });

  router.post('/api/v1/calls', tenantKey, jsonBody('32kb'), async (req, res) => {
    const tenantId = authenticatedTenant(res);
    const value = validate<{ call_id: string; tracking_number: string; caller_number: string; started_at: Date; duration_seconds: number; recording_url?: string | null }>(
      callSchema,
      req.body,
    );
    const { call } = await receiveCall(deps, tenantId, {
      callId: value.call_id,
      trackingNumber: value.tracking_number,
      callerNumber: value.caller_number,
      startedAt: value.started_at,
      durationSeconds: value.duration_seconds,
      recordingUrl: value.recording_url ?? null,
    });
    res.status(200).json({ call: callJson(call) });
  });

  router.post('/api/v1/emails', tenantKey, jsonBody('64kb'), async (req, res) => {
    const tenantId = authenticatedTenant(res);
    const value = validate<{ from: string; to: string | string[]; subject?: string | null; received_at: Date; message_id?: string | null }>(emailSchema, req.body);
    const from = addressOf(value.from);
    if (!from) throw AppError.validation(`from ${JSON.stringify(value.from)} holds no e-mail address`);
    const recipients = (Array.isArray(value.to) ? value.to : value.to.split(',')).map(addressOf).filter((address): address is string => Boolean(address));
    if (recipients.length === 0) throw AppError.validation(`to ${JSON.stringify(value.to)} holds no e-mail address`);
    const { email, created } = await recordEmail(deps.db, deps.identityKey, tenantId, {
      from,
      to: recipients,
      subject: value.subject ?? null,
      receivedAt: value.received_at,
      messageId: value.message_id ?? null,
    });
    deps.metrics.emailsReceived.inc({ outcome: created ? (email.matchReason ?? 'matched') : 'repeated' });
    res.status(200).json({ email: emailJson(email) });
  });

  return router;
}
