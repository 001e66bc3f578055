import type { Feature } from '../runtime.js';
import { collectRoute } from './collector/collectRoutes.js';
import { siteRoutes } from './sites/siteRoutes.js';
import { trackerScriptRoutes } from './trackerScriptRoutes.js';
import { visitorRoutes } from './visits/visitorRoutes.js';

/** Website tracking: the tracker script, the collector, sites, and a visitor's visits. */
export const trackingFeature: Feature = {
  name: 'tracking',
  routers: (deps) => [trackerScriptRoutes(deps), siteRoutes(deps), visitorRoutes(deps)],
  fastRoutes: (deps) => [collectRoute(deps)],
};
