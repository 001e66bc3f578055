/** The product's features, in the order their routes are mounted. A new feature is one line here. */
import { createAmocrmAdapter } from '../integrations/amocrm/amocrmAdapter.js';
import { createAmocrmWidgetTokens } from '../integrations/amocrm/widgetToken.js';
import { createBitrix24Adapter } from '../integrations/bitrix24/bitrix24Adapter.js';
import { adminQueuesFeature } from './admin/queueRoutes.js';
import { callTrackingFeature } from './callTracking/callTrackingFeature.js';
import { crmFeature } from './crm/crmFeature.js';
import { leadsFeature } from './leads/leadsFeature.js';
import { dashboardFeature } from './reports/dashboardFeature.js';
import { reportsFeature } from './reports/reportsFeature.js';
import type { Feature } from './runtime.js';
import { tenantsFeature } from './tenants/tenantRoutes.js';
import { trackingFeature } from './tracking/trackingFeature.js';
import { widgetFeature } from './widget/widgetFeature.js';

export const productionFeatures: readonly Feature[] = [trackingFeature, crmFeature([createAmocrmAdapter, createBitrix24Adapter]), adminQueuesFeature, tenantsFeature, leadsFeature, callTrackingFeature, reportsFeature, dashboardFeature, widgetFeature([createAmocrmWidgetTokens])];
