/** Admin API for tracked sites: create one (returns its key and tag) and list them. */
import { Router } from 'express';
import Joi from 'joi';
import { AppError } from '../../errors.js';
import { requireAdmin } from '../../http/auth/requireAdmin.js';
import { jsonBody } from '../../http/bodies.js';
import type { FeatureDeps } from '../../runtime.js';
import { createSite, listSites, trackerTag, type Site } from './siteStore.js';

const newSiteSchema = Joi.object({
  domain: Joi.string().trim().max(253).required(),
  tenant_id: Joi.string().trim().pattern(/^[A-Za-z0-9_-]{1,64}$/),
  hosts: Joi.array().items(Joi.string().trim().max(253)).max(50),
  cookie_domain: Joi.string().trim().max(253),
});

export function siteJson(site: Site, publicUrl: string) {
  return {
    id: site.id,
    key: site.key,
    tenant_id: site.tenantId,
    domain: site.domain,
    hosts: site.hosts,
    cookie_domain: site.cookieDomain,
    tag: trackerTag(publicUrl, site),
  };
}

export function siteRoutes(deps: FeatureDeps): Router {
  const router = Router();
  const admin = requireAdmin(deps.config.adminToken);

  router.post('/api/v1/sites', admin, jsonBody('16kb'), async (req, res) => {
    const { value, error } = newSiteSchema.validate(req.body ?? {}, { abortEarly: false });
    if (error) throw AppError.validation(error.details.map((detail) => detail.message).join('; '));
    const site = await createSite(deps.db, {
      domain: value.domain,
      tenantId: value.tenant_id,
      extraHosts: value.hosts,
      cookieDomain: value.cookie_domain,
    });
    deps.logger.info('site created', { site: site.id, domain: site.domain, tenant: site.tenantId });
    res.status(201).json(siteJson(site, deps.config.publicUrl));
  });

  router.get('/api/v1/sites', admin, async (_req, res) => {
    res.json({ sites: (await listSites(deps.db)).map((site) => siteJson(site, deps.config.publicUrl)) });
  });

  return router;
}
