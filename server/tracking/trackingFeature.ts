import type { Feature } from '../runtime.js';
import { collectRoutes } from './collector/collectRoutes.js';
import { siteRoutes } from './sites/siteRoutes.js';
import { trackerScriptRoutes } from './trackerScriptRoutes.js';
import { visitorRoutes } from './visits/visitorRoutes.js';

/** Website tracking: the tracker script, the collector, sites, and a visitor's visits. */
export const trackingFeature: Feature = {
  name: 'tracking',
  routers: (deps) => [trackerScriptRoutes(deps), collectRoutes(deps), siteRoutes(deps), visitorRoutes(deps)],
};
