/** Admin API for a tenant's settings and API keys. */
import { Router } from 'express';
import Joi from 'joi';
import { AppError } from '../errors.js';
import { requireAdmin } from '../http/auth/requireAdmin.js';
import { jsonBody } from '../http/bodies.js';
import type { Feature, FeatureDeps } from '../runtime.js';
import { createTenantApiKey, listTenantApiKeys, revokeTenantApiKey, type TenantApiKey } from './tenantApiKeys.js';
import { tenantSettings, updateTenantSettings } from './tenantSettings.js';

const newKeySchema = Joi.object({ label: Joi.string().trim().min(1).max(100).required() });

function keyJson(key: TenantApiKey) {
  return { id: key.id, label: key.label, created_at: key.createdAt.toISOString(), revoked_at: key.revokedAt?.toISOString() ?? null };
}

function tenantRoutes(deps: FeatureDeps): Router {
  const router = Router();
  const admin = requireAdmin(deps.config.adminToken);

  router.get('/api/v1/tenants/:tenantId/settings', admin, async (req, res) => {
    res.json({ settings: await tenantSettings(deps.db, req.params.tenantId as string) });
  });

  router.patch('/api/v1/tenants/:tenantId/settings', admin, jsonBody('16kb'), async (req, res) => {
    const settings = await updateTenantSettings(deps.db, req.params.tenantId as string, req.body);
    deps.logger.info('tenant settings changed', { tenant: req.params.tenantId, fields: Object.keys(req.body ?? {}) });
    res.json({ settings });
  });

  router.post('/api/v1/tenants/:tenantId/api-keys', admin, jsonBody('16kb'), async (req, res) => {
    const { value, error } = newKeySchema.validate(req.body ?? {});
    if (error) throw AppError.validation(error.message);
    const { key, record } = await createTenantApiKey(deps.db, req.params.tenantId as string, value.label);
    deps.logger.info('tenant API key created', { tenant: record.tenantId, key: record.id, label: record.label });
    res.status(201).json({ ...keyJson(record), key });
  });

  router.get('/api/v1/tenants/:tenantId/api-keys', admin, async (req, res) => {
    res.json({ keys: (await listTenantApiKeys(deps.db, req.params.tenantId as string)).map(keyJson) });
  });

  router.delete('/api/v1/tenants/:tenantId/api-keys/:keyId', admin, async (req, res) => {
    await revokeTenantApiKey(deps.db, req.params.tenantId as string, req.params.keyId as string);
    deps.logger.info('tenant API key revoked', { tenant: req.params.tenantId, key: req.params.keyId });
    res.status(204).end();
  });

  return router;
}

export const tenantsFeature: Feature = { name: 'tenants', routers: (deps) => [tenantRoutes(deps)] };
