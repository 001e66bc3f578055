/** The product's features, in the order their routes are mounted. A new feature is one line here. */
import { adminQueuesFeature } from './admin/queueRoutes.js';
import type { Feature } from './runtime.js';
import { trackingFeature } from './tracking/trackingFeature.js';

export const productionFeatures: readonly Feature[] = [trackingFeature, adminQueuesFeature];
