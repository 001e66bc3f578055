/**
 * Zadarma call notifications (zadarma.ts):
 * - `PUT/GET /api/v1/tenants/:tenantId/telephony/zadarma` (admin): the tenant's Zadarma API secret
 *   (sealed at rest) and time zone; the first PUT (or one with `rotate_webhook_key`) answers the
 *   webhook URL to paste into the Zadarma cabinet, once;
 * - `GET|POST /api/v1/telephony/zadarma/:key`: Zadarma's URL check (`zd_echo`) and its notifications.
 *   Zadarma cannot send our Authorization header, so the key in the path names the tenant, and
 *   Zadarma's own `Signature` proves the notification came from that account. The key is never
 *   logged: errors here are logged under the route pattern, not the path.
 */
import express, { Router, type Request, type Response } from 'express';
import Joi from 'joi';
import { AppError } from '../errors.js';
import { requireAdmin } from '../http/auth/requireAdmin.js';
import { jsonBody } from '../http/bodies.js';
import { sendError } from '../http/middleware/errorHandler.js';
import type { FeatureDeps } from '../runtime.js';
import { receiveCall } from './callTrackingRoutes.js';
import { callJson } from './calls.js';
import { callOfNotifyEnd, configureZadarma, signatureMatches, zadarmaAccountOfKey, zadarmaCallSignature, zadarmaSettings, type ZadarmaSettings } from './zadarma.js';

const ROUTE = '/api/v1/telephony/zadarma/:key';

const configSchema = Joi.object({
  api_secret: Joi.string().trim().min(1).max(200),
  time_zone: Joi.string().trim().min(1).max(64),
  rotate_webhook_key: Joi.boolean().default(false),
});

function settingsJson(settings: ZadarmaSettings) {
  return { tenant_id: settings.tenantId, configured: settings.configured, time_zone: settings.timeZone, updated_at: settings.updatedAt?.toISOString() ?? null };
}

/** Zadarma's URL check: the value of `zd_echo`, and nothing else, as the answer. */
function answerEcho(req: Request, res: Response): boolean {
  const echo = req.query.zd_echo ?? (req.body as Record<string, unknown> | undefined)?.zd_echo;
  if (typeof echo !== 'string') return false;
  res.status(200).type('text/plain').set('X-Content-Type-Options', 'nosniff').send(echo.slice(0, 512));
  return true;
}

export function zadarmaRoutes(deps: FeatureDeps): Router {
  const router = Router();
  const admin = requireAdmin(deps.config.adminToken);

  router.get('/api/v1/tenants/:tenantId/telephony/zadarma', admin, async (req, res) => {
    const { rows } = await deps.db.query('SELECT 1 FROM tenants WHERE id = $1', [req.params.tenantId]);
    if (rows.length === 0) throw AppError.notFound(`No tenant ${JSON.stringify(req.params.tenantId)}`);
    res.json(settingsJson(await zadarmaSettings(deps.db, String(req.params.tenantId))));
  });

  router.put('/api/v1/tenants/:tenantId/telephony/zadarma', admin, jsonBody('8kb'), async (req, res) => {
    const { value, error } = configSchema.validate(req.body ?? {}, { abortEarly: false });
    if (error) throw AppError.validation(error.details.map((detail) => detail.message).join('; '));
    const tenantId = String(req.params.tenantId);
    const { settings, webhookKey } = await configureZadarma(deps.db, deps.cipher, tenantId, {
      apiSecret: value.api_secret,
      timeZone: value.time_zone,
      rotateKey: value.rotate_webhook_key,
    });
    deps.logger.info('Zadarma notifications configured', { tenant: tenantId, timeZone: settings.timeZone, newWebhookKey: Boolean(webhookKey) });
    res.json({ ...settingsJson(settings), webhook_url: webhookKey ? `${deps.config.publicUrl}/api/v1/telephony/zadarma/${webhookKey}` : null });
  });

  const notification = async (req: Request, res: Response) => {
    try {
      const account = await zadarmaAccountOfKey(deps.db, deps.cipher, String(req.params.key));
      if (!account) throw AppError.notFound('Unknown Zadarma webhook key: copy the URL from PUT /api/v1/tenants/:tenantId/telephony/zadarma');
      if (answerEcho(req, res)) return;
      if (req.method !== 'POST') throw AppError.validation('Zadarma notifications are POSTed; a GET is answered only with zd_echo');
      const fields = (req.body ?? {}) as Record<string, string | undefined>;
      if (fields.event !== 'NOTIFY_END') {
        // Only the end of an incoming call makes a tracked call; other notifications are acknowledged and dropped.
        res.status(200).json({ ignored: true, event: typeof fields.event === 'string' ? fields.event : null });
        return;
      }
      if (!signatureMatches(zadarmaCallSignature(account.apiSecret, fields), req.get('signature'))) {
        throw AppError.unauthorized('The Signature header does not match this notification under the Zadarma API secret stored for this tenant');
      }
      const { call } = await receiveCall(deps, account.tenantId, callOfNotifyEnd(fields, account.timeZone));
      res.status(200).json({ call: callJson(call) });
    } catch (error) {
      if (res.headersSent) throw error;
      sendError(res, error, deps.logger, { method: req.method, path: ROUTE });
    }
  };
  const formBody = express.urlencoded({ extended: false, limit: '32kb' });
  router.get(ROUTE, notification);
  router.post(ROUTE, formBody, notification);

  return router;
}
