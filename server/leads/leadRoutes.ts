/**
 * `POST /api/v1/leads` (docs/lead-capture.md "Forms"): a form lead from a site's pages (the tracker's
 * form capture, or the site's own script) or from the site's backend. The site is named by its key,
 * in the body's `site` or the `X-Site-Key` header, as the collector takes it.
 * - From a browser: the `Origin` (else the `Referer`) must be one of the site's (CORS like
 *   `/collect`: `Access-Control-Allow-Origin` only for the site's origins). Bodies may be
 *   `text/plain` JSON, as `navigator.sendBeacon` sends them.
 * - From the site's backend (no `Origin`): `Authorization: Bearer lft_...`, a tenant API key of the
 *   site's tenant (server/tenants/tenantApiKeys.ts).
 * Answers 202 `{id}` once the lead is stored (before any CRM call); a repeat within 60 s answers the
 * first one's id with `duplicate: true`; a phone that could not be read is stored as typed and the
 * answer says `flags: ["phone_unparsed"]`.
 */
import express, { Router, type Request, type Response } from 'express';
import Joi from 'joi';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../errors.js';
import { normalizeEmail, normalizePhone } from '../crm/identities.js';
import type { FeatureDeps } from '../runtime.js';
import { tenantOfApiKey } from '../tenants/tenantApiKeys.js';
import { tenantSettings } from '../tenants/tenantSettings.js';
import { rateLimitKey } from '../tracking/collector/clientAddress.js';
import { SiteDirectory, isSiteOrigin, type Site } from '../tracking/sites/siteStore.js';
import { leadPartsOfFields } from './formFields.js';
import { acceptLead } from './leadIntake.js';

/** Leads one browser address may send a minute: far above any person filling forms, low enough to blunt a flood. */
const LEADS_PER_IP_PER_MINUTE = 30;

/** Text too long is cut, not refused: a lead is never lost to a long comment. */
const text = (max: number) => Joi.string().trim().max(max).truncate().allow('');

export const leadSchema = Joi.object({
  site: Joi.string().max(100),
  name: text(200),
  phone: text(64),
  email: text(254),
  comment: text(4000),
  form: text(200).allow(null).description('form name (null: the form has neither a name nor an id)'),
  page: text(2048).description('page URL the form was sent from'),
  referrer: text(2048),
  visitor: Joi.string().pattern(/^[A-Za-z0-9_-]{8,64}$/).allow('').messages({ 'string.pattern.base': '"visitor" must be the _lfid value: 8-64 of A-Z a-z 0-9 _ -' }),
  ip: Joi.string().ip({ cidr: 'forbidden' }).description('the visitor address as the site backend saw it'),
  external_id: Joi.string().trim().max(200),
  /** The tracker's form capture: `[type, name, value]` of the form's fields (formFields.ts). */
  fields: Joi.array().max(50).items(Joi.array().ordered(text(40).required(), text(200).required(), text(4000).required())),
});

interface LeadBody {
  site?: string;
  name?: string;
  phone?: string;
  email?: string;
  comment?: string;
  form?: string | null;
  page?: string;
  referrer?: string;
  visitor?: string;
  ip?: string;
  external_id?: string;
  fields?: Array<[string, string, string]>;
}

function requestOrigin(req: Request): string | undefined {
  const origin = req.get('origin');
  if (origin && origin !== 'null') return origin;
  const referer = req.get('referer');
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

function bearer(req: Request): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
}

function allowOrigin(req: Request, res: Response): void {
  const origin = req.get('origin');
  if (origin) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
  }
}

export function leadRoutes(deps: FeatureDeps): Router {
  const router = Router();
  const sites = new SiteDirectory(deps.db);
  const perIp = new RateLimiterMemory({ points: LEADS_PER_IP_PER_MINUTE, duration: 60 });
  const body = express.json({ limit: '32kb', type: ['application/json', 'text/plain'] });

  // Preflight for `application/json` bodies from a page: it carries no site key, so it is answered
  // for any origin; the POST that follows is checked in full (as /collect does).
  router.options('/api/v1/leads', (req, res) => {
    allowOrigin(req, res);
    res.setHeader('Access-Control-Allow-Methods', 'POST');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Site-Key');
    res.setHeader('Access-Control-Max-Age', '86400');
    res.status(204).end();
  });

  router.post('/api/v1/leads', body, async (req, res) => {
    const { value, error } = leadSchema.validate(req.body ?? {}, { abortEarly: false, stripUnknown: false });
    if (error) throw AppError.validation(error.details.map((detail) => detail.message).join('; '));
    const lead = value as LeadBody;
    // Fields named outright win over what the captured form fields say.
    if (lead.fields) Object.assign(lead, { ...leadPartsOfFields(lead.fields), ...Object.fromEntries(Object.entries(lead).filter(([key, part]) => ['name', 'phone', 'email', 'comment'].includes(key) && part)) });
    if (!lead.phone && !lead.email) throw AppError.validation('A lead needs a phone or an e-mail');
    const siteKey = lead.site ?? req.get('x-site-key');
    if (!siteKey) throw AppError.validation('Name the site: its key in "site" or the X-Site-Key header');
    const site: Site | undefined = await sites.byKey(siteKey);
    if (!site) throw new AppError(404, 'unknown_site', `No site with key ${JSON.stringify(siteKey)}: check data-site in the tag`);

    const origin = requestOrigin(req);
    const key = bearer(req);
    let fromBrowser: boolean;
    if (origin) {
      if (!isSiteOrigin(site, origin)) throw new AppError(403, 'origin_not_allowed', "Leads for this site are accepted from the site's own pages only");
      // Browsers only: a site's backend sends every visitor's leads from one address.
      await perIp.consume(rateLimitKey(req.ip)).catch((rejection: unknown) => {
        const retryAfter = rejection instanceof RateLimiterRes ? Math.max(Math.ceil(rejection.msBeforeNext / 1000), 1) : 1;
        res.setHeader('Retry-After', String(retryAfter));
        throw new AppError(429, 'rate_limited', `Too many leads from this address; retry in ${retryAfter} s`);
      });
      fromBrowser = true;
      allowOrigin(req, res);
    } else if (key) {
      const tenantId = await tenantOfApiKey(deps.db, key);
      if (!tenantId) throw AppError.unauthorized('Unknown or revoked tenant API key');
      if (tenantId !== site.tenantId) throw new AppError(403, 'forbidden', 'This API key belongs to another tenant than the site');
      fromBrowser = false;
    } else {
      throw AppError.unauthorized("Send leads from the site's pages, or from its backend with a tenant API key as \"Authorization: Bearer lft_...\"");
    }

    const accepted = await acceptLead(deps, {
      tenantId: site.tenantId,
      siteId: site.id,
      origin: fromBrowser ? 'form' : 'api',
      ...(lead.visitor ? { visitorId: lead.visitor } : {}),
      ...(lead.name ? { name: lead.name } : {}),
      ...(lead.phone ? { phone: lead.phone } : {}),
      ...(lead.email ? { email: lead.email } : {}),
      ...(lead.comment ? { comment: lead.comment } : {}),
      ...(lead.form ? { formName: lead.form } : {}),
      ...(lead.page || (fromBrowser && req.get('referer')) ? { pageUrl: lead.page || (req.get('referer') as string) } : {}),
      ...(lead.referrer ? { referrer: lead.referrer } : {}),
      ...((fromBrowser ? req.ip : lead.ip) ? { ip: (fromBrowser ? req.ip : lead.ip) as string } : {}),
      ...(lead.external_id ? { externalId: lead.external_id } : {}),
      receivedAt: new Date(),
    });
    const flags: string[] = [];
    const { phoneRegion } = await tenantSettings(deps.db, site.tenantId);
    if (lead.phone && !normalizePhone(lead.phone, phoneRegion)) flags.push('phone_unparsed');
    if (lead.email && !normalizeEmail(lead.email)) flags.push('email_unparsed');
    res.status(202).json({ id: accepted.id, ...(accepted.duplicateOf ? { duplicate: true } : {}), ...(flags.length > 0 ? { flags } : {}) });
  });

  return router;
}
